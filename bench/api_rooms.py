"""REST API: GET rooms/ (page of 50, filtered) and POST inbound with 100,000 rooms.

100,000 rooms over five departments (70% closed with two tags each, 20% taken, 10% queued),
one contact each. Through the full Django stack in-process (test client, token, middleware,
DRF, JSON): a manager and an agent of one department list rooms with filters; an external
system posts signed inbound messages (a new contact each, and a known contact's next message).
Requests per second are for one client in series (1 / mean latency). Then the SQL queries of
one list request at page sizes 10, 50 and 100, which must be the same number.

    # PostgreSQL (the database is created if missing; the data is reused when complete):
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_api python -m bench api_rooms
    ... --reset            # drop the bench data and load it anew
    ... --scale 0.1        # a tenth of the rooms, for a quick look (SQLite works at this size)
"""

import argparse
import gc
import json
import logging
import os
import platform
import random
import secrets
import time
from datetime import timedelta

from bench import support

SQLITE_NAME = "api_rooms.sqlite3"
RESULT_NAME = "api_rooms"
SEED = 20_261_126
ROOMS = 100_000
DEPARTMENTS = ("api-a", "api-b", "api-c", "api-d", "api-e")
TAGS = ("billing", "shipping", "refund", "complaint", "vip", "bug", "sales", "returns")
CHANNELS = ("livechat", "livechat", "facebook", "api")
MANAGER = "bench-api-manager"
AGENT = "bench-api-agent"
INBOUND_KEY = "bench-inbound"
INBOUND_SECRET = "bench-inbound-secret-0123456789abcdef"  # noqa: S105 (bench data)
BATCH = 5_000


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench api_rooms", description=__doc__.strip().splitlines()[0]
    )
    parser.add_argument("--reset", action="store_true", help="drop the bench data and load it anew")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the 100,000 rooms")
    parser.add_argument(
        "--requests", type=support.positive, default=300, help="timed requests per row"
    )
    parser.add_argument(
        "--warmup", type=support.positive, default=20, help="untimed requests per row"
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    rooms = max(int(ROOMS * args.scale), 100)
    url = support.bench_database_url(SQLITE_NAME)
    support.prepare_database(url, reset=args.reset)
    # The default rates would throttle a benchmark that posts hundreds of requests a minute.
    unthrottled = "100000000/min"
    os.environ["API_RATE_PER_TOKEN"] = os.environ["API_RATE_PER_CHANNEL"] = unthrottled
    support.setup_django(url)
    logging.getLogger("django.request").setLevel(logging.ERROR)

    import django
    from django.conf import settings
    from django.db import connection

    migrate_seconds = support.migrate()
    load = ensure_data(rooms)
    manager, agent, department_id = personas()
    results = [
        measure_list(
            "GET rooms/ manager",
            f"?page_size=50&status=closed&department={department_id}&ordering=-created_at",
            manager,
            args,
        ),
        measure_list("GET rooms/ manager, tag", "?page_size=50&tag=vip&channel=api", manager, args),
        measure_list("GET rooms/ agent", "?page_size=50&status=closed", agent, args),
        measure_inbound("POST inbound, new contact", args, new_contacts=True),
        measure_inbound("POST inbound, known contact", args, new_contacts=False),
    ]
    queries = {
        who: count_queries(user, department_id)
        for who, user in (("manager", manager), ("agent", agent))
    }
    constant = all(len(set(counts.values())) == 1 for counts in queries.values())
    report = {
        "scenario": RESULT_NAME,
        "database": {"vendor": connection.vendor, "url": support.describe_url(url)},
        "debug": settings.DEBUG,
        "python": platform.python_version(),
        "django": django.get_version(),
        "rooms_in_db": load["rooms"],
        "load": load,
        "migrate_seconds": round(migrate_seconds, 2),
        "requests": args.requests,
        "warmup": args.warmup,
        "results": results,
        "queries_per_list_request": queries,
        "query_count_constant": constant,
    }
    print_report(report)
    support.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    support.save_results(RESULT_NAME, report, vendor=connection.vendor)
    return 0


# --- data ---------------------------------------------------------------------------------------


def bench_rooms():
    from rooms.models import Room

    # Rooms the inbound rows open are left out, so the data is reused from run to run.
    return Room.objects.exclude(source=INBOUND_KEY)


def ensure_data(rooms: int) -> dict:
    from django.db import connection, transaction

    from accounts.models import User

    found = bench_rooms().count()
    has_users = User.objects.filter(username__in=[MANAGER, AGENT]).count() == 2
    seconds = 0.0
    if found == 0 and not has_users:
        print(f"Loading {rooms:,} rooms into {connection.vendor}...", flush=True)
        started = time.perf_counter()
        with transaction.atomic():
            load_data(rooms)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        seconds = time.perf_counter() - started
        print(f"Loaded in {seconds:.1f} s", flush=True)
    elif found != rooms or not has_users:
        raise SystemExit(
            f"The bench database holds {found:,} rooms, not {rooms:,}. Run with --reset."
        )
    return {"reused": seconds == 0.0, "seconds": round(seconds, 2), "rooms": rooms}


def load_data(count: int) -> None:
    """Bench data straight into the tables (bulk inserts), not through the services, which
    would record an event per room and take far longer; no live state depends on it."""
    from django.contrib.auth.models import Group
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from accounts.models import AGENT_ROLE, MANAGER_ROLE, Department, DepartmentAgent, User
    from directory.models import Contact
    from integrations.apichannel.models import ApiChannel
    from rooms.models import Room, Tag

    rng = random.Random(SEED)
    now = timezone.now()
    departments = Department.objects.bulk_create(
        Department(name=f"Bench API {slug[-1].upper()}", slug=slug) for slug in DEPARTMENTS
    )
    agent_role, _ = Group.objects.get_or_create(name=AGENT_ROLE)
    manager_role, _ = Group.objects.get_or_create(name=MANAGER_ROLE)
    manager = User(username=MANAGER, first_name="Bench", last_name="Manager", is_staff=True)
    agent = User(username=AGENT, first_name="Bench", last_name="Agent", queue_enabled=True)
    for user in (manager, agent):
        user.set_unusable_password()
    manager, agent = User.objects.bulk_create([manager, agent])
    User.groups.through.objects.bulk_create(
        [
            User.groups.through(user_id=manager.pk, group_id=agent_role.pk),
            User.groups.through(user_id=manager.pk, group_id=manager_role.pk),
            User.groups.through(user_id=agent.pk, group_id=agent_role.pk),
        ]
    )
    DepartmentAgent.objects.create(agent=agent, department=departments[0])
    for user in (manager, agent):
        Token.objects.create(user=user)
    ApiChannel.objects.create(
        name="Bench inbound", key=INBOUND_KEY, department=departments[0], secret=INBOUND_SECRET
    )
    tags = Tag.objects.bulk_create(Tag(name=name) for name in TAGS)

    contacts = Contact.objects.bulk_create(
        (Contact(name=f"Bench contact {i}") for i in range(count)), batch_size=BATCH
    )
    first = now - timedelta(days=365)
    spacing = timedelta(days=365) / count
    rows = []
    for i, contact in enumerate(contacts):
        created = first + spacing * i
        roll = rng.random()
        status = "closed" if roll < 0.7 else "taken" if roll < 0.9 else "queued"
        rows.append(
            Room(
                contact=contact,
                channel=rng.choice(CHANNELS),
                department=departments[i % len(departments)],
                agent=(agent if i % len(departments) == 0 else manager)
                if status != "queued"
                else None,
                status=status,
                created_at=created,
                queued_at=created,
                waiting_since=created if status == "queued" else None,
                taken_at=created + timedelta(minutes=2) if status != "queued" else None,
                queue_seconds=120.0 if status != "queued" else 0.0,
                first_response_at=created + timedelta(minutes=3) if status != "queued" else None,
                response_count=3 if status != "queued" else 0,
                response_seconds_total=150.0 if status != "queued" else 0.0,
                closed_at=created + timedelta(minutes=20) if status == "closed" else None,
                closing_comment="Solved" if status == "closed" else "",
                last_message_at=created + timedelta(minutes=15),
            )
        )
    rooms = Room.objects.bulk_create(rows, batch_size=BATCH)
    through = Room.tags.through
    links = []
    for room in rooms:
        if room.status == "closed":
            for tag in rng.sample(tags, 2):
                links.append(through(room_id=room.pk, tag_id=tag.pk))
    through.objects.bulk_create(links, batch_size=BATCH * 2)


def personas():
    from accounts.models import Department, User

    users = {u.username: u for u in User.objects.filter(username__in=[MANAGER, AGENT])}
    department = Department.objects.get(slug=DEPARTMENTS[0])
    return users[MANAGER], users[AGENT], department.pk


# --- measurement --------------------------------------------------------------------------------


def client_for(user):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user=user).key}")
    return client


