"""The support tools and the Contact Center in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from queues.services import take_room
from rooms.services import close_room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_searches_messages_and_jumps_to_one_older_than_the_page_shows(
    page, sign_in, agent, write_as_contact
):
    needle = write_as_contact("My parcel number is ZX-81", visitor="ana", name="Ana Lopez")
    for number in range(205):
        write_as_contact(f"filler {number}", visitor="ana")
    room = take_room(agent, needle.room)
    sign_in(agent, f"/rooms/{room.pk}/")
    expect(page.locator(f'[data-message-id="{needle.pk}"]')).to_have_count(0)

    page.get_by_role("button", name="Search messages").click()
    page.get_by_role("searchbox", name="Words to find in this conversation").fill("parcel")
    result = page.locator("#tool-search-results a").first
    expect(result.locator("mark")).to_have_text("parcel")
    result.click()

    target = page.locator(f'[data-message-id="{needle.pk}"]')
    expect(target).to_be_focused()
    expect(target).to_be_in_viewport()
    expect(page.get_by_role("complementary", name="Room information")).to_be_hidden()


def test_agent_reads_an_earlier_chat_in_the_history_panel(page, sign_in, agent, write_as_contact):
    first = take_room(agent, write_as_contact("I want a refund", visitor="ana", name="Ana").room)
    close_room(agent, first, comment="Refund sent", tags=["billing"])
    current = write_as_contact("Hello again", visitor="ana").room
    sign_in(agent, f"/rooms/{current.pk}/")

    page.get_by_role("button", name="Contact chat history").click()
    panel = page.get_by_role("complementary", name="Contact chat history")
    expect(panel).to_contain_text("Refund sent")
    panel.get_by_role("button", name=re.compile(r"\d")).first.click()

    expect(panel).to_contain_text("I want a refund")
    page.get_by_role("button", name="Room information").click()
    expect(panel).to_be_hidden()
    expect(page.get_by_role("complementary", name="Room information")).to_be_visible()


def test_agent_finds_a_contact_in_the_contact_center(page, sign_in, agent, write_as_contact):
    write_as_contact(visitor="ana", name="Ana Lopez")
    write_as_contact(visitor="bruno", name="Bruno Diaz")
    sign_in(agent)

    page.get_by_role("link", name="Contact Center").click()
    search = page.get_by_role("searchbox", name="Search contacts")
    search.fill("bruno")
    search.press("Enter")
    results = page.locator("#contact-results")
    expect(results.get_by_role("link", name="Ana Lopez")).to_have_count(0)
    results.get_by_role("link", name="Bruno Diaz").click()

    expect(page.get_by_role("heading", name="Bruno Diaz")).to_be_visible()
    expect(page.get_by_role("heading", name="Channel identities")).to_be_visible()
