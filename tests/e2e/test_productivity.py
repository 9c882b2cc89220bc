"""Productivity in a real browser: '!shortcut' in the composer, the survey in the widget."""

import pytest
from playwright.sync_api import expect

from productivity.models import CannedResponse, SurveyResponse, TranscriptRequest
from productivity.services import create_canned_response
from queues.services import take_room
from rooms.models import Room
from rooms.services import close_room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_inserts_a_canned_response_with_enter(page, sign_in, agent, write_as_contact):
    room = take_room(agent, write_as_contact("Hi", name="Maria").room)
    create_canned_response(
        agent,
        scope=CannedResponse.Scope.PERSONAL,
        shortcut="hello",
        text="Hello {contact_name}, {agent_name} here.",
    )
    create_canned_response(
        agent, scope=CannedResponse.Scope.PERSONAL, shortcut="help", text="How can I help?"
    )
    sign_in(agent, f"/rooms/{room.pk}/")
    field = page.get_by_role("textbox", name="Message")

    field.press_sequentially("!he")
    options = page.get_by_role("listbox", name="Canned responses").get_by_role("option")
    expect(options).to_have_count(2)
    field.press("ArrowDown")
    field.press("ArrowUp")
    field.press("Enter")

    expect(field).to_have_value(f"Hello Maria, {agent.first_name} here.")
    expect(page.get_by_role("listbox", name="Canned responses")).to_be_hidden()
    field.press("Enter")  # the list is closed: Enter sends again
    expect(page.locator(".message-agent").last).to_contain_text("Hello Maria")


def test_visitor_rates_the_ended_chat_and_asks_for_the_transcript(page, department, agent):
    page.goto("/livechat/support/")
    page.get_by_label("Your name (optional)").fill("Maria")
    page.get_by_label("Message").fill("My order has not arrived")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("list", name="Conversation")).to_contain_text(
        "My order has not arrived"
    )
    room = Room.objects.get(contact__name="Maria")
    close_room(agent, take_room(agent, room), comment="Sorted")

    page.get_by_text("4 \N{EN DASH} Good").click()  # polling brings the survey within seconds
    page.get_by_label("Comment (optional)").fill("Quick")
    page.get_by_role("button", name="Rate the conversation").click()
    expect(page.get_by_text("Thank you for your rating (4 of 5).")).to_be_visible()
    page.get_by_label("E-mail me the transcript").check()
    page.get_by_label("Your e-mail").fill("maria@example.com")
    page.get_by_role("button", name="Request the transcript").click()
    expect(page.get_by_text("The transcript is on its way to maria@example.com")).to_be_visible()

    assert SurveyResponse.objects.get(room=room).comment == "Quick"
    assert TranscriptRequest.objects.get(room=room).email == "maria@example.com"
