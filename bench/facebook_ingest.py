"""Facebook webhook ingest: signed calls per second into a real Daphne on PostgreSQL and Redis.

One Daphne process (the server under test) and this process (the load generator, asyncio,
keep-alive HTTP/1.1 connections). Every call is a correctly signed Messenger webhook with new
mids. Measured:

* sustained calls per second, closed loop (each connection sends its next call when the
  previous one is answered), with 1 and with 10 messages per call;
* response times at a fixed 200 messages per second, open loop (each call leaves at its
  scheduled time whatever the server does, so a slow server cannot hide its own latency);
* then, for a bounded time, how fast one `task_worker` turns the stored calls into messages
  (profiles come from a fake Graph API on loopback; nothing leaves the machine).

Every answered call must have its stored row: `lost` counts the difference.

    .venv/bin/python -m bench facebook_ingest [--seconds 15] [--connections 16]

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/bench_facebook,
rebuilt each run) and Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/6).
Results: bench/results/facebook_ingest.json; the server's log facebook_ingest.daphne.log.
"""

import argparse
import asyncio
import hashlib
import hmac
import http.client
import itertools
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench import support

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_facebook"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/6"
RESULT_FILE = support.RESULTS_DIR / "facebook_ingest.json"
SERVER_LOG = support.RESULTS_DIR / "facebook_ingest.daphne.log"
WORKER_LOG = support.RESULTS_DIR / "facebook_ingest.worker.log"
PATH = "/integrations/facebook/webhook/"
PAGE_ID = "100200300"
APP_SECRET = "bench-app-secret-" + "x" * 16
WARMUP_SECONDS = 2.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- a fake Graph API for the worker's profile look-ups ----------------------------------------


class _Profiles(BaseHTTPRequestHandler):
    def log_message(self, format, *args):
        pass

    def do_GET(self):
        psid = self.path.split("?")[0].rsplit("/", 1)[-1]
        data = json.dumps({"id": psid, "first_name": "Bench", "last_name": psid}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def start_fake_graph() -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Profiles)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v21.0"


# --- signed calls --------------------------------------------------------------------------


class Calls:
    """Signed webhook bodies with fresh mids; `size` messages each, from varied people."""

    def __init__(self, size: int, run: str) -> None:
        self.size = size
        self.run = run
        self.counter = itertools.count(1)

    def next(self) -> tuple[bytes, str]:
        now = int(time.time() * 1000)
        messaging = []
        for _ in range(self.size):
            n = next(self.counter)
            messaging.append(
                {
                    "sender": {"id": str(7_000_000 + n % 5_000)},
                    "recipient": {"id": PAGE_ID},
                    "timestamp": now,
                    "message": {"mid": f"m_{self.run}_{n}", "text": f"Bench message {n}"},
                }
            )
        body = json.dumps(
            {"object": "page", "entry": [{"id": PAGE_ID, "time": now, "messaging": messaging}]}
        ).encode()
        signature = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        return body, f"sha256={signature}"


def request_bytes(port: int, body: bytes, signature: str) -> bytes:
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nX-Hub-Signature-256: {signature}\r\n\r\n"
    )
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _sep, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    if length:
        await reader.readexactly(length)
    return status


class Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes, signature: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(request_bytes(self.port, body, signature))
        await self.writer.drain()
        return await read_response(self.reader)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


# --- the phases ----------------------------------------------------------------------------


async def closed_loop(port: int, calls: Calls, *, connections: int, seconds: float) -> dict:
    """Each connection posts back to back; figures over `seconds` after a warm-up."""
    start = time.perf_counter()
    measure_from = start + WARMUP_SECONDS
    stop_at = measure_from + seconds
    timings: list[int] = []
    statuses: dict[int, int] = {}
    answered = 0

    async def worker() -> None:
        nonlocal answered
        connection = Connection(port)
        try:
            while time.perf_counter() < stop_at:
                body, signature = calls.next()
                sent = time.perf_counter_ns()
                status = await connection.post(body, signature)
                took = time.perf_counter_ns() - sent
                answered += status == 200
                if sent / 1e9 >= measure_from:
                    timings.append(took)
                    statuses[status] = statuses.get(status, 0) + 1
        finally:
            connection.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    requests = len(timings)
    return {
        "mode": "closed loop",
        "messages_per_call": calls.size,
        "connections": connections,
        "seconds": seconds,
        "calls": requests,
        "calls_per_s": requests / seconds,
        "messages_per_s": requests * calls.size / seconds,
        "non_200": sum(v for k, v in statuses.items() if k != 200),
        "answered_200": answered,
        **support.summarize_ms(timings),
    }


