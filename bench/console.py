"""Supervisor console: dashboard and admin rooms list, render time and SQL queries, 200k rooms.

200,000 rooms over the last 30 days in three departments of 2,000, 18,000 and 180,000 rooms.
Three LiveChat Managers supervise the first one, the first two and all three of them
(`User.supervised_departments`), so they see 2,000, 20,000 and 200,000 rooms; a fourth manager
supervises none, which means every department (the unscoped, superuser-like console user). Each
manager loads, through django.test.Client with DEBUG off:

    GET /admin/dashboard/                                            (the live dashboard)
    GET /admin/rooms/room/                                           (rooms list, first page)
    GET /admin/rooms/room/?status__exact=closed&department=<id>      (filtered rooms list)

The figures show whether the number of queries per page stays the same as the rooms grow, and
whether each page renders under the target (300 ms at the 95th percentile by default). The
rooms list counts up to 10,000 rooms and shows "10000+" past that (CappedPaginator), so its
count costs the same at 20,000 rooms as at 200,000.

    python -m bench console            # PostgreSQL 127.0.0.1:5432, database bench_console
    python -m bench console --reset    # rebuild the bench data from scratch
    python -m bench console --database-url postgres://postgres@127.0.0.1:5432/other

The data: 30 agents (LiveChat Agent) with memberships, statuses and 1 to 5 taken chats each;
150,000 contacts; rooms queued, taken and closed (some never answered) with their metrics
(queue_seconds, taken_at, first_response_at, response_count, response_seconds_total,
closed_at); tags on most closed rooms; one contact message per room and some agent replies.
It is written with COPY (executemany() elsewhere) in about half a minute, then VACUUM ANALYZEd
(as autovacuum leaves a live database), and reused on later runs (its times are relative to
the load: --reset after a few days keeps "today" and the queue realistic, and is needed after
migrations were rewritten). Queries are counted on the warm-up requests only. Results go to
bench/results/console.json; the exit status is 1 when a row misses the target or the query
count changes with the number of rooms.
"""

import argparse
import gc
import logging
import os
import platform
import random
import re
import time
from datetime import timedelta

from bench import support

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_console"
RESULT_NAME = "console"
TARGET_MS = 300.0

# (slug, rooms). The three scoped managers see the first one, the first two and all three.
DEPARTMENTS = (
    ("bench-small", 2_000),
    ("bench-medium", 18_000),
    ("bench-large", 180_000),
)
ROOMS = sum(size for _, size in DEPARTMENTS)
# (username, supervised departments); none supervised means every department.
MANAGERS = (
    ("bench-manager-2000", ("bench-small",)),
    ("bench-manager-20000", ("bench-small", "bench-medium")),
    ("bench-manager-200000", ("bench-small", "bench-medium", "bench-large")),
    ("bench-manager-all", ()),
)
AGENTS = 30
DAYS = 30
# About one room in 300 waits in the queue; every agent serves 1 to 5 chats (max_chats is 5,
# so some are at capacity); the rest are closed, about 6% of them without ever being taken.
QUEUED_EVERY = 300
ABANDONED_SHARE = 0.06
TAGGED_SHARE = 0.7
TAG_NAMES = (
    "billing", "refund", "shipping", "returns", "complaint", "sales", "technical", "account",
    "password", "delivery-late", "vip", "spam",
)  # fmt: skip
CONTACTS = 150_000
# Every room opens with a contact message; every fifth answered one also has the agent's reply.
REPLY_EVERY = 5
COPY_BATCH = 50_000

PAGES = (
    ("dashboard", "GET /admin/dashboard/"),
    ("rooms", "GET /admin/rooms/room/ (first page of 50)"),
    ("rooms-filtered", "GET /admin/rooms/room/?status__exact=closed&department=<largest>"),
)


def scope_of(supervised: tuple[str, ...]) -> tuple[str, ...]:
    return supervised or tuple(slug for slug, _ in DEPARTMENTS)


