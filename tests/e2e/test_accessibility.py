"""Agent pages and the widget for everyone: axe-core finds no serious or critical violation,
the whole agent flow works from the keyboard with a visible focus, and live regions speak."""

import re

import pytest
from playwright.sync_api import expect

from rooms.models import Room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, user, password, target=None):
    page.goto("/login/")
    page.get_by_label("User name").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    if target:
        page.goto(target)
    return page


def focused_name(page) -> str:
    return page.evaluate(
        """() => {
            const e = document.activeElement;
            return (e.getAttribute("aria-label") || e.innerText || e.value || "").trim();
        }"""
    )


def tab_to(page, name: str, *, back: bool = False, limit: int = 80) -> None:
    """Press Tab (or Shift+Tab) until the focused control's name starts with `name`."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if focused_name(page).startswith(name):
            return
    raise AssertionError(f"{name!r} cannot be reached with the keyboard")


def assert_focus_is_visible(page) -> None:
    ring = page.evaluate(
        """() => {
            const e = document.activeElement, style = getComputedStyle(e);
            return {visible: e.matches(":focus-visible"), style: style.outlineStyle,
                    width: parseFloat(style.outlineWidth)};
        }"""
    )
    assert ring["visible"], ring
    assert ring["style"] != "none", ring
    assert ring["width"] >= 2, ring


# axe-core: no serious or critical violations


def test_sign_in_page_passes_axe(a11y_page, axe):
    a11y_page.goto("/login/")

    assert axe(a11y_page) == []


def test_home_passes_axe(a11y_page, axe, agent, password, queued_room):
    sign_in(a11y_page, agent, password)
    expect(a11y_page.locator("[data-queued-list]")).to_contain_text(
        queued_room.contact.display_name
    )

    assert axe(a11y_page) == []


def test_queued_room_passes_axe(a11y_page, axe, agent, password, queued_room):
    sign_in(a11y_page, agent, password, f"/rooms/{queued_room.pk}/")
    expect(a11y_page.get_by_role("button", name="Take it!")).to_be_visible()

    assert axe(a11y_page) == []


def test_taken_room_and_its_dialogs_pass_axe(a11y_page, axe, agent, password, taken_room):
    sign_in(a11y_page, agent, password, f"/rooms/{taken_room.pk}/")
    expect(a11y_page.get_by_role("textbox", name="Message")).to_be_visible()
    assert axe(a11y_page) == []

    a11y_page.goto(f"/rooms/{taken_room.pk}/?confirm=close")
    a11y_page.get_by_role("button", name="Confirm").click()  # no comment: the error shows
    expect(a11y_page.get_by_role("alert")).to_be_visible()
    assert axe(a11y_page) == []

    a11y_page.goto(f"/rooms/{taken_room.pk}/?confirm=return")
    assert axe(a11y_page) == []


def test_spanish_room_page_passes_axe(a11y_page, axe, agent, password, taken_room):
    agent.language = "es"
    agent.save(update_fields=["language"])
    sign_in(a11y_page, agent, password, f"/rooms/{taken_room.pk}/?confirm=close")
    expect(a11y_page.get_by_role("heading", name="Cerrar conversación")).to_be_visible()
    expect(a11y_page.locator("html")).to_have_attribute("lang", "es")

    assert axe(a11y_page) == []


def test_widget_passes_axe_before_and_during_a_conversation(a11y_page, axe, department):
    a11y_page.goto("/livechat/support/")
    assert axe(a11y_page) == []

    a11y_page.get_by_label("Message").fill("Hello, is anyone there?")
    a11y_page.get_by_role("button", name="Send").click()
    expect(a11y_page.get_by_role("list", name="Conversation")).to_contain_text("anyone there")
    assert axe(a11y_page) == []


# The keyboard alone


def test_agent_takes_writes_returns_and_closes_with_tags_using_the_keyboard_alone(
    page, agent, password, queued_room
):
    name = queued_room.contact.display_name
    page.goto("/login/")
    expect(page.get_by_label("User name")).to_be_focused()  # keys typed earlier would be lost
    page.keyboard.type(agent.username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login/" not in url)

    tab_to(page, name)
    assert_focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    tab_to(page, "Take it!")
    assert_focus_is_visible(page)
    page.keyboard.press("Enter")

    message = page.get_by_role("textbox", name="Message")
    expect(message).to_be_focused()
    page.keyboard.type("Hello from the keyboard")
    page.keyboard.press("Enter")
    expect(page.locator("#messages")).to_contain_text("Hello from the keyboard")

    tab_to(page, "Move to the queue", back=True)
    assert_focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Confirm")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text(f"{agent.display_name} returned the chat to the queue")).to_be_visible()

    tab_to(page, "Take it!")
    page.keyboard.press("Enter")
    expect(message).to_be_focused()
    tab_to(page, "Close", back=True)
    page.keyboard.press("Enter")
    expect(page.get_by_label("Comment")).to_be_focused()
    # Autofocus can come before the deferred room.js; until it binds, Enter adds no tag.
    expect(page.locator("[data-tag-input][data-bound]")).to_be_attached()
    page.keyboard.type("Answered by keyboard")
    page.keyboard.press("Tab")
    page.keyboard.type("Billing")
    page.keyboard.press("Enter")  # adds the tag, does not submit
    expect(page.get_by_role("button", name="Remove tag billing")).to_be_visible()
    tab_to(page, "Confirm")
    assert_focus_is_visible(page)
    page.keyboard.press("Enter")

    expect(page.get_by_text("This conversation is closed.")).to_be_visible()
    room = Room.objects.get(pk=queued_room.pk)
    assert room.status == Room.Status.CLOSED
    assert room.closing_comment == "Answered by keyboard"
    assert list(room.tags.values_list("name", flat=True)) == ["billing"]


# Live regions


def test_new_messages_and_queue_news_are_in_live_regions(page, agent, password, taken_room):
    sign_in(page, agent, password, f"/rooms/{taken_room.pk}/")

    expect(page.locator("#messages")).to_have_attribute("aria-live", "polite")
    expect(page.locator("#live-announcer")).to_have_attribute("aria-live", "polite")
    expect(page.locator("#live-banner")).to_have_attribute("role", "status")
    expect(page.locator("[data-typing]")).to_have_attribute("aria-live", "polite")
    expect(page.locator("[data-composer-error]")).to_have_attribute("role", "alert")


def test_widget_conversation_and_status_are_live_regions(page, department):
    page.goto("/livechat/support/")

    expect(page.locator("#livechat-messages")).to_have_attribute("aria-live", "polite")
    expect(page.locator("#livechat-status")).to_have_attribute("role", "status")
    expect(page.locator("#livechat-error")).to_have_attribute("role", "alert")


def test_a_newly_queued_chat_is_announced_in_the_agents_language(new_page, agent, password):
    agent.language = "es"
    agent.save(update_fields=["language"])
    watcher = new_page()
    sign_in(watcher, agent, password)
    expect(watcher.locator("#live-banner")).to_be_hidden()
    visitor = new_page()
    visitor.goto("/livechat/support/")

    visitor.get_by_label("Your name (optional)").fill("Lucía")
    visitor.get_by_label("Message").fill("¿Dónde está mi pedido?")
    visitor.get_by_role("button", name="Send").click()

    expect(watcher.locator("#live-announcer")).to_have_text(
        re.compile(r"Lucía está esperando en la cola\.")
    )
