"""Departments with a routing policy and an SLA, and API clients for the queue's actions."""

import pytest
from django.core.cache import cache

from queues.models import DepartmentRouting
from queues.services import configure_routing, save_sla_policy
from tests.factories import make_manager


@pytest.fixture
def admin_of_routing(db):
    """A LiveChat Manager of every department, who configures routing and SLA policies."""
    return make_manager(username="routing-boss")


@pytest.fixture
def route(admin_of_routing):
    """`route(department, policy, **options)`: give the department a routing policy."""

    def configure(department, policy=DepartmentRouting.Policy.AUTO, **options):
        return configure_routing(admin_of_routing, department, policy=policy, **options)

    return configure


@pytest.fixture
def sla_policy(admin_of_routing):
    """First response due 10 minutes after arrival; near due from 8 minutes."""
    return save_sla_policy(
        admin_of_routing, None, name="Standard", first_response_minutes=10, warning_minutes=2
    )


@pytest.fixture
def api_as():
    from tests.api.conftest import client_with_token

    cache.clear()
    return client_with_token


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run what waits for the commit (events, routing) inside a test's transaction."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