async def open_loop(port: int, calls: Calls, *, messages_per_s: float, seconds: float) -> dict:
    """Calls leave on schedule (one every size/rate seconds), each on a free connection."""
    interval = calls.size / messages_per_s
    total = int(seconds / interval)
    idle: list[Connection] = []
    timings: list[int] = []
    statuses: dict[int, int] = {}
    answered = 0
    opened = 0

    async def one(scheduled_ns: int) -> None:
        nonlocal answered, opened
        connection = idle.pop() if idle else None
        if connection is None:
            connection = Connection(port)
            opened += 1
        body, signature = calls.next()
        try:
            status = await connection.post(body, signature)
        except OSError:
            status = 0
            connection.close()
        else:
            idle.append(connection)
        # From the scheduled departure: a server that falls behind shows as latency.
        timings.append(time.perf_counter_ns() - scheduled_ns)
        statuses[status] = statuses.get(status, 0) + 1
        answered += status == 200

    # Warm up at the same rate, unmeasured.
    warm = [asyncio.create_task(one(time.perf_counter_ns()))]
    await asyncio.gather(*warm)
    timings.clear()
    statuses.clear()
    start = time.perf_counter_ns()
    tasks = []
    for i in range(total):
        scheduled = start + int(i * interval * 1e9)
        delay = (scheduled - time.perf_counter_ns()) / 1e9
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    for connection in idle:
        connection.close()
    elapsed = (time.perf_counter_ns() - start) / 1e9
    return {
        "mode": f"open loop {messages_per_s:.0f} msg/s",
        "messages_per_call": calls.size,
        "connections": opened,
        "seconds": round(elapsed, 2),
        "calls": total,
        "calls_per_s": total / elapsed,
        "messages_per_s": total * calls.size / elapsed,
        "non_200": sum(v for k, v in statuses.items() if k != 200),
        "answered_200": answered,
        **support.summarize_ms(timings),
    }


# --- the server and the worker ---------------------------------------------------------------


def server_env(database_url: str, redis_url: str, graph_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "FACEBOOK_GRAPH_URL": graph_url,
        "LOG_LEVEL": "WARNING",
    }
    env.pop("BENCH_DATABASE_URL", None)
    return env


