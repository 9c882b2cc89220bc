"""How a customer room's messages read on its page: what the agent sees of each one, and that
names and texts from outside are shown as text, never as markup."""

import pytest
from django.urls import reverse

from rooms.models import Message
from rooms.services import post_agent_message, set_room_message_pinned

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(client, agent, taken_room):
    client.force_login(agent)

    def get() -> str:
        return client.get(reverse("room", args=[taken_room.pk])).content.decode()

    return get


def test_a_contacts_name_with_markup_is_shown_as_text(page, taken_room):
    taken_room.contact.__class__.objects.filter(pk=taken_room.contact_id).update(
        name="<img src=x onerror=alert(1)>"
    )

    body = page()

    assert "<img src=x" not in body
    assert '<p class="author">&lt;img src=x onerror=alert(1)&gt; <a class="time"' in body


def test_an_agents_name_with_markup_is_shown_as_text(page, agent, taken_room):
    agent.first_name, agent.last_name = "<b>Alex</b>", ""
    agent.save()
    post_agent_message(agent, taken_room, text="Hello")

    body = page()

    assert "<b>Alex</b>" not in body
    assert "&lt;b&gt;Alex&lt;/b&gt;" in body


def test_a_failed_reply_shows_the_channels_reason_as_text_and_offers_retry(page, agent, taken_room):
    reply = post_agent_message(agent, taken_room, text="On its way")
    Message.objects.filter(pk=reply.pk).update(
        delivery_status=Message.Delivery.FAILED, delivery_error="Refused <by> the channel"
    )

    body = page()

    assert '<span class="error">Refused &lt;by&gt; the channel</span>' in body
    retry = reverse("room-retry-message", args=[taken_room.pk, reply.pk])
    assert f'<form method="post" action="{retry}" class="inline-form">' in body
    assert 'name="csrfmiddlewaretoken"' in body.split(retry, 1)[1].split("</form>", 1)[0]


def test_a_pinned_message_says_who_pinned_it(page, agent, taken_room):
    reply = post_agent_message(agent, taken_room, text="Remember this")
    set_room_message_pinned(agent, reply, pinned=True)

    body = page()

    assert f'title="Pinned by {agent.display_name}">&#128204; Pinned</span>' in body


def test_the_author_may_edit_their_reply_and_the_page_says_so(page, agent, taken_room):
    reply = post_agent_message(agent, taken_room, text="Typo here")

    body = page()

    item = body.split(f'id="message-{reply.pk}"', 1)[1].split(">", 1)[0]
    assert "data-can-edit" in item
    assert f'data-author="{agent.pk}"' in item


def test_a_reply_without_its_author_is_signed_agent(page, agent, taken_room):
    reply = post_agent_message(agent, taken_room, text="From a removed account")
    Message.objects.filter(pk=reply.pk).update(author=None)

    body = page()

    assert '<p class="author">Agent <a class="time"' in body
