"""ASGI CPU: what one HTTP request costs the server process, through the whole ASGI application.

The application Daphne serves (omnichannel.asgi, loaded as Daphne loads it: warm-up and
garbage-collector tuning included) is called in this process, one request at a time, each in
a task of its own as Daphne runs it; no sockets, no load generator. PostgreSQL and Redis on
loopback, production settings (DEBUG off, events dispatched in the background). Rows:

* `floor: http` / `floor: ingest`: the trivial view and the minimal ingest (one INSERT, one
  `group_send`), what any request costs here;
* `facebook webhook x1`: a signed Messenger call stored and queued (a new mid, 50 people);
* `api inbound`: an API channel message, the whole path in the request (contact, room,
  message, events, live publish);
* `agent home`: the home page of a signed-in agent.

`CPU ms/msg` is this process's CPU (every thread: the event dispatcher's included, waited for)
per request: the figure the drifting speed of a shared machine disturbs least, unlike
throughput, which is why `ingest` reads its own against a floor. Latencies are each request's
own, with nothing else in flight.

    .venv/bin/python -m bench asgi_cpu [--requests 1000] [--warmup 100]
"""

import argparse
import asyncio
import os
import sys
import time

from bench import fixtures, loadgen, stack, support

SCENARIO = "asgi_cpu"
PEOPLE = 50


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench asgi_cpu",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--requests", type=int, default=1000, help="timed requests per row")
    parser.add_argument("--warmup", type=int, default=100, help="untimed requests per row first")
    return parser.parse_args(argv)


def asgi_call(raw: bytes) -> tuple[dict, bytes]:
    """The ASGI scope and body of a raw HTTP/1.1 request (as the harness builds them)."""
    head, _, body = raw.partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, target, _version = request_line.split(" ")
    path, _, query = target.partition("?")
    headers = []
    for line in header_lines:
        name, _, value = line.partition(":")
        headers.append((name.strip().lower().encode("latin-1"), value.strip().encode("latin-1")))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }
    return scope, body


async def serve_one(application, raw: bytes) -> int:
    """Call the application with one request, as Daphne does; its response status."""
    scope, body = asgi_call(raw)
    delivered = False
    statuses = []

    async def receive() -> dict:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client stays connected until the response is sent

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await application(scope, receive, send)
    return statuses[0] if statuses else 0


def request_builders(world) -> list[tuple[str, str | None, object, int]]:
    """(row, the floor it is read against (None: a floor), the n-th request, its status)."""
    port = 8000  # only written into the Host header
    cookie = world.cookies[0]
    run = f"{time.time():.0f}"

    def webhook(n: int) -> bytes:
        return fixtures.facebook_call(port, [(f"asgi-{n % PEOPLE}", f"asgi-{run}-{n}", "Hi")])

    def api(n: int) -> bytes:
        return fixtures.api_call(port, f"asgi-person-{n % PEOPLE}", f"asgi-{run}-{n}", f"Hi {n}")

    def home(_n: int) -> bytes:
        return loadgen.http_request("GET", "/", port=port, headers={"Cookie": cookie})

    return [
        ("floor: http", None, lambda n: fixtures.floor_http(port).raw, 200),
        ("floor: ingest", None, lambda n: fixtures.floor_ingest(port, n).raw, 200),
        ("facebook webhook x1", "floor: ingest", webhook, 200),
        ("api inbound", "floor: ingest", api, 201),
        ("agent home", "floor: http", home, 200),
    ]


def measure(report: support.Report, application, args: argparse.Namespace, world) -> None:
    from omnichannel.events import wait_for_dispatch

    async def phase(build, expected: int, count: int, offset: int) -> tuple[list[float], int]:
        latencies, errors = [], 0
        for n in range(offset, offset + count):
            raw = build(n)
            started = time.perf_counter()
            status = await asyncio.create_task(serve_one(application, raw))
            latencies.append((time.perf_counter() - started) * 1000)
            errors += status != expected
        return latencies, errors

    for name, floor, build, expected in request_builders(world):
        asyncio.run(phase(build, expected, args.warmup, 0))
        wait_for_dispatch()
        cpu_before, wall_before = time.process_time(), time.perf_counter()
        latencies, errors = asyncio.run(phase(build, expected, args.requests, args.warmup))
        wait_for_dispatch()  # the events of the timed requests are part of their cost
        cpu = time.process_time() - cpu_before
        wall = time.perf_counter() - wall_before
        report.add(
            name,
            kind="path" if floor else "floor",
            floor=floor,
            seconds=wall,
            requests=args.requests,
            errors=errors,
            latencies_ms=latencies,
            usage={"cpu_pct": {"daphne": cpu / wall * 100}},
            mode="in process, one at a time",
        )


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    support.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    secret_key = stack.new_secret_key()
    # The settings Daphne runs with in the harness, before Django reads them; the harness
    # points DATABASE_URL and REDIS_URL at the bench's own databases.
    served = stack.server_environment("", "", secret_key)
    os.environ.update({k: v for k, v in served.items() if k not in ("DATABASE_URL", "REDIS_URL")})
    support.harness_setup("bench_asgi_cpu", secret_key)
    world = fixtures.build_world(1)
    fixtures.close_connections()
    from omnichannel.asgi import application  # warm-up and GC tuning, as in Daphne

    report = support.Report(SCENARIO, {"requests": args.requests, "warmup": args.warmup})
    measure(report, application, args, world)
    report.notes.append(
        "One process, requests one after another through omnichannel.asgi's application; "
        "CPU ms/msg is this process's CPU (all threads) per request."
    )
    return report.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
