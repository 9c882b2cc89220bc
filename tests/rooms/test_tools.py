"""The room's support tools: contact information, message search, files, contact chat history."""

import pytest
from django.urls import reverse

from directory.models import ContactEdit, CustomField
from queues.services import take_room
from rooms.models import Message
from rooms.services import IncomingFile, close_room, post_agent_message
from rooms.tools import highlight

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def get(client, url_name, room, /, *extra, **params) -> str:
    response = client.get(reverse(url_name, args=[room.pk, *extra]), params)
    assert response.status_code == 200
    return response.content.decode()


def test_room_page_offers_each_tool_as_a_labelled_header_icon(client, agent, taken_room):
    client.force_login(agent)

    page = client.get(reverse("room", args=[taken_room.pk])).content.decode()

    for label in (
        "Room information",
        "Contact information",
        "Search messages",
        "Files",
        "Contact chat history",
    ):
        assert f'aria-label="{label}"' in page
        assert f'title="{label}"' in page


def test_contact_panel_shows_only_the_contacts_details(client, agent, write_as_contact):
    room = write_as_contact(visitor="ana", name="Ana Lopez").room
    CustomField.objects.create(key="plan", label="Plan", kind=CustomField.Kind.TEXT)
    client.force_login(agent)

    panel = get(client, "room-tool-contact", room)

    assert "Ana Lopez" in panel
    assert "Plan" in panel
    assert "Queue time" not in panel


def test_contact_panel_edits_the_contact_and_records_it(client, agent, write_as_contact):
    room = write_as_contact(visitor="ana", name="Ana").room
    client.force_login(agent)

    form = get(client, "room-tool-contact", room, edit=1)
    response = client.post(
        reverse("room-tool-contact", args=[room.pk]),
        {"name": "Ana Lopez", "email": "ana@example.com", "phone": ""},
        headers={"HX-Request": "true"},
    )

    assert 'name="email"' in form
    assert "The contact is saved." in response.content.decode()
    assert ContactEdit.objects.filter(contact=room.contact, field="email").exists()


def test_contact_panel_shows_field_errors(client, agent, write_as_contact):
    room = write_as_contact(visitor="ana").room
    CustomField.objects.create(key="seats", label="Seats", kind=CustomField.Kind.NUMBER)
    client.force_login(agent)

    response = client.post(
        reverse("room-tool-contact", args=[room.pk]), {"name": "", "cf_seats": "lots"}
    )

    assert "Enter a number." in response.content.decode()
    assert not ContactEdit.objects.exists()


def test_search_finds_the_rooms_messages_with_highlights(client, agent, write_as_contact):
    room = write_as_contact("My parcel never arrived", visitor="ana").room
    write_as_contact("Other words entirely", visitor="ana")
    client.force_login(agent)

    results = get(client, "room-tool-search", room, q="PARCEL")

    assert "<mark>parcel</mark>" in results
    assert "Other words" not in results
    message = Message.objects.get(text__contains="parcel")
    assert f'data-jump="{message.pk}"' in results


def test_search_needs_every_word(client, agent, write_as_contact):
    room = write_as_contact("refund for the blue shoes", visitor="ana").room
    write_as_contact("refund for the red hat", visitor="ana")
    client.force_login(agent)

    results = get(client, "room-tool-search", room, q="refund shoes")

    assert "blue" in results
    assert "red hat" not in results


def test_search_finds_agent_replies_too_but_not_other_rooms(client, agent, write_as_contact):
    room = take_room(agent, write_as_contact(visitor="ana").room)
    post_agent_message(agent, room, text="Your tracking number is 12345")
    write_as_contact("tracking please", visitor="bob")
    client.force_login(agent)

    results = get(client, "room-tool-search", room, q="tracking")

    assert "12345" in results
    assert "1 message found" in results


@pytest.mark.parametrize(
    "text", ["foo & | ! ( ' \"", "a:* <-> !b", "((", "'", "\\", "x\x00y", "-", "🙂", "ß" * 500]
)
def test_search_input_is_only_text(client, agent, write_as_contact, text):
    room = write_as_contact("foo bar", visitor="ana").room
    client.force_login(agent)

    response = client.get(reverse("room-tool-search", args=[room.pk]), {"q": text})
    history = client.get(reverse("room-tool-history", args=[room.pk]), {"q": text})

    assert (response.status_code, history.status_code) == (200, 200)


def test_search_results_are_escaped(client, agent, write_as_contact):
    room = write_as_contact("<script>alert(1)</script> boom", visitor="ana").room
    client.force_login(agent)

    results = get(client, "room-tool-search", room, q="boom")

    assert "<script>alert" not in results
    assert "&lt;script&gt;" in results


