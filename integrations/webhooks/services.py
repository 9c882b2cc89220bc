"""The only writers of webhook subscriptions, deliveries and attempts.

Fan-out runs after the event's transaction committed (an `omnichannel.events` subscriber): it
inserts one delivery per (subscription, event), so a repeated dispatch is a no-op, and
enqueues its send. A send is one attempt; a failed one is retried with exponential back-off
until the retry window ends; a subscription that failed for a whole window is disabled.
"""

import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import is_manager
from integrations.webhooks import transport
from integrations.webhooks.errors import InvalidSubscription
from integrations.webhooks.models import (
    WEBHOOK_EVENT_NAMES,
    Attempt,
    Delivery,
    DeliveryStatus,
    Subscription,
)
from integrations.webhooks.payloads import build_payload
from omnichannel.models import Event

logger = logging.getLogger(__name__)


def retry_window() -> timedelta:
    return timedelta(hours=getattr(settings, "WEBHOOK_RETRY_HOURS", 24))


def _check_manager(by: User | None) -> None:
    if by is not None and not is_manager(by):
        raise InvalidSubscription(_("Only a LiveChat Manager can manage webhooks."))


def _clean_events(events: Iterable[str]) -> list[str]:
    names = list(dict.fromkeys(events))
    unknown = sorted(set(names) - WEBHOOK_EVENT_NAMES)
    if unknown:
        raise InvalidSubscription(_("Unknown events: %(names)s.") % {"names": ", ".join(unknown)})
    if not names:
        raise InvalidSubscription(_("Choose at least one event."))
    return sorted(names)


def create_subscription(
    by: User | None,
    *,
    url: str,
    events: Iterable[str],
    secret: str = "",
    description: str = "",
    enabled: bool = True,
) -> Subscription:
    """A manager (or admin, by=None from the console) subscribes a URL to events.

    A URL that points at the server's own network is refused (server-side request forgery)."""
    _check_manager(by)
    transport.check_target(url)
    names = _clean_events(events)
    with transaction.atomic():
        return Subscription.objects.create(
            url=url,
            events=names,
            secret=secret or secrets.token_urlsafe(32),
            description=description,
            enabled=enabled,
            created_by=by,
        )


def update_subscription(
    by: User | None,
    subscription: Subscription,
    *,
    url: str | None = None,
    events: Iterable[str] | None = None,
    secret: str | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> Subscription:
    """Change a subscription; enabling it again clears its failure flag."""
    _check_manager(by)
    changes: dict = {}
    if url is not None:
        transport.check_target(url)
        changes["url"] = url
    if events is not None:
        changes["events"] = _clean_events(events)
    if secret:
        changes["secret"] = secret
    if description is not None:
        changes["description"] = description
    if enabled is not None:
        changes["enabled"] = enabled
        if enabled:
            changes.update(failing_since=None, disabled_at=None, disabled_reason="")
    if changes:
        with transaction.atomic():
            Subscription.objects.filter(pk=subscription.pk).update(**changes)
        subscription.refresh_from_db()
    return subscription


def delete_subscription(by: User | None, subscription: Subscription) -> None:
    _check_manager(by)
    with transaction.atomic():
        Subscription.objects.filter(pk=subscription.pk).delete()


# --- fan-out ------------------------------------------------------------------------------------


def fan_out(event: Event) -> list[Delivery]:
    """Insert the event's deliveries (one per interested subscription) and enqueue them.

    Unique per (subscription, event): a second dispatch of the same event inserts nothing.
    """
    if event.name not in WEBHOOK_EVENT_NAMES:
        return []
    wanted = [s for s in Subscription.objects.filter(enabled=True) if s.wants(event.name)]
    if not wanted:
        return []
    payload = build_payload(event)
    created = []
    for subscription in wanted:
        try:
            with transaction.atomic():
                delivery, new = Delivery.objects.get_or_create(
                    subscription=subscription,
                    event=event,
                    defaults={"event_name": event.name, "payload": payload},
                )
        except IntegrityError:
            continue  # A concurrent dispatch of the same event inserted it first.
        if new:
            created.append(delivery)
    for delivery in created:
        schedule(delivery.pk)
    return created


def schedule(delivery_id: int, *, run_after: datetime | None = None) -> None:
    """Enqueue the delivery's next attempt once the current transaction commits."""
    from integrations.webhooks.tasks import send_webhook

    def enqueue() -> None:
        task = send_webhook.using(run_after=run_after) if run_after else send_webhook
        task.enqueue(delivery_id)

    transaction.on_commit(enqueue, robust=True)


def redeliver(by: User | None, delivery: Delivery) -> Delivery:
    """Send a finished delivery again now (a supervisor's "retry" in admin)."""
    _check_manager(by)
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), finished_at=None
        )
        schedule(delivery.pk)
    delivery.refresh_from_db()
    return delivery


