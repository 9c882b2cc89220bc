"""Outbound webhooks: fan-out after commit, signed bodies, retries, attempts, disabling, SSRF."""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.webhooks import services, transport
from integrations.webhooks.models import Attempt, Delivery, Subscription
from omnichannel import events
from omnichannel.models import Event
from queues.services import take_room

pytestmark = pytest.mark.django_db

SECRET = "webhook-secret-0123456789"


def verify(secret: bytes, headers: dict, body: bytes) -> bool:
    """The README's five-line verification, as a receiver would write it."""
    stamp = headers["X-Omnichannel-Timestamp"]
    mac = hmac.new(secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(stamp)) < 300
    return fresh and hmac.compare_digest("sha256=" + mac, headers["X-Omnichannel-Signature"])


@pytest.fixture
def subscription(receiver):
    return services.create_subscription(
        None,
        url=receiver.url,
        events=["room.queued", "room.taken", "message.created", "contact.created"],
        secret=SECRET,
    )


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run after-commit work (event dispatch, enqueueing) of the block at its end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def waiting(subscription, write_as_contact, commit):
    """A contact wrote: the room is queued and the events' deliveries exist."""
    with commit():
        return write_as_contact().room


def test_event_fans_out_one_delivery_per_subscription(subscription, write_as_contact, commit):
    with commit():
        write_as_contact()

    assert sorted(Delivery.objects.values_list("event_name", flat=True)) == [
        "contact.created",
        "message.created",
        "room.queued",
    ]


def test_events_not_subscribed_to_are_not_sent(subscription, taken_room, agent, commit):
    from rooms.services import close_room

    with commit():
        close_room(agent, taken_room, comment="done")

    assert not Delivery.objects.filter(event_name="room.closed").exists()


def test_disabled_subscription_gets_nothing(subscription, write_as_contact, commit):
    services.update_subscription(None, subscription, enabled=False)

    with commit():
        write_as_contact()

    assert not Delivery.objects.exists()


def test_repeated_dispatch_of_an_event_is_a_no_op(subscription, write_as_contact, commit, tasks):
    with commit():
        room = write_as_contact().room
    event = Event.objects.get(name="room.queued", room_id=room.pk)
    tasks.run()

    Event.objects.filter(pk=event.pk).update(dispatched_at=None)
    events.dispatch(event.pk)
    services.fan_out(event)

    assert Delivery.objects.filter(event=event).count() == 1


def test_delivery_is_signed_and_verifiable(
    subscription, queued_room, agent, receiver, commit, tasks
):
    Delivery.objects.all().delete()
    with commit():
        take_room(agent, queued_room)
    with commit():
        tasks.run()

    sent = receiver.requests[-1]
    assert verify(SECRET.encode(), sent.headers, sent.body)
    body = json.loads(sent.body)
    event = Event.objects.get(name="room.taken")
    assert sent.headers["X-Omnichannel-Event"] == "room.taken"
    assert sent.headers["X-Omnichannel-Event-Id"] == str(event.pk)
    assert body["id"] == event.pk
    assert body["event"] == "room.taken"
    assert body["data"]["room"]["status"] == "taken"
    assert body["data"]["room"]["agent"]["id"] == agent.pk
    assert body["actor"]["id"] == agent.pk


def test_signature_of_a_tampered_body_does_not_verify(waiting, receiver, tasks):
    tasks.run()

    sent = receiver.requests[0]
    assert not verify(SECRET.encode(), sent.headers, sent.body + b" ")


def test_failed_delivery_is_retried_with_exponential_back_off(
    subscription, waiting, receiver, commit, tasks
):
    delivery = Delivery.objects.get(event_name="room.queued")
    receiver.fail_next(3, status=500)
    start = timezone.now()

    waits = []
    for n in range(4):
        at = start + timedelta(minutes=10 * n)
        with commit():
            next_at = services.attempt_delivery(delivery.pk, now=at)
        if next_at:
            waits.append((next_at - at).total_seconds())

    assert waits == [30, 60, 120]
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    attempts = list(delivery.attempts.order_by("number"))
    assert [a.status_code for a in attempts] == [500, 500, 500, 200]
    assert [a.number for a in attempts] == [1, 2, 3, 4]
    assert attempts[0].error == "HTTP 500"
    assert "receiver failed" in attempts[0].response_excerpt


def test_retry_is_enqueued_for_later(subscription, waiting, receiver, commit, tasks):
    receiver.fail_next(10)
    Delivery.objects.exclude(event_name="room.queued").delete()
    before = timezone.now()

    with commit():
        tasks.run()

    (retry,) = tasks.pending
    assert retry.task.run_after >= before + timedelta(seconds=30)
    assert retry.args == [Delivery.objects.get().pk]


def test_timeout_counts_as_a_failure(subscription, waiting, receiver, settings, commit):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.2
    receiver.delay = 0.5
    delivery = Delivery.objects.get(event_name="room.queued")

    with commit():
        next_at = services.attempt_delivery(delivery.pk)

    assert next_at is not None
    assert Attempt.objects.get(delivery=delivery).error == "timed out"


