"""Fixtures of the webhook and API channel tests: a receiver, a task backend that only
records, and running the recorded tasks on command."""

import pytest
from django.core.cache import cache

from tests.webhooks.receiver import start_receiver


@pytest.fixture(autouse=True)
def _recorded_tasks(settings):
    """Tasks are recorded, not run, so a test runs them when it chooses (retries included)."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    cache.clear()


@pytest.fixture
def receiver():
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def tasks():
    """The recorded tasks: `tasks.run()` runs each one due (run_after passed or none) once."""
    from django.tasks import default_task_backend

    class Tasks:
        @property
        def pending(self) -> list:
            return list(default_task_backend.results)

        def run(self) -> int:
            due = list(default_task_backend.results)
            default_task_backend.results.clear()
            for result in due:
                result.task.call(*result.args, **result.kwargs)
            return len(due)

    return Tasks()


@pytest.fixture
def api_as():
    from tests.api.conftest import client_with_token

    return client_with_token