def timed(call, args) -> list[int]:
    for _ in range(args.warmup):
        call()
    gc.collect()
    timings = []
    for _ in range(args.requests):
        started = time.perf_counter_ns()
        call()
        timings.append(time.perf_counter_ns() - started)
    return timings


def summary(name: str, query: str, timings: list[int]) -> dict:
    figures = support.summarize_ms(timings)
    mean_ms = sum(timings) / len(timings) / 1_000_000
    return {"row": name, "query": query, "req_per_s": round(1000 / mean_ms, 1), **figures}


def measure_list(name: str, query: str, user, args) -> dict:
    client = client_for(user)
    path = f"/api/v1/rooms/{query}"

    def call() -> None:
        response = client.get(path, secure=True)
        if response.status_code != 200 or not response.json()["results"]:
            raise SystemExit(f"{name}: unexpected {response.status_code} {response.content[:200]}")

    return summary(name, path, timed(call, args))


def measure_inbound(name: str, args, *, new_contacts: bool) -> dict:
    from rest_framework.test import APIClient

    from integrations.webhooks.transport import sign

    client = APIClient()
    run = secrets.token_hex(4)
    counter = iter(range(10**9))
    path = f"/api/v1/inbound/{INBOUND_KEY}/messages/"

    def call() -> None:
        n = next(counter)
        contact = f"{run}-{n}" if new_contacts else f"{run}-known"
        body = json.dumps(
            {"contact_id": contact, "message_id": f"{run}-{n}", "text": f"Hello {n}"}
        ).encode()
        stamp = int(time.time())
        response = client.generic(
            "POST",
            path,
            body,
            content_type="application/json",
            secure=True,
            HTTP_X_OMNICHANNEL_TIMESTAMP=str(stamp),
            HTTP_X_OMNICHANNEL_SIGNATURE=sign(INBOUND_SECRET, stamp, body),
        )
        if response.status_code != 201:
            raise SystemExit(f"{name}: unexpected {response.status_code} {response.content[:200]}")

    return summary(name, f"POST {path}", timed(call, args))


