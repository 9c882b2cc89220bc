"""The seed manual's agent flow, in a real browser: take, write, move to the queue, close."""

import re

import pytest
from playwright.sync_api import expect

from rooms.models import Room
from rooms.selectors import ROOM_PAGE_MESSAGES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_queued_chat(page, sign_in, agent, room):
    sign_in(agent)
    page.get_by_role("link", name=re.compile(room.contact.display_name)).click()
    expect(page.get_by_role("heading", name=room.contact.display_name)).to_be_visible()
    page.wait_for_load_state()  # the deferred room.js has bound the page's buttons


def test_agent_takes_a_queued_chat_from_the_sidebar(page, sign_in, agent, queued_room):
    open_queued_chat(page, sign_in, agent, queued_room)

    page.get_by_role("button", name="Take it!").click()

    expect(page.get_by_role("textbox", name="Message")).to_be_visible()
    expect(page.get_by_role("link", name="Move to the queue")).to_be_visible()


def test_agent_writes_bold_and_a_formula_and_sends_with_enter(page, sign_in, agent, queued_room):
    open_queued_chat(page, sign_in, agent, queued_room)
    page.get_by_role("button", name="Take it!").click()
    field = page.get_by_role("textbox", name="Message")

    field.fill("Thanks")
    field.select_text()
    page.get_by_role("button", name="Bold").click()
    field.press("End")
    field.press_sequentially(" $x^2$")
    field.press("Enter")

    expect(page.locator(".message-agent strong")).to_have_text("Thanks")
    expect(page.locator(".message-agent math")).to_have_count(1)
    expect(field).to_have_value("")


def test_agent_moves_the_chat_back_to_the_queue_after_confirming(page, sign_in, agent, queued_room):
    open_queued_chat(page, sign_in, agent, queued_room)
    page.get_by_role("button", name="Take it!").click()

    page.get_by_role("link", name="Move to the queue").click()
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_text(f"{agent.display_name} returned the chat to the queue")).to_be_visible()
    expect(page.get_by_role("button", name="Take it!")).to_be_visible()


def test_agent_closes_with_a_comment_and_a_tag(page, sign_in, agent, queued_room):
    open_queued_chat(page, sign_in, agent, queued_room)
    page.get_by_role("button", name="Take it!").click()

    page.get_by_role("link", name="Close").click()
    expect(page.locator("[data-tag-input][data-bound]")).to_be_attached()  # room.js is deferred
    page.get_by_label("Comment").fill("Customer helped")
    page.get_by_role("textbox", name="Tags").fill("Billing")
    page.get_by_role("button", name="Add").click()
    page.get_by_role("textbox", name="Tags").fill("typo")
    page.get_by_role("button", name="Add").click()
    page.get_by_role("button", name="Remove tag typo").click()
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_text("This conversation is closed.")).to_be_visible()
    room = Room.objects.get(pk=queued_room.pk)
    assert room.status == Room.Status.CLOSED
    assert list(room.tags.values_list("name", flat=True)) == ["billing"]


def test_closing_without_a_comment_keeps_the_dialog_with_an_error(
    page, sign_in, agent, queued_room
):
    open_queued_chat(page, sign_in, agent, queued_room)
    page.get_by_role("button", name="Take it!").click()

    page.get_by_role("link", name="Close").click()
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("alert")).to_contain_text("Write a comment before closing")


def test_room_information_panel_can_be_hidden_and_shown(page, sign_in, agent, queued_room):
    open_queued_chat(page, sign_in, agent, queued_room)
    panel = page.get_by_role("complementary", name="Room information")
    expect(panel).to_contain_text("Queue time")

    page.get_by_role("button", name="Room information").click()
    expect(panel).to_be_hidden()
    page.get_by_role("button", name="Room information").click()

    expect(panel).to_be_visible()


def test_agent_shows_the_earlier_messages_of_a_long_conversation(
    page, sign_in, agent, queued_room, write_as_contact
):
    for n in range(1, ROOM_PAGE_MESSAGES + 1):
        write_as_contact(f"question-{n:02d}")
    open_queued_chat(page, sign_in, agent, queued_room)
    messages = page.get_by_role("list", name="Messages")
    expect(messages).not_to_contain_text("Hello, I need help")

    page.get_by_role("button", name="Show earlier messages").click()

    expect(messages.get_by_role("listitem").first).to_contain_text("Hello, I need help")
    expect(page.get_by_role("button", name="Show earlier messages")).to_have_count(0)
