"""Contact Center: Contacts and Chats tabs and message search with 100k contacts, 2M messages.

100,000 contacts, 200,000 rooms (two per contact, over five departments), 2,000,000 messages
and 50,000 calls. A manager (sees everything) and an agent of one department (a fifth of the
rooms) load the Contacts and Chats tabs, plain, searched, sorted and filtered, through the full
Django stack (test client, session, middleware, templates); then the room's message search,
the contact history search and a full-text search over every message. Each row prints the SQL
queries of one request and the p50/p95/max time of the timed requests.

    # PostgreSQL (the database is created if missing; the data is reused when complete):
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_cc python -m bench contact_center
    ... --reset           # drop the bench data and load it anew
    ... --scale 0.1       # a tenth of the data, for a quick look (SQLite works at this size)
"""

import argparse
import gc
import logging
import platform
import random
import time
from datetime import timedelta

from bench import support

SQLITE_NAME = "contact_center.sqlite3"
RESULT_NAME = "contact_center"
SEED = 20_261_125

CONTACTS = 100_000
ROOMS_PER_CONTACT = 2
MESSAGES_PER_ROOM = 10
CALLS = 50_000
DEPARTMENTS = ("cc-a", "cc-b", "cc-c", "cc-d", "cc-e")
TAGS = ("billing", "shipping", "refund", "complaint", "vip", "bug", "sales", "returns", "spam")
RARE_WORD = "zanzibar"  # in about one message of 20,000
FIRST = (
    "Ana",
    "Bruno",
    "Carla",
    "Diego",
    "Elena",
    "Farid",
    "Greta",
    "Hugo",
    "Ines",
    "Jon",
    "Kira",
    "Luis",
    "Mara",
    "Nils",
    "Olga",
    "Pablo",
    "Quinn",
    "Rosa",
    "Saul",
    "Tina",
)
LAST = (
    "Lopez",
    "Diaz",
    "Ruiz",
    "Moreno",
    "Silva",
    "Costa",
    "Weber",
    "Novak",
    "Kim",
    "Okafor",
    "Rossi",
    "Dubois",
    "Nagy",
    "Berg",
    "Smith",
    "Garcia",
    "Ivanova",
    "Haddad",
    "Tanaka",
)
COMMENTS = (
    "Refund issued",
    "Shipping delayed, customer informed",
    "Password reset done",
    "Order changed to express",
    "Duplicate chat",
    "Invoice sent again by e-mail",
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench contact_center", description=__doc__.strip().splitlines()[0]
    )
    parser.add_argument("--reset", action="store_true", help="drop the bench data and reload")
    parser.add_argument(
        "--iterations", type=support.positive, default=20, help="timed requests per row"
    )
    parser.add_argument(
        "--warmup", type=support.positive, default=3, help="untimed requests per row"
    )
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the data to load")
    parser.add_argument("--explain", action="store_true", help="print the plan of each search")
    parser.add_argument(
        "--only", choices=["contacts", "chats", "calls", "search"], help="measure one tab only"
    )
    return parser.parse_args(argv)


def sizes(scale: float) -> dict[str, int]:
    contacts = max(100, round(CONTACTS * scale))
    return {
        "contacts": contacts,
        "rooms": contacts * ROOMS_PER_CONTACT,
        "messages": contacts * ROOMS_PER_CONTACT * MESSAGES_PER_ROOM,
        "calls": max(10, round(CALLS * scale)),
    }


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    url = support.bench_database_url(SQLITE_NAME)
    support.prepare_database(url, reset=args.reset)
    support.setup_django(url)
    logging.getLogger("axes").setLevel(logging.WARNING)

    import django
    from django.conf import settings
    from django.db import connection

    migrate_seconds = support.migrate()
    wanted = sizes(args.scale)
    load = ensure_data(wanted)
    results = measure(
        iterations=args.iterations, warmup=args.warmup, explain=args.explain, only=args.only
    )
    report = {
        "scenario": RESULT_NAME,
        "database": {"vendor": connection.vendor, "url": support.describe_url(url)},
        "debug": settings.DEBUG,
        "python": platform.python_version(),
        "django": django.get_version(),
        "data": wanted,
        "load": load,
        "migrate_seconds": round(migrate_seconds, 2),
        "iterations": args.iterations,
        "warmup": args.warmup,
        "results": results,
    }
    print_report(report)
    support.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    support.save_results(f"{RESULT_NAME}.{connection.vendor}", report)
    return 0


