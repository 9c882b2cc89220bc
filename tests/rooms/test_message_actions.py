"""Message actions in customer rooms: the team chat's edit, delete, react, pin, thread and copy
link, with a contact center's rules (only the room's agent or a manager; the contact sees edits
and deletions on the website chat, never reactions, pins or threads; a message already on
Facebook or an API channel stays as the customer got it)."""

import hashlib
from datetime import timedelta

import pytest
from django.test.utils import override_script_prefix
from django.urls import reverse
from django.utils import timezone

from directory.models import Channel
from directory.services import get_or_create_contact
from omnichannel.models import Event
from queues.services import take_room
from rooms.models import Message, MessageReaction
from rooms.services import (
    close_room,
    edit_room_message,
    post_agent_message,
    receive_contact_message,
    reply_in_thread,
    set_room_message_pinned,
    toggle_room_reaction,
)

pytestmark = pytest.mark.django_db

VISITOR = "w" * 43
HTMX = {"HX-Request": "true"}
THUMBS_UP = "\U0001f44d"


def contact_writes(department, *, channel=Channel.LIVECHAT, text="Where is my order?", source=""):
    external = hashlib.sha256(VISITOR.encode()).hexdigest() if channel == Channel.LIVECHAT else "x1"
    contact, _ = get_or_create_contact(channel=channel, external_id=external)
    return receive_contact_message(
        contact=contact, channel=channel, department=department, text=text, source=source
    )


@pytest.fixture
def served(department, agent):
    """A website chat alex serves, with the contact's question and alex's answer."""
    question = contact_writes(department)
    room = take_room(agent, question.room)
    answer = post_agent_message(agent, room, text="It ships tomorow")
    return {"room": room, "question": question, "answer": answer}


def action(name, message):
    return message.action_url(name)


def widget_html(client, department) -> str:
    response = client.get(
        reverse("livechat:conversation", args=[department.slug]),
        headers={"X-Visitor-Token": VISITOR},
    )
    return response.content.decode()


def room_page(client, room) -> str:
    return client.get(reverse("room", args=[room.pk])).content.decode()


# --- edit and delete ----------------------------------------------------------------------------


def test_agent_edits_their_message_and_it_shows_as_edited(client, agent, served):
    client.force_login(agent)

    response = client.post(action("edit", served["answer"]), {"text": "It ships tomorrow"})

    assert response.status_code == 302
    page = room_page(client, served["room"])
    assert "It ships tomorrow" in page
    assert "(edited)" in page


def test_visitor_sees_the_edited_text_and_mark(client, agent, department, served):
    edit_room_message(agent, served["answer"], text="It ships tomorrow")

    html = widget_html(client, department)

    assert "It ships tomorrow" in html
    assert "tomorow" not in html
    assert "(edited)" in html


def test_visitor_sees_message_deleted_instead_of_the_text(client, agent, department, served):
    client.force_login(agent)

    client.post(action("delete", served["answer"]), headers=HTMX)

    html = widget_html(client, department)
    assert "Message deleted" in html
    assert "It ships tomorow" not in html


def test_deleted_message_shows_a_marker_to_agents(client, agent, served):
    client.force_login(agent)

    response = client.post(action("delete", served["answer"]), headers=HTMX)

    assert "This message was deleted." in response.content.decode()


def test_edit_after_the_window_is_refused(client, agent, served):
    Message.objects.filter(pk=served["answer"].pk).update(
        created_at=timezone.now() - timedelta(hours=1)
    )
    client.force_login(agent)

    response = client.post(action("edit", served["answer"]), {"text": "late"}, headers=HTMX)

    assert response.status_code == 400
    assert "short while after sending" in response.content.decode()


def test_contact_message_cannot_be_edited(client, agent, served):
    client.force_login(agent)

    response = client.post(action("edit", served["question"]), {"text": "x"}, headers=HTMX)

    assert response.status_code == 400
    assert Message.objects.get(pk=served["question"].pk).text == "Where is my order?"


def test_edit_of_a_message_already_on_facebook_is_refused_with_the_reason(
    client, agent, department
):
    room = take_room(agent, contact_writes(department, channel=Channel.FACEBOOK).room)
    sent = post_agent_message(agent, room, text="Hello there")
    client.force_login(agent)

    response = client.post(action("edit", sent), {"text": "Hi"}, headers=HTMX)

    assert response.status_code == 400
    assert "already sent to Facebook" in response.content.decode()
    assert Message.objects.get(pk=sent.pk).text == "Hello there"


def test_delete_of_a_message_already_on_an_api_channel_is_refused(client, agent, department):
    room = take_room(agent, contact_writes(department, channel=Channel.API, source="sms").room)
    sent = post_agent_message(agent, room, text="Hello there")
    client.force_login(agent)

    response = client.post(action("delete", sent), headers=HTMX)

    assert response.status_code == 400
    assert Message.objects.get(pk=sent.pk).deleted_at is None


