"""Hostile strings stored as messages, names, tags and comments never run in a browser."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from directory.models import Channel
from directory.services import get_or_create_contact
from queues.services import take_room
from rooms.services import close_room, post_agent_message, receive_contact_message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Each payload, if it ever ran, would set window.__pwned.
PAYLOADS = [
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=2">',
    '"><svg onload="window.__pwned=3">',
    "[click](javascript:window.__pwned=4)",
    "javascript:window.__pwned=5",
    "<a href='javascript:window.__pwned=6'>x</a>",
    "$\\href{javascript:window.__pwned=7}{x}$",
    "$$</math><img src=x onerror=window.__pwned=8>$$",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__pwned=9>",
    "'\"><iframe srcdoc='<script>parent.__pwned=10</script>'>",
    "<details open ontoggle=window.__pwned=11>",
    "*<img src=x onerror=window.__pwned=12>*",
]
NAME = '<img src=x onerror="window.__pwned=20">Eve'
COMMENT = "</textarea><script>window.__pwned=21</script>"
TAG = "<b onmouseover=x>"


@pytest.fixture
def hostile_room(department, agent):
    contact, _ = get_or_create_contact(channel=Channel.LIVECHAT, external_id="x" * 64, name=NAME)
    room = None
    for payload in PAYLOADS:
        room = receive_contact_message(
            contact=contact, channel=Channel.LIVECHAT, department=department, text=payload
        ).room
    take_room(agent, room)
    for payload in PAYLOADS:
        post_agent_message(agent, room, text=payload)
    return close_room(agent, room, comment=COMMENT, tags=[TAG])


def assert_nothing_ran(page):
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # let any onerror/onload fire
    assert page.evaluate("window.__pwned === undefined")
    assert page.evaluate("parent.__pwned === undefined")


def test_agent_room_page_shows_hostile_text_without_running_it(page, sign_in, agent, hostile_room):
    sign_in(agent, reverse("room", args=[hostile_room.pk]))

    expect(page.locator("#messages")).to_contain_text("<script>window.__pwned=1</script>")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Eve")
    assert_nothing_ran(page)


def test_contact_center_pages_never_run_hostile_text(page, sign_in, agent, hostile_room):
    sign_in(agent, reverse("contact-center"))
    assert_nothing_ran(page)

    page.goto(reverse("contact-center-contact", args=[hostile_room.contact_id]))
    expect(page.locator("body")).to_contain_text("Eve")
    assert_nothing_ran(page)

    page.goto(reverse("contact-center-chat", args=[hostile_room.pk]))
    expect(page.locator("body")).to_contain_text(COMMENT)
    assert_nothing_ran(page)


def test_supervisor_console_never_runs_hostile_text(page, sign_in, supervisor, hostile_room):
    sign_in(supervisor, reverse("admin:rooms_room_changelist"))
    assert_nothing_ran(page)

    page.goto(reverse("admin:rooms_room_change", args=[hostile_room.pk]))
    expect(page.locator("body")).to_contain_text("window.__pwned=1")
    assert_nothing_ran(page)
