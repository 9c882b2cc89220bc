import re

import pytest
from playwright.sync_api import expect

from queues.services import take_room
from rooms.models import Room
from rooms.services import post_agent_message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_visitor_writes_waits_and_sees_the_agents_reply_by_polling(page, department, agent):
    page.goto("/livechat/support/")
    page.get_by_label("Your name (optional)").fill("Maria")
    page.get_by_label("Message").fill("My order has not arrived")
    page.get_by_role("button", name="Send").click()

    conversation = page.get_by_role("list", name="Conversation")
    expect(conversation).to_contain_text("My order has not arrived")
    expect(page.locator("#livechat-status")).to_have_text("An agent will be with you shortly.")
    room = Room.objects.get(contact__name="Maria")
    assert room.status == Room.Status.QUEUED
    room = take_room(agent, room)
    post_agent_message(agent, room, text="Let me check that for you")

    # No reload: the widget polls every 2.5 s; the default timeout (10 s) leaves room for it.
    expect(conversation).to_contain_text("Let me check that for you")
    expect(page.locator("#livechat-status")).to_have_text(
        f"{agent.first_name} is chatting with you."
    )


def test_embedded_loader_opens_the_widget_from_another_site(page, live_server, department):
    page.set_content(
        "<!DOCTYPE html><title>Shop</title><h1>A shop</h1>"
        f'<script src="{live_server.url}/livechat/embed.js" data-department="support"></script>'
    )

    page.get_by_role("button", name="Chat with us").click()

    widget = page.frame_locator("iframe[title='Chat with us']")
    expect(widget.get_by_role("button", name="Send")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Close the chat"))).to_be_visible()