def start_daphne(env: dict[str, str], port: int) -> subprocess.Popen:
    daphne = Path(sys.executable).with_name("daphne")
    log = SERVER_LOG.open("a")
    log.write(f"\n===== daphne on port {port}, {time.strftime('%F %T')} =====\n")
    log.flush()
    process = subprocess.Popen(
        [str(daphne), "-b", "127.0.0.1", "-p", str(port), "omnichannel.asgi:application"],
        cwd=support.PROJECT_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"daphne exited with {process.returncode}; see {SERVER_LOG}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", f"{PATH}?hub.mode=subscribe")
            status = connection.getresponse().status
            connection.close()
        except OSError:
            time.sleep(0.2)
            continue
        if status == 403:
            return process
        raise SystemExit(f"daphne answered {status} to the handshake; see {SERVER_LOG}")
    raise SystemExit("daphne did not answer within 60 s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def measure_worker(env: dict[str, str], seconds: float) -> dict:
    """One task_worker on the stored backlog for `seconds`: messages stored per second."""
    from rooms.models import Message

    before = Message.objects.count()
    with WORKER_LOG.open("a") as log:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "task_worker", "--queue-name", "*", "--no-reload"],
            cwd=support.PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            time.sleep(3)  # start-up, unmeasured
            start_count, started = Message.objects.count(), time.perf_counter()
            time.sleep(seconds)
            end_count, elapsed = Message.objects.count(), time.perf_counter() - started
        finally:
            stop(worker)
    return {
        "seconds": round(elapsed, 1),
        "messages_stored": end_count - start_count,
        "messages_per_s": (end_count - start_count) / elapsed,
        "messages_before": before,
    }


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench facebook_ingest", description=__doc__)
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds per phase")
    parser.add_argument("--connections", type=int, default=16, help="closed-loop connections")
    parser.add_argument("--rate", type=float, default=200, help="open-loop messages per second")
    parser.add_argument("--worker-seconds", type=float, default=20)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    database_url = os.environ.get("BENCH_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("BENCH_REDIS_URL", "").strip() or DEFAULT_REDIS_URL
    support.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    support.prepare_database(database_url, reset=True)
    support.setup_django(database_url)
    support.migrate()

    from django.conf import settings
    from django.db import connection

    from accounts.services import create_department
    from integrations.facebook.models import WebhookEvent
    from integrations.facebook.services.pages import add_page

    if connection.vendor != "postgresql":
        raise SystemExit("This benchmark measures PostgreSQL: point BENCH_DATABASE_URL at it.")
    department, _created = create_department(name="Bench", slug="bench")
    add_page(
        page_id=PAGE_ID,
        name="Bench page",
        access_token="EAAGbench" + "t" * 20,
        app_secret=APP_SECRET,
        verify_token="bench-verify",  # noqa: S106
        department=department,
    )
    connection.close()
    graph, graph_url = start_fake_graph()
    env = server_env(database_url, redis_url, graph_url)
    port = free_port()
    daphne = start_daphne(env, port)
    run = secrets.token_hex(3)
    rows = []
    try:
        for size in (1, 10):
            calls = Calls(size, f"{run}c{size}")
            rows.append(
                asyncio.run(
                    closed_loop(port, calls, connections=args.connections, seconds=args.seconds)
                )
            )
        for size in (1, 10):
            calls = Calls(size, f"{run}o{size}")
            rows.append(
                asyncio.run(open_loop(port, calls, messages_per_s=args.rate, seconds=args.seconds))
            )
    finally:
        stop(daphne)
    answered = sum(row["answered_200"] for row in rows)
    stored = WebhookEvent.objects.count()
    worker = measure_worker(env, args.worker_seconds)
    graph.shutdown()
    report = {
        "scenario": "facebook_ingest",
        "database": support.describe_url(database_url),
        "redis": redis_url,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "debug": settings.DEBUG,
        "rows": rows,
        "answered_200_incl_warmup": answered,
        "stored_calls": stored,
        "worker": worker,
    }
    RESULT_FILE.write_text(json.dumps(report, indent=2) + "\n")
    print_report(report)
    return 0


def print_report(report: dict) -> None:
    print(f"Facebook webhook ingest, Daphne on {report['database']} and {report['redis']}")
    print(f"{report['cpus']} CPUs, Python {report['python']}, DEBUG={report['debug']}\n")
    headers = ["mode", "msg/call", "conns", "calls", "calls/s", "msg/s", "p50 ms", "p99 ms"]
    headers += ["max ms", "non-200"]
    rows = [
        [
            row["mode"],
            row["messages_per_call"],
            row["connections"],
            row["calls"],
            round(row["calls_per_s"], 1),
            round(row["messages_per_s"], 1),
            row["p50_ms"],
            row["p99_ms"],
            row["max_ms"],
            row["non_200"],
        ]
        for row in report["rows"]
    ]
    print(support.format_table(headers, rows))
    lost = report["answered_200_incl_warmup"] - report["stored_calls"]
    print(
        f"\nanswered 200: {report['answered_200_incl_warmup']:,}, stored calls: "
        f"{report['stored_calls']:,}, lost: {lost}"
    )
    worker = report["worker"]
    print(
        f"one task_worker afterwards: {worker['messages_stored']:,} messages stored in "
        f"{worker['seconds']} s = {worker['messages_per_s']:.1f} msg/s"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