def scope_size(supervised: tuple[str, ...]) -> int:
    sizes = dict(DEPARTMENTS)
    return sum(sizes[slug] for slug in scope_of(supervised))


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench console",
        description=__doc__.strip().splitlines()[0],
    )
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help=f"the bench database, created if missing (default {DEFAULT_DATABASE_URL})",
    )
    parser.add_argument("--reset", action="store_true", help="drop the bench data and load it anew")
    parser.add_argument(
        "--iterations", type=support.positive, default=50, help="timed requests per row"
    )
    parser.add_argument(
        "--warmup",
        type=support.positive,
        default=3,
        help="untimed requests per row first, each one's queries counted",
    )
    parser.add_argument(
        "--target-ms", type=float, default=TARGET_MS, help="PASS when p95 is under this"
    )
    parser.add_argument(
        "--show-sql", action="store_true", help="print every query of the 200,000-room rows"
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    url = args.database_url
    support.prepare_database(url, reset=args.reset)
    support.setup_django(url)
    # django-axes logs every force_login at INFO; the figures are what this prints.
    logging.getLogger("axes").setLevel(logging.WARNING)

    import django
    from django.conf import settings
    from django.db import connection

    migrate_seconds = support.migrate()
    load = ensure_data()
    managers = bench_managers()
    load_before = os.getloadavg()[0]
    results = measure(managers, iterations=args.iterations, warmup=args.warmup)
    for row in results:
        row["pass"] = row["p95_ms"] < args.target_ms

    scoped = [row for row in results if row["scoped"]]
    constant = {
        page: len({row["queries"] for row in scoped if row["page"] == page}) == 1
        and all(len(row["query_counts_seen"]) == 1 for row in results if row["page"] == page)
        for page, _ in PAGES
    }
    report = {
        "scenario": "console",
        "database": {"vendor": connection.vendor, "url": support.describe_url(url)},
        "debug": settings.DEBUG,
        "python": platform.python_version(),
        "django": django.get_version(),
        "cpus": os.cpu_count(),
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "rooms_in_db": load["rooms"],
        "messages_in_db": load["messages"],
        "load": load,
        "migrate_seconds": round(migrate_seconds, 2),
        "iterations": args.iterations,
        "warmup": args.warmup,
        "target_ms": args.target_ms,
        "pass_on": "p95_ms < target_ms",
        "results": [{k: v for k, v in row.items() if k != "sql"} for row in results],
        "all_pass": all(row["pass"] for row in results),
        "query_count_constant": all(constant.values()),
        "query_count_constant_by_page": constant,
        "sql_of_largest": {
            f"{row['page']} {row['manager']}": row["sql"] for row in results if row["largest"]
        },
    }
    print_report(report, results, show_sql=args.show_sql)
    support.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    support.save_results(RESULT_NAME, report, vendor=connection.vendor)
    return 0 if report["all_pass"] and report["query_count_constant"] else 1


# --- data ---------------------------------------------------------------------------------------


def ensure_data() -> dict:
    """Reuse the bench data when it is all there; load it when the database is empty."""
    from django.db import connection, transaction

    state = data_state()
    if state == "mismatch":
        raise SystemExit(
            "The bench database holds other data than this scenario loads (different counts). "
            "Run again with --reset to rebuild it."
        )
    seconds = 0.0
    if state == "empty":
        print(f"Loading bench data into {connection.vendor}...", flush=True)
        started = time.perf_counter()
        with transaction.atomic():
            timings = load_data()
        if connection.vendor == "postgresql":
            # Fresh tables have no planner statistics and no visibility map until autovacuum
            # gets to them (an insert-only table is vacuumed too, after 1,000 inserts and a
            # fifth of its size); a live database has both, so measure with them: without the
            # map the list's COUNT reads every heap page instead of the index alone.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        seconds = time.perf_counter() - started
        print(
            f"Loaded in {seconds:.1f} s ("
            + ", ".join(f"{name} {value:.1f} s" for name, value in timings.items())
            + ")",
            flush=True,
        )
    from django.db.models import Count

    from rooms.models import Message, Room

    return {
        "reused": state == "complete",
        "seconds": round(seconds, 2),
        "rooms": Room.objects.count(),
        "rooms_by_status": dict(
            Room.objects.values_list("status").annotate(n=Count("pk")).order_by("status")
        ),
        "tagged_rooms": Room.tags.through.objects.values("room_id").distinct().count(),
        "room_tags": Room.tags.through.objects.count(),
        "messages": Message.objects.count(),
    }


def data_state() -> str:
    """'empty', 'complete' (every count as designed) or 'mismatch'."""
    from django.db.models import Count

    from accounts.models import Department, User
    from rooms.models import Message, Room

    managers = User.objects.filter(username__in=[name for name, _ in MANAGERS])
    if not managers.exists() and not Room.objects.exists() and not Message.objects.exists():
        return "empty"
    if managers.count() != len(MANAGERS):
        return "mismatch"
    if User.objects.filter(username__startswith="bench-agent-").count() != AGENTS:
        return "mismatch"
    sizes = dict(
        Department.objects.filter(slug__in=dict(DEPARTMENTS))
        .annotate(n=Count("rooms"))
        .values_list("slug", "n")
    )
    if sizes != dict(DEPARTMENTS) or Room.objects.count() != ROOMS:
        return "mismatch"
    if not Message.objects.exists():
        return "mismatch"
    return "complete"


def load_data() -> dict[str, float]:
    """Insert the bench data; the caller wraps it in one transaction.

    Benchmark data, not application state: written straight with bulk inserts (COPY on
    PostgreSQL) rather than through the services, which would record events for every room.
    """
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from accounts.models import AGENT_ROLE, MANAGER_ROLE, Department, DepartmentAgent, User
    from directory.models import Contact
    from rooms.models import Message, Room, Tag

    timings: dict[str, float] = {}
    started = time.perf_counter()
    now = timezone.now()
    rng = random.Random(20_261_125)

    departments = Department.objects.bulk_create(
        Department(name=f"Bench {slug.split('-')[1]} ({size:,} rooms)", slug=slug)
        for slug, size in DEPARTMENTS
    )
    by_slug = {department.slug: department for department in departments}

    # Agents: every one in the large department, the first twenty also in the medium one, the
    # first ten in all three. Most are online with the queue on; some away, some offline.
    agent_group = Group.objects.get(name=AGENT_ROLE)
    agents = []
    for i in range(AGENTS):
        status = (
            User.Status.ONLINE if i < 22 else User.Status.AWAY if i < 27 else User.Status.OFFLINE
        )
        agent = User(
            username=f"bench-agent-{i + 1:02d}",
            first_name="Agent",
            last_name=f"{i + 1:02d}",
            queue_enabled=status == User.Status.ONLINE,
            status=status,
        )
        agent.set_unusable_password()
        agents.append(agent)
    agents = User.objects.bulk_create(agents)
    User.groups.through.objects.bulk_create(
        User.groups.through(user_id=agent.pk, group_id=agent_group.pk) for agent in agents
    )
    agent_departments = {
        agent.pk: [
            slug
            for slug, members in (("bench-small", 10), ("bench-medium", 20), ("bench-large", 30))
            if i < members
        ]
        for i, agent in enumerate(agents)
    }
    DepartmentAgent.objects.bulk_create(
        DepartmentAgent(agent_id=agent_id, department=by_slug[slug])
        for agent_id, slugs in agent_departments.items()
        for slug in slugs
    )
    members = {
        slug: [agent_id for agent_id, slugs in agent_departments.items() if slug in slugs]
        for slug, _ in DEPARTMENTS
    }

    manager_group = Group.objects.get(name=MANAGER_ROLE)
    managers = []
    for username, _ in MANAGERS:
        manager = User(
            username=username,
            first_name="Manager",
            last_name=username.rsplit("-", 1)[-1],
            is_staff=True,
        )
        manager.set_unusable_password()
        managers.append(manager)
    managers = User.objects.bulk_create(managers)
    User.groups.through.objects.bulk_create(
        User.groups.through(user_id=manager.pk, group_id=manager_group.pk) for manager in managers
    )
    User.supervised_departments.through.objects.bulk_create(
        User.supervised_departments.through(user_id=manager.pk, department_id=by_slug[slug].pk)
        for manager, (_, slugs) in zip(managers, MANAGERS, strict=True)
        for slug in slugs
    )
    tags = Tag.objects.bulk_create(Tag(name=name) for name in TAG_NAMES)
    timings["users"] = time.perf_counter() - started

    started = time.perf_counter()
    # Half the contacts have a name, e-mail and phone; the others are nameless guests.
    insert_rows(
        Contact,
        ["name", "email", "phone", "guest_number"],
        (
            (f"Bench contact {i}", f"contact{i}@example.com", f"+1555{i:07d}", None)
            if i % 2
            else ("", "", "", 1_000_000_000 + i)
            for i in range(CONTACTS)
        ),
    )
    contact_ids = list(Contact.objects.order_by("id").values_list("id", flat=True))
    timings["contacts"] = time.perf_counter() - started

    started = time.perf_counter()
    rooms = build_rooms(now, rng, by_slug, members, agents)
    # Open rooms get contacts of their own (one open room per contact and channel); closed ones
    # go to returning contacts too.
    open_contacts = iter(contact_ids)
    for room in rooms:
        room["contact_id"] = (
            next(open_contacts) if room["status"] != Room.Status.CLOSED else rng.choice(contact_ids)
        )
    rooms.sort(key=lambda room: room["created_at"])  # inserted as they arrive, as in production
    room_columns = list(rooms[0])
    insert_rows(Room, room_columns, ([room[c] for c in room_columns] for room in rooms))
    room_ids = list(Room.objects.order_by("id").values_list("id", flat=True))
    timings["rooms"] = time.perf_counter() - started

    started = time.perf_counter()
    tag_ids = [tag.pk for tag in tags]
    insert_rows(
        Room.tags.through,
        ["room_id", "tag_id"],
        (
            (room_id, tag_id)
            for room_id, room in zip(room_ids, rooms, strict=True)
            if room["status"] == Room.Status.CLOSED and rng.random() < TAGGED_SHARE
            for tag_id in rng.sample(tag_ids, rng.choice((1, 1, 2, 3)))
        ),
    )
    timings["tags"] = time.perf_counter() - started

    started = time.perf_counter()

    def messages():
        for n, (room_id, room) in enumerate(zip(room_ids, rooms, strict=True)):
            yield (
                room_id,
                Message.Kind.CONTACT,
                None,
                f"Hello, I need help with order {n}",
                room["channel"],
                room["created_at"],
            )
            if room["first_response_at"] and n % REPLY_EVERY == 0:
                yield (
                    room_id,
                    Message.Kind.AGENT,
                    room["agent_id"],
                    "Hello! Let me look into it.",
                    room["channel"],
                    room["first_response_at"],
                )

    insert_rows(
        Message, ["room_id", "kind", "author_id", "text", "channel", "created_at"], messages()
    )
    timings["messages"] = time.perf_counter() - started
    return timings


def build_rooms(now, rng: random.Random, by_slug: dict, members: dict, agents: list) -> list:
    """Every room as a dict of column values: queued, taken and closed, over the last DAYS."""
    from directory.models import Channel
    from rooms.models import Room

    channels = [
        (Channel.LIVECHAT, "", 0.7),
        (Channel.FACEBOOK, "bench-page", 0.2),
        (Channel.API, "bench-api-key", 0.1),
    ]

    def channel() -> tuple[str, str]:
        value, source, _ = rng.choices(channels, weights=[w for *_, w in channels])[0]
        return value, source

    def room(department_slug: str, status: str, created_at) -> dict:
        value, source = channel()
        return room_row(
            channel=value,
            source=source,
            department_id=by_slug[department_slug].pk,
            status=status,
            created_at=created_at,
        )

    def answered(row: dict, agent_id: int, queue_seconds: float) -> None:
        row["agent_id"] = agent_id
        row["queue_seconds"] = queue_seconds
        row["taken_at"] = row["created_at"] + timedelta(seconds=queue_seconds)
        row["first_response_at"] = row["taken_at"] + timedelta(seconds=rng.uniform(5, 60))
        row["response_count"] = rng.randint(1, 15)
        row["response_seconds_total"] = row["response_count"] * rng.uniform(10, 90)

    rooms = []
    taken_by_department: dict[str, int] = dict.fromkeys(by_slug, 0)
    # Taken: agent number i serves (i % 5) + 1 chats, in the departments it belongs to.
    for i, agent in enumerate(agents):
        slugs = [slug for slug in by_slug if agent.pk in members[slug]]
        for k in range(i % 5 + 1):
            slug = slugs[k % len(slugs)]
            taken_by_department[slug] += 1
            row = room(slug, Room.Status.TAKEN, now - timedelta(minutes=rng.uniform(5, 90)))
            answered(row, agent.pk, rng.uniform(5, 120))
            row["last_message_at"] = now - timedelta(seconds=rng.uniform(0, 300))
            if k % 2:
                row["awaiting_reply_since"] = row["last_message_at"]
            rooms.append(row)

    for slug, size in DEPARTMENTS:
        queued = max(size // QUEUED_EVERY, 1)
        for _ in range(queued):
            row = room(slug, Room.Status.QUEUED, now - timedelta(minutes=rng.uniform(0, 40)))
            row["waiting_since"] = row["awaiting_reply_since"] = row["created_at"]
            rooms.append(row)
        for _ in range(size - queued - taken_by_department[slug]):
            created_at = now - timedelta(seconds=rng.uniform(1_800, DAYS * 86_400))
            row = room(slug, Room.Status.CLOSED, created_at)
            queue_seconds = min(rng.expovariate(1 / 45), 600.0)
            if rng.random() < ABANDONED_SHARE:
                row["queue_seconds"] = queue_seconds
                row["closed_at"] = created_at + timedelta(seconds=queue_seconds)
            else:
                agent_id = rng.choice(members[slug])
                answered(row, agent_id, queue_seconds)
                row["closed_at"] = min(
                    row["first_response_at"] + timedelta(minutes=rng.uniform(2, 25)),
                    now - timedelta(minutes=1),
                )
                row["closed_by_id"] = agent_id
            row["last_message_at"] = row["closed_at"]
            rooms.append(row)
    return rooms


def room_row(*, channel: str, source: str, department_id: int, status: str, created_at) -> dict:
    """A room's column values as it opened: no contact, agent or metrics yet (callers fill in
    what its story adds)."""
    return {
        "contact_id": None,
        "channel": channel,
        "source": source,
        "department_id": department_id,
        "agent_id": None,
        "status": status,
        "created_at": created_at,
        "queued_at": created_at,
        "waiting_since": None,
        "taken_at": None,
        "closed_at": None,
        "queue_seconds": 0.0,
        "first_response_at": None,
        "awaiting_reply_since": None,
        "response_count": 0,
        "response_seconds_total": 0.0,
        "last_message_at": created_at,
        "closing_comment": "",
        "closed_by_id": None,
    }


def insert_rows(model, columns: list[str], rows) -> None:
    """Rows of `columns` (attnames) into the model's table; other columns get their defaults.

    Values come from a template instance through each field (so new columns with defaults need
    no change here). COPY on PostgreSQL, executemany() in batches elsewhere; inside the caller's
    transaction.
    """
    from django.db import connection

    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    template = model()
    base = [
        field.get_db_prep_save(field.pre_save(template, add=True), connection) for field in fields
    ]
    attnames = [field.attname for field in fields]
    positions = [attnames.index(column) for column in columns]
    prepare = [fields[position] for position in positions]
    native = connection.vendor == "postgresql"  # psycopg adapts the Python values itself

    def full_rows():
        for values in rows:
            row = list(base)
            for position, field, value in zip(positions, prepare, values, strict=True):
                row[position] = value if native else field.get_db_prep_save(value, connection)
            yield row

    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    column_list = ", ".join(quote(field.column) for field in fields)
    with connection.cursor() as cursor:
        if native:
            with cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                for row in full_rows():
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(fields))
        insert_sql = f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})"  # noqa: S608 (identifiers from the model)
        batch = []
        for row in full_rows():
            batch.append(row)
            if len(batch) == COPY_BATCH:
                cursor.executemany(insert_sql, batch)
                batch = []
        if batch:
            cursor.executemany(insert_sql, batch)