# --- who may act --------------------------------------------------------------------------------


def test_agent_of_another_department_gets_404_by_crafted_url(client, outsider_agent, served):
    client.force_login(outsider_agent)

    response = client.post(action("react", served["question"]), {"emoji": THUMBS_UP})

    assert response.status_code == 404
    assert not MessageReaction.objects.exists()


def test_colleague_not_serving_the_room_cannot_act(client, other_agent, served):
    client.force_login(other_agent)

    response = client.post(action("pin", served["question"]), {"pinned": "1"}, headers=HTMX)

    assert response.status_code == 400
    assert "not serving" in response.content.decode()


def test_manager_may_pin_in_a_room_another_agent_serves(client, supervisor, served):
    client.force_login(supervisor)

    client.post(action("pin", served["question"]), {"pinned": "1"})

    assert Message.objects.get(pk=served["question"].pk).pinned_by == supervisor


def test_closed_room_is_read_only(client, agent, served):
    close_room(agent, served["room"], comment="done")
    client.force_login(agent)

    response = client.post(action("react", served["answer"]), {"emoji": THUMBS_UP}, headers=HTMX)

    assert response.status_code == 400
    assert not MessageReaction.objects.exists()


# --- reactions, pins, threads: agent-internal ----------------------------------------------------


def test_agent_reacts_to_the_contacts_message(client, agent, served):
    client.force_login(agent)

    response = client.post(action("react", served["question"]), {"emoji": THUMBS_UP}, headers=HTMX)

    assert f"{THUMBS_UP} 1" in response.content.decode()


def test_unknown_emoji_is_refused(client, agent, served):
    client.force_login(agent)

    response = client.post(action("react", served["question"]), {"emoji": "X"}, headers=HTMX)

    assert response.status_code == 400


def test_contact_never_sees_reactions_or_pins(client, agent, department, served):
    toggle_room_reaction(agent, served["answer"], emoji=THUMBS_UP)
    set_room_message_pinned(agent, served["answer"], pinned=True)

    html = widget_html(client, department)

    assert THUMBS_UP not in html
    assert "Pinned" not in html


def test_pinned_message_is_listed_in_the_pinned_panel(client, agent, served):
    set_room_message_pinned(agent, served["question"], pinned=True)
    client.force_login(agent)

    response = client.get(reverse("room-pinned", args=[served["room"].pk]), headers=HTMX)

    assert "Where is my order?" in response.content.decode()


def test_thread_reply_shows_in_its_thread(client, agent, served):
    client.force_login(agent)

    client.post(action("thread", served["question"]), {"text": "Checking the carrier"})

    response = client.get(action("thread", served["question"]), headers=HTMX)
    assert "Checking the carrier" in response.content.decode()


def test_contact_never_sees_a_thread_reply(client, agent, department, served):
    reply_in_thread(agent, served["question"], text="VIP customer, be nice")

    assert "VIP customer" not in widget_html(client, department)


def test_thread_reply_stays_out_of_the_room_list(client, agent, served):
    reply_in_thread(agent, served["question"], text="VIP customer, be nice")
    client.force_login(agent)

    page = room_page(client, served["room"])

    assert "VIP customer" not in page
    assert "1 reply" in page


def test_thread_reply_on_facebook_is_never_sent_out(agent, department):
    room = take_room(agent, contact_writes(department, channel=Channel.FACEBOOK).room)
    question = room.messages.get(kind=Message.Kind.CONTACT)

    reply = reply_in_thread(agent, question, text="internal")

    assert reply.delivery_status == ""
    assert not Event.objects.filter(name="message.created", data__message=reply.pk).exists()


def test_thread_reply_stays_out_of_the_contacts_transcript(agent, served):
    from rooms.selectors import transcript_of

    reply_in_thread(agent, served["question"], text="VIP customer")

    assert "VIP customer" not in [message.text for message in transcript_of(served["room"])]


# --- copy link ----------------------------------------------------------------------------------


def test_message_link_leads_to_its_anchor_in_the_room_page(client, agent, served):
    client.force_login(agent)

    response = client.get(action("link", served["question"]))

    assert response.url == f"/rooms/{served['room'].pk}/#message-{served['question'].pk}"


def test_message_link_is_404_to_an_agent_of_another_department(client, outsider_agent, served):
    client.force_login(outsider_agent)

    assert client.get(action("link", served["question"])).status_code == 404


def test_message_actions_keep_the_prefix_of_a_site_served_under_a_path(client, agent, served):
    client.force_login(agent)
    path = reverse("room", args=[served["room"].pk])
    client.get(path)  # the addresses of the page served at the root are known first

    with override_script_prefix("/support/"):
        page = client.get(path).content.decode()

    pk, room_pk = served["answer"].pk, served["room"].pk
    assert f'href="/support/rooms/{room_pk}/messages/{pk}/edit/"' in page
    assert f'action="/support/rooms/{room_pk}/messages/{pk}/pin/"' in page
