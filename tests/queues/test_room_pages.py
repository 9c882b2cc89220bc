import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from productivity.models import OfflineMessage, TranscriptRequest
from queues.services import take_room
from rooms.models import Room
from rooms.selectors import ROOM_PAGE_MESSAGES

pytestmark = pytest.mark.django_db


def page_of(client, room, **params):
    return client.get(reverse("room", args=[room.pk]), params).content.decode()


def test_queued_chats_appear_in_the_sidebar_with_guest_name(client, agent, queued_room):
    client.force_login(agent)

    page = client.get(reverse("home")).content.decode()

    assert "Queued Chats" in page
    assert queued_room.contact.display_name in page
    assert reverse("room", args=[queued_room.pk]) in page


def test_sidebar_hides_queued_chats_when_the_queue_is_off(client, agent, queued_room):
    agent.queue_enabled = False
    agent.save()
    client.force_login(agent)

    page = client.get(reverse("home")).content.decode()

    assert "Queued Chats" not in page


def test_home_counts_open_and_queued_chats(client, agent, write_as_contact):
    take_room(agent, write_as_contact(visitor="a").room)
    write_as_contact(visitor="b")
    client.force_login(agent)

    page = client.get(reverse("home")).content.decode()

    assert 'data-counter="open">1<' in page
    assert 'data-counter="queued">1<' in page


def test_queued_room_shows_contact_details_and_take_it_button(client, agent, queued_room):
    client.force_login(agent)

    page = page_of(client, queued_room)

    assert "Take it!" in page
    assert "Hello, I need help" in page
    assert 'name="text"' not in page


def test_agent_takes_the_chat_and_gets_the_composer(client, agent, queued_room):
    client.force_login(agent)

    response = client.post(reverse("room-take", args=[queued_room.pk]), follow=True)

    page = response.content.decode()
    assert 'name="text"' in page
    assert 'aria-label="Move to the queue"' in page
    assert "Take it!" not in page


def test_composer_offers_no_file_upload(client, agent, taken_room):
    client.force_login(agent)

    page = page_of(client, taken_room)

    assert 'type="file"' not in page


def test_composer_offers_text_style_buttons(client, agent, taken_room):
    client.force_login(agent)

    page = page_of(client, taken_room)

    for label in ("Bold", "Italic", "Strikethrough", "Inline formula", "Multi-line text"):
        assert f'aria-label="{label}"' in page


def test_late_taker_is_told_who_took_the_chat(client, agent, other_agent, queued_room):
    take_room(other_agent, queued_room)
    client.force_login(agent)

    response = client.post(reverse("room-take", args=[queued_room.pk]), follow=True)

    assert f"{other_agent.display_name} took this chat first." in response.content.decode()
    queued_room.refresh_from_db()
    assert queued_room.agent == other_agent


def test_agent_of_another_department_gets_404_for_the_room(client, outsider_agent, queued_room):
    client.force_login(outsider_agent)

    assert client.get(reverse("room", args=[queued_room.pk])).status_code == 404


def test_agent_of_another_department_cannot_take_by_posting(client, outsider_agent, queued_room):
    client.force_login(outsider_agent)

    response = client.post(reverse("room-take", args=[queued_room.pk]))

    assert response.status_code == 404
    queued_room.refresh_from_db()
    assert queued_room.status == Room.Status.QUEUED


def test_agent_sends_a_message_with_text_styles(client, agent, taken_room):
    client.force_login(agent)

    client.post(reverse("room-post-message", args=[taken_room.pk]), {"text": "*Done* $a+b$"})

    page = page_of(client, taken_room)
    assert "<strong>Done</strong>" in page
    assert "<math" in page


def test_message_from_the_composer_is_sanitised(client, agent, taken_room):
    client.force_login(agent)

    client.post(
        reverse("room-post-message", args=[taken_room.pk]),
        {"text": "<script>alert(1)</script><img src=x onerror=alert(2)>"},
    )

    page = page_of(client, taken_room)
    assert "<script>alert(1)" not in page
    assert "onerror=alert" not in page.replace("onerror=alert(2)&gt;", "")


