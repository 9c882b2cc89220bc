import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def sign_in(client, username, password, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_agent_signs_in_and_lands_on_home_page(client, agent, password):
    response = sign_in(client, agent.username, password, follow=True)

    assert response.redirect_chain[-1][0] == reverse("home")
    assert f"Welcome, {agent.display_name}" in response.content.decode()


def test_anonymous_visitor_is_sent_to_login_page(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_page_shows_user_name_password_and_log_in_button(client):
    page = client.get(reverse("login")).content.decode()

    assert 'name="username"' in page
    assert 'name="password"' in page
    assert ">Log in</button>" in page


def test_wrong_password_shows_error_and_form_again(client, agent):
    response = sign_in(client, agent.username, "not-the-password")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Wrong user name or password" in page
    assert 'name="password"' in page
    assert "_auth_user_id" not in client.session


def test_unknown_user_gets_the_same_error_as_wrong_password(client):
    response = sign_in(client, "nobody-here", "whatever-password")

    assert "Wrong user name or password" in response.content.decode()


def test_disabled_user_with_right_password_is_told_account_is_disabled(client, agent, password):
    agent.is_active = False
    agent.save()

    response = sign_in(client, agent.username, password)

    assert "This account is disabled" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_disabled_user_with_wrong_password_is_not_told_account_exists(client, agent):
    agent.is_active = False
    agent.save()

    response = sign_in(client, agent.username, "not-the-password")

    assert "disabled" not in response.content.decode()


def test_sign_in_without_csrf_token_is_refused(agent, password):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = sign_in(client, agent.username, password)

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_sign_out_ends_the_session(client, agent):
    client.force_login(agent)

    client.post(reverse("logout"))

    assert client.get(reverse("home")).status_code == 302


def test_session_expires_at_browser_close_and_after_a_shift(settings):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert 0 < settings.SESSION_COOKIE_AGE <= 12 * 60 * 60


def test_repeated_failures_from_one_address_lock_sign_in_and_say_so(
    client, agent, password, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, agent.username, "wrong-password", REMOTE_ADDR="10.9.8.7")

    response = sign_in(client, agent.username, password, REMOTE_ADDR="10.9.8.7")

    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lock_out_does_not_affect_other_addresses(client, agent, password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, agent.username, "wrong-password", REMOTE_ADDR="10.9.8.7")

    response = sign_in(client, agent.username, password, REMOTE_ADDR="10.1.1.1")

    assert response.status_code == 302