def test_highlight_marks_every_word_and_escapes_the_rest():
    assert highlight("A <b> and a B", ["b"]) == "A &lt;<mark>b</mark>&gt; and a <mark>B</mark>"


def test_earlier_messages_fill_the_gap_before_the_first_shown(client, agent, write_as_contact):
    messages = [write_as_contact(f"message {n}", visitor="ana") for n in range(5)]
    room = messages[0].room
    client.force_login(agent)

    fragment = get(
        client, "room-tool-earlier", room, **{"from": messages[1].pk, "before": messages[3].pk}
    )

    assert "message 1" in fragment and "message 2" in fragment
    assert "message 0" not in fragment and "message 3" not in fragment


def test_files_panel_lists_every_file_with_its_details(client, agent, write_as_contact):
    room = write_as_contact(
        "here", visitor="ana", name="Ana", files=[IncomingFile("photo.png", PNG)]
    ).room
    write_as_contact("", visitor="ana", files=[IncomingFile("invoice.pdf", PDF)])
    client.force_login(agent)

    panel = get(client, "room-tool-files", room)

    assert "photo.png" in panel and "invoice.pdf" in panel
    assert "image/png" in panel and "application/pdf" in panel
    assert "Ana" in panel
    token = room.messages.first().attachments.get().token
    assert reverse("room-attachment", args=[room.pk, token]) in panel


def test_files_panel_filters_by_name_and_type(client, agent, write_as_contact):
    room = write_as_contact("", visitor="ana", files=[IncomingFile("photo.png", PNG)]).room
    write_as_contact("", visitor="ana", files=[IncomingFile("invoice.pdf", PDF)])
    client.force_login(agent)

    by_name = get(client, "room-tool-files", room, name="INVOICE")
    by_kind = get(client, "room-tool-files", room, kind="image")

    assert "invoice.pdf" in by_name and "photo.png" not in by_name
    assert "photo.png" in by_kind and "invoice.pdf" not in by_kind


def test_file_downloads_only_for_who_may_see_the_room(
    client, agent, outsider_agent, write_as_contact
):
    message = write_as_contact("", visitor="ana", files=[IncomingFile("invoice.pdf", PDF)])
    url = reverse("room-attachment", args=[message.room_id, message.attachments.get().token])

    client.force_login(agent)
    allowed = client.get(url)
    client.force_login(outsider_agent)
    refused = client.get(url)

    assert allowed.status_code == 200
    assert b"".join(allowed.streaming_content) == PDF
    assert refused.status_code == 404


@pytest.fixture
def earlier(write_as_contact, agent):
    """Ana's first chat (closed, about a refund) and her current one."""
    first = take_room(agent, write_as_contact("I want a refund", visitor="ana", name="Ana").room)
    close_room(agent, first, comment="Refund sent", tags=["billing"])
    current = write_as_contact("Hello again", visitor="ana").room
    return first, current


def test_history_lists_the_contacts_earlier_rooms_newest_first(
    client, agent, earlier, write_as_contact
):
    first, current = earlier
    client.force_login(agent)

    panel = get(client, "room-tool-history", current)

    assert reverse("room-tool-history-room", args=[current.pk, first.pk]) in panel
    assert "Refund sent" in panel
    assert "billing" in panel
    assert reverse("room-tool-history-room", args=[current.pk, current.pk]) not in panel


def test_history_opens_an_earlier_room_read_only(client, agent, earlier):
    first, current = earlier
    client.force_login(agent)

    panel = get(client, "room-tool-history-room", current, first.pk)

    assert "I want a refund" in panel
    assert "Refund sent" in panel
    assert 'name="text"' not in panel
    assert "Retry" not in panel


def test_history_search_spans_all_the_contacts_rooms(client, agent, earlier):
    first, current = earlier
    client.force_login(agent)

    results = get(client, "room-tool-history", current, q="refund")

    assert "<mark>refund</mark>" in results
    message = first.messages.get(text="I want a refund")
    assert (
        f"{reverse('room-tool-history-room', args=[current.pk, first.pk])}?message={message.pk}"
        in results
    )


def test_history_room_scrolls_to_the_message_found(client, agent, earlier):
    first, current = earlier
    message = first.messages.get(text="I want a refund")
    client.force_login(agent)

    panel = get(client, "room-tool-history-room", current, first.pk, message=message.pk)

    assert (
        f'id="history-message-{message.pk}" data-transcript-message="{message.pk}" data-scroll-to'
        in panel
    )