def bench_managers() -> list[dict]:
    """Each manager with its scope: rooms seen, the department filtered on, expected figures."""
    from django.db.models import Count, Q

    from accounts.models import Department, User
    from rooms.models import Room

    users = {user.username: user for user in User.objects.filter(username__in=dict(MANAGERS))}
    departments = {d.slug: d for d in Department.objects.filter(slug__in=dict(DEPARTMENTS))}
    figures = {
        row["department_id"]: row
        for row in Room.objects.values("department_id").annotate(
            rooms=Count("pk"),
            queued=Count("pk", filter=Q(status=Room.Status.QUEUED)),
            open=Count("pk", filter=Q(status=Room.Status.TAKEN)),
            closed=Count("pk", filter=Q(status=Room.Status.CLOSED)),
        )
    }
    managers = []
    for username, supervised in MANAGERS:
        scope = [departments[slug] for slug in scope_of(supervised)]
        filtered = max(scope, key=lambda d: figures[d.pk]["rooms"])
        managers.append(
            {
                "user": users[username],
                "label": f"{username.removeprefix('bench-manager-')} ({len(scope)} dept)",
                "scoped": bool(supervised),
                "rooms": sum(figures[d.pk]["rooms"] for d in scope),
                "scope": {d.pk: figures[d.pk] for d in scope},
                "filtered_department": filtered,
                "filtered_rooms": figures[filtered.pk]["closed"],
            }
        )
    return managers