# --- data ---------------------------------------------------------------------------------------


def ensure_data(wanted: dict[str, int]) -> dict:
    from django.db import connection, transaction

    from directory.models import Call, Contact
    from rooms.models import Message, Room

    counts = {
        "contacts": Contact.objects.count(),
        "rooms": Room.objects.count(),
        "messages": Message.objects.count(),
        "calls": Call.objects.count(),
    }
    if counts == wanted:
        return {"reused": True, "seconds": 0.0, **counts}
    if any(counts.values()):
        raise SystemExit(
            f"The bench database holds other data ({counts}, want {wanted}). "
            "Run again with --reset to rebuild it."
        )
    print(f"Loading {wanted} into {connection.vendor}...", flush=True)
    started = time.perf_counter()
    with transaction.atomic():
        timings = load_data(wanted)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    seconds = time.perf_counter() - started
    print(
        f"Loaded in {seconds:.1f} s ("
        + ", ".join(f"{name} {value:.1f} s" for name, value in timings.items())
        + ")",
        flush=True,
    )
    return {"reused": False, "seconds": round(seconds, 1), **wanted, "timings": timings}


def copy_rows(model, rows) -> None:
    """Insert rows (dicts of attribute -> Python value) with COPY on PostgreSQL.

    Benchmark data, not application state: written straight, not through the services, which
    would record an event per row and take hours for two million messages. Every column not
    given gets its field default, prepared once by the field as Django would.
    """
    from django.db import connection

    fields = list(model._meta.concrete_fields)
    position = {field.attname: n for n, field in enumerate(fields)}
    base = []
    for field in fields:
        if field.has_default():
            value = field.get_default()
        elif field.null or getattr(field, "auto_now", False) or field.primary_key:
            value = None
        else:
            value = "" if field.get_internal_type() in TEXT_TYPES else None
        base.append(field.get_db_prep_save(value, connection))
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    column_list = ", ".join(quote(field.column) for field in fields)

    def prepared():
        for row in rows:
            values = list(base)
            for name, value in row.items():
                n = position[name]
                values[n] = fields[n].get_db_prep_save(value, connection)
            yield values

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                for values in prepared():
                    copy.write_row(values)
            return
        placeholders = ", ".join(["%s"] * len(fields))
        insert = f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})"  # noqa: S608
        batch = []
        for values in prepared():
            batch.append(values)
            if len(batch) == 20_000:
                cursor.executemany(insert, batch)
                batch = []
        if batch:
            cursor.executemany(insert, batch)


TEXT_TYPES = {"CharField", "TextField", "EmailField", "SlugField", "URLField"}


