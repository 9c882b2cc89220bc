"""Domain events: recorded inside a service's transaction, dispatched after it commits.

Subscribers register at start-up (`AppConfig.ready()`); each gets the committed `Event`.
A sweeper (`manage.py dispatch_events`) re-dispatches events whose dispatch never finished.

Where the dispatch runs is a setting. By default (`EVENTS_DISPATCH_IN_BACKGROUND` off) it runs
in the committing thread, right after the commit: what tests, commands and a development server
want. Server processes (Daphne, task workers) on Redis turn it on: a committed event is then
handed to one dispatcher thread of the process, so a request or a task answers as soon as its
transaction committed, and the live renders, publishes and outbox inserts happen beside it, in
batches. The guarantee is unchanged: the row is committed before anyone hears of it, and an
event whose process died before its dispatch finished is left undispatched for the sweeper.
"""

import atexit
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.utils import timezone, translation

from omnichannel.compiled import insert, update_by_pk
from omnichannel.models import Event
from omnichannel.realtime import layer_is_shared

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
    event = insert(
        Event(
            name=name,
            actor=actor if getattr(actor, "pk", None) else None,
            room_id=getattr(room, "pk", room),
            contact_id=getattr(contact, "pk", contact),
            data=data or {},
        )
    )
    # The committed row is exactly this object: dispatch uses it as it is, never reads it back.
    transaction.on_commit(lambda: _committed(event), robust=True)
    return event


def _committed(event: Event) -> None:
    if in_background():
        _dispatcher().put(event)
    else:
        dispatch(event)


def in_background() -> bool:
    """The setting, on a shared channel layer: the in-memory one belongs to the event loop
    that serves the sockets, which a thread of its own cannot reach."""
    return bool(getattr(settings, "EVENTS_DISPATCH_IN_BACKGROUND", False)) and layer_is_shared()


def dispatch(event: Event | int) -> None:
    """Hand one committed event (or the event of this id) to every subscriber, then mark it
    dispatched. An id is read first, and an event already dispatched is left alone."""
    if not isinstance(event, Event):
        event = Event.objects.select_related("actor").filter(pk=event).first()
        if event is None or event.dispatched_at is not None:
            return
    dispatch_many([event])


DISPATCH_CACHE = "_dispatch_cache"
PRELOADED = "_preloaded"


def dispatch_cache(event: Event) -> dict:
    """A dict the subscribers share for the events dispatched together with this one."""
    return event.__dict__.setdefault(DISPATCH_CACHE, {})


def preload(event: Event, kind: str, key: Any, instance: Any) -> None:
    """Hand the event's subscribers an object its transaction holds exactly as it commits (the
    message just stored), so that they need not read it back: at dispatch it is found in
    `dispatch_cache(event)[kind][key]`."""
    event.__dict__.setdefault(PRELOADED, {}).setdefault(kind, {})[key] = instance


def dispatch_many(batch: Iterable[Event]) -> None:
    """Dispatch committed events in order, then mark them all dispatched in one statement."""
    batch = list(batch)
    if not batch:
        return
    # Every event of a batch committed before any is dispatched: what a subscriber reads for
    # one (a room as committed) holds for all, and is read once (see `dispatch_cache`).
    shared: dict = {}
    for event in batch:
        cache = event.__dict__.setdefault(DISPATCH_CACHE, shared)
        for kind, instances in event.__dict__.pop(PRELOADED, {}).items():
            cache.setdefault(kind, {}).update(instances)
    # Live fragments are rendered once for every reader: in the installation's language and
    # time zone, never in those of whoever caused the event. Tabs of readers with other ones
    # fetch their own rendering (static/js/live.js).
    with translation.override(settings.LANGUAGE_CODE), timezone.override(settings.TIME_ZONE):
        for event in batch:
            for subscriber in [*_subscribers, *_reactors]:
                try:
                    subscriber(event)
                except Exception:
                    # One failing subscriber (a Redis hiccup) must not starve the others.
                    logger.exception("Event subscriber %r failed for %s", subscriber, event)
    now = timezone.now()
    update_by_pk(
        Event, [event.pk for event in batch], where_null=("dispatched_at",), dispatched_at=now
    )
    for event in batch:
        event.dispatched_at = event.dispatched_at or now


