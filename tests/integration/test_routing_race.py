"""Automatic routing under concurrency, each thread on its own PostgreSQL connection: chats
arriving at once and agents coming online at once. No agent ever serves more than their
maximum, no chat is given twice, and nobody eligible is left idle while chats wait."""

import logging
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection

from accounts.models import User
from accounts.services import set_status
from directory.models import Channel
from directory.services import get_or_create_contact
from omnichannel.models import Event
from queues.models import DepartmentRouting
from queues.services import configure_routing
from rooms.models import Room
from rooms.services import receive_contact_message
from tests.factories import AgentFactory, make_manager

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# The pool holds 10 connections and the test's own thread keeps one.
THREADS = 8


def run_together(jobs: list[Callable[[], None]]) -> list[str]:
    """Run the jobs in threads released at once; the errors they raised."""
    barrier = threading.Barrier(len(jobs))
    failures: list[str] = []
    lock = threading.Lock()

    def run(job):
        try:
            barrier.wait(timeout=10)
            job()
        except Exception as error:
            with lock:
                failures.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return failures


def arrivals(department, names: list[str]) -> Callable[[], None]:
    def write() -> None:
        for name in names:
            contact, _ = get_or_create_contact(channel=Channel.LIVECHAT, external_id=name)
            receive_contact_message(
                contact=contact, channel=Channel.LIVECHAT, department=department, text="Hi"
            )

    return write


def agents(department, count: int, *, max_chats: int, status=User.Status.ONLINE) -> list[User]:
    return [
        AgentFactory(
            departments=[department], queue_enabled=True, max_chats=max_chats, status=status
        )
        for _ in range(count)
    ]


def check_invariants(team: list[User]) -> Counter:
    """No agent over their maximum; every taken chat given exactly once. The load per agent."""
    load = Counter(Room.objects.filter(status=Room.Status.TAKEN).values_list("agent_id", flat=True))
    for member in team:
        assert load[member.pk] <= member.max_chats, f"{member} serves {load[member.pk]}"
    given = Counter(Event.objects.filter(name="room.taken").values_list("room_id", flat=True))
    assert given and max(given.values()) == 1
    routed = Counter(
        Room.objects.filter(messages__system_code="routed").values_list("pk", flat=True)
    )
    assert max(routed.values()) == 1
    assert set(given) == set(
        Room.objects.filter(status=Room.Status.TAKEN).values_list("pk", flat=True)
    )
    return load


@pytest.fixture
def routed(department):
    def configure(policy):
        configure_routing(make_manager(username=f"boss-{policy}"), department, policy=policy)

    return configure


@pytest.fixture
def subscriber_errors(caplog):
    """Routing runs after commit, where a failure is logged, not raised: collect them."""
    caplog.set_level(logging.ERROR, logger="omnichannel.events")
    return lambda: [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("policy", [DepartmentRouting.Policy.LOAD_BALANCING, "auto"])
def test_concurrent_arrivals_never_overfill_an_agent(department, routed, subscriber_errors, policy):
    routed(policy)
    team = agents(department, 6, max_chats=3)
    jobs = [arrivals(department, [f"c{t}-{i}" for i in range(5)]) for t in range(THREADS)]

    failures = run_together(jobs)

    assert failures == []
    assert subscriber_errors() == []
    load = check_invariants(team)
    # 40 chats for 18 places: every place is filled, the rest wait.
    assert [load[member.pk] for member in team] == [3] * 6
    assert Room.objects.filter(status=Room.Status.QUEUED).count() == 40 - 18


def test_agents_coming_online_at_once_share_the_waiting_chats(
    department, routed, subscriber_errors
):
    team = agents(department, THREADS, max_chats=3, status=User.Status.OFFLINE)
    arrivals(department, [f"w{i}" for i in range(30)])()
    routed(DepartmentRouting.Policy.LOAD_BALANCING)
    jobs = [lambda member=member: set_status(member, status="online") for member in team]

    failures = run_together(jobs)

    assert failures == []
    assert subscriber_errors() == []
    load = check_invariants(team)
    # 30 chats for 24 places: every agent is full and 6 chats still wait.
    assert [load[member.pk] for member in team] == [3] * THREADS
    assert Room.objects.filter(status=Room.Status.QUEUED).count() == 6


def test_arrivals_and_agents_coming_online_at_once(department, routed, subscriber_errors):
    team = agents(department, THREADS // 2, max_chats=2, status=User.Status.OFFLINE)
    routed(DepartmentRouting.Policy.LOAD_ROTATION)
    jobs = [arrivals(department, [f"m{t}-{i}" for i in range(4)]) for t in range(THREADS // 2)]
    jobs += [lambda member=member: set_status(member, status="online") for member in team]

    failures = run_together(jobs)

    assert failures == []
    assert subscriber_errors() == []
    load = check_invariants(team)
    # 16 chats for 8 places.
    assert sum(load.values()) == 8
    assert Room.objects.filter(status=Room.Status.QUEUED).count() == 8
