import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_signs_in_from_the_login_page_and_sees_home(page, sign_in, agent):
    sign_in(agent)

    expect(page.get_by_role("heading", name=f"Welcome, {agent.display_name}")).to_be_visible()


def test_wrong_password_in_the_browser_shows_the_error(page, agent):
    page.goto("/login/")
    page.get_by_label("User name").fill(agent.username)
    page.get_by_label("Password").fill("definitely-wrong")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("alert")).to_contain_text("Wrong user name or password")


def test_agent_toggles_the_queue_off_and_on(page, sign_in, agent):
    sign_in(agent)

    page.get_by_role("switch", name="Queue enabled").click()
    expect(page.get_by_role("switch", name="Queue disabled")).to_be_visible()
    page.get_by_role("switch", name="Queue disabled").click()

    expect(page.get_by_role("switch", name="Queue enabled")).to_be_visible()
    agent.refresh_from_db()
    assert agent.queue_enabled is True
