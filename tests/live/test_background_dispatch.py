"""Server processes dispatch committed events from a thread of their own (the setting
EVENTS_DISPATCH_IN_BACKGROUND): what a request committed still reaches every subscriber and
socket, once, in the order it happened."""

import threading
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.db import connection, transaction

from directory.models import Channel
from directory.services import get_or_create_contact
from omnichannel import events
from omnichannel.models import Event
from queues.services import take_room
from rooms.services import IncomingFile, post_agent_message, receive_contact_message
from tests.live.test_consumers import agent_socket, contact_writes, next_of

pytestmark = [pytest.mark.django_db(transaction=True)]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


@pytest.fixture
def background(settings, monkeypatch):
    settings.EVENTS_DISPATCH_IN_BACKGROUND = True
    # The dispatcher thread itself, whatever the channel layer (subscribers here publish none).
    monkeypatch.setattr(events, "layer_is_shared", lambda: True)
    yield
    # Nothing of this test may still be dispatching when its database is emptied.
    assert events.wait_for_dispatch(10)


@pytest.fixture
def seen():
    calls: list[tuple[int, str, str]] = []

    def subscriber(event: Event) -> None:
        calls.append((event.pk, event.name, threading.current_thread().name))

    events.subscribe(subscriber)
    yield calls
    events.unsubscribe(subscriber)


def test_committed_events_are_dispatched_once_in_order_beside_the_committer(background, seen):
    with transaction.atomic():
        first = events.record("room.queued", data={"department": None})
        second = events.record("message.created", data={"message": None})

    assert events.wait_for_dispatch(10)
    assert [(pk, name) for pk, name, _thread in seen] == [
        (first.pk, "room.queued"),
        (second.pk, "message.created"),
    ]
    assert {thread for _pk, _name, thread in seen} == {"event-dispatcher"}
    assert Event.objects.filter(dispatched_at__isnull=True).count() == 0


def test_a_burst_beyond_the_pending_limit_is_dispatched_whole_and_in_order(
    background, seen, monkeypatch
):
    monkeypatch.setattr(events, "MAX_PENDING", 2)
    recorded = []
    for number in range(20):
        with transaction.atomic():
            recorded.append(events.record("room.queued", data={"number": number}).pk)

    assert events.wait_for_dispatch(10)
    assert [pk for pk, _name, _thread in seen] == recorded


def test_rolled_back_events_are_never_dispatched(background, seen):
    with pytest.raises(RuntimeError), transaction.atomic():
        events.record("room.queued", data={})
        raise RuntimeError("the service failed")

    assert events.wait_for_dispatch(10)
    assert seen == []


def test_the_sweeper_still_dispatches_an_event_left_undispatched(background, seen):
    # What a process that died before its dispatcher got to it leaves behind.
    event = Event.objects.create(name="room.queued", data={})

    assert events.sweep(older_than=timedelta(0)) == 1

    assert [pk for pk, _name, _thread in seen] == [event.pk]


# The in-memory layer belongs to the sockets' event loop: background dispatch needs Redis.
@pytest.mark.redis
async def test_reply_reaches_the_watching_agent_when_dispatched_in_background(
    background, agent, department
):
    room = (await sync_to_async(contact_writes)(department)).room
    await sync_to_async(take_room)(agent, room)
    # What happened before the agent looked is told before they look.
    assert await sync_to_async(events.wait_for_dispatch)(10)
    socket = await agent_socket(agent)
    await socket.send_json_to({"type": "watch", "room": room.pk})
    await next_of(socket, "watching")

    await sync_to_async(post_agent_message)(agent, room, text="*On it*")

    frame = await next_of(socket, "message.created", timeout=5)
    assert "<strong>On it</strong>" in frame["html"]
    assert "Average response time" in frame["info_html"]
    await socket.disconnect()


@pytest.mark.redis
async def test_new_chat_reaches_the_queue_when_dispatched_in_background(
    background, agent, department
):
    socket = await agent_socket(agent)

    message = await sync_to_async(contact_writes)(department)

    frame = await next_of(socket, "queue.added", timeout=5)
    assert frame["room"] == message.room_id
    await socket.disconnect()


def test_events_dispatched_together_read_their_room_once(department, monkeypatch):
    from rooms import live

    contact_writes(department, text="First message opens the room")
    batch = list(Event.objects.filter(name__in=["room.queued", "message.created"]))
    assert {event.room_id for event in batch} != {None} and len(batch) == 2
    reads: list[int] = []
    read_room = live._room
    monkeypatch.setattr(live, "_room", lambda room_id: reads.append(room_id) or read_room(room_id))

    events.dispatch_many(batch)

    assert reads == [batch[0].room_id]


def test_a_contact_message_is_published_with_its_files_as_stored_without_reading_it_back(
    department, monkeypatch
):
    from rooms import live

    published: list[dict] = []
    monkeypatch.setattr(live, "publish", lambda groups, envelope: published.append(envelope))
    reads: list[int] = []
    read_message = live._message_with_files
    monkeypatch.setattr(
        live, "_message_with_files", lambda pk: reads.append(pk) or read_message(pk)
    )
    contact, _ = get_or_create_contact(channel=Channel.LIVECHAT, external_id="visitor-with-file")

    message = receive_contact_message(
        contact=contact,
        channel=Channel.LIVECHAT,
        department=department,
        text="Here is the receipt",
        files=[IncomingFile("receipt.png", PNG)],
    )

    created = next(envelope for envelope in published if envelope["type"] == "message.created")
    assert created["message"] == message.pk
    assert "Here is the receipt" in created["html"]
    assert "receipt.png" in created["html"]
    assert reads == []


def dispatch_a_burst(monkeypatch) -> None:
    """Three events dispatched one a batch, the first batch held until the others wait."""
    monkeypatch.setattr(events, "BATCH_SIZE", 1)
    first_batch_started, release = threading.Event(), threading.Event()

    def slow_first(event: Event) -> None:
        Event.objects.filter(pk=event.pk).exists()  # the thread's connection, from the pool
        first_batch_started.set()
        release.wait(5)

    events.subscribe(slow_first)
    try:
        for name in ("burst.one", "burst.two", "burst.three"):
            with transaction.atomic():
                events.record(name)
        assert first_batch_started.wait(5)
        release.set()
        assert events.wait_for_dispatch(10)
    finally:
        events.unsubscribe(slow_first)
    assert Event.objects.filter(dispatched_at__isnull=True).count() == 0


@pytest.mark.postgres
def test_the_dispatcher_keeps_its_pooled_connection_while_events_wait(background, monkeypatch):
    """Taken from the pool again for every batch, it queued behind requests that held the
    pool's connections while waiting for it: under a burst both stalled."""
    Event.objects.exists()  # this thread's own connection is taken before counting
    checkouts_before = connection.pool.get_stats()["requests_num"]

    dispatch_a_burst(monkeypatch)

    assert connection.pool.get_stats()["requests_num"] - checkouts_before == 1


@pytest.mark.postgres
def test_the_dispatcher_gives_its_connection_back_to_the_pool_once_idle(background, monkeypatch):
    dispatch_a_burst(monkeypatch)
    checkouts_before = connection.pool.get_stats()["requests_num"]

    with transaction.atomic():
        events.record("later.one")
    assert events.wait_for_dispatch(10)

    # Idle after the burst, the thread held no connection: the next event took one again.
    assert connection.pool.get_stats()["requests_num"] - checkouts_before == 1
