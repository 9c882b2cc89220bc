"""Many agents press Take it! on one chat at once, each on its own PostgreSQL connection."""

import threading

import pytest
from django.db import connection

from queues.errors import RoomAlreadyTaken
from queues.services import take_room
from rooms.models import Room
from tests.factories import AgentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RACERS = 12
ROUNDS = 5


def race_once(room: Room, agents: list) -> tuple[list[int], list[str]]:
    barrier = threading.Barrier(len(agents))
    winners: list[int] = []
    failures: list[str] = []
    lock = threading.Lock()

    def attempt(agent):
        try:
            barrier.wait(timeout=10)
            take_room(agent, room)
            with lock:
                winners.append(agent.pk)
        except RoomAlreadyTaken:
            pass
        except Exception as error:
            with lock:
                failures.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return winners, failures


def test_exactly_one_of_many_concurrent_takers_wins(department, write_as_contact):
    agents = [AgentFactory(departments=[department], queue_enabled=True) for _ in range(RACERS)]
    for round_number in range(ROUNDS):
        room = write_as_contact(visitor=f"racer-{round_number}").room

        winners, failures = race_once(room, agents)

        assert failures == []
        assert len(winners) == 1
        room.refresh_from_db()
        assert room.agent_id == winners[0]
        assert room.messages.filter(system_code="taken").count() == 1
