"""Inactivity: a chat whose contact stays silent is closed automatically; the agent is warned."""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.management import call_command
from django.urls import reverse

from omnichannel.models import Event
from omnichannel.realtime import agent_group
from productivity.errors import InvalidInactivityPolicy
from productivity.models import InactivityPolicy
from productivity.services import save_inactivity_policy, sweep_inactive_rooms
from queues.services import take_room
from rooms.models import Message, Room
from rooms.services import post_agent_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule(manager, department):
    """Support closes chats after 30 silent minutes, warning the agent 5 minutes before."""
    return save_inactivity_policy(
        manager,
        department,
        timeout_minutes=30,
        warning_minutes=5,
        closing_comment="No answer from the contact.",
        tag="Abandoned",
    )


@pytest.fixture
def start(clock):
    clock.set(clock.now)
    return clock.now


@pytest.fixture
def served_room(start, write_as_contact, agent):
    """At `start` the contact wrote and the agent answered: now the contact's turn."""
    room = take_room(agent, write_as_contact("Where is my parcel?").room)
    post_agent_message(agent, room, text="It left yesterday. Anything else?")
    return room


def sweep_at(clock, start, minutes):
    clock.set(start + timedelta(minutes=minutes))
    return sweep_inactive_rooms()


def notices(room):
    return list(
        Message.objects.filter(room=room, system_code="inactivity_warning").values_list(
            "system_data", flat=True
        )
    )


def test_agent_is_warned_before_a_silent_chat_closes(rule, served_room, clock, start):
    assert sweep_at(clock, start, 24) == (0, 0)

    assert sweep_at(clock, start, 25) == (1, 0)

    served_room.refresh_from_db()
    assert served_room.status == Room.Status.TAKEN
    assert notices(served_room) == [{"minutes": 25, "left": 5}]


def test_warning_reaches_the_serving_agent_live(
    rule, served_room, agent, clock, start, django_capture_on_commit_callbacks
):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(agent_group(agent.pk), channel)

    with django_capture_on_commit_callbacks(execute=True):
        sweep_at(clock, start, 25)

    event = async_to_sync(layer.receive)(channel)["event"]
    assert event["type"] == "notice"
    assert event["room"] == served_room.pk
    assert "closes automatically in 5 min" in event["text"]


def test_silent_chat_closes_with_the_rules_comment_and_tag(rule, served_room, clock, start):
    sweep_at(clock, start, 25)

    assert sweep_at(clock, start, 30) == (0, 1)

    served_room.refresh_from_db()
    assert served_room.status == Room.Status.CLOSED
    assert served_room.closing_comment == "No answer from the contact."
    assert list(served_room.tags.values_list("name", flat=True)) == ["abandoned"]
    assert served_room.closed_by is None
    closing = served_room.messages.get(system_code="closed_automatically")
    assert closing.system_data["reason"] == "inactivity"
    event = Event.objects.get(name="room.closed", room_id=served_room.pk)
    assert event.data["reason"] == "inactivity"
    assert event.data["agent"] == served_room.agent_id


def test_chat_closes_only_after_the_warning_had_its_time(rule, served_room, clock, start):
    # The sweeper was down when the warning was due: it warns first, closes 5 minutes later.
    assert sweep_at(clock, start, 40) == (1, 0)
    assert sweep_at(clock, start, 44) == (0, 0)

    assert sweep_at(clock, start, 45) == (0, 1)


def test_contact_who_answers_after_the_warning_keeps_the_chat_open(
    rule, served_room, write_as_contact, clock, start
):
    sweep_at(clock, start, 25)
    clock.set(start + timedelta(minutes=27))
    write_as_contact("Yes, one more thing")

    assert sweep_at(clock, start, 60) == (0, 0)

    served_room.refresh_from_db()
    assert served_room.status == Room.Status.TAKEN


def test_new_silence_after_the_agents_next_answer_is_warned_again(
    rule, served_room, agent, write_as_contact, clock, start
):
    sweep_at(clock, start, 25)
    clock.set(start + timedelta(minutes=27))
    write_as_contact("Yes, one more thing")
    post_agent_message(agent, served_room, text="Sure, tell me")

    assert sweep_at(clock, start, 27 + 25) == (1, 0)

    assert len(notices(served_room)) == 2


def test_chat_waiting_for_the_agents_answer_is_never_closed(
    rule, start, write_as_contact, agent, clock
):
    room = take_room(agent, write_as_contact("Hello?").room)

    assert sweep_at(clock, start, 120) == (0, 0)

    room.refresh_from_db()
    assert room.status == Room.Status.TAKEN


def test_agent_is_warned_once_per_silence(rule, served_room, clock, start):
    sweep_at(clock, start, 25)

    assert sweep_at(clock, start, 27) == (0, 0)

    assert len(notices(served_room)) == 1


def test_disabled_rule_closes_nothing(manager, department, served_room, clock, start):
    save_inactivity_policy(
        manager,
        department,
        timeout_minutes=30,
        warning_minutes=0,
        closing_comment="x",
        enabled=False,
    )

    assert sweep_at(clock, start, 90) == (0, 0)


def test_rule_without_warning_closes_at_the_timeout(manager, department, served_room, clock, start):
    save_inactivity_policy(
        manager, department, timeout_minutes=30, warning_minutes=0, closing_comment="Idle"
    )

    assert sweep_at(clock, start, 30) == (0, 1)


def test_sweeper_command_applies_the_inactivity_rules(
    manager, department, served_room, clock, start
):
    save_inactivity_policy(
        manager, department, timeout_minutes=10, warning_minutes=0, closing_comment="Idle"
    )
    clock.set(start + timedelta(minutes=11))

    call_command("dispatch_events")

    served_room.refresh_from_db()
    assert served_room.status == Room.Status.CLOSED


def test_warning_after_the_timeout_is_refused_and_nothing_saved(manager, department):
    with pytest.raises(InvalidInactivityPolicy, match="before the closing"):
        save_inactivity_policy(
            manager, department, timeout_minutes=5, warning_minutes=5, closing_comment="Idle"
        )

    assert not InactivityPolicy.objects.exists()


def test_rule_without_a_comment_is_refused(manager, department):
    with pytest.raises(InvalidInactivityPolicy, match="comment"):
        save_inactivity_policy(
            manager, department, timeout_minutes=5, warning_minutes=1, closing_comment="  "
        )


def test_admin_refuses_a_warning_after_the_timeout(client, manager, department):
    client.force_login(manager)

    response = client.post(
        reverse("admin:productivity_inactivitypolicy_add"),
        {
            "department": department.pk,
            "enabled": "on",
            "timeout_minutes": "5",
            "warning_minutes": "10",
            "closing_comment": "Idle",
            "tag": "idle",
        },
    )

    assert response.status_code == 200
    assert "The warning comes before the closing" in response.content.decode()
    assert not InactivityPolicy.objects.exists()


def test_room_page_shows_the_warning_to_the_agent(client, agent, rule, served_room, clock, start):
    sweep_at(clock, start, 25)
    client.force_login(agent)

    page = client.get(reverse("room", args=[served_room.pk])).content.decode()

    assert "the chat closes automatically in 5 min" in page


def test_chat_on_hold_is_left_alone(rule, served_room, agent, clock, start):
    from queues import services as queue_services

    put_on_hold = getattr(queue_services, "put_on_hold", None)
    if put_on_hold is None:
        pytest.skip("holding a chat comes with the routing work")
    put_on_hold(agent, served_room)

    assert sweep_at(clock, start, 120) == (0, 0)
