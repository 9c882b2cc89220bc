"""Domain events: recorded inside a service's transaction, dispatched after it commits.

Subscribers register at start-up (`AppConfig.ready()`); each gets the committed `Event`.
A sweeper (`manage.py dispatch_events`) re-dispatches events whose dispatch never finished.
"""

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from omnichannel.models import Event

logger = logging.getLogger(__name__)

Subscriber = Callable[[Event], None]
_subscribers: list[Subscriber] = []
# Subscribers that act on what happened by causing more (routing assigns a queued chat): they
# run after every other, so publishers and outboxes see an event before its consequences.
_reactors: list[Subscriber] = []


def subscribe(subscriber: Subscriber, *, reacts: bool = False) -> Subscriber:
    chosen = _reactors if reacts else _subscribers
    if subscriber not in chosen:
        chosen.append(subscriber)
    return subscriber


def unsubscribe(subscriber: Subscriber) -> None:
    for chosen in (_subscribers, _reactors):
        if subscriber in chosen:
            chosen.remove(subscriber)


def record(
    name: str,
    *,
    actor: Any = None,
    room: Any = None,
    contact: Any = None,
    data: dict | None = None,
) -> Event:
    """Write an event in the caller's transaction; dispatch it once that transaction commits."""
    event = Event.objects.create(
        name=name,
        actor=actor if getattr(actor, "pk", None) else None,
        room_id=getattr(room, "pk", room),
        contact_id=getattr(contact, "pk", contact),
        data=data or {},
    )
    event_id = event.pk
    transaction.on_commit(lambda: dispatch(event_id), robust=True)
    return event


def dispatch(event_id: int) -> None:
    """Hand one committed event to every subscriber, then mark it dispatched."""
    event = Event.objects.select_related("actor").filter(pk=event_id).first()
    if event is None or event.dispatched_at is not None:
        return
    # Live fragments are rendered once for every reader: in the installation's language and
    # time zone, never in those of whoever caused the event. Tabs of readers with other ones
    # fetch their own rendering (static/js/live.js).
    with translation.override(settings.LANGUAGE_CODE), timezone.override(settings.TIME_ZONE):
        for subscriber in [*_subscribers, *_reactors]:
            try:
                subscriber(event)
            except Exception:
                # One failing subscriber (a Redis hiccup) must not starve the others.
                logger.exception("Event subscriber %r failed for %s", subscriber, event)
    Event.objects.filter(pk=event_id, dispatched_at__isnull=True).update(
        dispatched_at=timezone.now()
    )


def sweep(older_than: timedelta = timedelta(seconds=30)) -> int:
    """Dispatch events left undispatched (a process died between commit and dispatch)."""
    cutoff = timezone.now() - older_than
    pending = Event.objects.filter(dispatched_at__isnull=True, created_at__lte=cutoff)
    event_ids = list(pending.order_by("id").values_list("id", flat=True)[:1000])
    for event_id in event_ids:
        dispatch(event_id)
    return len(event_ids)
