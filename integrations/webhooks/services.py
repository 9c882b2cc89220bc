"""The only writers of webhook subscriptions, deliveries and attempts.

Fan-out runs after the event's transaction committed (an `omnichannel.events` subscriber): it
inserts one delivery per (subscription, event), so a repeated dispatch is a no-op, and its task
in the same transaction (tasks live in the database), so no delivery is left without one. A send
is one attempt, claimed for a lease; a failed one is retried with exponential back-off until the
retry window ends; a subscription that failed for a whole window is disabled. The sweeper queues
again a delivery whose task was lost anyway (a worker killed mid-send, a queue emptied by hand).

The enabled subscriptions are kept per process and read again when a shared version counter
moves (bumped after every committed change), so fan-out does not query them for every event.
"""

import logging
import secrets
import threading
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
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
from omnichannel.events import dispatch_cache
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
            subscriptions_changed()
        subscription.refresh_from_db()
    return subscription


def delete_subscription(by: User | None, subscription: Subscription) -> None:
    _check_manager(by)
    with transaction.atomic():
        Subscription.objects.filter(pk=subscription.pk).delete()


# --- the enabled subscriptions, kept per process --------------------------------------------------

SUBSCRIPTIONS_VERSION_KEY = "webhooks:subscriptions:version"
# A backstop for a cache that other processes do not share (local memory in development).
SUBSCRIPTIONS_MAX_AGE_SECONDS = 60.0

_kept_lock = threading.Lock()
_kept: dict = {"version": None, "at": 0.0, "subscriptions": None}


# After the cache failed, fan-out reads the database for this long without trying it again
# (each try waits for the cache's connect timeout).
CACHE_RETRY_SECONDS = 10.0
_cache_down_until = 0.0


def _shared_version() -> str | None:
    """The version counter every process sees; None when the cache cannot be read."""
    global _cache_down_until
    if time.monotonic() < _cache_down_until:
        return None
    try:
        version = cache.get(SUBSCRIPTIONS_VERSION_KEY)
        if version is None:
            cache.add(SUBSCRIPTIONS_VERSION_KEY, secrets.token_hex(8), timeout=None)
            version = cache.get(SUBSCRIPTIONS_VERSION_KEY)
    except Exception:  # The cache (Redis) is down: read the database instead.
        _cache_down_until = time.monotonic() + CACHE_RETRY_SECONDS
        logger.warning("Webhook subscriptions read without the cache", exc_info=True)
        return None
    return version


def _bump_version() -> None:
    forget_subscriptions()
    try:
        cache.set(SUBSCRIPTIONS_VERSION_KEY, secrets.token_hex(8), timeout=None)
    except Exception:  # Others catch up within SUBSCRIPTIONS_MAX_AGE_SECONDS.
        logger.warning("Could not announce a webhook subscription change", exc_info=True)


def subscriptions_changed() -> None:
    """Every process reads the subscriptions again: now, and once more after the current
    transaction commits (a process that read them in between read the old rows)."""
    _bump_version()
    transaction.on_commit(_bump_version, robust=True)


def forget_subscriptions() -> None:
    """Drop this process's copy (the next fan-out reads the database)."""
    with _kept_lock:
        _kept.update(version=None, at=0.0, subscriptions=None)


def enabled_subscriptions() -> list[Subscription]:
    """The enabled subscriptions, from this process's copy while it is current."""
    version = _shared_version()
    now = time.monotonic()
    with _kept_lock:
        if (
            version is not None
            and _kept["subscriptions"] is not None
            and _kept["version"] == version
            and now - _kept["at"] < SUBSCRIPTIONS_MAX_AGE_SECONDS
        ):
            return _kept["subscriptions"]
    subscriptions = list(Subscription.objects.filter(enabled=True))
    if version is not None:
        with _kept_lock:
            _kept.update(version=version, at=now, subscriptions=subscriptions)
    return subscriptions


