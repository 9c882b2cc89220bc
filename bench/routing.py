"""Automatic routing: 1,000 arriving chats against 50 agents, auto selection and load balancing.

On PostgreSQL (a database of its own, rebuilt each run), for each policy: 50 online agents of one
department with their queue on and a maximum of 5 chats each (250 places); 1,000 website
visitors write at once from 4 processes, each message through `receive_contact_message`, so each
arrival is routed after its commit exactly as in production (`queues.routing`, the event
subscriber, in whichever process committed). Meanwhile 2 "agent" processes close every chat that
has been served for a while (--handle-ms), each close routing the next waiting chat to the agent
it freed. The run ends when all 1,000 chats were given to an agent (or after --timeout).

Printed per policy:

    assignments/s     1,000 divided by the time from the first arrival to the last assignment
    wait p50/p95      time each chat waited in the queue before it was given
    peak held / max   the most chats any agent held at once against their maximum: replayed
                      from the committed events in order and sampled from the database every
                      20 ms while it ran; must never exceed the maximum
    chats per agent   min / mean / max / standard deviation of the chats each agent was given

    python -m bench routing                       # PostgreSQL 127.0.0.1:5432, bench_routing
    python -m bench routing --database-url postgres://postgres@127.0.0.1:5432/other

The live-update layer is the in-memory one (no REDIS_URL), so publishing costs are in the
figures but not a Redis round trip. Results go to bench/results/routing.json; the exit status is
1 when an agent ever held more than their maximum or a chat was not assigned.
"""

import argparse
import json
import logging
import os
import platform
import secrets
import statistics
import threading
import time
from collections import Counter

