"""Ingest vs its floor: signed Facebook webhooks (1 and 10 messages a call) and API inbound.

One Daphne process on PostgreSQL and Redis, load from this process. In the same run:

* floors: `GET /bench/floor/http/` (a trivial view) and `POST /bench/floor/ingest/` (one INSERT
  and one group_send), closed loop;
* `facebook webhook x1` / `x10`: signed calls with new mids from a pool of people (new and
  existing rooms), closed loop; the request stores the call and queues its processing, so
  `lost` = calls answered 200 - calls stored;
* `floor: ingest @150/s` and `facebook webhook x1 @150/s`: open loop at --rate messages a
  second (latency under load), the floor first, so the webhook's p99 reads against the floor's;
* `api inbound`: signed API channel messages, the whole path in the request (contact, room,
  message, events, live publish), closed loop; `lost` = answered 201 - stored;
* `facebook processed, 1 worker`: then one `task_worker` turns the stored backlog into rooms,
  messages, events and live publishes for --worker-seconds: messages stored a second.

    .venv/bin/python -m bench ingest [--seconds 10] [--connections 32] [--rate 150]
        [--worker-seconds 20] [--profile]

--profile samples Daphne during the webhook x1 and API phases and the worker during its phase
with py-spy.
"""

import argparse
import asyncio
import itertools
import json
import secrets
import sys
import time

from bench import fixtures, loadgen, profiling, stack, support

PEOPLE = 2_000  # senders cycle through this many people: the first message opens a room


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench ingest", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10, help="measured seconds per phase")
    parser.add_argument("--connections", type=int, default=32, help="closed-loop connections")
    parser.add_argument("--rate", type=float, default=150, help="open-loop messages a second")
    parser.add_argument("--worker-seconds", type=float, default=20)
    parser.add_argument("--worker-interval", type=float, default=0.1)
    parser.add_argument("--profile", action="store_true", help="py-spy the server processes")
    return parser.parse_args(argv)


async def closed(port: int, build, validate, args, *, keep: bool = False):
    return await loadgen.closed_loop(
        port, build, validate, connections=args.connections, seconds=args.seconds, keep=keep
    )


def add_load_row(report, name, result, usage, *, floor=None, kind="path", lost=None):
    return report.add(
        name,
        kind=kind,
        floor=floor,
        mode=result.mode,
        seconds=result.seconds,
        requests=result.ok,
        messages=result.messages_ok,
        errors=result.error_count,
        error_detail=result.errors,
        lost=lost,
        latencies_ms=result.latencies_ms,
        usage=usage,
    )


async def measure(label, stack_, coroutine):
    """Run one phase; its result and the servers' CPU and memory over it."""
    before = stack_.usage()
    result = await coroutine
    return result, stack.usage_between(before, stack_.usage())


