"""Queued Chats sidebar: render time and SQL queries with 10,000 queued rooms, 1M messages.

Three agents see 100, 1,000 and 10,000 queued rooms (the departments are laid out so that this
holds); each renders the sidebar partial and the home page. The figures show whether the number
of queries per render stays the same as the queue grows, and how long a render takes.

    python -m bench queue_sidebar             # SQLite file in bench/results/
    python -m bench queue_sidebar --reset     # rebuild the bench data from scratch
    # PostgreSQL (the database is created if missing):
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_sidebar python -m bench ...
"""

import argparse
import gc
import logging
import platform
import random
import time
from datetime import timedelta

from bench import support

SQLITE_NAME = "queue_sidebar.sqlite3"
RESULT_NAME = "queue_sidebar"

# (slug, queued rooms). Shuffled over time so that every department's rooms are interleaved in
# the queue, as when several departments receive chats at once.
DEPARTMENTS = (
    ("bench-a", 100),
    ("bench-b", 900),
    ("bench-c", 3_000),
    ("bench-d", 3_000),
    ("bench-e", 3_000),
)
QUEUED_ROOMS = sum(size for _, size in DEPARTMENTS)
MESSAGES = 1_000_000
# (username, departments): the queued rooms of these departments are 100, 1,000 and 10,000.
AGENTS = (
    ("bench-agent-100", ("bench-a",)),
    ("bench-agent-1000", ("bench-a", "bench-b")),
    ("bench-agent-10000", tuple(slug for slug, _ in DEPARTMENTS)),
)
# Each agent also serves a few chats, so the sidebar's "In progress" list is not empty.
TAKEN_PER_AGENT = 3
MESSAGE_BATCH = 50_000
ROOM_SPACING = timedelta(seconds=60)
MESSAGE_SPACING = timedelta(seconds=1)

SCENARIOS = (
    ("sidebar", "render_to_string('queues/sidebar.html')"),
    ("partial", "render_to_string('queues/sidebar.html#queued-chats')"),
    ("home", "Client GET / (full page)"),
)


