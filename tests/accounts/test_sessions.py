"""Sessions (accounts.sessions): Django's database sessions, read with a compiled statement."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone


@pytest.mark.django_db
def test_a_signed_in_agent_stays_signed_in_on_the_next_page(client, agent):
    client.force_login(agent)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert response.context["user"] == agent


@pytest.mark.django_db
def test_an_expired_session_sends_the_agent_to_sign_in(client, agent):
    client.force_login(agent)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_a_session_that_is_gone_sends_the_agent_to_sign_in(client, agent):
    client.force_login(agent)
    Session.objects.all().delete()

    response = client.get(reverse("home"))

    assert response.status_code == 302
