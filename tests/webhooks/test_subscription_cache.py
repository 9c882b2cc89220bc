"""Fan-out reads the enabled subscriptions from the process's copy, and reads them again after
any change, made here or announced by another process."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.webhooks import services
from integrations.webhooks.models import Delivery, Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def subscribe(receiver, **fields) -> Subscription:
    return services.create_subscription(
        None, url=receiver.url, events=["message.created"], secret="s" * 32, **fields
    )


def subscription_reads(queries) -> int:
    return sum(
        1
        for query in queries
        if 'FROM "webhooks_subscription"' in query["sql"] and "UPDATE" not in query["sql"]
    )


def write(write_as_contact, commit, text: str = "Hello") -> None:
    with commit():
        write_as_contact(text)


def delivered_to(subscription: Subscription) -> int:
    return Delivery.objects.filter(subscription=subscription).count()


def test_fan_out_reads_the_subscriptions_once_for_many_events(receiver, write_as_contact, commit):
    subscribe(receiver)
    write(write_as_contact, commit, "first")

    with CaptureQueriesContext(connection) as queries:
        for n in range(3):
            write(write_as_contact, commit, f"more {n}")

    assert subscription_reads(queries.captured_queries) == 0


def test_new_subscription_gets_the_next_event(receiver, write_as_contact, commit):
    first = subscribe(receiver)
    write(write_as_contact, commit, "before")

    second = subscribe(receiver)
    write(write_as_contact, commit, "after")

    assert delivered_to(first) == 2
    assert delivered_to(second) == 1


def test_disabled_subscription_gets_nothing_more(receiver, write_as_contact, commit):
    subscription = subscribe(receiver)
    write(write_as_contact, commit, "before")

    services.update_subscription(None, subscription, enabled=False)
    write(write_as_contact, commit, "after")

    assert delivered_to(subscription) == 1


def test_deleted_subscription_is_forgotten(receiver, write_as_contact, commit):
    kept = subscribe(receiver)
    gone = subscribe(receiver)
    write(write_as_contact, commit, "before")

    services.delete_subscription(None, gone)
    write(write_as_contact, commit, "after")

    assert delivered_to(kept) == 2
    assert not Subscription.objects.filter(pk=gone.pk).exists()


def test_subscription_saved_outside_the_services_is_seen(receiver, write_as_contact, commit):
    subscription = subscribe(receiver)
    write(write_as_contact, commit, "before")

    subscription.events = ["room.closed"]
    subscription.save()
    write(write_as_contact, commit, "after")

    assert delivered_to(subscription) == 1


def test_change_announced_by_another_process_is_seen(receiver, write_as_contact, commit):
    subscription = subscribe(receiver)
    write(write_as_contact, commit, "before")

    # Another process changed the row and moved the shared version; this one sent no signal.
    Subscription.objects.filter(pk=subscription.pk).update(enabled=False)
    cache.set(services.SUBSCRIPTIONS_VERSION_KEY, "moved-by-another-process", timeout=None)
    write(write_as_contact, commit, "after")

    assert delivered_to(subscription) == 1


def test_fan_out_reads_the_database_while_the_cache_is_down(
    receiver, write_as_contact, commit, monkeypatch
):
    subscription = subscribe(receiver)
    monkeypatch.setattr(services, "_cache_down_until", 0.0)

    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(services.cache, "get", down)
    write(write_as_contact, commit, "during the outage")

    assert delivered_to(subscription) == 1
