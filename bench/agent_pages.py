"""Agent pages: home, a busy room and Queued Chats with 100,000 rooms and 1,000,000 messages.

Issue 10's target: an agent's pages answer in 50 ms or less at the 95th percentile (server
time) with 100,000 rooms and 1,000,000 messages, in a number of queries that does not grow with
the data. Signed in as an agent through django.test.Client (in-process: middleware, view,
context processors and templates; DEBUG off), each page is requested after a warm-up:

    GET /                  home page (counters, departments; the sidebar with Queued Chats)
    GET /rooms/<id>/       room page of a chat the agent serves: 2,000 messages, the latest 50 shown
    GET /rooms/sidebar/    the Omnichannel lists (Queued Chats, In progress) that
                           static/js/live.js fetches again into the sidebar (data-sidebar-url)

Each page is measured twice in the same run, over the same tables: as `pages-agent-all`, a
member of every department (all the rooms, about 3,000 of them queued; the busy room), in the
rows `home`, `room` and `queued chats`; and as `pages-agent-small`, a member of the smallest
department (2% of the rooms, 60 queued: past the sidebar's first 50, so its count query runs
as for the large queue; a room of 20 messages), in the rows `... (small share)`. A page's
`queries` must equal its `queries_small`: `queries_delta` (largest count seen in any warm-up
at either size minus the smallest) is 0.

The data: five departments with 2%, 8%, 30%, 30% and 30% of the rooms; 3% of the rooms
queued (at least 60 a department), 26 agents serving 1 to 4 chats each, the rest closed over
the last 30 days (6% never answered); every room opens with a contact message, then contact
and agent messages alternate. Written with COPY (messages in time order, so a room's messages
are spread over the table as in production) in about a minute, VACUUM ANALYZEd, and kept
between runs: its times are relative to the load, so --reset after a few days keeps the queue
and "today" realistic.

    python -m bench agent_pages            # postgres://postgres@127.0.0.1:5432/bench_pages
    python -m bench agent_pages --reset    # rebuild the data (needed after changing --rooms)
    python -m bench agent_pages --rooms 10000 --reset   # a small data set while developing
    python -m bench agent_pages --explain  # EXPLAIN ANALYZE the slowest queries of each page
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/other python -m bench agent_pages

Results go to bench/results/agent_pages.json (and .png); the exit status is 1 when a target of
bench/targets.py fails. The timed requests run one after another in this process: server time
with no other request in flight. The machine itself may be busy, so the notes give its load
average and this process's CPU per request, the steadier figure.
"""

import argparse
import gc
import heapq
import logging
import os
import random
import time
from dataclasses import dataclass, field
from datetime import timedelta

from bench import support
from bench.console import insert_rows, room_row

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_pages"
SCENARIO = "agent_pages"
TARGET_MS = 50.0

ROOMS = 100_000
MESSAGES_PER_ROOM = 10
# (slug, share of the rooms). The small viewer is in the first one, the other in all of them.
DEPARTMENTS = (
    ("pages-a", 0.02),
    ("pages-b", 0.08),
    ("pages-c", 0.30),
    ("pages-d", 0.30),
    ("pages-e", 0.30),
)
QUEUED_SHARE = 0.03
# Past QUEUE_SIDEBAR_LIMIT (50): below it the sidebar takes the total from the rows it shows
# and skips its count, a query fewer that says nothing about the size of the data.
QUEUED_AT_LEAST = 60
ABANDONED_SHARE = 0.06
DAYS = 30
CHANNELS = (("livechat", "", 0.7), ("facebook", "bench-page", 0.2), ("api", "bench-api-key", 0.1))

SMALL_AGENT = "pages-agent-small"
ALL_AGENT = "pages-agent-all"
COLLEAGUES = 24
# The rooms whose page is measured: the busy one served by ALL_AGENT, a short one by
# SMALL_AGENT; found again by their contact's name.
BUSY_CONTACT = "Pages busy room"
BUSY_MESSAGES = 2_000
SMALL_CONTACT = "Pages small room"
SMALL_MESSAGES = 20
# Each bench agent serves two more chats of this length besides its measured room.
TAKEN_MESSAGES = 12