# --- fan-out ------------------------------------------------------------------------------------


def fan_out(event: Event) -> list[Delivery]:
    """Insert the event's deliveries (one per interested subscription), each with its task.

    Unique per (subscription, event): a second dispatch of the same event inserts nothing.
    """
    if event.name not in WEBHOOK_EVENT_NAMES:
        return []
    # Looked up once for the events dispatched together (the shared version is a cache read).
    shared = dispatch_cache(event)
    if "webhook_subscriptions" not in shared:
        shared["webhook_subscriptions"] = enabled_subscriptions()
    wanted = [s for s in shared["webhook_subscriptions"] if s.wants(event.name)]
    if not wanted:
        return []
    payload = build_payload(event)
    created = []
    for subscription in wanted:
        try:
            with transaction.atomic():
                delivery = Delivery.objects.create(
                    subscription_id=subscription.pk,
                    event=event,
                    event_name=event.name,
                    payload=payload,
                )
                schedule(delivery.pk)
        except IntegrityError:
            # This event's delivery is there already (a repeated or concurrent dispatch), or
            # the subscription was deleted since this process read it: nothing more to do.
            continue
        created.append(delivery)
    return created


def schedule(delivery_id: int, *, run_after: datetime | None = None) -> None:
    """Enqueue the delivery's next attempt in the current transaction (tasks are rows too):
    the row and its task commit together or not at all."""
    from integrations.webhooks.tasks import send_webhook

    task = send_webhook.using(run_after=run_after) if run_after else send_webhook
    task.enqueue(delivery_id)


def requeue_lost(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Queue again pending deliveries that are overdue and have no task waiting to run.

    Overdue: due (next attempt, or creation) longer ago than the grace period, and not held by
    a live claim. A delivery whose task is queued (workers behind) is left alone, and rows are
    locked while checked, so two sweepers do not queue one delivery twice. Returns how many.
    """
    from integrations.webhooks.tasks import send_webhook

    now = now or timezone.now()
    cutoff = now - transport.lost_task_grace()
    overdue = (
        Delivery.objects.filter(status=DeliveryStatus.PENDING)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - transport.claim_lease()))
        .filter(
            Q(next_attempt_at__lt=cutoff) | Q(next_attempt_at__isnull=True, created_at__lt=cutoff)
        )
        .order_by("pk")
    )
    with transaction.atomic():
        ids = list(
            overdue.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)[
                :limit
            ]
        )
        waiting = transport.ids_with_queued_task(send_webhook, ids)
        lost = [pk for pk in ids if pk not in waiting]
        for delivery_id in lost:
            schedule(delivery_id)
    if lost:
        logger.warning("Queued again %s webhook deliveries whose task was lost", len(lost))
    return len(lost)


def redeliver(by: User | None, delivery: Delivery) -> Delivery:
    """Send a finished delivery again now (a supervisor's "retry" in admin)."""
    _check_manager(by)
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.PENDING,
            next_attempt_at=timezone.now(),
            finished_at=None,
            claimed_at=None,
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
    claimed = (
        Delivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.PENDING, attempt_count=delivery.attempt_count
        )
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - transport.claim_lease()))
        .update(attempt_count=number, next_attempt_at=None, claimed_at=now)
    )
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
        next_attempt_at=next_at, claimed_at=None, last_error=outcome.error
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
        ).update(
            status=DeliveryStatus.FAILED, finished_at=now, claimed_at=None, last_error=reason[:500]
        )
        subscriptions_changed()
    logger.warning("Webhook subscription %s disabled after a day of failures", subscription.pk)


def _finish(delivery: Delivery, status: str, now: datetime, *, error: str = "") -> None:
    Delivery.objects.filter(pk=delivery.pk).update(
        status=status,
        finished_at=now,
        next_attempt_at=None,
        claimed_at=None,
        last_error=error[:2000],
    )
