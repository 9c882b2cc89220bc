from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rooms.errors import NotAllowed
from rooms.models import Message
from rooms.services import (
    advance_delivery,
    post_agent_message,
    record_outside_agent_message,
    retry_message,
    set_delivery_status,
)

pytestmark = pytest.mark.django_db

D = Message.Delivery


@pytest.fixture
def reply(taken_room, agent):
    message = post_agent_message(agent, taken_room, text="On its way")
    Message.objects.filter(pk=message.pk).update(delivery_status=D.PENDING)
    message.refresh_from_db()
    return message


def status_of(message) -> str:
    message.refresh_from_db()
    return message.delivery_status


def test_delivery_moves_forward_from_pending_to_read(reply):
    for status in (D.SENT, D.DELIVERED, D.READ):
        assert set_delivery_status(reply, status)

    assert status_of(reply) == D.READ


def test_late_report_never_moves_delivery_backwards(reply):
    set_delivery_status(reply, D.READ)

    assert not set_delivery_status(reply, D.SENT)
    assert status_of(reply) == D.READ


def test_failure_is_recorded_with_the_channels_reason(reply):
    set_delivery_status(reply, D.FAILED, error="Outside the 24 hour window")

    reply.refresh_from_db()
    assert reply.delivery_status == D.FAILED
    assert reply.delivery_error == "Outside the 24 hour window"


def test_sent_message_cannot_fail_afterwards(reply):
    set_delivery_status(reply, D.SENT)

    assert not set_delivery_status(reply, D.FAILED, error="late")
    assert status_of(reply) == D.SENT


def test_author_retries_a_failed_message(reply, agent):
    set_delivery_status(reply, D.FAILED, error="timeout")

    retry_message(agent, reply)

    assert status_of(reply) == D.PENDING


def test_a_message_that_did_not_fail_cannot_be_retried(reply, agent):
    with pytest.raises(NotAllowed):
        retry_message(agent, reply)


def test_someone_else_cannot_retry_my_message(reply, other_agent):
    set_delivery_status(reply, D.FAILED, error="timeout")

    with pytest.raises(NotAllowed):
        retry_message(other_agent, reply)


def test_retry_button_on_the_room_page_retries(client, agent, reply):
    set_delivery_status(reply, D.FAILED, error="timeout")
    client.force_login(agent)

    page = client.get(reverse("room", args=[reply.room_id])).content.decode()
    client.post(reverse("room-retry-message", args=[reply.room_id, reply.pk]))

    assert ">Retry</button>" in page
    assert "timeout" in page
    assert status_of(reply) == D.PENDING


def test_watermark_marks_earlier_sent_messages_read(taken_room, agent):
    first = post_agent_message(agent, taken_room, text="one")
    second = post_agent_message(agent, taken_room, text="two")

    changed = advance_delivery(
        taken_room, until=timezone.now() + timedelta(seconds=1), status=D.READ
    )

    assert changed == 2
    assert status_of(first) == D.READ and status_of(second) == D.READ


def test_watermark_leaves_later_messages_alone(taken_room, agent):
    message = post_agent_message(agent, taken_room, text="later")

    advance_delivery(taken_room, until=message.created_at - timedelta(seconds=5), status=D.READ)

    assert status_of(message) == D.SENT


def test_reply_from_the_channels_own_inbox_is_kept_once(taken_room):
    first = record_outside_agent_message(taken_room, text="From the page inbox", external_id="m1")
    again = record_outside_agent_message(taken_room, text="From the page inbox", external_id="m1")

    assert first.pk == again.pk
    assert first.kind == Message.Kind.AGENT and first.author is None
    assert first.meta["sent_from_channel"] is True