PAGES = (
    ("home", "GET /"),
    ("room", "GET /rooms/<id>/"),
    ("queued chats", "GET /rooms/sidebar/"),
)
CONTACT_TEXTS = (
    "Hello, I need help with order {n}.",
    "It was supposed to arrive on Monday and the tracking page has not changed since.",
    "Yes, the address is the one on the order.",
    "Thank you, that helps a lot.",
)
AGENT_TEXTS = (
    "Hello! Let me look into order {n} for you.",
    "I can see it left the warehouse yesterday; the carrier should update it today.",
    "Is the delivery address still the right one?",
    "You're welcome. Is there anything else I can do for you?",
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=f"python -m bench {SCENARIO}", description=__doc__.strip().splitlines()[0]
    )
    parser.add_argument("--reset", action="store_true", help="drop the bench data and load it anew")
    parser.add_argument(
        "--rooms", type=support.positive, default=ROOMS, help=f"rooms in all (default {ROOMS:,})"
    )
    parser.add_argument(
        "--messages",
        type=support.positive,
        help=f"messages in all (default {MESSAGES_PER_ROOM} per room: 1,000,000 for 100,000)",
    )
    parser.add_argument(
        "--iterations", type=support.positive, default=200, help="timed requests per row"
    )
    parser.add_argument(
        "--warmup",
        type=support.positive,
        default=10,
        help="untimed requests per row first, each one's queries counted",
    )
    parser.add_argument(
        "--target-ms", type=float, default=TARGET_MS, help="the p95 a page must stay within"
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="EXPLAIN (ANALYZE, BUFFERS) the three slowest queries of each page",
    )
    parser.add_argument("--show-sql", action="store_true", help="print every query of each page")
    args = parser.parse_args(argv)
    if args.messages is None:
        args.messages = args.rooms * MESSAGES_PER_ROOM
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    layout = Layout.of(args.rooms, args.messages)
    url = os.environ.get("BENCH_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    support.prepare_database(url, reset=args.reset)
    support.setup_django(url)
    # django-axes logs every force_login at INFO; the figures are what this prints.
    logging.getLogger("axes").setLevel(logging.WARNING)

    import django
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("Issue 10's target is on PostgreSQL: point BENCH_DATABASE_URL at it.")
    migrate_seconds = support.migrate()
    load = ensure_data(layout)
    viewers = bench_viewers()
    report = support.Report(
        SCENARIO,
        {
            "database": support.describe_url(url),
            "rooms": load["rooms"],
            "messages": load["messages"],
            "iterations": args.iterations,
            "warmup": args.warmup,
        },
    )
    load_before = os.getloadavg()
    captured = measure(report, viewers, iterations=args.iterations, warmup=args.warmup)
    load_after = os.getloadavg()
    report.extra.update(
        {
            "django": django.get_version(),
            "load": load,
            "migrate_seconds": round(migrate_seconds, 2),
            "target_ms": args.target_ms,
            "load_average": {"before": load_before, "after": load_after},
            "sql": {name: [q.sql for q in queries] for name, queries in captured.items()},
        }
    )
    add_notes(report, viewers, args.target_ms, load_before, load_after)
    by_status = ", ".join(f"{n:,} {status}" for status, n in load["rooms_by_status"].items())
    report.notes.append(
        f"Data: {load['rooms']:,} rooms ({by_status}), {load['messages']:,} messages; "
        + ("reused" if load["reused"] else f"loaded in {load['seconds']:.0f} s")
        + f"; {args.iterations} timed requests per row after {args.warmup} warm-up."
    )
    if args.show_sql:
        show_sql(captured)
    if args.explain:
        report.extra["explain"] = explain(captured)
    return report.finish()


# --- data ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """How many rooms each department holds and how many of them wait in its queue."""

    rooms: int
    messages: int
    department_rooms: dict[str, int]
    department_queued: dict[str, int]

    @classmethod
    def of(cls, rooms: int, messages: int) -> "Layout":
        sizes = {slug: int(rooms * share) for slug, share in DEPARTMENTS}
        sizes[DEPARTMENTS[-1][0]] += rooms - sum(sizes.values())
        queued = {
            slug: max(round(size * QUEUED_SHARE), QUEUED_AT_LEAST) for slug, size in sizes.items()
        }
        # Room for the queue, the chats agents serve and a few closed ones in the smallest one.
        if any(sizes[slug] < queued[slug] + 40 for slug in sizes):
            raise SystemExit(f"--rooms {rooms:,} is too few: at least 5,000")
        # The served chats' messages at most; then up to 3 per queued room, 2 per closed one.
        fixed = BUSY_MESSAGES + SMALL_MESSAGES + 4 * TAKEN_MESSAGES + COLLEAGUES * 4 * 20
        if messages < fixed + 3 * sum(queued.values()) + 2 * rooms:
            raise SystemExit(f"--messages {messages:,} is too few for {rooms:,} rooms")
        return cls(rooms, messages, sizes, queued)


def ensure_data(layout: Layout) -> dict:
    """Reuse the bench data when it is all there; load it when the database is empty."""
    from django.db import connection, transaction

    state = data_state(layout)
    if state == "mismatch":
        raise SystemExit(
            "The bench database holds other data than this scenario loads (different counts, "
            "or another --rooms / --messages). Run again with --reset to rebuild it."
        )
    seconds = 0.0
    if state == "empty":
        print(
            f"Loading {layout.rooms:,} rooms and {layout.messages:,} messages into "
            f"{connection.vendor}...",
            flush=True,
        )
        started = time.perf_counter()
        with transaction.atomic():
            timings = load_data(layout)
        # Fresh tables have no planner statistics and no visibility map until autovacuum gets
        # to them; a live database has both, so measure with them.
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
        "messages": Message.objects.count(),
    }


