"""One agent presses Take it! on many chats at once, each press on its own PostgreSQL
connection: they end up serving exactly their maximum, never more."""

import threading

import pytest
from django.db import connection

from accounts.models import User
from queues.errors import MaxChatsReached
from queues.services import take_room
from rooms.models import Room
from tests.factories import AgentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# The pool holds 10 connections and the test's own thread keeps one.
ROOMS = 6
MAX_CHATS = 2
ROUNDS = 3


def take_all_at_once(agent: User, rooms: list[Room]) -> tuple[list[int], int, list[str]]:
    """Threads released together, one take each: the rooms won, the refusals at the maximum,
    and any other error."""
    barrier = threading.Barrier(len(rooms))
    won: list[int] = []
    refused: list[int] = []
    failures: list[str] = []
    lock = threading.Lock()

    def attempt(room: Room) -> None:
        try:
            barrier.wait(timeout=10)
            take_room(agent, room)
            with lock:
                won.append(room.pk)
        except MaxChatsReached:
            with lock:
                refused.append(room.pk)
        except Exception as error:
            with lock:
                failures.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(room,)) for room in rooms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return won, len(refused), failures


def test_concurrent_takes_by_one_agent_stop_at_their_maximum(department, write_as_contact):
    for round_number in range(ROUNDS):
        agent = AgentFactory(departments=[department], queue_enabled=True, max_chats=MAX_CHATS)
        rooms = [write_as_contact(visitor=f"round-{round_number}-{n}").room for n in range(ROOMS)]

        won, refused, failures = take_all_at_once(agent, rooms)

        assert failures == []
        assert (len(won), refused) == (MAX_CHATS, ROOMS - MAX_CHATS)
        served = Room.objects.filter(agent=agent, status=Room.Status.TAKEN)
        assert sorted(served.values_list("pk", flat=True)) == sorted(won)
        waiting = Room.objects.filter(pk__in=[r.pk for r in rooms], status=Room.Status.QUEUED)
        assert waiting.count() == ROOMS - MAX_CHATS