# --- sending ------------------------------------------------------------------------------------


def attempt_delivery(delivery_id: int, *, now: datetime | None = None) -> datetime | None:
    """Make one attempt; returns when to try again, or None when the delivery is finished.

    The attempt is claimed with one conditional UPDATE on the attempt count, so two workers
    running the same job never send twice.
    """
    now = now or timezone.now()
    delivery = (
        Delivery.objects.select_related("subscription")
        .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
        .first()
    )
    if delivery is None:
        return None
    subscription = delivery.subscription
    if not subscription.enabled:
        _finish(delivery, DeliveryStatus.FAILED, now, error=_("The subscription is disabled."))
        return None
    number = delivery.attempt_count + 1
    claimed = Delivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.PENDING, attempt_count=delivery.attempt_count
    ).update(attempt_count=number, next_attempt_at=None)
    if not claimed:
        return None
    outcome = transport.post_signed(
        subscription.url,
        secret=subscription.secret,
        body=transport.encode(delivery.payload),
        headers={
            transport.EVENT_HEADER: delivery.event_name,
            transport.EVENT_ID_HEADER: str(delivery.event_id),
            transport.DELIVERY_HEADER: str(delivery.pk),
        },
    )
    with transaction.atomic():
        Attempt.objects.create(
            delivery=delivery,
            number=number,
            started_at=now,
            duration_ms=outcome.duration_ms,
            status_code=outcome.status_code,
            succeeded=outcome.succeeded,
            error=outcome.error,
            response_excerpt=outcome.response_excerpt,
        )
        if outcome.succeeded:
            _finish(delivery, DeliveryStatus.SUCCEEDED, now)
            Subscription.objects.filter(pk=subscription.pk).update(
                failing_since=None, last_success_at=now
            )
            return None
        return _after_failure(delivery, subscription, outcome, number, now)


def _after_failure(
    delivery: Delivery,
    subscription: Subscription,
    outcome: transport.Outcome,
    number: int,
    now: datetime,
) -> datetime | None:
    Subscription.objects.filter(pk=subscription.pk).update(last_failure_at=now)
    Subscription.objects.filter(pk=subscription.pk, failing_since__isnull=True).update(
        failing_since=now
    )
    failing_since = (
        Subscription.objects.filter(pk=subscription.pk)
        .values_list("failing_since", flat=True)
        .get()
    )
    window = retry_window()
    if now - failing_since >= window:
        disable_failing(subscription, now=now)
        _finish(delivery, DeliveryStatus.FAILED, now, error=outcome.error)
        return None
    # The last try falls on the window's end, so a target that never answers is disabled then.
    deadline = delivery.created_at + window
    if outcome.permanent or now >= deadline:
        _finish(delivery, DeliveryStatus.FAILED, now, error=outcome.error)
        return None
    next_at = min(now + transport.backoff(number), deadline)
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=next_at, last_error=outcome.error
    )
    schedule(delivery.pk, run_after=next_at)
    return next_at


def disable_failing(subscription: Subscription, *, now: datetime) -> None:
    """Switch off a subscription that failed for a whole retry window, and say why."""
    reason = _("Disabled automatically: every delivery failed for %(hours)s hours.") % {
        "hours": int(retry_window().total_seconds() // 3600)
    }
    with transaction.atomic():
        Subscription.objects.filter(pk=subscription.pk, enabled=True).update(
            enabled=False, disabled_at=now, disabled_reason=reason[:300]
        )
        Delivery.objects.filter(
            Q(subscription=subscription) & Q(status=DeliveryStatus.PENDING)
        ).update(status=DeliveryStatus.FAILED, finished_at=now, last_error=reason[:500])
    logger.warning("Webhook subscription %s disabled after a day of failures", subscription.pk)


def _finish(delivery: Delivery, status: str, now: datetime, *, error: str = "") -> None:
    Delivery.objects.filter(pk=delivery.pk).update(
        status=status, finished_at=now, next_attempt_at=None, last_error=error[:2000]
    )
