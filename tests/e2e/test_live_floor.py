"""Two agents and a visitor in three browsers on a real Daphne: everything moves live."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in(new_page, user, password):
    page = new_page()
    page.goto("/login/")
    page.get_by_label("User name").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    return page


def queued_list(page):
    return page.get_by_role("region", name=re.compile("Queued Chats")).get_by_role("list")


def test_a_chat_moves_live_between_visitor_and_two_agents(new_page, agent, other_agent, password):
    first = signed_in(new_page, agent, password)
    second = signed_in(new_page, other_agent, password)
    expect(first.locator("#live-banner")).to_be_hidden()
    visitor = new_page()
    visitor.goto("/livechat/support/")

    visitor.get_by_label("Your name (optional)").fill("Maria")
    visitor.get_by_label("Message").fill("Where is my parcel?")
    visitor.get_by_role("button", name="Send").click()

    for page in (first, second):
        expect(queued_list(page)).to_contain_text("Maria")
    expect(first.locator("[data-counter=queued]")).to_have_text("1")

    first.get_by_role("link", name=re.compile("Maria")).click()
    first.get_by_role("button", name="Take it!").click()

    expect(queued_list(second)).not_to_contain_text("Maria")
    expect(second.locator("[data-counter=queued]")).to_have_text("0")
    field = first.get_by_role("textbox", name="Message")
    field.fill("It left the warehouse today")
    field.press("Enter")

    expect(visitor.get_by_role("list", name="Conversation")).to_contain_text(
        "It left the warehouse today"
    )
    visitor.get_by_label("Message").fill("Thanks!")
    visitor.get_by_role("button", name="Send").click()
    expect(first.locator("#messages")).to_contain_text("Thanks!")


def test_agent_looking_at_a_chat_is_told_who_took_it(new_page, agent, other_agent, password):
    visitor = new_page()
    visitor.goto("/livechat/support/")
    visitor.get_by_label("Message").fill("Hello?")
    visitor.get_by_role("button", name="Send").click()
    first = signed_in(new_page, agent, password)
    second = signed_in(new_page, other_agent, password)
    second.get_by_role("link", name=re.compile("guest-")).click()
    expect(second.get_by_role("button", name="Take it!")).to_be_visible()
    expect(second.locator("#live-banner")).to_be_hidden()

    first.get_by_role("link", name=re.compile("guest-")).click()
    first.get_by_role("button", name="Take it!").click()

    expect(second.get_by_text(f"{agent.display_name} took this chat.")).to_be_visible()
    expect(second.get_by_role("button", name="Take it!")).to_have_count(0)
