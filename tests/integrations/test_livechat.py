import hashlib
import re
import secrets
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from directory.models import Channel, Contact, ContactIdentity
from queues.services import take_room
from rooms.models import Attachment, Message, Room
from rooms.services import close_room, post_agent_message
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# A real 1x1 grey PNG, built by hand so the tests need no imaging library.
PNG = (
    b"\x89PNG\r\n\x1a\n"
    + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    + _png_chunk(b"IDAT", zlib.compress(b"\x00\x80"))
    + _png_chunk(b"IEND", b"")
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def new_token() -> str:
    return secrets.token_urlsafe(32)


@pytest.fixture
def token() -> str:
    return new_token()


def send(client, token, text="Hello", *, name="", file=None, slug="support"):
    data = {"text": text, "name": name}
    if file is not None:
        data["file"] = file
    return client.post(
        reverse("livechat:messages", args=[slug]), data, headers={"X-Visitor-Token": token}
    )


def read(client, token, *, after=0, slug="support"):
    return client.get(
        reverse("livechat:conversation", args=[slug]),
        {"after": after},
        headers={"X-Visitor-Token": token},
    )


def room_of(token) -> Room:
    digest = hashlib.sha256(token.encode()).hexdigest()
    return Room.objects.get(contact__identities__external_id=digest, status__in=["queued", "taken"])


def contact_of(token) -> Contact:
    digest = hashlib.sha256(token.encode()).hexdigest()
    return ContactIdentity.objects.get(channel=Channel.LIVECHAT, external_id=digest).contact


# Opening a conversation


def test_visitor_first_message_opens_a_queued_room_in_the_department(client, department, token):
    response = send(client, token, "I need help")

    assert response.status_code == 201
    room = room_of(token)
    assert room.status == Room.Status.QUEUED
    assert room.department == department
    assert room.channel == Channel.LIVECHAT
    assert room.messages.get().text == "I need help"


def test_visitor_second_message_joins_the_same_room(client, department, token):
    send(client, token, "First")

    send(client, token, "Second")

    assert Room.objects.count() == 1
    assert list(room_of(token).messages.values_list("text", flat=True)) == ["First", "Second"]


def test_nameless_visitor_is_shown_as_a_guest_number(client, department, token):
    send(client, token)

    assert re.fullmatch(r"guest-\d+", contact_of(token).display_name)


def test_visitor_name_is_stored_on_the_contact(client, department, token):
    send(client, token, name="  Maria Lopez ")

    assert contact_of(token).display_name == "Maria Lopez"


def test_guest_who_gives_a_name_later_is_renamed(client, department, token):
    send(client, token)

    send(client, token, "It's Maria", name="Maria")

    assert contact_of(token).name == "Maria"


def test_visitor_name_does_not_replace_a_known_name(client, department, token):
    send(client, token, name="Maria")

    send(client, token, name="Someone else")

    assert contact_of(token).name == "Maria"


# Identity


def test_server_stores_the_token_digest_never_the_token(client, department, token):
    send(client, token)

    identity = ContactIdentity.objects.get()
    assert identity.external_id == hashlib.sha256(token.encode()).hexdigest()
    assert not ContactIdentity.objects.filter(external_id__contains=token).exists()


def test_visitor_never_sees_another_visitors_messages(client, department):
    token_a, token_b = new_token(), new_token()
    send(client, token_a, "Alice's secret")
    send(client, token_b, "Bob's question")

    page = read(client, token_a).content.decode()

    assert "Alice&#x27;s secret" in page
    assert "Bob" not in page


def test_unknown_token_reads_an_empty_conversation(client, department, token):
    send(client, token, "Alice's secret")

    page = read(client, new_token()).content.decode()

    assert "secret" not in page
    assert "data-message-id" not in page


def test_reading_without_a_token_is_refused(client, department):
    response = client.get(reverse("livechat:conversation", args=["support"]))

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_visitor_token"
    assert "X-Visitor-Token" in response.json()["detail"]


@pytest.mark.parametrize(
    "forged", ["short", "x" * 31, "x" * 129, "not a token: has spaces and colons!!!!!"]
)
def test_malformed_token_is_refused(client, department, forged):
    response = read(client, forged)

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "The visitor token is not valid: use 32 to 128 URL-safe characters."
    )


