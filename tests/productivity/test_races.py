"""Concurrency on PostgreSQL: sweepers in several processes, one shortcut saved at once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from omnichannel.models import Event
from productivity.errors import ShortcutTaken
from productivity.models import CannedResponse, InactivityWarning
from productivity.services import (
    create_canned_response,
    save_inactivity_policy,
    sweep_inactive_rooms,
)
from queues.services import take_room
from rooms.models import Message, Room
from rooms.services import post_agent_message

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RACERS = 6


def race(work, count: int = RACERS) -> tuple[list, list[str]]:
    """Run `work()` in `count` threads released together; (results, unexpected errors)."""
    barrier = threading.Barrier(count)
    results: list = []
    failures: list[str] = []
    lock = threading.Lock()

    def attempt():
        try:
            barrier.wait(timeout=10)
            outcome = work()
            with lock:
                results.append(outcome)
        except ShortcutTaken as error:
            with lock:
                results.append(error)
        except Exception as error:
            with lock:
                failures.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results, failures


def test_concurrent_sweepers_warn_once_and_close_once(
    manager, department, agent, write_as_contact, monkeypatch
):
    save_inactivity_policy(
        manager, department, timeout_minutes=30, warning_minutes=5, closing_comment="Idle"
    )
    rooms = []
    for number in range(4):
        room = take_room(agent, write_as_contact("Hi", visitor=f"v{number}").room)
        post_agent_message(agent, room, text="Anything else?")
        rooms.append(room)
    start = timezone.now()

    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(minutes=25))
    warned, failures = race(sweep_inactive_rooms)
    assert failures == []
    assert sum(w for w, _c in warned) == len(rooms)

    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(minutes=31))
    closed, failures = race(sweep_inactive_rooms)
    assert failures == []
    assert sum(c for _w, c in closed) == len(rooms)

    assert InactivityWarning.objects.count() == len(rooms)
    assert Message.objects.filter(system_code="inactivity_warning").count() == len(rooms)
    assert Message.objects.filter(system_code="closed_automatically").count() == len(rooms)
    assert Event.objects.filter(name="room.closed").count() == len(rooms)
    assert not Room.objects.exclude(status=Room.Status.CLOSED).exists()


def test_one_shortcut_saved_at_once_is_kept_once(agent):
    def save():
        return create_canned_response(
            agent, scope=CannedResponse.Scope.PERSONAL, shortcut="hello", text="Hi"
        )

    results, failures = race(save)

    assert failures == []
    assert len([r for r in results if isinstance(r, CannedResponse)]) == 1
    assert len([r for r in results if isinstance(r, ShortcutTaken)]) == RACERS - 1
    assert CannedResponse.objects.count() == 1