def count_queries(user, department_id: int) -> dict[int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(user)
    counts = {}
    for size in (10, 50, 100):
        path = f"/api/v1/rooms/?page_size={size}&status=closed&ordering=-created_at"
        client.get(path, secure=True)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, secure=True)
        if len(response.json()["results"]) != size:
            raise SystemExit(f"page of {size}: not {size} rooms")
        counts[size] = len(captured.captured_queries)
    return counts


# --- report -------------------------------------------------------------------------------------


def print_report(report: dict) -> None:
    load = report["load"]
    print()
    print(f"api_rooms on {report['database']['url']}")
    print(
        f"Python {report['python']}, Django {report['django']}, DEBUG={report['debug']}; "
        f"{report['rooms_in_db']:,} rooms; "
        + ("data reused" if load["reused"] else f"data loaded in {load['seconds']:.1f} s")
        + f"; {report['requests']} timed requests per row after {report['warmup']} warm-up, "
        "one client in series, in-process."
    )
    print()
    headers = ["request", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms"]
    rows = [
        [r["row"], r["req_per_s"], r["p50_ms"], r["p95_ms"], r["p99_ms"], r["max_ms"]]
        for r in report["results"]
    ]
    print(support.format_table(headers, rows))
    for r in report["results"]:
        print(f"  {r['row']}: {r['query']}")
    print()
    headers = ["queries per GET rooms/", "page 10", "page 50", "page 100"]
    rows = [[who, *counts.values()] for who, counts in report["queries_per_list_request"].items()]
    print(support.format_table(headers, rows))
    print(f"query count constant: {'yes' if report['query_count_constant'] else 'no'}")
