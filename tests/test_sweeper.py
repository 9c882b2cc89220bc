"""The sweeper: events whose dispatch never ran, sockets whose server died."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import AgentConnection, User
from accounts.services import agent_connected
from omnichannel import events
from omnichannel.models import Event

pytestmark = pytest.mark.django_db


def test_sweeper_dispatches_an_event_left_undispatched(agent):
    seen = []
    subscriber = events.subscribe(lambda event: seen.append(event.pk))
    try:
        # Recorded as if the process died between commit and dispatch.
        event = Event.objects.create(name="room.queued", data={})
        Event.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(minutes=5))

        call_command("dispatch_events")

        assert seen == [event.pk]
        event.refresh_from_db()
        assert event.dispatched_at is not None
    finally:
        events.unsubscribe(subscriber)


def test_sweeper_dispatches_each_event_once(agent):
    seen = []
    subscriber = events.subscribe(lambda event: seen.append(event.pk))
    try:
        event = Event.objects.create(name="room.queued", data={})
        Event.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(minutes=5))

        call_command("dispatch_events")
        call_command("dispatch_events")

        assert seen == [event.pk]
    finally:
        events.unsubscribe(subscriber)


def test_sweeper_takes_an_agent_offline_whose_server_died(agent):
    User.objects.filter(pk=agent.pk).update(status=User.Status.OFFLINE)
    agent_connected(agent, channel_name="specific.dead-process!1")
    AgentConnection.objects.update(last_seen_at=timezone.now() - timedelta(minutes=10))

    call_command("dispatch_events")

    agent.refresh_from_db()
    assert agent.status == User.Status.OFFLINE
    assert not AgentConnection.objects.exists()