def queue_size(departments: tuple[str, ...]) -> int:
    sizes = dict(DEPARTMENTS)
    return sum(sizes[slug] for slug in departments)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench queue_sidebar",
        description=__doc__.strip().splitlines()[0],
    )
    parser.add_argument("--reset", action="store_true", help="drop the bench data and load it anew")
    parser.add_argument(
        "--iterations", type=support.positive, default=200, help="timed renders per row"
    )
    parser.add_argument(
        "--warmup",
        type=support.positive,
        default=20,
        help="untimed renders per row first, each one's queries counted",
    )
    parser.add_argument(
        "--show-sql", action="store_true", help="print the SQL of one sidebar render"
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    url = support.bench_database_url(SQLITE_NAME)
    support.prepare_database(url, reset=args.reset)
    support.setup_django(url)
    # django-axes logs every force_login at INFO; the figures are what this prints.
    logging.getLogger("axes").setLevel(logging.WARNING)

    import django
    from django.conf import settings
    from django.db import connection

    migrate_seconds = support.migrate()
    load = ensure_data()
    agents = bench_agents()
    results = measure(agents, iterations=args.iterations, warmup=args.warmup)

    constant = {
        scenario: len({row["queries"] for row in results if row["scenario"] == scenario}) == 1
        and all(
            len(row["query_counts_seen"]) == 1 for row in results if row["scenario"] == scenario
        )
        for scenario, _ in SCENARIOS
    }
    report = {
        "scenario": "queue_sidebar",
        "database": {"vendor": connection.vendor, "url": support.describe_url(url)},
        "debug": settings.DEBUG,
        "python": platform.python_version(),
        "django": django.get_version(),
        "queued_rooms_in_db": load["queued_rooms"],
        "messages_in_db": load["messages"],
        "load": load,
        "migrate_seconds": round(migrate_seconds, 2),
        "iterations": args.iterations,
        "warmup": args.warmup,
        "results": [{k: v for k, v in row.items() if k != "sql"} for row in results],
        "query_count_constant": all(constant.values()),
        "query_count_constant_by_scenario": constant,
        "sql_of_largest": {row["scenario"]: row["sql"] for row in results if row["largest"]},
    }
    print_report(report, results, show_sql=args.show_sql)
    support.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    support.save_results(RESULT_NAME, report, vendor=connection.vendor)
    return 0


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
            # Fresh tables have no planner statistics until autovacuum gets to them; a live
            # database has them, so measure with them.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        seconds = time.perf_counter() - started
        print(
            f"Loaded in {seconds:.1f} s ("
            + ", ".join(f"{name} {value:.1f} s" for name, value in timings.items())
            + ")",
            flush=True,
        )
    from rooms.models import Message, Room

    return {
        "reused": state == "complete",
        "seconds": round(seconds, 2),
        "queued_rooms": Room.objects.filter(status=Room.Status.QUEUED).count(),
        "messages": Message.objects.count(),
    }


def data_state() -> str:
    """'empty', 'complete' (every count as designed) or 'mismatch'."""
    from accounts.models import User
    from queues.selectors import queued_rooms_for
    from rooms.models import Message, Room

    usernames = [name for name, _ in AGENTS]
    agents = {user.username: user for user in User.objects.filter(username__in=usernames)}
    if not agents and not Room.objects.exists() and not Message.objects.exists():
        return "empty"
    if len(agents) != len(AGENTS):
        return "mismatch"
    if Room.objects.filter(status=Room.Status.QUEUED).count() != QUEUED_ROOMS:
        return "mismatch"
    if Message.objects.count() != MESSAGES:
        return "mismatch"
    for name, departments in AGENTS:
        if queued_rooms_for(agents[name]).count() != queue_size(departments):
            return "mismatch"
    return "complete"


def load_data() -> dict[str, float]:
    """Insert the bench data; the caller wraps it in one transaction.

    This is benchmark data, not application state, so it is written straight with bulk inserts
    rather than through the services (which would record an event per room and message and
    take hours for a million messages).
    """
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from accounts.models import AGENT_ROLE, Department, DepartmentAgent, User
    from directory.models import Channel, Contact
    from rooms.models import Room

    timings: dict[str, float] = {}
    started = time.perf_counter()
    now = timezone.now()
    rng = random.Random(20_251_125)

    departments = {
        department.slug: department
        for department in Department.objects.bulk_create(
            Department(name=f"Bench {slug[-1].upper()} ({size:,} queued)", slug=slug)
            for slug, size in DEPARTMENTS
        )
    }

    group, _ = Group.objects.get_or_create(name=AGENT_ROLE)
    agents = []
    for username, _ in AGENTS:
        agent = User(
            username=username,
            first_name="Bench",
            last_name=username.rsplit("-", 1)[-1],
            queue_enabled=True,
            status=User.Status.ONLINE,
        )
        agent.set_unusable_password()
        agents.append(agent)
    agents = User.objects.bulk_create(agents)
    User.groups.through.objects.bulk_create(
        User.groups.through(user_id=agent.pk, group_id=group.pk) for agent in agents
    )
    DepartmentAgent.objects.bulk_create(
        DepartmentAgent(agent=agent, department=departments[slug])
        for agent, (_, slugs) in zip(agents, AGENTS, strict=True)
        for slug in slugs
    )

    # One contact per room: an open room is unique per contact and channel. Every other contact
    # is a nameless guest, so both ways of showing a contact's name are rendered.
    taken = TAKEN_PER_AGENT * len(AGENTS)
    contacts = Contact.objects.bulk_create(
        (
            Contact(name=f"Bench contact {i}") if i % 2 else Contact(guest_number=1_000_000_000 + i)
            for i in range(QUEUED_ROOMS + taken)
        ),
        batch_size=2_000,
    )
    timings["agents+contacts"] = time.perf_counter() - started

    started = time.perf_counter()
    order = [slug for slug, size in DEPARTMENTS for _ in range(size)]
    rng.shuffle(order)
    per_room, extra = divmod(MESSAGES, QUEUED_ROOMS)
    first_queued = now - ROOM_SPACING * (QUEUED_ROOMS + 60)
    rooms = []
    for i, slug in enumerate(order):
        queued_at = first_queued + ROOM_SPACING * i
        count = per_room + (1 if i < extra else 0)
        rooms.append(
            Room(
                contact=contacts[i],
                channel=Channel.LIVECHAT,
                department=departments[slug],
                status=Room.Status.QUEUED,
                created_at=queued_at,
                queued_at=queued_at,
                waiting_since=queued_at,
                awaiting_reply_since=queued_at,
                last_message_at=queued_at + MESSAGE_SPACING * (count - 1),
            )
        )
    for n, (agent, (_, slugs)) in enumerate(
        pair for pair in zip(agents, AGENTS, strict=True) for _ in range(TAKEN_PER_AGENT)
    ):
        queued_at = now - timedelta(minutes=30 - n)
        rooms.append(
            Room(
                contact=contacts[QUEUED_ROOMS + n],
                channel=Channel.LIVECHAT,
                department=departments[slugs[0]],
                agent=agent,
                status=Room.Status.TAKEN,
                created_at=queued_at,
                queued_at=queued_at,
                taken_at=queued_at + timedelta(minutes=1),
                queue_seconds=60.0,
                last_message_at=queued_at + timedelta(minutes=2),
            )
        )
    rooms = Room.objects.bulk_create(rooms, batch_size=2_000)
    timings["rooms"] = time.perf_counter() - started

    started = time.perf_counter()
    insert_messages(rooms[:QUEUED_ROOMS], per_room=per_room, extra=extra)
    timings["messages"] = time.perf_counter() - started
    return timings


def insert_messages(rooms: list, *, per_room: int, extra: int) -> None:
    """MESSAGES contact messages spread over the queued rooms, inserted in batches.

    Room.objects.bulk_create builds a model instance per row; for a million rows that alone
    takes minutes, so rows are built as tuples of database values (every other column gets its
    model default through the field, so new columns with defaults need no change here). Rows go
    in with COPY on PostgreSQL and executemany() elsewhere, inside the caller's transaction.
    """
    from django.db import connection
    from django.utils import timezone

    from directory.models import Channel
    from rooms.models import Message

    fields = [field for field in Message._meta.concrete_fields if not field.primary_key]
    template = Message(
        room_id=0, kind=Message.Kind.CONTACT, channel=Channel.LIVECHAT, created_at=timezone.now()
    )
    base = [
        field.get_db_prep_save(field.pre_save(template, add=True), connection) for field in fields
    ]
    columns = [field.column for field in fields]
    at_room, at_text, at_created = (columns.index(c) for c in ("room_id", "text", "created_at"))
    created_field = fields[at_created]

    def rows():
        number = 0
        for i, room in enumerate(rooms):
            for k in range(per_room + (1 if i < extra else 0)):
                number += 1
                row = list(base)
                row[at_room] = room.pk
                row[at_text] = f"Hello, message {number}"
                row[at_created] = created_field.get_db_prep_save(
                    room.queued_at + MESSAGE_SPACING * k, connection
                )
                yield row

    quote = connection.ops.quote_name
    table = quote(Message._meta.db_table)
    column_list = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            copy_sql = f"COPY {table} ({column_list}) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                for row in rows():
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(columns))
        insert_sql = f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})"  # noqa: S608 (identifiers from the model)
        batch = []
        for row in rows():
            batch.append(row)
            if len(batch) == MESSAGE_BATCH:
                cursor.executemany(insert_sql, batch)
                batch = []
        if batch:
            cursor.executemany(insert_sql, batch)