def vocabulary(rng: random.Random) -> list[str]:
    """Three thousand made-up words plus some a contact center hears every day."""
    syllables = ["ka", "lo", "mi", "tre", "sa", "no", "vu", "pe", "ri", "do", "gan", "ble", "sto"]
    words = {"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(6_000)}
    common = [
        "order",
        "refund",
        "parcel",
        "invoice",
        "password",
        "shipping",
        "delivery",
        "account",
        "help",
        "thanks",
        "please",
        "payment",
        "card",
        "return",
        "broken",
    ]
    return sorted(words)[:3_000] + common * 20


def load_data(wanted: dict[str, int]) -> dict[str, float]:
    from django.contrib.auth.models import Group
    from django.core.management.color import no_style
    from django.db import connection
    from django.utils import timezone

    from accounts.models import AGENT_ROLE, MANAGER_ROLE, Department, DepartmentAgent, User
    from directory.models import Call, Channel, Contact, ContactIdentity
    from rooms.models import Message, Room, Tag

    rng = random.Random(SEED)
    timings: dict[str, float] = {}
    now = timezone.now()
    started = time.perf_counter()

    departments = Department.objects.bulk_create(
        Department(name=f"Bench {slug[-1].upper()}", slug=slug) for slug in DEPARTMENTS
    )
    agent_group, _ = Group.objects.get_or_create(name=AGENT_ROLE)
    manager_group, _ = Group.objects.get_or_create(name=MANAGER_ROLE)
    users = []
    for username in ["cc-manager", "cc-agent", *(f"cc-agent-{n}" for n in range(20))]:
        user = User(username=username, first_name="Bench", last_name=username[3:].title())
        user.set_unusable_password()
        users.append(user)
    users = User.objects.bulk_create(users)
    manager, agent, *others = users
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=user.pk, group_id=agent_group.pk) for user in users]
        + [User.groups.through(user_id=manager.pk, group_id=manager_group.pk)]
    )
    memberships = [DepartmentAgent(agent=agent, department=departments[0])]
    memberships += [
        DepartmentAgent(agent=other, department=departments[n % len(departments)])
        for n, other in enumerate(others)
    ]
    DepartmentAgent.objects.bulk_create(memberships)
    staff_of = {
        d.pk: [m.agent for m in memberships if m.department_id == d.pk] for d in departments
    }
    tags = Tag.objects.bulk_create(Tag(name=name) for name in TAGS)

    contacts = wanted["contacts"]
    span = timedelta(days=730)
    contact_created = [now - span + span * (n / contacts) for n in range(contacts)]

    def contact_rows():
        for n in range(contacts):
            pk = n + 1
            named = rng.random() > 0.1
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {pk}" if named else ""
            yield {
                "id": pk,
                "name": name,
                "email": f"customer{pk}@example.com" if rng.random() < 0.6 else "",
                "phone": f"+3460{pk:07d}" if rng.random() < 0.5 else "",
                "guest_number": None if named else 1_000_000_000 + pk,
                "created_at": contact_created[n],
                "updated_at": contact_created[n],
            }

    copy_rows(Contact, contact_rows())
    copy_rows(
        ContactIdentity,
        (
            {
                "id": n + 1,
                "contact_id": n + 1,
                "channel": Channel.FACEBOOK if n % 3 == 0 else Channel.LIVECHAT,
                "external_id": f"psid-{n + 1}" if n % 3 == 0 else f"token-{n + 1}",
                "created_at": contact_created[n],
            }
            for n in range(contacts)
        ),
    )
    timings["contacts"] = time.perf_counter() - started

    started = time.perf_counter()
    room_tags = []
    room_meta = []

    def room_rows():
        pk = 0
        for n in range(contacts):
            for k in range(ROOMS_PER_CONTACT):
                pk += 1
                created = contact_created[n] + timedelta(days=k * 30, minutes=rng.randint(0, 600))
                department = rng.choice(departments)
                last = k == ROOMS_PER_CONTACT - 1
                roll = rng.random()
                status = (
                    Room.Status.QUEUED
                    if last and roll < 0.02
                    else Room.Status.TAKEN
                    if last and roll < 0.05
                    else Room.Status.CLOSED
                )
                served_by = (
                    None if status == Room.Status.QUEUED else rng.choice(staff_of[department.pk])
                )
                closed = status == Room.Status.CLOSED
                if closed and rng.random() < 0.4:
                    room_tags.append((pk, rng.choice(tags).pk))
                room_meta.append((pk, created))
                yield {
                    "id": pk,
                    "contact_id": n + 1,
                    "channel": Channel.LIVECHAT,
                    "department_id": department.pk,
                    "agent_id": served_by.pk if served_by else None,
                    "status": status,
                    "created_at": created,
                    "queued_at": created,
                    "waiting_since": created if status == Room.Status.QUEUED else None,
                    "taken_at": created + timedelta(seconds=45) if served_by else None,
                    "closed_at": created + timedelta(minutes=12) if closed else None,
                    "closed_by_id": served_by.pk if closed else None,
                    "closing_comment": rng.choice(COMMENTS) if closed else "",
                    "queue_seconds": 45.0 if served_by else 0.0,
                    "response_count": 5,
                    "response_seconds_total": 150.0,
                    "last_message_at": created + timedelta(minutes=10),
                }

    copy_rows(Room, room_rows())
    Room.tags.through.objects.bulk_create(
        (Room.tags.through(room_id=room, tag_id=tag) for room, tag in room_tags),
        batch_size=10_000,
    )
    timings["rooms"] = time.perf_counter() - started

    started = time.perf_counter()
    words = vocabulary(rng)
    search_index = None
    if connection.vendor == "postgresql":
        # Filling an indexed table row by row is slower than indexing it once afterwards.
        from importlib import import_module

        search_index = import_module("rooms.migrations.0003_message_text_search").search_index()
        with connection.schema_editor() as editor:
            editor.remove_index(Message, search_index)

    def message_rows():
        pk = 0
        for room, created in room_meta:
            for k in range(MESSAGES_PER_ROOM):
                pk += 1
                text = " ".join(rng.choices(words, k=rng.randint(4, 12)))
                if rng.random() < 1 / 20_000:
                    text += f" {RARE_WORD}"
                kind = Message.Kind.CONTACT if k % 2 == 0 else Message.Kind.AGENT
                yield {
                    "id": pk,
                    "room_id": room,
                    "kind": kind,
                    "text": text,
                    "channel": Channel.LIVECHAT,
                    "delivery_status": "" if kind == Message.Kind.CONTACT else "sent",
                    "created_at": created + timedelta(seconds=30 * k),
                }

    copy_rows(Message, message_rows())
    timings["messages"] = time.perf_counter() - started
    if search_index is not None:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            # The deferred foreign key checks of the COPY run now; an index waits for them.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        with connection.schema_editor() as editor:
            editor.add_index(Message, search_index)
        timings["search index"] = time.perf_counter() - started

    started = time.perf_counter()
    outcomes = list(Call.Outcome.values)
    copy_rows(
        Call,
        (
            {
                "id": n + 1,
                "contact_id": rng.randint(1, contacts),
                "direction": rng.choice(Call.Direction.values),
                "outcome": rng.choice(outcomes),
                "started_at": now - timedelta(minutes=n * 7),
                "duration_seconds": rng.randint(0, 900),
                "agent_id": rng.choice(users).pk,
                "created_at": now - timedelta(minutes=n * 7),
            }
            for n in range(wanted["calls"])
        ),
    )
    timings["calls"] = time.perf_counter() - started
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(
            no_style(), [Contact, ContactIdentity, Room, Message, Call]
        ):
            cursor.execute(statement)
    return {name: round(value, 1) for name, value in timings.items()}


