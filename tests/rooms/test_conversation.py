from datetime import timedelta

import pytest
from django.utils import timezone

from directory.models import Channel
from directory.services import get_or_create_contact
from queues.services import return_to_queue, take_room
from rooms.errors import (
    AgentFilesNotAllowed,
    CommentRequired,
    EmptyMessage,
    FileRejected,
    MessageTooLong,
    NotServingRoom,
    RoomClosed,
)
from rooms.models import Message, Room
from rooms.services import IncomingFile, close_room, post_agent_message, receive_contact_message

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def test_first_contact_message_opens_a_queued_room(write_as_contact, department):
    message = write_as_contact("Hi there")

    assert message.room.status == Room.Status.QUEUED
    assert message.room.department == department
    assert message.kind == Message.Kind.CONTACT


def test_next_contact_message_appends_to_the_open_room(write_as_contact):
    first = write_as_contact("one")
    second = write_as_contact("two")

    assert second.room == first.room
    assert Room.objects.count() == 1


def test_contact_writing_after_close_opens_a_new_queued_room(write_as_contact, supervisor):
    first = write_as_contact("one")
    close_room(supervisor, first.room, comment="done")

    second = write_as_contact("again")

    assert second.room != first.room
    assert second.room.status == Room.Status.QUEUED


def test_nameless_contacts_get_distinct_guest_numbers(write_as_contact):
    first = write_as_contact(visitor="a").room.contact
    second = write_as_contact(visitor="b").room.contact

    assert first.display_name.startswith("guest-")
    assert second.display_name.startswith("guest-")
    assert first.display_name != second.display_name


def test_guest_numbers_never_repeat_after_a_contact_is_deleted(write_as_contact):
    contact, _ = get_or_create_contact(channel=Channel.API, external_id="gone")
    number = contact.guest_number
    contact.delete()

    again, _ = get_or_create_contact(channel=Channel.API, external_id="new")

    assert again.guest_number > number


def test_named_contact_shows_their_name(write_as_contact):
    assert write_as_contact(name="Maria").room.contact.display_name == "Maria"


def test_repeated_external_id_is_stored_once(write_as_contact):
    first = write_as_contact("hello", external_id="mid.1")
    second = write_as_contact("hello", external_id="mid.1")

    assert first.pk == second.pk
    assert Message.objects.filter(external_id="mid.1").count() == 1


def test_empty_contact_message_is_refused(write_as_contact):
    with pytest.raises(EmptyMessage):
        write_as_contact("   ")
    assert Room.objects.count() == 0


def test_over_long_contact_message_is_refused(write_as_contact):
    with pytest.raises(MessageTooLong):
        write_as_contact("x" * 5001)
    assert Room.objects.count() == 0


def test_contact_image_is_stored_with_its_real_type(write_as_contact):
    message = write_as_contact("", files=[IncomingFile("photo.png", PNG)])

    attachment = message.attachments.get()
    assert attachment.content_type == "image/png"
    assert attachment.name == "photo.png"


def test_contact_file_disguised_as_image_is_refused(write_as_contact):
    with pytest.raises(FileRejected, match="Only images"):
        write_as_contact("", files=[IncomingFile("evil.png", b"#!/bin/sh\nrm -rf /\n")])
    assert Room.objects.count() == 0


def test_agent_reply_is_stored_rendered(taken_room, agent):
    message = post_agent_message(agent, taken_room, text="*Hello* $x^2$")

    assert "<strong>Hello</strong>" in message.html
    assert "<math" in message.html


def test_agent_cannot_send_files(taken_room, agent):
    with pytest.raises(AgentFilesNotAllowed):
        post_agent_message(agent, taken_room, text="see attached", files=[object()])
    assert not taken_room.messages.filter(kind=Message.Kind.AGENT).exists()


def test_agent_cannot_write_in_a_queued_room(queued_room, agent):
    with pytest.raises(NotServingRoom):
        post_agent_message(agent, queued_room, text="hello")