# --- measurement --------------------------------------------------------------------------------


def measure(managers: list[dict], *, iterations: int, warmup: int) -> list[dict]:
    """Per page and manager: queries of every warm-up request, then timed requests.

    Queries are counted (CaptureQueriesContext) on the warm-up requests only, so the timed ones
    run without the debug cursor's bookkeeping; any difference between warm-up requests shows up
    in `query_counts_seen`.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    largest = max(manager["rooms"] for manager in managers)
    results = []
    for page, description in PAGES:
        for manager in managers:
            request, matched = requester(page, manager)
            counts = []
            queries = []
            for _ in range(warmup):
                with CaptureQueriesContext(connection) as captured:
                    request(check=True)
                counts.append(len(captured.captured_queries))
                queries = captured.captured_queries
            gc.collect()  # start each row with the same heap, not the garbage of the last one
            timings = []
            cpu = []
            for _ in range(iterations):
                started = time.perf_counter_ns()
                cpu_started = time.process_time_ns()
                request(check=False)
                timings.append(time.perf_counter_ns() - started)
                cpu.append(time.process_time_ns() - cpu_started)
            slowest = sorted(queries, key=lambda q: float(q["time"]), reverse=True)
            results.append(
                {
                    "page": page,
                    "what": description,
                    "manager": manager["label"],
                    "scoped": manager["scoped"],
                    "rooms": manager["rooms"],
                    "matched": matched,
                    "queries": counts[-1],
                    "query_counts_seen": sorted(set(counts)),
                    **support.summarize_ms(timings),
                    # This process's own CPU per request (rendering, ORM; not PostgreSQL's
                    # work): what the page costs apart from waiting for a busy machine.
                    "cpu_p50_ms": support.summarize_ms(cpu)["p50_ms"],
                    # Django times each query to the millisecond.
                    "sql_ms": round(sum(float(q["time"]) for q in queries) * 1000),
                    "slowest_sql": [
                        {"ms": round(float(q["time"]) * 1000), "sql": q["sql"]} for q in slowest[:5]
                    ],
                    "largest": manager["rooms"] == largest,
                    "sql": [q["sql"] for q in queries],
                }
            )
            print(
                f"  {page:<15} {manager['label']:<22} {counts[-1]:>3} queries, "
                f"p50 {results[-1]['p50_ms']:.1f} ms",
                flush=True,
            )
    return results


# The list counts up to its paginator's cap and says "10000+" past it.
PAGINATOR_COUNT = re.compile(r'class="paginator".*?</ul>\s*(\d+\+?) rooms?\b', re.DOTALL)


def requester(page: str, manager: dict):
    """A function that requests the page once as the manager (and checks the answer when asked),
    and the number of rooms the page covers."""
    from django.test import Client

    from omnichannel.supervision import CappedPaginator

    client = Client()
    client.force_login(manager["user"])
    if page == "dashboard":
        path, matched = "/admin/dashboard/", manager["rooms"]
    elif page == "rooms":
        path, matched = "/admin/rooms/room/", manager["rooms"]
    else:
        department = manager["filtered_department"]
        path = f"/admin/rooms/room/?status__exact=closed&department={department.pk}"
        matched = manager["filtered_rooms"]

    def request(*, check: bool) -> None:
        # secure=True: with DEBUG off the settings redirect plain HTTP to HTTPS.
        response = client.get(path, secure=True)
        if not check:
            return
        if response.status_code != 200:
            raise SystemExit(f"{path} as {manager['label']}: status {response.status_code}")
        body = response.content.decode()
        if page == "dashboard":
            for pk, figures in manager["scope"].items():
                expected = (
                    f'data-department="{pk}">',
                    f'data-figure="queued">{figures["queued"]}<',
                    f'data-figure="open">{figures["open"]}<',
                )
                row = body.split(f'data-department="{pk}">', 1)[-1].split("</tr>", 1)[0]
                if expected[0] not in body or not all(e in row for e in expected[1:]):
                    raise SystemExit(f"{path} as {manager['label']}: unexpected figures")
            if body.count("data-department=") != len(manager["scope"]):
                raise SystemExit(f"{path} as {manager['label']}: departments out of scope")
            return
        found = PAGINATOR_COUNT.search(body)
        rows = body.count('class="action-select"')
        shown = str(matched) if matched <= CappedPaginator.cap else f"{CappedPaginator.cap}+"
        if found is None or found.group(1) != shown or rows != min(matched, 50):
            raise SystemExit(
                f"{path} as {manager['label']}: expected {shown} rooms, 50 listed; found "
                f"{found.group(1) if found else '?'} rooms, {rows} listed"
            )

    return request, matched


# --- report -------------------------------------------------------------------------------------


def print_report(report: dict, results: list[dict], *, show_sql: bool) -> None:
    load = report["load"]
    print()
    print(f"console on {report['database']['url']}")
    print(
        f"Python {report['python']}, Django {report['django']}, DEBUG={report['debug']}; "
        f"{report['rooms_in_db']:,} rooms ("
        + ", ".join(f"{n:,} {status}" for status, n in load["rooms_by_status"].items())
        + f"), {load['room_tags']:,} room tags, {report['messages_in_db']:,} messages; "
        + ("data reused" if load["reused"] else f"data loaded in {load['seconds']:.1f} s")
        + f"; {report['iterations']} timed requests per row after {report['warmup']} warm-up."
    )
    before, after = report["load_average_1min"]
    print(
        f"{report['cpus']} CPUs; 1-minute load average {before:.2f} before the timed requests, "
        f"{after:.2f} after (other work on the machine shows in the timings)."
    )
    print(
        "manager = whose scope (supervised departments; 'all' supervises none, so sees every "
        "one);\nrooms = rooms in the scope; matched = rooms the page counts or aggregates; "
        "sql ms = time in SQL of one warm-up request;\ncpu ms = this process's CPU time per "
        "request, p50 (its own work, whatever the load);"
    )
    print(f"PASS = p95 under {report['target_ms']:.0f} ms.")
    for page, description in PAGES:
        print(f"  {page}: {description}")
    print()
    headers = [
        "page", "manager", "rooms", "matched", "queries", "sql ms", "cpu ms",
        "p50 ms", "p95 ms", "p99 ms", "max ms", "target",
    ]  # fmt: skip
    rows = [
        [
            row["page"],
            row["manager"],
            row["rooms"],
            row["matched"],
            row["queries"]
            if len(row["query_counts_seen"]) == 1
            else "/".join(map(str, row["query_counts_seen"])),
            row["sql_ms"],
            row["cpu_p50_ms"],
            row["p50_ms"],
            row["p95_ms"],
            row["p99_ms"],
            row["max_ms"],
            "PASS" if row["pass"] else "FAIL",
        ]
        for row in results
    ]
    print(support.format_table(headers, rows))
    print()
    for page, _ in PAGES:
        scoped = [row for row in results if row["page"] == page and row["scoped"]]
        unscoped = [row for row in results if row["page"] == page and not row["scoped"]]
        sizes = " / ".join(f"{row['rooms']:,}" for row in scoped)
        counts = " / ".join(str(row["queries"]) for row in scoped)
        line = f"  {page}: queries at {sizes} rooms = {counts}"
        if unscoped:
            line += f"; unscoped manager: {unscoped[0]['queries']}"
        print(line)
    print(f"query count constant: {'yes' if report['query_count_constant'] else 'no'}")
    print(f"all under target: {'yes' if report['all_pass'] else 'no'}")
    print()
    print("Slowest queries of one warm-up request at 200,000 rooms:")
    for row in results:
        if not row["largest"]:
            continue
        print(f"  {row['page']} as {row['manager']}:")
        for query in row["slowest_sql"][:3]:
            sql = query["sql"] if show_sql else _shorten(query["sql"])
            print(f"    {query['ms']:>6} ms  {sql}")
    if show_sql:
        for row in results:
            if row["largest"]:
                print(f"\nSQL of {row['page']} as {row['manager']}:")
                for n, statement in enumerate(row["sql"], 1):
                    print(f"  {n}. {statement}")


def _shorten(sql: str, width: int = 150) -> str:
    sql = re.sub(r'SELECT .*? FROM "', 'SELECT ... FROM "', sql, count=1, flags=re.DOTALL)
    return sql if len(sql) <= width else sql[: width - 3] + "..."