def test_sending_without_a_token_is_refused_and_stores_nothing(client, department):
    response = client.post(reverse("livechat:messages", args=["support"]), {"text": "Hi"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_visitor_token"
    assert not Message.objects.exists()


# What a message may hold


def test_visitor_empty_message_is_refused_with_the_reason(client, department, token):
    response = send(client, token, "   ")

    assert response.status_code == 400
    assert response.json() == {"detail": "Write a message before sending.", "code": "empty_message"}


def test_refused_message_leaves_no_contact_behind(client, department, token):
    send(client, token, "")

    assert not Contact.objects.exists()


def test_visitor_message_over_5000_characters_is_refused(client, department, token):
    response = send(client, token, "a" * 5001)

    assert response.status_code == 400
    assert response.json()["code"] == "message_too_long"
    assert "5000" in response.json()["detail"]


def test_visitor_text_file_renamed_png_is_refused(client, department, token):
    fake = SimpleUploadedFile("photo.png", b"just some text\n", content_type="image/png")

    response = send(client, token, "", file=fake)

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Only images")
    assert not Attachment.objects.exists()


def test_visitor_png_is_stored_and_listed(client, department, token):
    photo = SimpleUploadedFile("photo.png", PNG, content_type="image/png")

    send(client, token, "", file=photo)

    attachment = Attachment.objects.get()
    assert (attachment.name, attachment.content_type) == ("photo.png", "image/png")
    page = read(client, token).content.decode()
    assert reverse("livechat:file", args=["support", attachment.token]) in page
    assert 'alt="photo.png"' in page


def test_visitor_downloads_their_own_file(client, department, token):
    send(client, token, "", file=SimpleUploadedFile("photo.png", PNG))
    attachment = Attachment.objects.get()

    response = client.get(
        reverse("livechat:file", args=["support", attachment.token]),
        headers={"X-Visitor-Token": token},
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG


def test_visitor_cannot_download_another_visitors_file(client, department, token):
    send(client, token, "", file=SimpleUploadedFile("photo.png", PNG))
    attachment = Attachment.objects.get()
    other = new_token()
    send(client, other, "Me too")

    response = client.get(
        reverse("livechat:file", args=["support", attachment.token]),
        headers={"X-Visitor-Token": other},
    )

    assert response.status_code == 404


# The page


def test_visitor_opens_the_widget_without_signing_in(client, department):
    response = client.get(reverse("livechat:widget", args=["support"]))

    assert response.status_code == 200
    assert "Support" in response.content.decode()


def test_unknown_department_has_no_widget(client, department):
    assert client.get(reverse("livechat:widget", args=["nowhere"])).status_code == 404


def test_disabled_department_has_no_widget(client):
    DepartmentFactory(slug="closed-shop", enabled=False)

    assert client.get(reverse("livechat:widget", args=["closed-shop"])).status_code == 404


def test_message_to_a_disabled_department_is_refused(client, token):
    DepartmentFactory(slug="closed-shop", enabled=False)

    assert send(client, token, slug="closed-shop").status_code == 404
    assert not Room.objects.exists()


def test_widget_page_can_be_framed_by_any_site(client, department):
    response = client.get(reverse("livechat:widget", args=["support"]))

    assert "X-Frame-Options" not in response.headers


def test_widget_page_labels_its_controls_and_announces_new_messages(client, department):
    page = client.get(reverse("livechat:widget", args=["support"])).content.decode()

    assert '<label for="livechat-name">Your name (optional)</label>' in page
    assert '<label for="livechat-text">Message</label>' in page
    assert '<label for="livechat-file">Attach a file</label>' in page
    assert ">Send</button>" in page
    assert 'id="livechat-messages" aria-live="polite"' in page


# The status line and the conversation


def test_visitor_sees_an_agent_will_come_while_queued(client, department, token):
    send(client, token)

    assert "An agent will be with you shortly." in read(client, token).content.decode()


def test_visitor_sees_the_agents_name_and_reply_once_taken(client, agent, token):
    send(client, token)
    room = take_room(agent, room_of(token))
    post_agent_message(agent, room, text="Hello, *how* can I help?")

    page = read(client, token).content.decode()

    assert f"{agent.first_name} is chatting with you." in page
    assert "<strong>how</strong>" in page or "<em>how</em>" in page
    assert f"{agent.display_name} joined the chat" in page


def test_visitor_reads_only_messages_after_the_given_id(client, department, token):
    send(client, token, "Old news")
    first = Message.objects.get()
    send(client, token, "Fresh news")

    page = read(client, token, after=first.pk).content.decode()

    assert "Fresh news" in page
    assert "Old news" not in page


def test_reading_after_a_non_number_is_refused(client, department, token):
    response = read(client, token, after="latest")

    assert response.status_code == 400


def test_visitor_sees_the_conversation_has_ended_once_closed(client, department, supervisor, token):
    send(client, token)
    close_room(supervisor, room_of(token), comment="Answered by e-mail")

    page = read(client, token).content.decode()

    assert "The conversation has ended." in page
    assert "Thank you for writing to us." in page


def test_visitor_writing_after_close_opens_a_new_queued_room(client, department, supervisor, token):
    send(client, token, "First visit")
    first_room = room_of(token)
    close_room(supervisor, first_room, comment="Solved")

    send(client, token, "Back again")

    new_room = room_of(token)
    assert new_room.pk != first_room.pk
    assert new_room.status == Room.Status.QUEUED
    assert "An agent will be with you shortly." in read(client, token).content.decode()


# The loader


def test_embed_script_adds_a_launcher_that_opens_the_widget(client, department):
    response = client.get(reverse("livechat:embed"), {"department": "support"})

    script = response.content.decode()
    assert response["Content-Type"].startswith("text/javascript")
    assert "Chat with us" in script
    assert '"http://testserver/livechat/"' in script
    assert '|| "support"' in script


def test_embed_script_ignores_a_department_that_is_not_a_slug(client, department):
    response = client.get(reverse("livechat:embed"), {"department": '";alert(1);"'})

    assert "alert(1)" not in response.content.decode()