# --- measurement --------------------------------------------------------------------------------


def scenarios() -> list[tuple[str, str, str, str]]:
    """(name, user, what, url or search) for every measured row."""
    from directory.models import Contact
    from rooms.models import Room

    contact_id = min(4242, Contact.objects.count() // 2)
    room = Room.objects.filter(contact_id=contact_id).order_by("id").last().pk
    return [
        ("contacts", "manager", "Contacts tab, newest first", "/contact-center/"),
        ("contacts", "agent", "Contacts tab, newest first", "/contact-center/"),
        ("contacts", "manager", "sorted by name", "/contact-center/?sort=name"),
        ("contacts", "manager", "page 2,000 of 4,000", "/contact-center/?page=2000"),
        ("contacts", "manager", "search by name", "/contact-center/?q=Lopez+4242"),
        ("contacts", "agent", "search by name", "/contact-center/?q=Lopez"),
        ("contacts", "manager", "search by phone", "/contact-center/?q=600+004+242"),
        ("contacts", "manager", "search, no match", "/contact-center/?q=nobody-like-this"),
        ("chats", "manager", "Chats tab, newest first", "/contact-center/chats/"),
        ("chats", "agent", "Chats tab, newest first", "/contact-center/chats/"),
        ("chats", "manager", "status + tag", "/contact-center/chats/?status=closed&tag=refund"),
        ("chats", "agent", "tag filter", "/contact-center/chats/?tag=vip"),
        ("chats", "manager", "closing comment text", "/contact-center/chats/?comment=express"),
        ("chats", "manager", "page 2,000 of 8,000", "/contact-center/chats/?page=2000"),
        ("calls", "manager", "Calls tab", "/contact-center/calls/"),
        ("search", "manager", "room search panel", f"/rooms/{room}/tools/search/?q=refund"),
        ("search", "manager", "contact history search", f"/rooms/{room}/tools/history/?q=order"),
        ("search", "manager", "history panel (list)", f"/rooms/{room}/tools/history/"),
        ("search", "manager", "room search, no match", f"/rooms/{room}/tools/search/?q=xyzzy"),
        (
            "search",
            "manager",
            "history search, rare word",
            f"/rooms/{room}/tools/history/?q={RARE_WORD}",
        ),
        ("search", "manager", f"count of 2M messages with {RARE_WORD}", f"count:{RARE_WORD}"),
        ("search", "manager", "count of 2M messages with 2 words", "count:refund parcel"),
    ]


def measure(*, iterations: int, warmup: int, explain: bool, only: str | None) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from rooms.models import Message
    from rooms.selectors import matching_messages

    clients = {}
    for role, username in (("manager", "cc-manager"), ("agent", "cc-agent")):
        client = Client()
        client.force_login(User.objects.get(username=username))
        clients[role] = client

    results = []
    for kind, role, what, target in scenarios():
        if only and kind != only:
            continue
        if target.startswith("count:"):
            # No product page searches every message; this shows the GIN index at work.
            text = target.removeprefix("count:")

            def run(text=text) -> int:
                return matching_messages(Message.objects.all(), text).count()

            if explain:
                print(f"\n{what}:\n{matching_messages(Message.objects.all(), text).explain()}")
        else:
            client = clients[role]

            def run(client=client, target=target) -> int:
                # secure=True: with DEBUG off the settings redirect plain HTTP to HTTPS.
                response = client.get(target, secure=True)
                if response.status_code != 200:
                    raise SystemExit(f"{target}: HTTP {response.status_code}")
                return len(response.content)

        counts = []
        for _ in range(warmup):
            with CaptureQueriesContext(connection) as captured:
                run()
            counts.append(len(captured.captured_queries))
        gc.collect()
        timings = []
        for _ in range(iterations):
            started = time.perf_counter_ns()
            run()
            timings.append(time.perf_counter_ns() - started)
        results.append(
            {
                "tab": kind,
                "user": role,
                "what": what,
                "target": target,
                "queries": counts[-1],
                "query_counts_seen": sorted(set(counts)),
                **support.summarize_ms(timings),
            }
        )
        print(f"  {kind:<8} {role:<8} {what:<40} {results[-1]['p50_ms']:>8.1f} ms", flush=True)
    return results


def print_report(report: dict) -> None:
    data = report["data"]
    load = report["load"]
    print()
    print(f"contact_center on {report['database']['url']}")
    print(
        f"Python {report['python']}, Django {report['django']}, DEBUG={report['debug']}; "
        f"{data['contacts']:,} contacts, {data['rooms']:,} rooms, {data['messages']:,} "
        f"messages, {data['calls']:,} calls; "
        + ("data reused" if load["reused"] else f"data loaded in {load['seconds']:.1f} s")
        + f"; {report['iterations']} timed requests per row after {report['warmup']} warm-up."
    )
    print("manager sees every row; agent is in one of five departments (a fifth of the rooms).")
    print()
    headers = ["tab", "user", "what", "queries", "p50 ms", "p95 ms", "max ms"]
    rows = [
        [
            row["tab"],
            row["user"],
            row["what"],
            row["queries"]
            if len(row["query_counts_seen"]) == 1
            else "/".join(map(str, row["query_counts_seen"])),
            row["p50_ms"],
            row["p95_ms"],
            row["max_ms"],
        ]
        for row in report["results"]
    ]
    print(support.format_table(headers, rows))
    slowest = max(report["results"], key=lambda row: row["p95_ms"])
    print(
        f"\nslowest p95: {slowest['tab']} / {slowest['user']} / {slowest['what']} "
        f"({slowest['p95_ms']:.1f} ms)"
    )
