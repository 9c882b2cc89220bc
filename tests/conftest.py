"""Named personas and the rules for tests that need PostgreSQL, Redis or a browser."""

import itertools
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.utils import translation

from tests.factories import PASSWORD, AgentFactory, DepartmentFactory, UserFactory, make_manager


def _uses_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_collection_modifyitems(config, items):
    """Skip PostgreSQL/Redis tests on the embedded defaults.

    CI runs the suite a second time with DATABASE_URL and REDIS_URL set; there a service that
    does not answer fails the run (database creation or the layer's connection raises).
    """
    missing = {
        "postgres": None if _uses_postgres() else "needs DATABASE_URL pointing at PostgreSQL",
        "redis": None if settings.REDIS_URL else "needs REDIS_URL pointing at Redis",
    }
    for item in items:
        for marker, reason in missing.items():
            if reason and item.get_closest_marker(marker):
                item.add_marker(pytest.mark.skip(reason=reason))


_throttle_hours = itertools.count(1)


@pytest.fixture(autouse=True)
def _throttle_window_of_its_own(monkeypatch):
    """The throttles count in fixed windows (omnichannel/throttle.py). On the real clock a test
    that crossed a minute's end started a fresh count halfway through and was let through (seen
    in CI), and tests in the same minute shared counters. Each test's throttle clock stands one
    second into an hour of its own, where every window (second, minute, hour) begins."""
    from omnichannel import throttle

    now = 3600 * next(_throttle_hours) + 1
    monkeypatch.setattr(throttle, "time", SimpleNamespace(time=lambda: now))


@pytest.fixture(autouse=True)
def _fresh_webhook_subscriptions():
    """The webhook subscriptions a process keeps do not outlive the test (rolled back) that
    created them."""
    from integrations.webhooks.services import forget_subscriptions

    forget_subscriptions()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _installation_language():
    """Each test starts in the installation's language: a request served in Spanish leaves
    Spanish active in its thread (LocaleMiddleware does not switch back)."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Files that contacts send land in the test's own folder."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def department(db):
    return DepartmentFactory(name="Support", slug="support")


@pytest.fixture
def other_department(db):
    return DepartmentFactory(name="Sales", slug="sales")


@pytest.fixture
def agent(department):
    """A LiveChat Agent in Support with the queue on."""
    return AgentFactory(username="alex", departments=[department], queue_enabled=True)


@pytest.fixture
def other_agent(department):
    return AgentFactory(username="blair", departments=[department], queue_enabled=True)


@pytest.fixture
def outsider_agent(other_department):
    """An agent of another department."""
    return AgentFactory(username="olly", departments=[other_department], queue_enabled=True)


@pytest.fixture
def agent_without_department(db):
    return AgentFactory(username="newcomer")


@pytest.fixture
def plain_user(db):
    """A user with no role at all."""
    return UserFactory(username="visitor-account")


@pytest.fixture
def supervisor(department):
    return make_manager(username="sam", departments=[department])


@pytest.fixture
def write_as_contact(department):
    """Have a contact write on the website chat; returns the stored message."""
    from directory.models import Channel
    from directory.services import get_or_create_contact
    from rooms.services import receive_contact_message

    def write(text="Hello, I need help", *, visitor="visitor-1", name="", to=None, **kwargs):
        contact, _ = get_or_create_contact(
            channel=Channel.LIVECHAT, external_id=f"token-{visitor}", name=name
        )
        return receive_contact_message(
            contact=contact,
            channel=Channel.LIVECHAT,
            department=to or department,
            text=text,
            **kwargs,
        )

    return write


@pytest.fixture
def queued_room(write_as_contact):
    return write_as_contact().room


@pytest.fixture
def taken_room(queued_room, agent):
    from queues.services import take_room

    return take_room(agent, queued_room)


@pytest.fixture(scope="session", autouse=True)
def _close_connection_pool(django_db_setup, django_db_blocker):
    """Return the pool's connections (threads of race tests leave some) before the test
    database is dropped."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            # Server processes and worker threads may still be hanging up; end their sessions
            # so the test database can be dropped.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        if hasattr(connection, "close_pool"):
            connection.close_pool()
