"""Team chat personas: alex and blair (agents of Support), olly (Sales), and their rooms."""

import pytest

from teamchat import services


@pytest.fixture
def channel(agent, other_agent):
    """A public channel alex owns and blair is in."""
    return services.create_chat(agent, name="general", members=[other_agent])


@pytest.fixture
def group(agent, other_agent):
    """A private group alex owns and blair is in; olly is outside."""
    return services.create_chat(agent, name="secret-plans", private=True, members=[other_agent])


@pytest.fixture
def direct(agent, other_agent):
    return services.open_direct(agent, users=[other_agent])


@pytest.fixture
def private_team(agent, other_agent):
    return services.create_team(agent, name="night-shift", private=True, members=[other_agent])


@pytest.fixture
def client_of(client):
    """A test client signed in as the given user."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