def test_subscription_failing_for_a_day_is_disabled_and_flagged(
    subscription, waiting, receiver, commit
):
    receiver.fail_next(100)
    delivery = Delivery.objects.get(event_name="room.queued")
    start = timezone.now()
    with commit():
        services.attempt_delivery(delivery.pk, now=start)
    with commit():
        services.attempt_delivery(delivery.pk, now=start + timedelta(hours=12))
    subscription.refresh_from_db()
    assert subscription.enabled

    with commit():
        services.attempt_delivery(delivery.pk, now=start + timedelta(hours=24, seconds=1))

    subscription.refresh_from_db()
    assert not subscription.enabled
    assert "24 hours" in subscription.disabled_reason
    assert subscription.disabled_at is not None
    assert not Delivery.objects.filter(subscription=subscription, status="pending").exists()


def test_last_retry_falls_on_the_end_of_the_day(subscription, waiting, receiver, commit):
    receiver.fail_next(100)
    delivery = Delivery.objects.get(event_name="room.queued")
    late = delivery.created_at + timedelta(hours=23, minutes=50)
    Subscription.objects.filter(pk=subscription.pk).update(failing_since=late)
    Delivery.objects.filter(pk=delivery.pk).update(attempt_count=10)  # back-off is an hour now

    with commit():
        next_at = services.attempt_delivery(delivery.pk, now=late)

    assert next_at == delivery.created_at + timedelta(hours=24)


def test_a_success_clears_the_failing_flag(subscription, waiting, receiver, commit):
    receiver.fail_next(1)
    delivery = Delivery.objects.get(event_name="room.queued")
    with commit():
        services.attempt_delivery(delivery.pk)
    subscription.refresh_from_db()
    assert subscription.failing_since is not None

    with commit():
        services.attempt_delivery(delivery.pk)

    subscription.refresh_from_db()
    assert subscription.failing_since is None
    assert subscription.last_success_at is not None


def test_target_on_the_servers_own_network_is_never_contacted(
    subscription, waiting, receiver, settings, commit
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    delivery = Delivery.objects.get(event_name="room.queued")

    with commit():
        next_at = services.attempt_delivery(delivery.pk)

    assert next_at is None
    assert receiver.count == 0
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert Attempt.objects.get(delivery=delivery).error


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "ftp://example.com/hook",
    ],
)
def test_manager_cannot_subscribe_a_private_url(api_as, supervisor, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False

    response = api_as(supervisor).post("/api/v1/webhooks/", {"url": url, "events": ["room.taken"]})

    assert response.status_code == 400
    assert response.json()["code"] in {"target_not_allowed", "invalid"}
    assert not Subscription.objects.exists()


def test_peer_address_is_checked_at_connection_time(settings, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False

    with pytest.raises(transport.TargetRefused):
        transport._session().post(receiver.url, data=b"{}", timeout=2)

    assert receiver.count == 0


def test_manager_creates_a_subscription_and_sees_its_secret_once(api_as, supervisor):
    client = api_as(supervisor)

    created = client.post(
        "/api/v1/webhooks/",
        {"url": "https://hooks.example.com/in", "events": ["room.taken", "room.closed"]},
    )
    shown = client.get(f"/api/v1/webhooks/{created.json()['id']}/")

    assert created.status_code == 201
    assert len(created.json()["secret"]) >= 32
    assert "secret" not in shown.json()


def test_unknown_event_name_is_refused(api_as, supervisor):
    response = api_as(supervisor).post(
        "/api/v1/webhooks/", {"url": "https://hooks.example.com/in", "events": ["room.exploded"]}
    )

    assert response.status_code == 400
    assert "events.0" in response.json()["fields"]


def test_manager_lists_deliveries_with_their_attempts(
    api_as, supervisor, subscription, waiting, receiver, commit, tasks
):
    receiver.fail_next(1)
    with commit():
        tasks.run()

    response = api_as(supervisor).get(f"/api/v1/webhooks/{subscription.pk}/deliveries/")

    results = response.json()["results"]
    assert len(results) == 3
    assert any(d["attempts"] and d["attempts"][0]["status_code"] == 500 for d in results)


def test_admin_shows_subscriptions_and_deliveries_with_attempts(
    client, subscription, waiting, receiver, tasks, commit, django_user_model
):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw-12345678")
    client.force_login(admin)
    receiver.fail_next(1)
    with commit():
        tasks.run()
    failed = Attempt.objects.get(status_code=500).delivery

    listing = client.get(reverse("admin:webhooks_subscription_changelist"))
    detail = client.get(reverse("admin:webhooks_delivery_change", args=[failed.pk]))

    assert listing.status_code == 200
    assert receiver.url in listing.content.decode()
    assert detail.status_code == 200
    assert "HTTP 500" in detail.content.decode()


def test_admin_creates_a_subscription_through_the_service(client, django_user_model, receiver):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw-12345678")
    client.force_login(admin)

    response = client.post(
        reverse("admin:webhooks_subscription_add"),
        {"url": receiver.url, "events": ["room.taken"], "secret": "", "description": "CRM"},
    )

    assert response.status_code == 302
    created = Subscription.objects.get()
    assert created.events == ["room.taken"]
    assert len(created.secret) >= 32
