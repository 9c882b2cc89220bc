"""Team chat in three browsers on a real Daphne: a channel, a mention seen live, a thread reply,
Search and Directory; and a private group nobody outside it ever sees."""

import re

import pytest
from playwright.sync_api import expect

from teamchat.models import Chat

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in(new_page, user, password):
    page = new_page()
    page.goto("/login/")
    page.get_by_label("User name").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    expect(page.locator("#live-banner")).to_be_hidden()
    return page


def create(page, name, *, members="", private=False):
    page.get_by_role("link", name="Create new").first.click()
    page.get_by_role("textbox", name="Name").fill(name)
    if private:
        page.get_by_role("checkbox", name="Private").check()
    page.get_by_role("combobox", name="Members").fill(members)
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name=re.compile(name))).to_be_visible()


def sidebar_item(page, name):
    return page.locator("#teamchat-sidebar li", has_text=name)


def test_two_agents_chat_mention_thread_search_and_directory(
    new_page, agent, other_agent, outsider_agent, password
):
    alex = signed_in(new_page, agent, password)
    blair = signed_in(new_page, other_agent, password)
    olly = signed_in(new_page, outsider_agent, password)

    # Alex creates a channel with Blair in it; Blair's sidebar shows it at once.
    create(alex, "launch", members=other_agent.username)
    expect(sidebar_item(blair, "launch")).to_be_visible()

    # A mention reaches Blair's sidebar live: unread count and mention mark.
    field = alex.get_by_role("textbox", name="Message")
    field.fill(f"@{other_agent.username} can you check the *launch* list?")
    field.press("Enter")
    expect(alex.locator("#chat-messages")).to_contain_text("can you check the launch list?")
    item = sidebar_item(blair, "launch")
    expect(item.locator("[data-unread-count]")).to_have_text("1")
    expect(item.locator("[data-mentions]")).to_be_visible()

    # Blair finds it through Search (Enter opens the first result) and reading clears the marks.
    blair.get_by_role("link", name="Search").click()
    search = blair.get_by_role("searchbox", name="Find channels, teams and people")
    search.fill("laun")
    expect(blair.locator("#chat-search-results")).to_contain_text("launch")
    search.press("Enter")
    expect(blair.get_by_role("heading", name=re.compile("launch"))).to_be_visible()
    expect(blair.locator(".mention-me")).to_have_text(f"@{other_agent.username}")
    expect(sidebar_item(blair, "launch").locator("[data-mentions]")).to_be_hidden()
    expect(sidebar_item(blair, "launch").locator("[data-unread]")).to_be_hidden()

    # Blair replies in a thread; Alex sees the reply count live.
    blair.locator("#chat-messages .chat-message-user").first.hover()
    blair.get_by_role("link", name="Reply in thread").first.click()
    reply = blair.get_by_role("textbox", name="Reply in thread")
    reply.fill("Checked, all good")
    reply.press("Enter")
    expect(blair.locator("#thread-replies")).to_contain_text("Checked, all good")
    expect(alex.locator("#chat-messages")).to_contain_text("1 reply")

    # Blair finds the channel in the Directory too, with its member count.
    blair.get_by_role("link", name="Directory").click()
    row = blair.locator("tr", has_text="launch")
    expect(row).to_contain_text("Joined")
    expect(row.locator("td").nth(1)).to_have_text("2")

    # A private group of Alex and Blair: Olly never sees it anywhere.
    create(alex, "secret-plans", members=other_agent.username, private=True)
    alex.get_by_role("textbox", name="Message").fill("@here the plan")
    alex.get_by_role("textbox", name="Message").press("Enter")
    expect(sidebar_item(blair, "secret-plans")).to_be_visible()
    expect(olly.locator("#teamchat-sidebar")).not_to_contain_text("secret-plans")
    olly.get_by_role("link", name="Search").click()
    olly.get_by_role("searchbox", name="Find channels, teams and people").fill("secret")
    expect(olly.locator("#chat-search-results")).to_contain_text("Nothing matches")
    olly.get_by_role("link", name="Directory").click()
    expect(olly.locator(".directory-table")).to_contain_text("launch")
    expect(olly.locator(".directory-table")).not_to_contain_text("secret-plans")
    group = Chat.objects.get(name="secret-plans")
    assert olly.goto(f"/chat/{group.pk}/").status == 404

    # The public channel is open to Olly as a preview with Join.
    olly.goto("/chat/directory/")
    olly.get_by_role("link", name="launch").click()
    expect(olly.get_by_role("button", name="Join")).to_be_visible()
    olly.get_by_role("button", name="Join").click()
    expect(olly.get_by_role("textbox", name="Message")).to_be_visible()