def run(args: argparse.Namespace, report: support.Report, stack_: stack.Stack) -> None:
    port = stack_.port
    run_id = secrets.token_hex(3)

    # Floors.
    result, usage = asyncio.run(
        measure(
            "floor http",
            stack_,
            closed(port, lambda n: fixtures.floor_http(port), fixtures.status_is(200), args),
        )
    )
    add_load_row(report, "floor: http", result, usage, kind="floor")
    result, usage = asyncio.run(
        measure(
            "floor ingest",
            stack_,
            closed(port, lambda n: fixtures.floor_ingest(port, n), fixtures.status_is(200), args),
        )
    )
    add_load_row(report, "floor: ingest", result, usage, kind="floor")

    # Facebook webhook, 1 and 10 messages a call.
    for size in (1, 10):
        before_calls = fixtures.stored_webhook_calls()
        counter = itertools.count()

        def build(number: int, size: int = size, counter=counter) -> loadgen.Request:
            items = []
            for _ in range(size):
                n = next(counter)
                items.append((str(7_000_000 + n % PEOPLE), f"m_{run_id}_{size}_{n}", f"Hi {n}"))
            return loadgen.Request(fixtures.facebook_call(port, items), messages=size)

        with profiling.sampled(
            args.profile and size == 1,
            stack_.pids("daphne")[0],
            args.seconds + 2,
            "ingest-webhook-daphne",
            report.notes,
            "Profile of Daphne, facebook webhook x1",
        ):
            result, usage = asyncio.run(
                measure("fb", stack_, closed(port, build, fixtures.status_is(200), args, keep=True))
            )
        fixtures.close_connections()
        stored = fixtures.stored_webhook_calls() - before_calls
        answered = sum(1 for _r, status, *_ in result.answered if status == 200)
        add_load_row(
            report,
            f"facebook webhook x{size}",
            result,
            usage,
            floor="floor: ingest",
            lost=answered - stored,
        )

    # The ingest floor at the same fixed rate, open loop: the latency the least possible
    # stored-and-announced message has at that load on this machine now (what the webhook's
    # p99 target is judged against when the machine is shared).
    floor_numbers = itertools.count(10_000_000)
    result, usage = asyncio.run(
        measure(
            "floor ingest open",
            stack_,
            loadgen.open_loop(
                port,
                lambda n: fixtures.floor_ingest(port, next(floor_numbers)),
                fixtures.status_is(200),
                rate=args.rate,
                seconds=args.seconds,
            ),
        )
    )
    add_load_row(report, f"floor: ingest @{args.rate:g}/s", result, usage, kind="floor")

    # Facebook webhook at a fixed rate, open loop.
    counter = itertools.count()

    def build_open(number: int) -> loadgen.Request:
        n = next(counter)
        item = (str(7_000_000 + n % PEOPLE), f"m_{run_id}_open_{n}", f"Hi {n}")
        return loadgen.Request(fixtures.facebook_call(port, [item]))

    result, usage = asyncio.run(
        measure(
            "fb open",
            stack_,
            loadgen.open_loop(
                port, build_open, fixtures.status_is(200), rate=args.rate, seconds=args.seconds
            ),
        )
    )
    add_load_row(
        report, f"facebook webhook x1 @{args.rate:g}/s", result, usage, floor="floor: ingest"
    )

    # API inbound: the whole path in the request.
    counter = itertools.count()
    ids: list[str] = []

    def build_api(number: int) -> loadgen.Request:
        n = next(counter)
        message_id = f"{run_id}-{n}"
        ids.append(message_id)
        return loadgen.Request(
            fixtures.api_call(port, f"person-{n % PEOPLE}", message_id, f"Hello {n}")
        )

    with profiling.sampled(
        args.profile,
        stack_.pids("daphne")[0],
        args.seconds + 2,
        "ingest-api-daphne",
        report.notes,
        "Profile of Daphne, API inbound",
    ):
        result, usage = asyncio.run(
            measure(
                "api", stack_, closed(port, build_api, fixtures.status_is(201), args, keep=True)
            )
        )
    answered = [
        json.loads(body)["message"] for _r, status, body, *_ in result.answered if status == 201
    ]
    from rooms.models import Message

    stored = Message.objects.filter(pk__in=answered).count()
    fixtures.close_connections()
    add_load_row(
        report, "api inbound", result, usage, floor="floor: ingest", lost=len(answered) - stored
    )

    # One worker on the stored Facebook backlog.
    report.add(**worker_phase(stack_, args, name="facebook processed, 1 worker", workers=1))


def analyze_task_queue() -> None:
    """Planner statistics for the backlog just stored, as autovacuum's analyze gives them.

    These machines' PostgreSQL runs without autovacuum: without statistics the planner takes the
    fresh task table for a few rows, and every claim reads and sorts the whole ready backlog
    (1.8 ms at 5,000 rows, against 0.25 ms along the queue's index once analyzed).
    """
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {DBTaskResult._meta.db_table}")


def worker_phase(stack_: stack.Stack, args, *, name: str, workers: int) -> dict:
    """Messages the worker(s) store a second from the stored backlog, for --worker-seconds."""
    from rooms.models import Message

    analyze_task_queue()
    procs = stack_.start_workers(workers, interval=args.worker_interval)
    time.sleep(2)  # start-up and first claims, unmeasured
    profile = None
    if getattr(args, "profile", False):
        profile = profiling.Profile(
            procs[0].pid, args.worker_seconds, "worker", idle=True
        ).__enter__()
    before = stack_.usage()
    count_before, started = Message.objects.count(), time.perf_counter()
    time.sleep(args.worker_seconds)
    count_after, elapsed = Message.objects.count(), time.perf_counter() - started
    usage = stack.usage_between(before, stack_.usage())
    fixtures.close_connections()
    stack_.stop_role("worker")
    if profile:
        profile.__exit__(None, None, None)
        print("\nProfile of the worker:\n" + profiling.summarize(profile.output))
    processed = count_after - count_before
    return {
        "name": name,
        "floor": "floor: ingest",
        "mode": f"backlog, {workers} worker(s)",
        "seconds": elapsed,
        "requests": processed,
        "messages": processed,
        "usage": usage,
    }


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    support.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    secret_key = stack.new_secret_key()
    database_url, redis_url = support.harness_setup("bench_ingest", secret_key)
    env = stack.server_environment(database_url, redis_url, secret_key)
    report = support.Report(
        "ingest",
        {
            "daphne": 1,
            "connections": args.connections,
            "seconds": args.seconds,
            "rate": args.rate,
            "worker_interval": args.worker_interval,
        },
    )
    with stack.Stack("ingest", env) as stack_:
        stack_.start_fakes()
        fixtures.build_world(1, callback_url=stack_.callback_url)
        fixtures.close_connections()
        stack_.start_daphnes(1)
        run(args, report, stack_)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
