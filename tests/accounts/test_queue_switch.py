import pytest
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db


def toggle(client, enabled: bool):
    return client.post(reverse("queue-switch"), {"enabled": "on" if enabled else ""}, follow=True)


def test_agent_in_a_department_enables_the_queue(client, agent):
    agent.queue_enabled = False
    agent.save()
    client.force_login(agent)

    response = toggle(client, True)

    agent.refresh_from_db()
    assert agent.queue_enabled is True
    assert "Queue enabled" in response.content.decode()


def test_agent_disables_the_queue(client, agent):
    client.force_login(agent)

    response = toggle(client, False)

    agent.refresh_from_db()
    assert agent.queue_enabled is False
    assert "Queue disabled" in response.content.decode()


def test_agent_without_department_cannot_enable_the_queue_and_is_told_why(
    client, agent_without_department
):
    client.force_login(agent_without_department)

    response = toggle(client, True)

    agent_without_department.refresh_from_db()
    assert agent_without_department.queue_enabled is False
    assert "not assigned to any Omnichannel department" in response.content.decode()


def test_user_without_agent_role_cannot_enable_the_queue_and_is_told_why(client, plain_user):
    client.force_login(plain_user)

    response = toggle(client, True)

    plain_user.refresh_from_db()
    assert plain_user.queue_enabled is False
    assert "Only users with the LiveChat Agent role" in response.content.decode()


def test_queue_switch_needs_post(client, agent):
    client.force_login(agent)

    assert client.get(reverse("queue-switch")).status_code == 405


def test_queue_switch_without_csrf_token_changes_nothing(agent):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)

    response = client.post(reverse("queue-switch"), {"enabled": ""})

    agent.refresh_from_db()
    assert response.status_code == 403
    assert agent.queue_enabled is True


def test_home_page_shows_whether_the_queue_is_enabled(client, agent):
    client.force_login(agent)

    page = client.get(reverse("home")).content.decode()

    assert 'data-counter="queue">Enabled' in page


def test_agent_changes_status_to_away(client, agent):
    client.force_login(agent)

    client.post(reverse("change-status"), {"status": "away"})

    agent.refresh_from_db()
    assert agent.status == User.Status.AWAY


def test_unknown_status_is_refused_with_a_message(client, agent):
    client.force_login(agent)

    response = client.post(reverse("change-status"), {"status": "asleep"}, follow=True)

    agent.refresh_from_db()
    assert agent.status == User.Status.ONLINE
    assert "Choose online, away or offline" in response.content.decode()