def test_empty_message_from_the_composer_gets_a_clear_error(client, agent, taken_room):
    client.force_login(agent)

    response = client.post(
        reverse("room-post-message", args=[taken_room.pk]), {"text": " "}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 400
    assert "Write a message" in response.content.decode()


def test_uploaded_file_from_an_agent_is_refused(client, agent, taken_room):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(agent)
    upload = SimpleUploadedFile("report.pdf", b"%PDF-1.4 ...", content_type="application/pdf")

    response = client.post(
        reverse("room-post-message", args=[taken_room.pk]),
        {"text": "here", "file": upload},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 400
    assert "Agents cannot send files" in response.content.decode()


def test_message_fragment_returns_only_newer_messages(client, agent, taken_room, write_as_contact):
    last_id = taken_room.messages.order_by("-id").first().pk
    write_as_contact("a new question")
    client.force_login(agent)

    fragment = client.get(reverse("room-messages", args=[taken_room.pk]), {"after": last_id})

    body = fragment.content.decode()
    assert "a new question" in body
    assert "Hello, I need help" not in body


def test_message_fragment_with_bad_after_is_400(client, agent, taken_room):
    client.force_login(agent)

    response = client.get(reverse("room-messages", args=[taken_room.pk]), {"after": "x"})

    assert response.status_code == 400


def write_questions(write_as_contact, count: int) -> list:
    return [write_as_contact(f"question-{n:02d}") for n in range(1, count + 1)]


def test_a_long_conversation_opens_on_its_latest_messages(
    client, agent, taken_room, write_as_contact
):
    write_questions(write_as_contact, ROOM_PAGE_MESSAGES + 10)  # after "Hello, I need help"
    client.force_login(agent)

    page = page_of(client, taken_room)

    assert "question-11" in page
    assert "question-10" not in page
    assert "Show earlier messages" in page


def test_a_short_conversation_offers_no_earlier_messages(client, agent, taken_room):
    client.force_login(agent)

    assert "Show earlier messages" not in page_of(client, taken_room)


def test_earlier_messages_come_before_the_first_one_shown(
    client, agent, taken_room, write_as_contact
):
    questions = write_questions(write_as_contact, ROOM_PAGE_MESSAGES + 10)
    client.force_login(agent)

    fragment = client.get(
        reverse("room-messages", args=[taken_room.pk]), {"before": questions[10].pk}
    )

    body = fragment.content.decode()
    assert "Hello, I need help" in body
    assert "question-10" in body
    assert "question-11" not in body
    assert fragment["X-Earlier-Messages"] == "0"


def test_earlier_messages_say_when_more_remain(client, agent, taken_room, write_as_contact):
    questions = write_questions(write_as_contact, ROOM_PAGE_MESSAGES + 10)
    client.force_login(agent)

    fragment = client.get(
        reverse("room-messages", args=[taken_room.pk]), {"before": questions[-1].pk}
    )

    assert "question-59" in fragment.content.decode()
    assert fragment["X-Earlier-Messages"] == "1"


def test_nothing_comes_before_message_zero(client, agent, taken_room):
    client.force_login(agent)

    fragment = client.get(reverse("room-messages", args=[taken_room.pk]), {"before": "0"})

    assert "Hello, I need help" not in fragment.content.decode()
    assert fragment["X-Earlier-Messages"] == "0"


def test_earlier_messages_with_a_bad_id_are_400(client, agent, taken_room):
    client.force_login(agent)

    response = client.get(reverse("room-messages", args=[taken_room.pk]), {"before": "x"})

    assert response.status_code == 400
    assert "must be a message id" in response.content.decode()


def test_move_to_queue_asks_for_confirmation(client, agent, taken_room):
    client.force_login(agent)

    page = page_of(client, taken_room, confirm="return")

    assert "<dialog open" in page
    assert ">Confirm</button>" in page


def test_confirming_move_to_queue_requeues_and_shows_who_did_it(client, agent, taken_room):
    client.force_login(agent)

    response = client.post(reverse("room-move-to-queue", args=[taken_room.pk]), follow=True)

    taken_room.refresh_from_db()
    assert taken_room.status == Room.Status.QUEUED
    assert f"{agent.display_name} returned the chat to the queue" in response.content.decode()


def test_close_asks_for_comment_and_tags(client, agent, taken_room):
    client.force_login(agent)

    page = page_of(client, taken_room, confirm="close")

    assert 'name="comment"' in page
    assert ">Add</button>" in page
    assert ">Confirm</button>" in page


def test_close_without_comment_shows_error_and_keeps_room_open(client, agent, taken_room):
    client.force_login(agent)

    response = client.post(
        reverse("room-close", args=[taken_room.pk]), {"comment": "", "tags": ["vip"]}
    )

    assert response.status_code == 400
    assert "Write a comment before closing" in response.content.decode()
    taken_room.refresh_from_db()
    assert taken_room.status == Room.Status.TAKEN


def test_close_with_comment_and_tags_closes_the_room(client, agent, taken_room):
    client.force_login(agent)

    client.post(
        reverse("room-close", args=[taken_room.pk]),
        {"comment": "Sorted out", "tags": ["Billing", "vip"]},
    )

    taken_room.refresh_from_db()
    assert taken_room.status == Room.Status.CLOSED
    assert sorted(taken_room.tags.values_list("name", flat=True)) == ["billing", "vip"]


def test_closed_room_is_read_only_with_comment_and_tags(client, agent, taken_room):
    client.force_login(agent)
    client.post(reverse("room-close", args=[taken_room.pk]), {"comment": "Sorted", "tags": "vip"})

    page = page_of(client, taken_room)

    assert 'name="text"' not in page
    assert "This conversation is closed." in page
    assert "Sorted" in page and "vip" in page


def test_room_information_shows_the_metrics(client, agent, taken_room):
    client.force_login(agent)

    info = client.get(reverse("room-information", args=[taken_room.pk])).content.decode()

    for label in (
        "Contact",
        "Agent",
        "Department",
        "Queue time",
        "Created at",
        "Taken at",
        "Average response time",
        "Status",
    ):
        assert f"<dt>{label}</dt>" in info
    assert agent.display_name in info


def test_room_information_of_another_department_is_404(client, outsider_agent, taken_room):
    client.force_login(outsider_agent)

    response = client.get(reverse("room-information", args=[taken_room.pk]))

    assert response.status_code == 404


def test_open_chats_are_listed_under_in_progress(client, agent, taken_room):
    client.force_login(agent)

    page = client.get(reverse("home")).content.decode()

    assert "In progress" in page
    assert reverse("room", args=[taken_room.pk]) in page


def test_the_room_page_reads_what_other_apps_know_of_the_room_with_the_room_itself(
    client, agent, taken_room
):
    client.force_login(agent)
    page_of(client, taken_room)  # sessions, caches and the like, once
    with CaptureQueriesContext(connection) as plain:
        page_of(client, taken_room)
    OfflineMessage.objects.create(room=taken_room, email="kim@example.com")
    TranscriptRequest.objects.create(room=taken_room, email="kim@example.com")

    with CaptureQueriesContext(connection) as with_facts:
        page = page_of(client, taken_room)

    assert "kim@example.com" in page
    assert len(with_facts) == len(plain)