def test_agent_cannot_write_in_another_agents_room(taken_room, other_agent):
    with pytest.raises(NotServingRoom):
        post_agent_message(other_agent, taken_room, text="hello")


def test_agent_cannot_write_in_a_closed_room(taken_room, agent):
    close_room(agent, taken_room, comment="solved")

    with pytest.raises(RoomClosed):
        post_agent_message(agent, taken_room, text="hello")


def test_empty_agent_message_is_refused(taken_room, agent):
    with pytest.raises(EmptyMessage):
        post_agent_message(agent, taken_room, text="  \n ")


def test_over_long_agent_message_is_refused(taken_room, agent):
    with pytest.raises(MessageTooLong):
        post_agent_message(agent, taken_room, text="a" * 5001)


def test_closing_needs_a_comment(taken_room, agent):
    with pytest.raises(CommentRequired):
        close_room(agent, taken_room, comment="  ")
    taken_room.refresh_from_db()
    assert taken_room.status == Room.Status.TAKEN


def test_closing_records_comment_tags_and_time(taken_room, agent):
    room = close_room(
        agent, taken_room, comment="Refund sent", tags=[" Billing ", "billing", "VIP"]
    )

    assert room.status == Room.Status.CLOSED
    assert room.closing_comment == "Refund sent"
    assert sorted(room.tags.values_list("name", flat=True)) == ["billing", "vip"]
    assert room.closed_at is not None


def test_closing_tells_the_contact_the_conversation_ended(taken_room, agent):
    close_room(agent, taken_room, comment="done")

    assert taken_room.messages.order_by("-id").first().system_code == "closed"


def test_closing_a_closed_room_is_refused(taken_room, agent):
    close_room(agent, taken_room, comment="done")

    with pytest.raises(RoomClosed):
        close_room(agent, taken_room, comment="again")


def test_agent_not_serving_cannot_close(taken_room, other_agent):
    with pytest.raises(NotServingRoom):
        close_room(other_agent, taken_room, comment="not mine")


def shift_clock(monkeypatch, moment):
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_metrics_follow_the_conversation(monkeypatch, department, agent, other_agent):
    """Queue time sums the waits; average response time averages each reply's wait."""
    start = timezone.now()
    contact, _ = get_or_create_contact(channel=Channel.LIVECHAT, external_id="metrics")

    def contact_writes(text):
        return receive_contact_message(
            contact=contact, channel=Channel.LIVECHAT, department=department, text=text
        )

    shift_clock(monkeypatch, start)
    room = contact_writes("hello").room  # waits 60 s in the queue
    shift_clock(monkeypatch, start + timedelta(seconds=60))
    take_room(agent, room)
    shift_clock(monkeypatch, start + timedelta(seconds=70))
    post_agent_message(agent, room, text="hi")  # answers after 70 s
    shift_clock(monkeypatch, start + timedelta(seconds=100))
    contact_writes("question 1")
    shift_clock(monkeypatch, start + timedelta(seconds=110))
    contact_writes("question 2")  # the oldest unanswered message is still the one at 100 s
    shift_clock(monkeypatch, start + timedelta(seconds=130))
    post_agent_message(agent, room, text="answer")  # answers after 30 s
    post_agent_message(agent, room, text="and more")  # nothing unanswered: not counted
    shift_clock(monkeypatch, start + timedelta(seconds=200))
    return_to_queue(agent, room)  # waits again 40 s
    shift_clock(monkeypatch, start + timedelta(seconds=240))
    take_room(other_agent, room)

    room.refresh_from_db()
    assert room.queue_time == timedelta(seconds=100)
    assert room.taken_at == start + timedelta(seconds=240)
    assert room.first_response_at == start + timedelta(seconds=70)
    assert room.response_count == 2
    assert room.average_response_time == timedelta(seconds=50)
    assert room.queued_at == start
