"""Contested take: 50 agents race for 1,000 queued chats, 10,000 Take it! attempts (service, HTTP).

On PostgreSQL and Redis (a database of their own, rebuilt each run). Each agent has the LiveChat
Agent role, the queue on and a maximum of --max-chats simultaneous chats, set by a manager
through `update_agent` (100 by default, the most the REST API accepts: an agent wins 10 to 30
chats a row, so the maximum is checked under the agent's lock on every attempt but refuses
none; a small value such as --max-chats 10 races the maximum too). Rooms are website chats
queued in a department served manually, opened through `receive_contact_message`.

The contest: --attempts / --rooms contenders per room (10); the agents are dealt out in waves,
each wave a few rooms with that many agents on each (5 rooms x 10 agents for 50 agents, fewer
with --rooms-at-once), every agent of a wave pressing Take it! at the same moment (a barrier per
wave), new partners each wave (--seed). No agent tries a room twice. Rows, in one run:

* `floor: write`: the same 50 threads, one INSERT (autocommit) each per wave: the least a
  committed write costs at that concurrency on this machine now;
* `take, service`: 50 threads in this process, each its own database connection, calling
  `queues.services.take_room` (what Take it! calls), 1,000 rooms, 10,000 attempts;
* `floor: ingest`: one Daphne process (bench/stack.py), 50 connections posting
  /bench/floor/ingest/ at once per wave;
* `take, HTTP`: 50 more agents with signed-in sessions, each on its own keep-alive connection,
  posting the Take it! form (`POST /rooms/<id>/take/`, CSRF token) to that Daphne, 1,000 other
  rooms, 10,000 attempts; the latency is the POST's (the redirect the browser follows next is
  not in it). An answer is a win when it redirects without a message, a lost race when it
  redirects with one (the "... took this chat first" cookie), an error otherwise.

Latency per attempt from its start to the service's return (the answer), winners, lost races,
refusals at the maximum, errors. After each row the database is checked for its rooms:

    two agents      rooms that more than one agent was given (room.taken events, the room's
                    agent, and the answers that said "yours")
    two "taken"     rooms with more than one "took the chat" system message
    double_assigned rooms with either (target: 0)
    lost            answers the database contradicts: a win it does not show, or a room it
                    gives an agent who was told they lost (target: 0)
    over_maximum    agents serving more active chats than their maximum (target: 0)

--warmup-waves waves come first (their rooms are checked, their attempts not counted). The
events each take records are dispatched in the background, in this process as in Daphne
(EVENTS_DISPATCH_IN_BACKGROUND, as the stack sets it).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_take \\
    BENCH_REDIS_URL=redis://127.0.0.1:6379/11 .venv/bin/python -m bench take_race \\
        [--agents 50] [--rooms 1000] [--attempts 10000] [--max-chats 100] [--profile]

The exit status is 1 when a room was given twice, an answer was contradicted, an agent went
over their maximum, or a target failed.
"""

import argparse
import asyncio
import os
import random
import secrets
import signal
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench import fixtures, loadgen, profiling, stack, support

if TYPE_CHECKING:  # Django is set up only once the bench database exists
    from accounts.models import Department, User

WON = "won"
LOST_RACE = "lost race"
AT_MAXIMUM = "at maximum"
ANSWERED = (WON, LOST_RACE, AT_MAXIMUM)
BARRIER_SECONDS = 120
MANAGER = "bench-take-manager"


@dataclass
class Attempt:
    wave: int
    agent: int  # index into the row's agents
    room: int
    outcome: str  # WON, LOST_RACE, AT_MAXIMUM or "error: ..."
    ms: float


