"""Playwright driving Debian's Chromium against a live server of the app."""

import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from tests.servers import daphne, database_url_for_servers

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# axe-core from the npm registry (tests/e2e/package.json; `npm ci --prefix tests/e2e`).
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Playwright's sync API keeps an event loop in the test thread; the ORM calls the tests make
# around it are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# Package scope: Playwright's sync API holds an event loop open, which asyncio tests elsewhere
# cannot share, so the browser closes when the browser tests are done.
@pytest.fixture(scope="package")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def wait_for_requests_in_flight(timeout: float = 10.0) -> None:
    """Let the live server finish the requests the closed browser left behind. A request still
    writing when the test's database is flushed deadlocks against the TRUNCATE on PostgreSQL."""
    # The live server serves each connection on a daemon thread of its own, which it does not
    # keep; threading names each after its target.
    request_threads = [
        thread
        for thread in threading.enumerate()
        if thread.name.endswith("(process_request_thread)")
    ]
    deadline = time.monotonic() + timeout
    for thread in request_threads:
        thread.join(max(0.0, deadline - time.monotonic()))


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
    wait_for_requests_in_flight()


@pytest.fixture
def sign_in(page, password):
    def sign_in_as(user, target=None):
        page.goto("/login/")
        page.get_by_label("User name").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        if target:
            page.goto(target)
        return page

    return sign_in_as


@pytest.fixture(scope="session")
def daphne_server(django_db_setup, django_db_blocker):
    """A real Daphne process on the test database: HTTP and websockets, as in production."""
    with django_db_blocker.unblock():
        database_url = database_url_for_servers()
    with daphne(database_url) as url:
        yield url


@pytest.fixture
def new_page(browser, daphne_server):
    """Open a page in a fresh browser context (its own cookies) on the Daphne server."""
    contexts = []

    def open_page():
        context = browser.new_context(base_url=daphne_server)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def a11y_page(browser, live_server):
    """A page that axe-core can be injected into: the app's Content-Security-Policy would refuse
    the injected script, so this context alone bypasses it."""
    if not AXE.exists():
        # CI installs it (.ci/run), so there a missing axe-core is a failure, not a skip.
        (pytest.fail if os.environ.get("CI") else pytest.skip)(
            "axe-core is not installed (npm ci --prefix tests/e2e)"
        )
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
    wait_for_requests_in_flight()


@pytest.fixture
def axe():
    """`axe(page)`: the serious and critical axe-core violations of what the page shows now."""

    def audit(page, selector: str | None = None) -> list[str]:
        if not page.evaluate("() => Boolean(window.axe)"):
            page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            """async (selector) => {
                const found = await axe.run(selector || document, {resultTypes: ["violations"]});
                return found.violations.map((v) => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map((n) => n.target.join(" ")),
                }));
            }""",
            selector,
        )
        return [
            f"{found['id']} ({found['impact']}): {found['help']} at {', '.join(found['nodes'])}"
            for found in result
            if found["impact"] in {"serious", "critical"}
        ]

    return audit