def bench_agents() -> list[tuple[object, int]]:
    """The bench agents with the size of their queue, smallest first."""
    from accounts.models import User

    users = {user.username: user for user in User.objects.filter(username__in=dict(AGENTS))}
    return [(users[name], queue_size(departments)) for name, departments in AGENTS]


# --- measurement --------------------------------------------------------------------------------


def measure(agents: list[tuple[object, int]], *, iterations: int, warmup: int) -> list[dict]:
    """Per scenario and queue size: queries of every warm-up render, then timed renders.

    Queries are counted (CaptureQueriesContext) on the warm-up renders only, so the timed
    renders run without the debug cursor's bookkeeping; every warm-up render is counted, and
    any difference between renders shows up in `query_counts_seen`.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    largest = max(size for _, size in agents)
    results = []
    for scenario, description in SCENARIOS:
        for agent, size in agents:
            render = renderer(scenario, agent, size)
            counts = []
            sql = []
            for _ in range(warmup):
                with CaptureQueriesContext(connection) as captured:
                    render(check=True)
                counts.append(len(captured.captured_queries))
                sql = [query["sql"] for query in captured.captured_queries]
            gc.collect()  # start each row with the same heap, not the garbage of the last one
            timings = []
            for _ in range(iterations):
                started = time.perf_counter_ns()
                render(check=False)
                timings.append(time.perf_counter_ns() - started)
            results.append(
                {
                    "scenario": scenario,
                    "what": description,
                    "rooms": size,
                    "queries": counts[-1],
                    "query_counts_seen": sorted(set(counts)),
                    **support.summarize_ms(timings),
                    "largest": size == largest,
                    "sql": sql,
                }
            )
    return results


def renderer(scenario: str, agent, size: int):
    """A function that renders once for `agent` (and checks the output when asked)."""
    from django.template.loader import render_to_string
    from django.test import Client, RequestFactory

    from queues.context_processors import omnichannel_sidebar
    from queues.selectors import QUEUE_SIDEBAR_LIMIT

    if scenario == "home":
        client = Client()
        client.force_login(agent)

        def render_home(*, check: bool) -> None:
            # secure=True: with DEBUG off the settings redirect plain HTTP to HTTPS.
            response = client.get("/", secure=True)
            if check:
                body = response.content.decode()
                if response.status_code != 200 or f"data-queued-total>{size}<" not in body:
                    raise SystemExit(f"home page for {agent}: unexpected response")

        return render_home

    template_name = "queues/sidebar.html"
    if scenario == "partial":
        template_name += "#queued-chats"
    factory = RequestFactory()

    def render_sidebar(*, check: bool) -> None:
        request = factory.get("/")
        request.user = agent
        context = omnichannel_sidebar(request)  # the template's `room` is left out: no room open
        html = render_to_string(template_name, context)
        if check and (
            context.get("queued_total") != size
            or len(context["queued_rooms"]) != min(size, QUEUE_SIDEBAR_LIMIT)
            or f"data-queued-total>{size}<" not in html
        ):
            raise SystemExit(f"{template_name} for {agent}: not the {size} queued rooms expected")

    return render_sidebar


# --- report -------------------------------------------------------------------------------------


def print_report(report: dict, results: list[dict], *, show_sql: bool) -> None:
    load = report["load"]
    print()
    print(f"queue_sidebar on {report['database']['url']}")
    print(
        f"Python {report['python']}, Django {report['django']}, DEBUG={report['debug']}; "
        f"{report['queued_rooms_in_db']:,} queued rooms and {report['messages_in_db']:,} "
        f"messages in the database; "
        + ("data reused" if load["reused"] else f"data loaded in {load['seconds']:.1f} s")
        + f"; {report['iterations']} timed renders per row after {report['warmup']} warm-up."
    )
    print("rooms = queued rooms in the agent's departments; messages = messages in the database.")
    for scenario, description in SCENARIOS:
        print(f"  {scenario}: {description}")
    print()
    headers = ["scenario", "rooms", "messages", "queries", "p50 ms", "p95 ms", "p99 ms", "max ms"]
    rows = [
        [
            row["scenario"],
            row["rooms"],
            report["messages_in_db"],
            row["queries"]
            if len(row["query_counts_seen"]) == 1
            else "/".join(map(str, row["query_counts_seen"])),
            row["p50_ms"],
            row["p95_ms"],
            row["p99_ms"],
            row["max_ms"],
        ]
        for row in results
    ]
    print(support.format_table(headers, rows))
    print()
    for scenario, _ in SCENARIOS:
        mine = [row for row in results if row["scenario"] == scenario]
        sizes = " / ".join(f"{row['rooms']:,}" for row in mine)
        counts = " / ".join(str(row["queries"]) for row in mine)
        print(f"  {scenario}: queries at {sizes} rooms = {counts}")
    print(f"query count constant: {'yes' if report['query_count_constant'] else 'no'}")
    if show_sql:
        print("\nSQL of one sidebar render at the largest queue:")
        for n, statement in enumerate(report["sql_of_largest"]["sidebar"], 1):
            print(f"  {n}. {statement}")
