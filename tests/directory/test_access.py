"""Who sees what: an agent of another department sees nothing of a contact or room, anywhere;
a manager sees everything. Missing and not yours are the same 404."""

import pytest
from django.urls import reverse

from directory.models import Channel
from directory.services import get_or_create_contact
from rooms.services import IncomingFile, receive_contact_message

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
MISSING = 987654


@pytest.fixture
def support_room(write_as_contact):
    return write_as_contact(
        "Invoice attached", visitor="ana", name="Ana Lopez", files=[IncomingFile("bill.png", PNG)]
    ).room


def contact_pages(contact_id):
    return [
        reverse("contact-center-contact", args=[contact_id]),
        reverse("contact-center-contact-edit", args=[contact_id]),
    ]


def room_pages(room_id, token="unknown-file"):  # noqa: S107 (a file token, not a password)
    return [
        reverse("contact-center-chat", args=[room_id]),
        reverse("room-tool-contact", args=[room_id]),
        reverse("room-tool-search", args=[room_id]) + "?q=invoice",
        reverse("room-tool-files", args=[room_id]),
        reverse("room-tool-history", args=[room_id]),
        reverse("room-tool-history", args=[room_id]) + "?q=invoice",
        reverse("room-tool-history-room", args=[room_id, room_id]),
        reverse("room-tool-earlier", args=[room_id]) + "?from=1&before=0",
        reverse("room-attachment", args=[room_id, token]),
    ]


def test_outsider_gets_404_on_every_page_of_the_contact_and_room(
    client, outsider_agent, support_room
):
    token = support_room.messages.get().attachments.get().token
    client.force_login(outsider_agent)

    for url in [*contact_pages(support_room.contact_id), *room_pages(support_room.pk, token)]:
        assert client.get(url).status_code == 404, url


def test_missing_contact_and_room_are_the_same_404(client, outsider_agent, support_room):
    client.force_login(outsider_agent)

    for url in [*contact_pages(MISSING), *room_pages(MISSING)]:
        assert client.get(url).status_code == 404, url


def test_outsider_cannot_edit_the_contact(client, outsider_agent, support_room):
    client.force_login(outsider_agent)

    responses = [
        client.post(reverse("contact-center-contact-edit", args=[support_room.contact_id]), {}),
        client.post(reverse("room-tool-contact", args=[support_room.pk]), {"name": "Hacked"}),
    ]

    assert [response.status_code for response in responses] == [404, 404]
    support_room.contact.refresh_from_db()
    assert support_room.contact.name == "Ana Lopez"


def test_outsider_lists_show_none_of_it(client, outsider_agent, support_room, sales_room, record):
    record(support_room.contact)
    client.force_login(outsider_agent)
    hx = {"HX-Request": "true"}

    contacts = client.get(
        reverse("contact-center"), {"q": "a"}, headers={**hx, "HX-Target": "contact-results"}
    ).content.decode()
    chats = client.get(
        reverse("contact-center-chats"), headers={**hx, "HX-Target": "chat-results"}
    ).content.decode()
    calls = client.get(reverse("contact-center-calls")).content.decode()

    assert "Sam Sales" in contacts and "Ana Lopez" not in contacts
    assert "Sam Sales" in chats and "Ana Lopez" not in chats
    assert "0 calls" in calls


def test_history_panel_shows_only_rooms_of_the_agents_departments(
    client, agent, write_as_contact, other_department, close
):
    """One contact wrote to Support and to Sales: a Support agent sees the Support room only."""
    support = write_as_contact("support question", visitor="both", name="Both Ways").room
    contact = support.contact
    close(support)
    sales = receive_contact_message(
        contact=contact, channel=Channel.API, department=other_department, text="sales secret"
    ).room
    current = write_as_contact("back again", visitor="both").room
    client.force_login(agent)

    listed = client.get(reverse("room-tool-history", args=[current.pk])).content.decode()
    searched = client.get(
        reverse("room-tool-history", args=[current.pk]), {"q": "secret"}
    ).content.decode()

    assert reverse("room-tool-history-room", args=[current.pk, support.pk]) in listed
    assert reverse("room-tool-history-room", args=[current.pk, sales.pk]) not in listed
    assert "sales secret" not in searched


def test_history_panel_refuses_a_room_of_another_contact(client, agent, write_as_contact):
    mine = write_as_contact(visitor="m").room
    someone_else = write_as_contact(visitor="s").room
    client.force_login(agent)

    response = client.get(reverse("room-tool-history-room", args=[mine.pk, someone_else.pk]))

    assert response.status_code == 404


def test_manager_sees_every_contact_room_and_panel(client, supervisor, sales_room):
    client.force_login(supervisor)

    urls = [*contact_pages(sales_room.contact_id), *room_pages(sales_room.pk)[:-1]]

    for url in urls:
        assert client.get(url).status_code == 200, url


def test_contact_is_visible_once_a_room_of_theirs_is(client, outsider_agent, support_room):
    contact, _ = get_or_create_contact(channel=Channel.LIVECHAT, external_id="token-ana")
    receive_contact_message(
        contact=contact,
        channel=Channel.API,
        department=outsider_agent.departments.get(),
        text="now in sales too",
    )
    client.force_login(outsider_agent)

    response = client.get(reverse("contact-center-contact", args=[contact.pk]))

    assert response.status_code == 200
    assert "Invoice attached" not in response.content.decode()