# A wave: (agent index, room id) for every agent pressing Take it! at that moment.
Wave = list[tuple[int, int]]
# Run in an agent's thread before the race: returns its attempt, room id -> outcome.
Prepare = Callable[[int], Callable[[int], str]]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench take_race", description=__doc__)
    parser.add_argument(
        "--agents", type=support.positive, default=50, help="agents racing, per row"
    )
    parser.add_argument(
        "--rooms", type=support.positive, default=1000, help="queued rooms, per row"
    )
    parser.add_argument("--attempts", type=support.positive, default=10000, help="Take it! per row")
    parser.add_argument(
        "--max-chats", type=support.positive, default=100, help="each agent's maximum"
    )
    parser.add_argument(
        "--rooms-at-once",
        type=int,
        default=0,
        help="rooms raced for in a wave (default: all agents at once, agents / per room)",
    )
    parser.add_argument("--warmup-waves", type=int, default=2, help="unmeasured waves first")
    parser.add_argument(
        "--floor-waves", type=support.positive, default=50, help="waves of each floor"
    )
    parser.add_argument("--seed", type=int, default=10, help="who races whom, wave by wave")
    parser.add_argument(
        "--profile", action="store_true", help="py-spy Daphne during the take, HTTP row"
    )
    args = parser.parse_args(argv)
    args.contenders = round(args.attempts / args.rooms)
    if not 2 <= args.contenders <= args.agents:
        parser.error("--attempts / --rooms must be between 2 and --agents (agents per room)")
    if args.warmup_waves < 0 or args.rooms_at_once < 0:
        parser.error("--warmup-waves and --rooms-at-once cannot be negative")
    if args.max_chats > 32767:
        parser.error("--max-chats is stored in a small integer")
    return args


# --- the contest ------------------------------------------------------------------------------


