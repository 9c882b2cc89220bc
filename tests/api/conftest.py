"""Clients of the REST API for each persona, and rooms in the states the API acts on."""

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from tests.factories import AgentFactory


@pytest.fixture(autouse=True)
def _api_defaults(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    # Throttle counters live in the cache; every test starts with none.
    cache.clear()


def client_with_token(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api_as():
    """`api_as(user)`: a client that signs in with the user's token (None: anonymous)."""
    return client_with_token


@pytest.fixture
def deactivated_agent(department):
    """An agent whose token was issued before they were deactivated."""
    user = AgentFactory(username="gone", departments=[department], queue_enabled=True)
    Token.objects.get_or_create(user=user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.refresh_from_db()
    return user


@pytest.fixture
def personas(agent, outsider_agent, supervisor, plain_user, deactivated_agent):
    return {
        "anonymous": None,
        "deactivated": deactivated_agent,
        "plain_user": plain_user,
        "outsider_agent": outsider_agent,
        "agent": agent,
        "manager": supervisor,
    }