from bench import support

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_routing"
RESULT_NAME = "routing"
POLICIES = ("auto", "load_balancing")
# The bench's agents never sign in; each run makes up their password.
PASSWORD = secrets.token_urlsafe(16)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench routing", description=__doc__.strip().splitlines()[0]
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--chats", type=support.positive, default=1000)
    parser.add_argument("--agents", type=support.positive, default=50)
    parser.add_argument("--max-chats", type=support.positive, default=5)
    parser.add_argument(
        "--writers", type=support.positive, default=4, help="processes of arriving chats"
    )
    parser.add_argument(
        "--closers", type=support.positive, default=2, help="processes closing chats"
    )
    parser.add_argument(
        "--handle-ms", type=int, default=100, help="how long a chat is served before it closes"
    )
    parser.add_argument(
        "--timeout", type=support.positive, default=180, help="seconds per policy, at most"
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    url = args.database_url
    # Each process keeps a small pool of its own.
    os.environ.setdefault("DATABASE_POOL_MAX", "4")
    support.prepare_database(url, reset=True)
    support.setup_django(url)
    logging.getLogger("axes").setLevel(logging.WARNING)

    import django
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("The routing benchmark runs on PostgreSQL (--database-url).")
    migrate_seconds = support.migrate()
    results = [run_policy(policy, args, url) for policy in POLICIES]
    report = {
        "scenario": "routing",
        "database": {"vendor": connection.vendor, "url": support.describe_url(url)},
        "python": platform.python_version(),
        "django": django.get_version(),
        "cpus": os.cpu_count(),
        "migrate_seconds": round(migrate_seconds, 2),
        "chats": args.chats,
        "agents": args.agents,
        "max_chats": args.max_chats,
        "writers": args.writers,
        "closers": args.closers,
        "handle_ms": args.handle_ms,
        "results": results,
        "all_pass": all(row["pass"] for row in results),
    }
    print_report(report)
    support.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (support.RESULTS_DIR / f"{RESULT_NAME}.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0 if report["all_pass"] else 1


def setup_floor(policy: str, args: argparse.Namespace):
    """A department of its own for this policy, its agents online and its routing set."""
    from accounts.models import User
    from accounts.services import create_department, provision_agent
    from queues.services import configure_routing

    department, _ = create_department(name=f"Routing {policy}", slug=f"routing-{policy}")
    manager, _ = provision_agent(username="bench-routing-manager", password=PASSWORD, manager=True)
    agents = []
    for number in range(args.agents):
        agent, _ = provision_agent(
            username=f"bench-{policy}-{number:02d}",
            password=PASSWORD,
            department_slugs=[department.slug],
            queue_on=True,
        )
        agents.append(agent)
    User.objects.filter(pk__in=[a.pk for a in agents]).update(
        status=User.Status.ONLINE, max_chats=args.max_chats
    )
    configure_routing(manager, department, policy=policy)
    return department, agents


def work(kind: str, url: str, department_id: int, payload, ready, go, stop, errors) -> None:
    """A worker process: writes its share of arrivals ("write") or closes chats served long
    enough ("close") until told to stop. Its own Django, its own database connections."""
    support.setup_django(url)
    logging.getLogger("axes").setLevel(logging.WARNING)
    from django.db import connection

    from accounts.models import Department, User
    from directory.models import Channel
    from directory.services import get_or_create_contact
    from rooms.models import Room
    from rooms.services import close_room, receive_contact_message

    department = Department.objects.get(pk=department_id)
    agents = {agent.pk: agent for agent in User.objects.filter(memberships__department=department)}
    ready.put(kind)
    go.wait()
    try:
        if kind == "write":
            for name in payload:
                contact, _ = get_or_create_contact(channel=Channel.LIVECHAT, external_id=name)
                receive_contact_message(
                    contact=contact, channel=Channel.LIVECHAT, department=department, text="Hi"
                )
            return
        # Agents finish their chats: each served longer than the handling time is closed, which
        # frees its agent, which routes the next waiting chat to them.
        while not stop.is_set():
            cutoff = time.time() - payload / 1000
            served = list(
                Room.objects.filter(department=department, status=Room.Status.TAKEN)
                .order_by("?")
                .values_list("pk", "agent_id", "taken_at")[:20]
            )
            ready_to_close = [(pk, agent) for pk, agent, at in served if at.timestamp() <= cutoff]
            for pk, agent_id in ready_to_close:
                try:
                    close_room(agents[agent_id], Room(pk=pk), comment="bench")
                except Exception:  # noqa: S112 - another closer was first
                    continue
            if not ready_to_close:
                time.sleep(0.01)
    except Exception as error:
        errors.put(repr(error))
    finally:
        connection.close()


def run_policy(policy: str, args: argparse.Namespace, url: str) -> dict:
    import multiprocessing

    from omnichannel.models import Event
    from rooms.models import Room

    department, agents = setup_floor(policy, args)
    spawn = multiprocessing.get_context("spawn")
    ready, errors = spawn.Queue(), spawn.Queue()
    go, stop = spawn.Event(), spawn.Event()
    names = [f"{policy}-visitor-{i}" for i in range(args.chats)]
    jobs = [("write", names[i :: args.writers]) for i in range(args.writers)]
    jobs += [("close", args.handle_ms)] * args.closers
    processes = [
        spawn.Process(
            target=work, args=(kind, url, department.pk, payload, ready, go, stop, errors)
        )
        for kind, payload in jobs
    ]
    for process in processes:
        process.start()
    for _ in processes:
        ready.get(timeout=120)
    first_event = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    samples = {"peak": 0}
    sampling = threading.Event()

    def sample() -> None:
        from django.db import connection

        while not sampling.is_set():
            counts = Counter(
                Room.objects.filter(
                    department=department, status=Room.Status.TAKEN, held_at__isnull=True
                ).values_list("agent_id", flat=True)
            )
            if counts:
                samples["peak"] = max(samples["peak"], max(counts.values()))
            time.sleep(0.02)
        connection.close()

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    go.set()
    given = Room.objects.filter(department=department, taken_at__isnull=False)
    while time.perf_counter() < started + args.timeout and given.count() < args.chats:
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    stop.set()
    for process in processes:
        process.join(timeout=60)
        if process.is_alive():
            process.terminate()
    sampling.set()
    sampler.join(timeout=30)
    failures = []
    while not errors.empty():
        failures.append(errors.get())

    rooms = Room.objects.filter(department=department)
    given = list(rooms.filter(taken_at__isnull=False).values_list("queue_seconds", flat=True))
    taken_events = Event.objects.filter(pk__gt=first_event, name="room.taken")
    per_agent = Counter(taken_events.values_list("data__agent", flat=True))
    twice = [
        room
        for room, count in Counter(taken_events.values_list("room_id", flat=True)).items()
        if count > 1
    ]
    replay_peak = replay_peak_load(first_event, department.pk)
    peak = max(replay_peak, samples["peak"])
    loads = [per_agent.get(agent.pk, 0) for agent in agents]
    waits = sorted(given)
    assigned = len(given)
    return {
        "policy": policy,
        "assigned": assigned,
        "seconds": round(elapsed, 2),
        "assignments_per_s": round(assigned / elapsed, 1) if elapsed else 0.0,
        "wait_p50_s": round(support.percentile(waits, 50), 3) if waits else None,
        "wait_p95_s": round(support.percentile(waits, 95), 3) if waits else None,
        "peak_held": peak,
        "peak_replayed": replay_peak,
        "peak_sampled": samples["peak"],
        "max_chats": args.max_chats,
        "chats_per_agent_min": min(loads),
        "chats_per_agent_mean": round(statistics.mean(loads), 2),
        "chats_per_agent_max": max(loads),
        "chats_per_agent_stdev": round(statistics.pstdev(loads), 2),
        "given_twice": len(twice),
        "errors": failures[:5],
        "pass": peak <= args.max_chats and assigned == args.chats and not twice and not failures,
    }


def replay_peak_load(after_event: int, department_id: int) -> int:
    """The most chats any agent served at once, replaying the committed events in order.

    A chat is added to its agent when it is given (room.taken, or transferred to them) and
    removed when it is closed, returned, transferred away or put on hold.
    """
    from omnichannel.models import Event
    from rooms.models import Room

    rooms = set(Room.objects.filter(department_id=department_id).values_list("pk", flat=True))
    holder: dict[int, int] = {}
    load: Counter = Counter()
    peak = 0
    events = (
        Event.objects.filter(pk__gt=after_event, room_id__in=rooms)
        .order_by("pk")
        .filter(name__startswith="room.")
        .values_list("name", "room_id", "data")
    )
    releases = {"room.taken", "room.transferred", "room.closed", "room.returned", "room.held"}
    for name, room_id, data in events.iterator():
        if name in releases and room_id in holder:
            load[holder.pop(room_id)] -= 1
        if name in {"room.taken", "room.transferred", "room.resumed"} and data.get("agent"):
            holder[room_id] = data["agent"]
            load[data["agent"]] += 1
            peak = max(peak, load[data["agent"]])
    return peak


def print_report(report: dict) -> None:
    print(
        f"routing: {report['chats']:,} chats, {report['agents']} agents (max "
        f"{report['max_chats']} chats each), {report['writers']} writer processes, "
        f"{report['closers']} closer processes, chats served {report['handle_ms']} ms; "
        f"{report['database']['url']}"
    )
    headers = [
        "policy", "assigned", "seconds", "assign/s", "wait p50 s", "wait p95 s",
        "peak held", "max", "per agent min", "mean", "max", "stdev", "twice", "pass",
    ]  # fmt: skip
    rows = [
        [
            row["policy"],
            row["assigned"],
            row["seconds"],
            row["assignments_per_s"],
            row["wait_p50_s"],
            row["wait_p95_s"],
            row["peak_held"],
            row["max_chats"],
            row["chats_per_agent_min"],
            row["chats_per_agent_mean"],
            row["chats_per_agent_max"],
            row["chats_per_agent_stdev"],
            row["given_twice"],
            row["pass"],
        ]
        for row in report["results"]
    ]
    print(support.format_table(headers, rows))
    for row in report["results"]:
        if row["errors"]:
            print(f"{row['policy']} errors: {row['errors']}")