def sweep(older_than: timedelta = timedelta(seconds=30)) -> int:
    """Dispatch events left undispatched (a process died between commit and dispatch)."""
    cutoff = timezone.now() - older_than
    pending = Event.objects.filter(dispatched_at__isnull=True, created_at__lte=cutoff)
    event_ids = list(pending.order_by("id").values_list("id", flat=True)[:1000])
    for event_id in event_ids:
        dispatch(event_id)
    return len(event_ids)


# --- the dispatcher thread of a server process ----------------------------------------------------

# Events dispatched together: one statement marks them, and a burst never waits on a long tail.
BATCH_SIZE = 50
# How long an exiting process waits for events already committed to be dispatched.
DRAIN_SECONDS = 5.0
# Events waiting for the thread before a committer waits for it: under a longer overload the
# requests slow down with their dispatch instead of the queue (and memory) growing without end.
MAX_PENDING = 2000
BACKPRESSURE_SECONDS = 10.0


class Dispatcher:
    """One thread per process that dispatches committed events in the order they committed.

    Events committed by the thread itself (routing records `room.taken`) join the same queue.
    """

    def __init__(self) -> None:
        self.events: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self.idle = threading.Event()
        self.idle.set()
        self.thread = threading.Thread(target=self._run, name="event-dispatcher", daemon=True)
        self.thread.start()

    def put(self, event: Event) -> None:
        # Never on the thread itself (routing commits events while dispatching): it would wait
        # for its own work.
        if threading.current_thread() is not self.thread:
            deadline = time.monotonic() + BACKPRESSURE_SECONDS
            while self.events.qsize() >= MAX_PENDING and time.monotonic() < deadline:
                time.sleep(0.005)
        self.idle.clear()
        self.events.put(event)

    def _run(self) -> None:
        while True:
            batch = [self.events.get()]
            while len(batch) < BATCH_SIZE:
                try:
                    batch.append(self.events.get_nowait())
                except queue.Empty:
                    break
            try:
                dispatch_many(batch)
            except Exception:
                # The database went away: these stay undispatched, the sweeper retries them.
                logger.exception("Could not dispatch %s event(s)", len(batch))
            finally:
                if self.events.empty():
                    # Idle: the connection goes back to the pool. Closed outright, as a busy
                    # stretch lifted its age limit (see `_keep_sound_connections`).
                    connections.close_all()
                else:
                    _keep_sound_connections()
            if self.events.empty():
                self.idle.set()

    def wait(self, timeout: float) -> bool:
        """Until every event handed over so far is dispatched (or the timeout); True if so."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.idle.wait(max(deadline - time.monotonic(), 0)):
                if self.events.empty():
                    return True
                time.sleep(0.01)  # handed over just as the last batch ended
        return self.events.empty() and self.idle.is_set()


def _keep_sound_connections() -> None:
    """With more events waiting, the thread keeps its database connection for the next batch,
    unless an error left it unusable (then the next batch takes a new one).

    Given back to the pool after each batch, it had to be taken again behind the requests
    queued for the pool, while those requests held the pool's connections waiting for this
    thread (MAX_PENDING): under a burst both stalled until the pool's timeout (bench scaleout:
    requests answered 503, events left to the sweeper).
    """
    for connection in connections.all(initialized_only=True):
        connection.close_at = None  # no age limit for this thread's connection
    close_old_connections()


_lock = threading.Lock()
_instance: Dispatcher | None = None


def _dispatcher() -> Dispatcher:
    global _instance
    with _lock:
        if _instance is None or not _instance.thread.is_alive():
            _instance = Dispatcher()
            atexit.register(_instance.wait, DRAIN_SECONDS)
        return _instance


def wait_for_dispatch(timeout: float = 10.0) -> bool:
    """Wait until this process's dispatcher thread has dispatched what it was handed."""
    return _instance is None or _instance.wait(timeout)