def data_state(layout: Layout) -> str:
    """'empty', 'complete' (every count as designed) or 'mismatch'."""
    from django.db.models import Count

    from accounts.models import Department, User
    from rooms.models import Message, Room

    agents = User.objects.filter(username__in=[SMALL_AGENT, ALL_AGENT])
    if not agents.exists() and not Room.objects.exists() and not Message.objects.exists():
        return "empty"
    sizes = dict(
        Department.objects.filter(slug__in=dict(DEPARTMENTS))
        .annotate(n=Count("rooms"))
        .values_list("slug", "n")
    )
    if agents.count() != 2 or sizes != layout.department_rooms:
        return "mismatch"
    if Room.objects.count() != layout.rooms or Message.objects.count() != layout.messages:
        return "mismatch"
    busy = Room.objects.filter(contact__name=BUSY_CONTACT, status=Room.Status.TAKEN).first()
    if busy is None or busy.messages.count() != BUSY_MESSAGES:
        return "mismatch"
    return "complete"


@dataclass
class Plan:
    """A room's column values, and the messages it gets."""

    row: dict
    messages: int
    spacing: timedelta = timedelta(seconds=30)
    agent_id: int | None = None
    extra: dict = field(default_factory=dict)


def load_data(layout: Layout) -> dict[str, float]:
    """Insert the bench data; the caller wraps it in one transaction.

    Benchmark data, not application state: written straight with COPY rather than through the
    services, which would record an event for every room and message.
    """
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from accounts.models import AGENT_ROLE, Department, DepartmentAgent, User
    from directory.models import Contact
    from rooms.models import Room

    timings: dict[str, float] = {}
    started = time.perf_counter()
    now = timezone.now()
    rng = random.Random(20_260_110)
    slugs = [slug for slug, _ in DEPARTMENTS]

    departments = Department.objects.bulk_create(
        Department(name=f"Pages {slug[-1].upper()} ({layout.department_rooms[slug]:,})", slug=slug)
        for slug in slugs
    )
    by_slug = {department.slug: department for department in departments}

    # Colleagues: each in one of the large departments, every other one in B too, the first
    # four in A; the two measured agents in A only and in every department.
    memberships = {SMALL_AGENT: ["pages-a"], ALL_AGENT: list(slugs)}
    for i in range(COLLEAGUES):
        memberships[f"pages-agent-{i + 1:02d}"] = [
            slugs[2 + i % 3],
            *(["pages-b"] if i % 2 == 0 else []),
            *(["pages-a"] if i < 4 else []),
        ]
    agent_group, _ = Group.objects.get_or_create(name=AGENT_ROLE)
    users = []
    for username in memberships:
        user = User(
            username=username,
            first_name="Agent",
            last_name=username.removeprefix("pages-agent-"),
            queue_enabled=True,
            status=User.Status.ONLINE,
        )
        user.set_unusable_password()
        users.append(user)
    users = User.objects.bulk_create(users)
    agents = {user.username: user.pk for user in users}
    User.groups.through.objects.bulk_create(
        User.groups.through(user_id=pk, group_id=agent_group.pk) for pk in agents.values()
    )
    DepartmentAgent.objects.bulk_create(
        DepartmentAgent(agent_id=agents[username], department=by_slug[slug])
        for username, member_of in memberships.items()
        for slug in member_of
    )
    members = {
        slug: [agents[name] for name, member_of in memberships.items() if slug in member_of]
        for slug in slugs
    }
    timings["users"] = time.perf_counter() - started

    started = time.perf_counter()
    plans = plan_rooms(layout, now, rng, by_slug, members, agents)
    open_rooms = sum(1 for plan in plans if plan.row["status"] != Room.Status.CLOSED)
    contacts = max(layout.rooms // 2, open_rooms + 2)
    # Half the contacts have a name, e-mail and phone; the others are nameless guests. The
    # first two are the measured rooms' contacts.
    insert_rows(
        Contact,
        ["name", "email", "phone", "guest_number"],
        (
            (BUSY_CONTACT, "", "", None)
            if i == 0
            else (SMALL_CONTACT, "", "", None)
            if i == 1
            else (f"Pages contact {i}", f"contact{i}@example.com", f"+1555{i:07d}", None)
            if i % 2
            else ("", "", "", 1_000_000_000 + i)
            for i in range(contacts)
        ),
    )
    contact_ids = list(Contact.objects.order_by("id").values_list("id", flat=True))
    timings["contacts"] = time.perf_counter() - started

    started = time.perf_counter()
    # Open rooms get contacts of their own (one open room per contact and channel); closed
    # ones go to returning contacts too.
    open_contacts = iter(contact_ids[2:])
    for plan in plans:
        if "contact" in plan.extra:
            plan.row["contact_id"] = contact_ids[plan.extra["contact"]]
        elif plan.row["status"] != Room.Status.CLOSED:
            plan.row["contact_id"] = next(open_contacts)
        else:
            plan.row["contact_id"] = rng.choice(contact_ids)
    plans.sort(key=lambda plan: plan.row["created_at"])  # inserted as they arrive
    columns = list(plans[0].row)
    insert_rows(Room, columns, ([plan.row[c] for c in columns] for plan in plans))
    room_ids = Room.objects.order_by("id").values_list("id", flat=True)
    for plan, room_id in zip(plans, room_ids.iterator(chunk_size=10_000), strict=True):
        plan.row = {
            "id": room_id,
            "channel": plan.row["channel"],
            "created_at": plan.row["created_at"],
            "taken_at": plan.row["taken_at"],
        }
    timings["rooms"] = time.perf_counter() - started

    started = time.perf_counter()
    insert_messages(plans, layout.messages)
    timings["messages"] = time.perf_counter() - started
    return timings


def plan_rooms(
    layout: Layout, now, rng: random.Random, by_slug: dict, members: dict, agents: dict
) -> list[Plan]:
    """Every room with its messages to come: taken, queued and closed, over the last DAYS."""
    from rooms.models import Room

    weights = [weight for *_, weight in CHANNELS]

    def room(slug: str, status: str, created_at, *, channel: tuple | None = None) -> dict:
        value, source, _ = channel or rng.choices(CHANNELS, weights=weights)[0]
        return room_row(
            channel=value,
            source=source,
            department_id=by_slug[slug].pk,
            status=status,
            created_at=created_at,
        )

    def taken(slug: str, agent_id: int, count: int, spacing: timedelta, **extra) -> Plan:
        # The last message came in a minute ago; the contact waits for an answer every other.
        created_at = now - spacing * count - timedelta(minutes=1)
        row = room(slug, Room.Status.TAKEN, created_at, channel=extra.pop("channel", None))
        queue_seconds = rng.uniform(5, 60)
        row["agent_id"] = agent_id
        row["queue_seconds"] = queue_seconds
        row["taken_at"] = created_at + timedelta(seconds=queue_seconds)
        row["first_response_at"] = row["taken_at"] + spacing
        row["response_count"] = count // 2
        row["response_seconds_total"] = row["response_count"] * spacing.total_seconds()
        row["last_message_at"] = row["taken_at"] + spacing * (count - 1)
        if count % 2:
            row["awaiting_reply_since"] = row["last_message_at"]
        return Plan(row, count, spacing, agent_id, extra=extra)

    plans: list[Plan] = []
    taken_in: dict[str, int] = dict.fromkeys(by_slug, 0)
    livechat = CHANNELS[0]
    seconds = timedelta(seconds=1)
    for username, slug, count, contact in (
        (ALL_AGENT, "pages-c", BUSY_MESSAGES, 0),
        (ALL_AGENT, "pages-d", TAKEN_MESSAGES, None),
        (ALL_AGENT, "pages-e", TAKEN_MESSAGES, None),
        (SMALL_AGENT, "pages-a", SMALL_MESSAGES, 1),
        (SMALL_AGENT, "pages-a", TAKEN_MESSAGES, None),
        (SMALL_AGENT, "pages-a", TAKEN_MESSAGES, None),
    ):
        extra = {"channel": livechat} if contact is not None else {}
        if contact is not None:
            extra["contact"] = contact
        plans.append(taken(slug, agents[username], count, seconds * rng.randint(4, 8), **extra))
        taken_in[slug] += 1
    for i in range(COLLEAGUES):
        agent_id = agents[f"pages-agent-{i + 1:02d}"]
        slug = DEPARTMENTS[2 + i % 3][0]
        for _ in range(i % 4 + 1):
            count = rng.randint(4, 20)
            plans.append(taken(slug, agent_id, count, seconds * rng.randint(20, 90)))
            taken_in[slug] += 1

    closed_count = layout.rooms - len(plans) - sum(layout.department_queued.values())
    budget = layout.messages - sum(plan.messages for plan in plans)
    queued_plans = []
    for slug, _ in DEPARTMENTS:
        for _ in range(layout.department_queued[slug]):
            row = room(slug, Room.Status.QUEUED, now - timedelta(minutes=rng.uniform(1, 40)))
            count = rng.randint(1, 3)
            row["waiting_since"] = row["awaiting_reply_since"] = row["created_at"]
            row["last_message_at"] = row["created_at"] + timedelta(seconds=10 * (count - 1))
            queued_plans.append(Plan(row, count, timedelta(seconds=10)))
    plans.extend(queued_plans)
    budget -= sum(plan.messages for plan in queued_plans)
    per_room, extra_messages = divmod(budget, closed_count)
    longer = set(rng.sample(range(closed_count), extra_messages))

    n = 0
    for slug, _ in DEPARTMENTS:
        closed_here = (
            layout.department_rooms[slug] - layout.department_queued[slug] - taken_in[slug]
        )
        for _ in range(closed_here):
            count = per_room + (1 if n in longer else 0)
            n += 1
            created_at = now - timedelta(seconds=rng.uniform(7_200, DAYS * 86_400))
            row = room(slug, Room.Status.CLOSED, created_at)
            spacing = timedelta(seconds=rng.uniform(20, 90))
            queue_seconds = min(rng.expovariate(1 / 45), 600.0)
            row["queue_seconds"] = queue_seconds
            last = created_at + spacing * (count - 1)
            agent_id = None
            if rng.random() >= ABANDONED_SHARE:
                agent_id = rng.choice(members[slug])
                row["agent_id"] = row["closed_by_id"] = agent_id
                row["taken_at"] = created_at + timedelta(seconds=queue_seconds)
                # The agent answers every other message, the first one after taking the chat.
                last = row["taken_at"] + spacing * (count - 1)
                row["first_response_at"] = row["taken_at"] + spacing
                row["response_count"] = count // 2
                row["response_seconds_total"] = row["response_count"] * spacing.total_seconds()
            row["last_message_at"] = last
            row["closed_at"] = last + timedelta(minutes=1)
            plans.append(Plan(row, count, spacing, agent_id))
    if n != closed_count:
        raise AssertionError(f"planned {n} closed rooms, not {closed_count}")
    return plans


def insert_messages(plans: list[Plan], total: int) -> None:
    """Every room's messages, in the order they were written (rooms interleaved by time)."""
    from rooms.models import Message

    def of(plan: Plan):
        room = plan.row
        channel = room["channel"]
        delivered = "" if channel == "livechat" else Message.Delivery.DELIVERED
        answered_from = room["taken_at"] or room["created_at"]
        for k in range(plan.messages):
            agent = plan.agent_id is not None and k % 2 == 1
            texts = AGENT_TEXTS if agent else CONTACT_TEXTS
            text = texts[(k // 2) % len(texts)].format(n=room["id"])
            yield (
                answered_from + plan.spacing * k if k else room["created_at"],
                room["id"],
                Message.Kind.AGENT if agent else Message.Kind.CONTACT,
                plan.agent_id if agent else None,
                text,
                text,  # html: plain sentences render to themselves
                channel,
                delivered if agent else "",
            )

    written = 0

    def rows():
        nonlocal written
        for created_at, *values in heapq.merge(*(of(plan) for plan in plans)):
            written += 1
            yield (*values, created_at)

    columns = ["room_id", "kind", "author_id", "text", "html", "channel", "delivery_status"]
    insert_rows(Message, [*columns, "created_at"], rows())
    if written != total:
        raise AssertionError(f"wrote {written:,} messages, not {total:,}")


# --- who looks ----------------------------------------------------------------------------------


@dataclass
class Viewer:
    label: str  # "small share" or "all"
    user: object
    rooms: int  # rooms of the agent's departments
    queued: int
    room_id: int  # the room whose page is measured
    room_messages: int


def bench_viewers() -> list[Viewer]:
    """The agent in the smallest department, then the one in every department."""
    from accounts.models import User
    from queues.selectors import queued_rooms_for
    from rooms.models import Room

    viewers = []
    for label, username, contact in (
        ("small share", SMALL_AGENT, SMALL_CONTACT),
        ("all", ALL_AGENT, BUSY_CONTACT),
    ):
        user = User.objects.get(username=username)
        room = Room.objects.get(contact__name=contact, status=Room.Status.TAKEN, agent=user)
        viewers.append(
            Viewer(
                label=label,
                user=user,
                rooms=Room.objects.filter(department__memberships__agent=user).count(),
                queued=queued_rooms_for(user).count(),
                room_id=room.pk,
                room_messages=room.messages.count(),
            )
        )
    return viewers


# --- measurement --------------------------------------------------------------------------------


@dataclass
class Query:
    sql: str
    params: object
    ms: float


def measure(
    report, viewers: list[Viewer], *, iterations: int, warmup: int
) -> dict[str, list[Query]]:
    """Per page, for each viewer: the queries of every warm-up request, then timed requests.

    Queries are counted (CaptureQueriesContext) and timed on the warm-up requests only, so the
    timed ones run without that bookkeeping. Returns each row's queries of its last warm-up.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    captured: dict[str, list[Query]] = {}
    for page, description in PAGES:
        rows = []
        for viewer in viewers:
            name = page if viewer.label == "all" else f"{page} ({viewer.label})"
            request = requester(page, viewer)
            counts = []
            queries: list[Query] = []
            for _ in range(warmup):
                queries = []
                with (
                    CaptureQueriesContext(connection) as capture,
                    connection.execute_wrapper(timer(queries)),
                ):
                    request(check=True)
                counts.append(len(capture.captured_queries))
            gc.collect()  # start each row with the same heap, not the garbage of the last one
            timings, cpu = [], []
            started = time.perf_counter()
            for _ in range(iterations):
                wall = time.perf_counter_ns()
                process = time.process_time_ns()
                request(check=False)
                timings.append((time.perf_counter_ns() - wall) / 1e6)
                cpu.append((time.process_time_ns() - process) / 1e6)
            seconds = time.perf_counter() - started
            slowest = sorted(queries, key=lambda q: q.ms, reverse=True)
            row = report.add(
                name,
                mode="in-process",
                seconds=seconds,
                requests=iterations,
                latencies_ms=timings,
                what=description,
                viewer=viewer.label,
                rooms_seen=viewer.rooms,
                queued=viewer.queued,
                room_messages=viewer.room_messages if page == "room" else None,
                queries=counts[-1],
                query_counts_seen=sorted(set(counts)),
                cpu_p50_ms=round(support.percentile(sorted(cpu), 50), 1),
                sql_ms=round(sum(q.ms for q in queries), 1),
                slowest_sql=[{"ms": round(q.ms, 2), "sql": q.sql} for q in slowest[:5]],
            )
            captured[name] = queries
            rows.append(row)
            print(
                f"  {name:<26} {counts[-1]:>3} queries, p50 {row['p50_ms']:.1f} ms, "
                f"p95 {row['p95_ms']:.1f} ms",
                flush=True,
            )
        # The figure a target can check: the same count at both sizes, in every warm-up.
        seen = {count for row in rows for count in row["query_counts_seen"]}
        small, large = rows
        large["queries_small"] = small["queries"]
        large["queries_delta"] = small["queries_delta"] = max(seen) - min(seen)
    return captured


def timer(queries: list[Query]):
    """An execute wrapper that records each statement with its parameters and time."""

    def wrapper(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append(Query(sql, params, (time.perf_counter() - started) * 1000))

    return wrapper


def requester(page: str, viewer: Viewer):
    """A function that requests the page once as the viewer (and checks the answer when asked)."""
    from django.test import Client

    from queues.selectors import QUEUE_SIDEBAR_LIMIT
    from rooms.selectors import latest_messages

    client = Client()
    client.force_login(viewer.user)
    path = {"home": "/", "room": f"/rooms/{viewer.room_id}/", "queued chats": "/rooms/sidebar/"}[
        page
    ]
    expected = [f"data-queued-total>{viewer.queued}<"]
    if page == "home":
        expected.append(f'data-counter="queued">{viewer.queued}<')
    listed = min(viewer.queued, QUEUE_SIDEBAR_LIMIT)
    shown = 0
    if page == "room":
        from rooms.models import Room

        shown = len(latest_messages(Room(pk=viewer.room_id))[0])

    def request(*, check: bool) -> None:
        # secure=True: with DEBUG off the settings redirect plain HTTP to HTTPS.
        response = client.get(path, secure=True)
        if not check:
            return
        body = response.content.decode()
        problems = [f"status {response.status_code}"] if response.status_code != 200 else []
        problems += [f"no {text!r}" for text in expected if text not in body]
        if body.count("data-queued-room=") != listed:
            problems.append(f"{body.count('data-queued-room=')} queued rooms listed, not {listed}")
        if page == "room" and body.count("data-message-id=") != shown:
            problems.append(f"{body.count('data-message-id=')} messages shown, not {shown}")
        if problems:
            raise SystemExit(f"{path} as {viewer.user}: " + "; ".join(problems))

    return request


# --- report -------------------------------------------------------------------------------------


def add_notes(
    report, viewers: list[Viewer], target_ms: float, load_before: tuple, load_after: tuple
) -> None:
    """Queries at both sizes per page, and where each row's time goes."""
    table = []
    for row in report.rows:
        table.append(
            [
                row["name"],
                row["rooms_seen"],
                row["queued"],
                "-" if row["room_messages"] is None else row["room_messages"],
                "/".join(str(count) for count in row["query_counts_seen"]),
                row["p95_ms"],
                row["cpu_p50_ms"],
                row["sql_ms"],
                "yes" if row["p95_ms"] <= target_ms else "NO",
            ]
        )
    headers = ["page", "rooms seen", "queued", "room msgs", "queries", "p95 ms"]
    headers += ["cpu p50 ms", "sql ms", f"p95 <= {target_ms:g}"]
    report.notes.append(
        "\nQueries per request at both sizes (each warm-up counted; cpu = this process's CPU per "
        "request, sql = the queries' time in one warm-up request)"
    )
    report.notes.append(support.format_table(headers, table))
    for page, _ in PAGES:
        row = report.row(page)
        report.notes.append(
            f"  {page}: {row['queries_small']} queries at {viewers[0].rooms:,} rooms, "
            f"{row['queries']} at {viewers[1].rooms:,}: "
            + ("the same" if row["queries_delta"] == 0 else "DIFFERENT")
        )
    report.notes.append(
        f"One process, requests one after another; {os.cpu_count()} CPUs, load average "
        f"{load_before[0]:.2f} before and {load_after[0]:.2f} after (a shared machine)."
    )


def show_sql(captured: dict[str, list[Query]]) -> None:
    for name, queries in captured.items():
        print(f"\nSQL of one {name!r} request ({len(queries)} queries):")
        for n, query in enumerate(queries, 1):
            print(f"  {n:>2}. {query.ms:6.2f} ms  {query.sql}")


def explain(captured: dict[str, list[Query]]) -> dict[str, list[dict]]:
    """EXPLAIN (ANALYZE, BUFFERS) of the three slowest queries of each page, printed.

    Parameters are bound by the server (DATABASE_SERVER_SIDE_BINDING), so after a few runs a
    statement may run with a generic plan; its plan is shown too when it is the slower one.
    """
    plans = {}
    for name, queries in captured.items():
        plans[name] = []
        for query in sorted(queries, key=lambda q: q.ms, reverse=True)[:3]:
            if not query.sql.lstrip().upper().startswith("SELECT"):
                continue
            custom = plan_of(query, generic=False)
            generic = plan_of(query, generic=True)
            slower = execution_ms(generic) > 1.5 * execution_ms(custom) + 0.5
            plans[name].append(
                {
                    "ms": round(query.ms, 2),
                    "sql": query.sql,
                    "plan": custom,
                    "generic_plan": generic,
                }
            )
            print(f"\n-- {name}: {query.ms:.2f} ms in the request\n{query.sql}\n{custom}")
            if slower:
                print(f"-- the generic plan of the same statement:\n{generic}")
            else:
                print(f"-- generic plan: {execution_ms(generic):.3f} ms, no slower")
    return plans


def plan_of(query: Query, *, generic: bool) -> str:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        mode = "force_generic_plan" if generic else "force_custom_plan"
        cursor.execute(f"SET LOCAL plan_cache_mode = {mode}")
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query.sql}", query.params)
        return "\n".join(line for (line,) in cursor.fetchall())


def execution_ms(plan: str) -> float:
    for line in reversed(plan.splitlines()):
        if line.startswith("Execution Time:"):
            return float(line.split()[2])
    return 0.0