def plan_waves(
    rooms: list[int], agents: int, contenders: int, seed: int, at_once: int
) -> list[Wave]:
    """Rooms in order, `at_once` a wave (at most `agents // contenders`), `contenders` agents on
    each, drawn anew each wave so that other agents meet; no agent tries a room twice."""
    per_wave = min(agents // contenders, at_once)
    rng = random.Random(seed)
    waves = []
    for start in range(0, len(rooms), per_wave):
        chunk = rooms[start : start + per_wave]
        order = rng.sample(range(agents), len(chunk) * contenders)
        waves.append([(agent, chunk[j // contenders]) for j, agent in enumerate(order)])
    return waves


def floor_plan(args: argparse.Namespace, agents: int) -> list[Wave]:
    """The floors' waves: as many requests at once as a wave of the race, warm-up first."""
    width = per_wave(args, agents) * args.contenders
    return [[(agent, 0) for agent in range(width)]] * (args.warmup_waves + args.floor_waves)


def race_threads(
    waves: list[Wave],
    agents: int,
    prepare: Prepare,
    measure_from: int,
) -> tuple[list[Attempt], float]:
    """One thread per agent, its own database connection; all of a wave start together.

    `prepare(agent)` runs in the agent's thread before the first wave and returns its attempt
    (room id -> outcome). Returns the attempts and the seconds of the waves from `measure_from`.
    """
    from django.db import connection

    rooms_of: list[list[int | None]] = [[None] * len(waves) for _ in range(agents)]
    for number, wave in enumerate(waves):
        for agent, room in wave:
            rooms_of[agent][number] = room
    barrier = threading.Barrier(agents + 1)  # and this thread, which keeps the time
    done: list[list[Attempt]] = [[] for _ in range(agents)]
    failures: list[str] = []

    def run(agent: int) -> None:
        try:
            connection.ensure_connection()
            attempt = prepare(agent)
        except Exception as error:
            failures.append(f"agent {agent} could not start: {error!r}")
            barrier.abort()
            return
        try:
            for number, room in enumerate(rooms_of[agent]):
                barrier.wait(BARRIER_SECONDS)
                if room is None:
                    continue
                started = time.perf_counter_ns()
                try:
                    outcome = attempt(room)
                except Exception as error:  # a failed attempt is a figure, not a crash
                    outcome = f"error: {type(error).__name__}"
                    if len(failures) < 5:
                        failures.append(repr(error))
                elapsed = (time.perf_counter_ns() - started) / 1_000_000
                done[agent].append(Attempt(number, agent, room, outcome, elapsed))
            barrier.wait(BARRIER_SECONDS)
        except threading.BrokenBarrierError:
            pass
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(agent,)) for agent in range(agents)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    try:
        for number in range(len(waves) + 1):
            barrier.wait(BARRIER_SECONDS)
            if number == measure_from:
                started = time.perf_counter()
        seconds = time.perf_counter() - started
    except threading.BrokenBarrierError:
        seconds = 0.0
    for thread in threads:
        thread.join()
    if seconds == 0.0:
        raise SystemExit("the race did not finish: " + "; ".join(failures[:5]))
    for failure in failures:
        print(f"  {failure}", file=sys.stderr)
    return [attempt for attempts in done for attempt in attempts], seconds


async def race_http(
    port: int,
    agents: int,
    waves: list[Wave],
    build: Callable[[int, int], bytes],
    classify: Callable[[int, dict[str, str]], str],
    measure_from: int,
) -> tuple[list[Attempt], float]:
    """One keep-alive connection per agent; every request of a wave leaves at once and the next
    wave waits for the last answer. `build(agent, room)` is the request."""
    loop = asyncio.get_running_loop()
    connections = [loadgen.HttpConnection(port) for _ in range(agents)]
    warm = fixtures.floor_http(port).raw  # connections opened before the clock starts
    await asyncio.gather(*(connection.send(warm) for connection in connections))

    async def one(number: int, agent: int, room: int) -> Attempt:
        connection = connections[agent]
        raw = build(agent, room)
        sent = loop.time()
        try:
            status, headers, _body = await connection.send(raw)
            outcome = classify(status, headers)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as error:
            connection.close()
            outcome = f"error: {type(error).__name__}"
        return Attempt(number, agent, room, outcome, (loop.time() - sent) * 1000)

    attempts: list[Attempt] = []
    started = loop.time()
    for number, wave in enumerate(waves):
        if number == measure_from:
            started = loop.time()
        attempts += await asyncio.gather(*(one(number, agent, room) for agent, room in wave))
    seconds = loop.time() - started
    for connection in connections:
        connection.close()
    return attempts, seconds


# --- what each row does -----------------------------------------------------------------------


def take_in_thread(agents: "list[User]", rooms_of: dict[int, list[int]]) -> Prepare:
    """`prepare` for race_threads: the agent's own Room instances, then take_room per attempt."""
    from queues.errors import MaxChatsReached, RoomAlreadyTaken
    from queues.services import take_room
    from rooms.models import Room

    def prepare(index: int) -> Callable[[int], str]:
        agent = agents[index]
        rooms = Room.objects.in_bulk(rooms_of.get(index, []))

        def attempt(room_id: int) -> str:
            try:
                take_room(agent, rooms[room_id])
            except RoomAlreadyTaken:
                return LOST_RACE
            except MaxChatsReached:
                return AT_MAXIMUM
            return WON

        return attempt

    return prepare


def write_in_thread(_index: int) -> Callable[[int], str]:
    """`prepare` for the write floor: one autocommitted INSERT, as the ingest floor's."""
    from django.db import connection

    from omnichannel.bench_views import FLOOR_TABLE

    def attempt(_room: int) -> str:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {FLOOR_TABLE} (body) VALUES (%s)",  # noqa: S608
                ["take_race floor"],
            )
        return WON

    return attempt


def classify_take(status: int, headers: dict[str, str]) -> str:
    """Take it! always redirects to the room; a refusal leaves a message in a cookie."""
    if status != 302:
        return f"error: HTTP {status}"
    return LOST_RACE if "messages=" in headers.get("set-cookie", "") else WON


def classify_floor(status: int, _headers: dict[str, str]) -> str:
    return WON if status == 200 else f"error: HTTP {status}"


def queue_rooms(department: "Department", count: int, label: str) -> list[int]:
    """`count` website visitors write once: as many new rooms waiting in the queue."""
    from directory.models import Channel
    from directory.services import get_or_create_contact
    from omnichannel import events
    from rooms.services import receive_contact_message

    rooms = []
    for number in range(count):
        contact, _created = get_or_create_contact(
            channel=Channel.LIVECHAT, external_id=f"take-{label}-{number}"
        )
        message = receive_contact_message(
            contact=contact,
            channel=Channel.LIVECHAT,
            department=department,
            text="Hello, is anyone there?",
        )
        rooms.append(message.room_id)
    events.wait_for_dispatch(120)
    return rooms


def set_maximum(agents: "list[User]", max_chats: int) -> None:
    """A LiveChat Manager sets every agent's maximum (accounts.services.update_agent)."""
    from accounts.services import provision_agent, update_agent

    manager, _created = provision_agent(
        username=MANAGER, password=f"Bench-{secrets.token_urlsafe(18)}!", manager=True
    )
    for agent in agents:
        update_agent(manager, agent, max_chats=max_chats)


def rooms_of_agents(waves: list[Wave]) -> dict[int, list[int]]:
    rooms: dict[int, list[int]] = defaultdict(list)
    for wave in waves:
        for agent, room in wave:
            rooms[agent].append(room)
    return rooms


# --- after a row: what the database holds -------------------------------------------------


def verify(room_ids: list[int], agents: "list[User]", attempts: list[Attempt]) -> dict:
    """The row's rooms and agents as committed, against what the attempts were answered."""
    from accounts.models import User
    from omnichannel.models import Event
    from queues.selectors import active_chats
    from rooms.models import Message, Room

    rooms = {
        pk: (status, agent)
        for pk, status, agent in Room.objects.filter(pk__in=room_ids).values_list(
            "pk", "status", "agent_id"
        )
    }
    taken_messages = Counter(
        Message.objects.filter(room_id__in=room_ids, system_code="taken").values_list(
            "room_id", flat=True
        )
    )
    taken_events: dict[int, list[int]] = defaultdict(list)
    for room, agent in Event.objects.filter(room_id__in=room_ids, name="room.taken").values_list(
        "room_id", "data__agent"
    ):
        taken_events[room].append(agent)
    agent_pk = [agent.pk for agent in agents]
    told_won: dict[int, set[int]] = defaultdict(set)
    told_not_won: set[tuple[int, int]] = set()
    for attempt in attempts:
        if attempt.outcome == WON:
            told_won[attempt.room].add(agent_pk[attempt.agent])
        else:
            told_not_won.add((attempt.room, agent_pk[attempt.agent]))

    two_agents = set()
    two_messages = set()
    twice_taken = set()
    contradicted = 0
    for room, (_status, holder) in rooms.items():
        given = set(taken_events[room]) | told_won[room] | ({holder} if holder else set())
        if len(given) > 1:
            two_agents.add(room)
        if taken_messages[room] > 1:
            two_messages.add(room)
        if len(taken_events[room]) > 1:
            twice_taken.add(room)
        contradicted += sum(1 for agent in told_won[room] if agent != holder)
        if holder and (room, holder) in told_not_won:
            contradicted += 1

    users = list(
        User.objects.filter(pk__in=agent_pk)
        .annotate(open_chats=active_chats())
        .values_list("pk", "max_chats", "open_chats")
    )
    over_maximum = sum(1 for _pk, maximum, open_chats in users if open_chats > maximum)
    wins = Counter(holder for _status, holder in rooms.values() if holder)
    per_agent = [wins.get(pk, 0) for pk in agent_pk]
    return {
        "rooms": len(room_ids),
        "rooms_taken": sum(1 for status, _ in rooms.values() if status == Room.Status.TAKEN),
        "rooms_two_agents": len(two_agents),
        "rooms_two_taken_messages": len(two_messages),
        "double_assigned": len(two_agents | two_messages | twice_taken),
        "contradicted": contradicted,
        "over_maximum": over_maximum,
        "max_open_chats": max((open_chats for _pk, _m, open_chats in users), default=0),
        "wins_per_agent_min": min(per_agent),
        "wins_per_agent_max": max(per_agent),
    }


def add_row(
    report: support.Report,
    name: str,
    attempts: list[Attempt],
    seconds: float,
    usage: dict,
    *,
    measure_from: int,
    mode: str,
    kind: str = "path",
    floor: str | None = None,
    checks: dict | None = None,
) -> dict:
    measured = [attempt for attempt in attempts if attempt.wave >= measure_from]
    outcomes = Counter(attempt.outcome for attempt in measured)
    errors = {outcome: n for outcome, n in outcomes.items() if outcome not in ANSWERED}
    fields = {}
    if checks is not None:
        fields = {
            "attempts": len(measured),
            "won": outcomes[WON],
            "lost_race": outcomes[LOST_RACE],
            "at_maximum": outcomes[AT_MAXIMUM],
            **checks,
        }
    return report.add(
        name,
        kind=kind,
        floor=floor,
        mode=mode,
        seconds=seconds,
        requests=sum(outcomes[outcome] for outcome in ANSWERED),
        errors=sum(errors.values()),
        error_detail=errors,
        lost=None if checks is None else checks["contradicted"],
        latencies_ms=[attempt.ms for attempt in measured],
        usage=usage,
        **fields,
    )


def run_service(
    args: argparse.Namespace,
    report: support.Report,
    stack_: stack.Stack,
    department: "Department",
    agents: "list[User]",
) -> None:
    """Floor, then the take race through the service, 50 threads of this process."""
    from omnichannel import events

    n = len(agents)
    rooms = queue_rooms(department, room_count(args, n), "service")
    waves = plan_waves(rooms, n, args.contenders, args.seed, per_wave(args, n))
    floor_waves = floor_plan(args, n)

    before = stack_.usage()
    attempts, seconds = race_threads(floor_waves, n, write_in_thread, args.warmup_waves)
    usage = stack.usage_between(before, stack_.usage())
    add_row(
        report,
        "floor: write",
        attempts,
        seconds,
        usage,
        measure_from=args.warmup_waves,
        mode=f"{len(floor_waves[0])} threads at once",
        kind="floor",
    )

    before = stack_.usage()
    prepare = take_in_thread(agents, rooms_of_agents(waves))
    attempts, seconds = race_threads(waves, n, prepare, args.warmup_waves)
    usage = stack.usage_between(before, stack_.usage())
    events.wait_for_dispatch(120)
    checks = verify(rooms, agents, attempts)
    add_row(
        report,
        "take, service",
        attempts,
        seconds,
        usage,
        measure_from=args.warmup_waves,
        mode=race_mode(args, n, "threads"),
        floor="floor: write",
        checks=checks,
    )


def run_http(
    args: argparse.Namespace,
    report: support.Report,
    stack_: stack.Stack,
    department: "Department",
    agents: "list[User]",
    cookies: list[str],
) -> None:
    """Floor, then the take race through Take it!'s form POST to one Daphne process."""
    from django.urls import reverse

    n = len(agents)
    rooms = queue_rooms(department, room_count(args, n), "http")
    waves = plan_waves(rooms, n, args.contenders, args.seed, per_wave(args, n))
    port = stack_.port
    fixtures.close_connections()
    floor_waves = floor_plan(args, n)
    numbers = iter(range(1, 1 << 62))

    def build_floor(_agent: int, _room: int) -> bytes:
        return fixtures.floor_ingest(port, next(numbers)).raw

    before = stack_.usage()
    attempts, seconds = asyncio.run(
        race_http(port, n, floor_waves, build_floor, classify_floor, args.warmup_waves)
    )
    usage = stack.usage_between(before, stack_.usage())
    add_row(
        report,
        "floor: ingest",
        attempts,
        seconds,
        usage,
        measure_from=args.warmup_waves,
        mode=f"{len(floor_waves[0])} connections at once",
        kind="floor",
    )

    paths = {room: reverse("room-take", args=[room]) for room in rooms}

    def build_take(agent: int, room: int) -> bytes:
        return fixtures.agent_post(port, cookies[agent], paths[room], {}, htmx=False)

    before = stack_.usage()
    profile = None
    if args.profile:
        daphne = stack_.pids("daphne")[0]
        profile = profiling.Profile(daphne, 600, "take-http-daphne").__enter__()
    attempts, seconds = asyncio.run(
        race_http(port, n, waves, build_take, classify_take, args.warmup_waves)
    )
    usage = stack.usage_between(before, stack_.usage())
    if profile and profile.process:
        profile.process.send_signal(signal.SIGINT)  # py-spy writes what it has on SIGINT
        profile.__exit__(None, None, None)
        report.notes.append(profiling.summarize(profile.output, top=25))
    checks = verify(rooms, agents, attempts)
    fixtures.close_connections()
    add_row(
        report,
        "take, HTTP",
        attempts,
        seconds,
        usage,
        measure_from=args.warmup_waves,
        mode=race_mode(args, n, "sessions"),
        floor="floor: ingest",
        checks=checks,
    )


def per_wave(args: argparse.Namespace, agents: int) -> int:
    return min(agents // args.contenders, args.rooms_at_once or agents)


def race_mode(args: argparse.Namespace, agents: int, what: str) -> str:
    width = per_wave(args, agents) * args.contenders
    share = f"{agents} {what}" if width == agents else f"{width} of {agents} {what}"
    return f"{share}, {args.contenders} a room"


def room_count(args: argparse.Namespace, agents: int) -> int:
    """The measured rooms and those of the warm-up waves."""
    return args.rooms + args.warmup_waves * per_wave(args, agents)


# --- the report ---------------------------------------------------------------------------------

CHECK_COLUMNS = [
    ("attempts", "attempts"),
    ("won", "won"),
    ("lost_race", "lost race"),
    ("at_maximum", "at max"),
    ("errors", "errors"),
    ("rooms_taken", "rooms taken"),
    ("rooms_two_agents", "two agents"),
    ("rooms_two_taken_messages", 'two "taken"'),
    ("double_assigned", "double assigned"),
    ("lost", "contradicted"),
    ("over_maximum", "over max"),
    ("max_open_chats", "most open"),
]


def check_table(report: support.Report, max_chats: int) -> str:
    rows = [row for row in report.rows if "double_assigned" in row]
    headers = ["phase", *(title for _key, title in CHECK_COLUMNS), "wins/agent"]
    lines = [
        [
            row["name"],
            *(row[key] for key, _title in CHECK_COLUMNS),
            f"{row['wins_per_agent_min']}-{row['wins_per_agent_max']}",
        ]
        for row in rows
    ]
    return (
        f"\nIn the database after each row (its rooms incl. warm-up; each agent's maximum: "
        f"{max_chats}):\n" + support.format_table(headers, lines)
    )


def broken(report: support.Report) -> list[str]:
    """The invariants, whatever the targets say."""
    problems = []
    for row in report.rows:
        for key in ("double_assigned", "lost", "over_maximum"):
            if row.get(key) and "double_assigned" in row:
                problems.append(f"{row['name']}: {key} = {row[key]}")
    return problems


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    support.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    # Takes made in this process dispatch their events as Daphne's do (the stack's default).
    os.environ.setdefault("EVENTS_DISPATCH_IN_BACKGROUND", "1")
    # A connection per racing thread (and the dispatcher's); Daphne keeps the usual pool.
    own_pool = os.environ.get("DATABASE_POOL_MAX")
    os.environ["DATABASE_POOL_MAX"] = str(max(args.agents + 4, int(own_pool or 0)))
    secret_key = stack.new_secret_key()
    database_url, redis_url = support.harness_setup("bench_take", secret_key)
    env = stack.server_environment(database_url, redis_url, secret_key)
    if own_pool is None:
        env.pop("DATABASE_POOL_MAX", None)
    else:
        env["DATABASE_POOL_MAX"] = own_pool
    report = support.Report(
        "take_race",
        {
            "daphne": 1,
            "agents": args.agents,
            "rooms": args.rooms,
            "attempts": args.rooms * args.contenders,
            "per_room": args.contenders,
            "max_chats": args.max_chats,
            "warmup_waves": args.warmup_waves,
            "dispatch": "background"
            if os.environ["EVENTS_DISPATCH_IN_BACKGROUND"] == "1"
            else "inline",
        },
    )
    from django.db import connection

    from accounts.models import Department

    with stack.Stack("take_race", env) as stack_:
        world = fixtures.build_world(2 * args.agents)
        set_maximum(world.agents, args.max_chats)
        department = Department.objects.get(pk=world.department_id)
        service_agents = world.agents[: args.agents]
        http_agents = world.agents[args.agents :]
        run_service(args, report, stack_, department, service_agents)
        # The racing threads' connections go back before Daphne opens its own.
        fixtures.close_connections()
        connection.close_pool()
        stack_.start_daphnes(1)
        run_http(args, report, stack_, department, http_agents, world.cookies[args.agents :])
    report.notes.append(check_table(report, args.max_chats))
    problems = broken(report)
    status = report.finish()
    for problem in problems:
        print(f"BROKEN: {problem}", file=sys.stderr)
    return 1 if problems else status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
