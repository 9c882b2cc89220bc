"""Message actions in a customer room, in two browsers on a real Daphne: the agent edits their
answer (the visitor's widget shows the new text, marked edited, live) and reacts to the
visitor's message (which the visitor never sees)."""

import re

import pytest
from playwright.sync_api import expect

from queues.services import take_room
from rooms.models import Room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

THUMBS_UP = "\U0001f44d"


def signed_in(new_page, user, password):
    page = new_page()
    page.goto("/login/")
    page.get_by_label("User name").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    return page


def test_agent_edits_an_answer_and_reacts_in_a_customer_room(new_page, agent, password):
    visitor = new_page()
    visitor.goto("/livechat/support/")
    visitor.get_by_label("Your name (optional)").fill("Maria")
    visitor.get_by_label("Message").fill("Where is my order?")
    visitor.get_by_role("button", name="Send").click()
    conversation = visitor.get_by_role("list", name="Conversation")
    expect(conversation).to_contain_text("Where is my order?")
    room = take_room(agent, Room.objects.get(contact__name="Maria"))

    alex = signed_in(new_page, agent, password)
    alex.goto(f"/rooms/{room.pk}/")
    expect(alex.locator("#live-banner")).to_be_hidden()
    field = alex.get_by_role("textbox", name="Message")
    field.fill("It ships tomorow")
    field.press("Enter")
    answer = alex.locator(".message-agent", has_text="It ships tomorow")
    expect(answer).to_be_visible()
    expect(conversation).to_contain_text("It ships tomorow")

    # Edit: the pencil opens the text in place; Enter saves it, marked edited on both sides.
    answer.hover()
    answer.get_by_role("link", name="Edit").click()
    editor = answer.get_by_role("textbox", name="Edit message")
    editor.fill("It ships tomorrow")
    editor.press("Enter")
    edited = alex.locator(".message-agent", has_text="It ships tomorrow")
    expect(edited).to_contain_text("(edited)")
    expect(conversation).to_contain_text("It ships tomorrow")
    expect(conversation).to_contain_text("(edited)")
    expect(conversation).not_to_contain_text("tomorow")

    # React to the visitor's message: the agents see it, the visitor never does.
    question = alex.locator(".message-contact", has_text="Where is my order?")
    question.hover()
    question.get_by_role("button", name="Add reaction").click()
    question.get_by_role("button", name=f"React with {THUMBS_UP}").click()
    reaction = question.locator(".reactions button")
    expect(reaction).to_have_text(f"{THUMBS_UP} 1")
    expect(reaction).to_have_attribute("aria-pressed", "true")
    visitor.wait_for_timeout(1000)
    expect(conversation).not_to_contain_text(THUMBS_UP)


def test_agent_replies_in_a_thread_the_visitor_never_sees(new_page, agent, password):
    visitor = new_page()
    visitor.goto("/livechat/support/")
    visitor.get_by_label("Your name (optional)").fill("Maria")
    visitor.get_by_label("Message").fill("Where is my order?")
    visitor.get_by_role("button", name="Send").click()
    conversation = visitor.get_by_role("list", name="Conversation")
    expect(conversation).to_contain_text("Where is my order?")
    room = take_room(agent, Room.objects.get(contact__name="Maria"))
    alex = signed_in(new_page, agent, password)
    alex.goto(f"/rooms/{room.pk}/")

    question = alex.locator(".message-contact", has_text="Where is my order?")
    question.hover()
    question.get_by_role("link", name="Reply in thread").click()
    reply = alex.get_by_role("textbox", name="Reply in thread")
    reply.fill("VIP customer, check the carrier")
    reply.press("Enter")

    expect(alex.locator("#thread-replies")).to_contain_text("VIP customer, check the carrier")
    expect(alex.locator("#messages").get_by_role("link", name="1 reply")).to_be_visible()
    visitor.reload()
    expect(conversation).to_contain_text("Where is my order?")
    expect(conversation).not_to_contain_text("VIP customer")
