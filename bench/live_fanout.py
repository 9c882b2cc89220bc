"""Live fan-out: a new queued chat reaching N agent sockets through Daphne and Redis.

One Daphne process (the server under test) on PostgreSQL and Redis; this process is the load
generator. For each N it connects N agents' /ws/live/ sockets (session cookie, same-origin),
posts contact messages at a fixed rate through the public website chat (each from a new visitor,
so each opens a new queued room and every socket of the department gets one `queue.added`), and
measures delivery (lost must be 0), latency from POST start to receipt on each socket, and the
server's memory and CPU.

    .venv/bin/python -m bench.live_fanout [--agents 100,500,1000] [--rate 5] [--messages 50]

Needs PostgreSQL (127.0.0.1:5432, user postgres; the database `bench_live` is created if
missing) and Redis (127.0.0.1:6379, database 5). Results: bench/results/live_fanout.json, the
server's log: bench/results/live_fanout.daphne.log.

How latency is matched: the POST answers with the message id; after each step the message ids
are mapped to their rooms in the database (one message opens one room, since every message
comes from a new visitor), and each `queue.added` frame names its room. So every (socket, room)
receipt is paired with the POST of that very room, whatever order the frames arrive in; a frame
for a room no POST of the step opened counts as unexpected, a second one for the same room on
the same socket as a duplicate. Both clocks are this process's `perf_counter`. The POSTs are
sent open-loop (each at its scheduled time, never waiting for the previous answer), so a slow
server cannot slow the load down and hide its own latency.

Memory: RSS before and after the N sockets connect, per socket. With one Daphne for all steps,
a later step reuses the heap an earlier one freed, so its KiB/socket reads low; `--fresh-server`
restarts Daphne before each step. Sockets are closed at `--close-rate` a second: closing them
all at once (`--close-rate 0`) runs more than 100 disconnects at a time in the server, beyond
redis-py 8's default pool of 100 connections (see the report's "left: group/conns" column).
"""

import argparse
import asyncio
import base64
import contextlib
import hashlib
import http.client
import json
import math
import os
import platform
import resource
import secrets
import socket
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
RESULT_FILE = RESULTS_DIR / "live_fanout.json"
SERVER_LOG = RESULTS_DIR / "live_fanout.daphne.log"

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_live"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/5"
DEPARTMENT_NAME = "bench"
DEPARTMENT_SLUG = "bench"
AGENT_PREFIX = "bench-live-"
WS_PATH = "/ws/live/"
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# The consumer settles presence this long after a socket closes (PRESENCE_GRACE_SECONDS).
PRESENCE_GRACE_SECONDS = 10
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- the server under test -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_kb(pid: int) -> int:
    """VmRSS of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/<pid>/stat (fields 14 and 15)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # the name in parentheses may hold spaces
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine, all cores, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    total = sum(values[:8])  # user nice system idle iowait irq softirq steal
    return (total - values[3] - values[4]) / CLK_TCK, total / CLK_TCK


class Server:
    """One Daphne process serving omnichannel.asgi:application on a free loopback port."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log = None

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError("the server is not started")
        return self.process.pid

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_timeout: float = 60) -> None:
        daphne = Path(sys.executable).with_name("daphne")
        if not daphne.exists():
            daphne = PROJECT_ROOT / ".venv" / "bin" / "daphne"
        self.log = SERVER_LOG.open("a")
        self.log.write(f"\n===== daphne on port {self.port}, {time.strftime('%F %T')} =====\n")
        self.log.flush()
        self.process = subprocess.Popen(
            [str(daphne), "-b", "127.0.0.1", "-p", str(self.port), "omnichannel.asgi:application"],
            cwd=PROJECT_ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise SystemExit(f"daphne exited with {code} before answering; see {SERVER_LOG}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", f"/livechat/embed.js?department={DEPARTMENT_SLUG}")
                status = connection.getresponse().status
                connection.close()
            except OSError:
                time.sleep(0.2)
                continue
            if status == 200:
                return
            raise SystemExit(
                f"daphne answered {status} to GET /livechat/embed.js; see {SERVER_LOG}"
            )
        raise SystemExit(f"daphne did not answer within {ready_timeout:.0f} s; see {SERVER_LOG}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        if self.log is not None:
            self.log.close()
            self.log = None

    def wait_quiet(self, *, at_least: float, limit: float = 60) -> None:
        """Sleep `at_least` seconds, then until the server uses under 5 % of a core for 2 s."""
        time.sleep(at_least)
        deadline = time.monotonic() + limit
        quiet = 0
        while quiet < 2 and time.monotonic() < deadline:
            before = cpu_seconds(self.pid)
            time.sleep(1)
            quiet = quiet + 1 if cpu_seconds(self.pid) - before < 0.05 else 0


# --- a minimal websocket client (RFC 6455) over asyncio streams --------------------------------


class SocketClosed(Exception):
    pass


def mask_payload(payload: bytes, mask: bytes) -> bytes:
    if not payload:
        return payload
    repeated = (mask * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
        len(payload), "big"
    )


def client_frame(opcode: int, payload: bytes) -> bytes:
    """One final frame from a client: always masked."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    mask = os.urandom(4)
    return header + mask + mask_payload(payload, mask)


@dataclass
class AgentSocket:
    """One agent tab: connects, waits for "hello", then records every queue.added frame."""

    index: int
    cookie: str
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    connected_at: float | None = None
    hello_at: float | None = None
    error: str | None = None
    # (room id, perf_counter at receipt), in arrival order
    added: list[tuple[int, float]] = field(default_factory=list)
    other_frames: dict[str, int] = field(default_factory=dict)
    closing: bool = False
    closed_at: float | None = None
    close_code: int | None = None
    dropped: bool = False  # the server closed it, or the connection broke, before we closed it
    hello: asyncio.Event = field(default_factory=asyncio.Event)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    pump_task: asyncio.Task | None = None

    async def open(self, port: int, origin: str) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {WS_PATH} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            f"Origin: {origin}\r\n"
            f"Cookie: {self.cookie}\r\n"
            "\r\n"
        )
        self.writer.write(request.encode("ascii"))
        await self.writer.drain()
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        status_line, *header_lines = head.split("\r\n")
        if status_line.split(" ", 2)[1:2] != ["101"]:
            raise ConnectionError(f"handshake refused: {status_line}")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        expected = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()  # noqa: S324 (the protocol's own hash)
        if headers.get("sec-websocket-accept") != expected:
            raise ConnectionError("handshake: wrong Sec-WebSocket-Accept")
        self.connected_at = time.perf_counter()
        self.pump_task = asyncio.create_task(self.pump())

    async def read_frame(self) -> tuple[int, bool, bytes]:
        if self.reader is None:
            raise ConnectionError("not connected")
        first, second = await self.reader.readexactly(2)
        fin, opcode = bool(first & 0x80), first & 0x0F
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
        mask = await self.reader.readexactly(4) if second & 0x80 else b""
        payload = await self.reader.readexactly(length)
        return opcode, fin, mask_payload(payload, mask) if mask else payload

    async def pump(self) -> None:
        """Read frames until the socket closes; stamp each message as it is read."""
        fragments: list[bytes] = []
        try:
            while True:
                opcode, fin, payload = await self.read_frame()
                if opcode in (0x1, 0x2, 0x0):
                    fragments.append(payload)
                    if not fin:
                        continue
                    received = time.perf_counter()
                    message, fragments = b"".join(fragments), []
                    self.on_message(message, received)
                elif opcode == 0x9:  # ping
                    self.send(0xA, payload)
                elif opcode == 0x8:  # close
                    self.close_code = struct.unpack("!H", payload[:2])[0] if payload else 1005
                    if not self.closing:
                        self.dropped = True
                        self.send(0x8, payload[:2])
                    break
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            if not self.closing:
                self.dropped = True
        finally:
            self.closed_at = time.perf_counter()
            self.closed.set()
            self.hello.set()  # never leave a waiter hanging
            if self.writer is not None:
                self.writer.close()

    def on_message(self, message: bytes, received: float) -> None:
        frame = json.loads(message)
        kind = frame.get("type")
        if kind == "queue.added":
            self.added.append((frame["room"], received))
        elif kind == "hello" and self.hello_at is None:
            self.hello_at = received
            self.hello.set()
        else:
            self.other_frames[kind] = self.other_frames.get(kind, 0) + 1

    def send(self, opcode: int, payload: bytes) -> None:
        if self.writer is not None and not self.writer.is_closing():
            self.writer.write(client_frame(opcode, payload))

    async def close(self, timeout: float = 5) -> None:
        if self.pump_task is None:
            if self.writer is not None:
                self.writer.close()
            return
        if not self.closed.is_set():
            self.closing = True
            self.send(0x8, struct.pack("!H", 1000))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.closed.wait(), timeout)
        if not self.pump_task.done():
            self.pump_task.cancel()
        if self.writer is not None:
            self.writer.close()


# --- the public website chat ------------------------------------------------------------------


@dataclass
class Post:
    number: int
    started: float
    finished: float | None = None
    status: int | None = None
    message_id: int | None = None
    error: str | None = None


async def post_contact_message(port: int, number: int, timeout: float) -> Post:
    """POST /livechat/bench/messages/ as a new visitor (a fresh token opens a new room)."""
    body = urlencode({"text": f"Bench message {number}"}).encode()
    request = (
        f"POST /livechat/{DEPARTMENT_SLUG}/messages/ HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"X-Visitor-Token: {secrets.token_urlsafe(32)}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n"
        "\r\n"
    ).encode("ascii") + body
    post = Post(number=number, started=time.perf_counter())
    writer = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            await writer.drain()
            response = await reader.read()
        post.finished = time.perf_counter()
        head, _, content = response.partition(b"\r\n\r\n")
        post.status = int(head.split(b" ", 2)[1])
        if post.status == 201:
            post.message_id = int(json.loads(content)["id"])
        else:
            post.error = content[:200].decode("utf-8", "replace")
    except Exception as error:  # a failed POST is a figure, not a crash
        post.error = f"{type(error).__name__}: {error}"
    finally:
        if writer is not None:
            writer.close()
    return post


# --- one step: N sockets, M messages -----------------------------------------------------------


@dataclass
class StepOptions:
    rate: float
    messages: int
    step_timeout: float
    drain_timeout: float
    connect_concurrency: int
    close_rate: float


async def run_step(server: Server, cookies: list[str], options: StepOptions) -> dict:
    """Connect, post, collect, close; raw figures only (rooms are matched afterwards)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + options.step_timeout
    n = len(cookies)
    rss_before = rss_kb(server.pid)
    cpu_start = cpu_seconds(server.pid)
    sockets = [AgentSocket(index, cookie) for index, cookie in enumerate(cookies)]
    gate = asyncio.Semaphore(options.connect_concurrency)

    async def connect(agent_socket: AgentSocket) -> None:
        async with gate:
            try:
                async with asyncio.timeout(max(deadline - loop.time(), 0.1)):
                    await agent_socket.open(server.port, server.origin)
                    await agent_socket.hello.wait()
                if agent_socket.hello_at is None:
                    agent_socket.error = f"closed before hello (code {agent_socket.close_code})"
            except Exception as error:
                agent_socket.error = f"{type(error).__name__}: {error}"

    connect_started = time.perf_counter()
    await asyncio.gather(*(connect(s) for s in sockets))
    connect_seconds = time.perf_counter() - connect_started
    ready = [s for s in sockets if s.hello_at is not None and not s.closed.is_set()]
    await asyncio.sleep(1)  # let the server finish the connect work before reading its memory
    rss_connected = rss_kb(server.pid)
    cpu_connected = cpu_seconds(server.pid)
    client_cpu_start = time.process_time()
    machine_start = machine_cpu_seconds()
    print(
        f"  {len(ready)}/{n} sockets ready in {connect_seconds:.1f} s; posting "
        f"{options.messages} messages at {options.rate:g}/s",
        file=sys.stderr,
        flush=True,
    )

    posts: list[asyncio.Task] = []
    timed_out = False
    fanout_started = loop.time()
    for number in range(options.messages):
        scheduled = fanout_started + number / options.rate
        if scheduled > deadline:
            timed_out = True
            break
        await asyncio.sleep(max(scheduled - loop.time(), 0))
        posts.append(
            asyncio.create_task(
                post_contact_message(server.port, number, max(deadline - loop.time(), 1))
            )
        )
    done_posts: list[Post] = list(await asyncio.gather(*posts))
    accepted = sum(1 for p in done_posts if p.message_id is not None)

    # Every queue.added a socket sees in this step is for a room the step opened (the sockets
    # are new), so "each ready socket holds `accepted` frames" is the end of the wait.
    drain_deadline = min(loop.time() + options.drain_timeout, deadline)
    while loop.time() < drain_deadline:
        if all(len(s.added) >= accepted for s in ready):
            break
        await asyncio.sleep(0.05)
    else:
        timed_out = timed_out or loop.time() >= deadline
    fanout_seconds = loop.time() - fanout_started
    cpu_fanout_end = cpu_seconds(server.pid)
    client_cpu = time.process_time() - client_cpu_start
    machine_busy = machine_cpu_seconds()[0] - machine_start[0]
    # Everything else on the machine during the fan-out: PostgreSQL and Redis working for this
    # bench, and whatever else shares the machine.
    others_cpu = machine_busy - (cpu_fanout_end - cpu_connected) - client_cpu
    rss_fanout_end = rss_kb(server.pid)

    dropped = [s for s in sockets if s.dropped]
    # Closes are paced (`close_rate` a second; 0: all at once, as a restart or a network blip
    # does): the server answers a close at once but runs the app's disconnect work afterwards,
    # so bounding the client's closes in flight would not bound the server's.
    closing = []
    for agent_socket in sockets:
        closing.append(asyncio.create_task(agent_socket.close()))
        if options.close_rate:
            await asyncio.sleep(1 / options.close_rate)
    await asyncio.gather(*closing)
    return {
        "n": n,
        "sockets": sockets,
        "ready": ready,
        "dropped": dropped,
        "posts": done_posts,
        "timed_out": timed_out,
        "connect_seconds": connect_seconds,
        "fanout_seconds": fanout_seconds,
        "rss_before_kb": rss_before,
        "rss_connected_kb": rss_connected,
        "rss_fanout_end_kb": rss_fanout_end,
        "cpu_connect_s": cpu_connected - cpu_start,
        "cpu_fanout_s": cpu_fanout_end - cpu_connected,
        "client_cpu_fanout_s": client_cpu,
        "others_cpu_fanout_s": others_cpu,
        "load_average": os.getloadavg(),
    }


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not sorted_values:
        return float("nan")
    return sorted_values[max(1, math.ceil(p / 100 * len(sorted_values))) - 1]


def summarize(raw: dict, messages: int) -> dict:
    """Pair each receipt with its room's POST; count what was expected, got, lost, late."""
    from rooms.models import Message

    posts: list[Post] = raw["posts"]
    ids = [p.message_id for p in posts if p.message_id is not None]
    room_of = dict(Message.objects.filter(pk__in=ids).values_list("pk", "room_id"))
    started_by_room = {room_of[p.message_id]: p.started for p in posts if p.message_id in room_of}
    latencies: list[float] = []
    duplicates = unexpected = 0
    for agent_socket in raw["sockets"]:
        seen: set[int] = set()
        for room, received in agent_socket.added:
            if room not in started_by_room:
                unexpected += 1
            elif room in seen:
                duplicates += 1
            else:
                seen.add(room)
                latencies.append((received - started_by_room[room]) * 1000)
    latencies.sort()
    n = raw["n"]
    expected = n * messages
    post_ms = sorted((p.finished - p.started) * 1000 for p in posts if p.finished is not None)
    other_frames: dict[str, int] = {}
    for agent_socket in raw["sockets"]:
        for kind, count in agent_socket.other_frames.items():
            other_frames[kind] = other_frames.get(kind, 0) + count
    connect_errors: dict[str, int] = {}
    for agent_socket in raw["sockets"]:
        if agent_socket.error:
            connect_errors[agent_socket.error] = connect_errors.get(agent_socket.error, 0) + 1
    drop_codes: dict[str, int] = {}
    for agent_socket in raw["dropped"]:
        code = str(agent_socket.close_code or "eof")
        drop_codes[code] = drop_codes.get(code, 0) + 1
    drop_after = sorted(
        s.closed_at - s.connected_at for s in raw["dropped"] if s.closed_at and s.connected_at
    )
    return {
        "agents": n,
        "sockets_ready": len(raw["ready"]),
        "messages": messages,
        "posts_accepted": len(ids),
        "post_failures": [
            {"number": p.number, "status": p.status, "error": p.error}
            for p in posts
            if p.message_id is None
        ],
        "expected_deliveries": expected,
        "received": len(latencies),
        "lost": expected - len(latencies),
        "duplicates": duplicates,
        "unexpected": unexpected,
        "dropped_sockets": len(raw["dropped"]),
        "drop_close_codes": drop_codes,
        "drop_after_s_min": round(drop_after[0], 2) if drop_after else None,
        "connect_errors": connect_errors,
        "other_frames": other_frames,
        "timed_out": raw["timed_out"],
        "latency_ms": {
            "p50": round(percentile(latencies, 50), 1),
            "p95": round(percentile(latencies, 95), 1),
            "p99": round(percentile(latencies, 99), 1),
            "max": round(latencies[-1], 1) if latencies else None,
        },
        "post_response_ms": {
            "p50": round(percentile(post_ms, 50), 1),
            "p95": round(percentile(post_ms, 95), 1),
            "max": round(post_ms[-1], 1) if post_ms else None,
        },
        "connect_seconds": round(raw["connect_seconds"], 2),
        "fanout_seconds": round(raw["fanout_seconds"], 2),
        "server_rss_before_kb": raw["rss_before_kb"],
        "server_rss_connected_kb": raw["rss_connected_kb"],
        "server_rss_fanout_end_kb": raw["rss_fanout_end_kb"],
        "server_kb_per_socket": round(
            (raw["rss_connected_kb"] - raw["rss_before_kb"]) / max(len(raw["ready"]), 1), 1
        ),
        "server_cpu_connect_s": round(raw["cpu_connect_s"], 2),
        "server_cpu_fanout_s": round(raw["cpu_fanout_s"], 2),
        "client_cpu_fanout_s": round(raw["client_cpu_fanout_s"], 2),
        "others_cpu_fanout_s": round(raw["others_cpu_fanout_s"], 2),
        "load_average_1_5_15": [round(v, 2) for v in raw["load_average"]],
    }


# --- set-up: database, agents, sessions --------------------------------------------------------


def prepare_database(url: str, *, reset: bool) -> None:
    """Create the bench database if missing (drop it first when `reset`)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name == "postgres":
        raise SystemExit(f"refusing to benchmark on database {name!r}: give one of its own")
    params = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": parts.username or "postgres",
    }
    if parts.password:
        params["password"] = parts.password
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        if reset:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if found is None:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def server_environment(database_url: str, redis_url: str, secret_key: str) -> dict[str, str]:
    """Production-like settings: DEBUG off, so the security settings follow (see settings.py)."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "omnichannel.settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "DEBUG": "0",
            "SECRET_KEY": secret_key,
            "ALLOWED_HOSTS": "127.0.0.1",
            # DEBUG=0 turns the redirect to https on; the bench speaks plain http on loopback.
            # The Secure cookie flags and HSTS it also turns on do not matter to these clients.
            "SECURE_SSL_REDIRECT": "0",
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def provision(count: int, password: str) -> tuple:
    """The department and `count` agents in it with the queue on, through the services."""
    from django.test.utils import override_settings

    from accounts.models import User
    from accounts.services import create_department, provision_agent

    department, _ = create_department(name=DEPARTMENT_NAME, slug=DEPARTMENT_SLUG)
    # A bench-only database: a fast hasher keeps provisioning 1,000 agents from costing
    # 1,000 PBKDF2 runs; nobody signs in with these passwords (sessions are made directly).
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for index in range(count):
            provision_agent(
                username=f"{AGENT_PREFIX}{index:04d}",
                password=password,
                department_slugs=[DEPARTMENT_SLUG],
                queue_on=True,
            )
    agents = list(
        User.objects.filter(username__startswith=AGENT_PREFIX)
        .order_by("username")
        .filter(queue_enabled=True, is_active=True)[:count]
    )
    if len(agents) < count:
        raise SystemExit(f"only {len(agents)} of {count} bench agents are usable")
    return department, agents


def session_cookies(agents: list) -> list[str]:
    """A signed-in session per agent, as django.contrib.auth.login would store it."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    cookies = []
    for agent in agents:
        session = SessionStore()
        session[SESSION_KEY] = str(agent.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = agent.get_session_auth_hash()
        session.save()
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
    return cookies


def forget_stale_group_members(redis_url: str, department_id: int, agent_ids: list[int]) -> int:
    """Drop the bench groups' members left by a Daphne killed in an earlier run."""
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = [f"asgi:group:queue.{department_id}"] + [f"asgi:group:agent.{pk}" for pk in agent_ids]
    removed = 0
    for start in range(0, len(keys), 500):
        removed += client.delete(*keys[start : start + 500])
    client.close()
    return removed


def forget_stale_connections() -> int:
    """Sockets an earlier run left registered (its Daphne was killed): the service sweeps them."""
    from datetime import timedelta

    from accounts.services import expire_stale_connections

    return expire_stale_connections(timedelta(0))


def leftovers(redis_url: str, department_id: int, agent_ids: list[int]) -> dict:
    """What the closed sockets left behind: queue-group members, connection rows, presence."""
    import redis

    from accounts.models import AgentConnection, User

    client = redis.Redis.from_url(redis_url)
    members = client.zcard(f"asgi:group:queue.{department_id}")
    client.close()
    return {
        "queue_group_members": members,
        "agent_connections": AgentConnection.objects.filter(agent_id__in=agent_ids).count(),
        "agents_online": User.objects.filter(pk__in=agent_ids)
        .exclude(status=User.Status.OFFLINE)
        .count(),
    }


def raise_open_files_limit(needed: int) -> tuple[int, int]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


# --- report ------------------------------------------------------------------------------------


def format_table(headers: list[str], rows: list[list[object]]) -> str:
    cells = [headers] + [
        [cell if isinstance(cell, str) else f"{cell:,}" for cell in row] for row in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True))
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def ms(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.1f}"


def print_tables(steps: list[dict]) -> None:
    delivery = [
        [
            s["agents"],
            s["messages"],
            s["expected_deliveries"],
            s["received"],
            s["lost"],
            s["duplicates"],
            s["dropped_sockets"],
            ms(s["latency_ms"]["p50"]),
            ms(s["latency_ms"]["p95"]),
            ms(s["latency_ms"]["p99"]),
            ms(s["latency_ms"]["max"]),
            ms(s["post_response_ms"]["p50"]),
        ]
        for s in steps
    ]
    print("\nDelivery of queue.added (latency: POST start -> frame read by the socket, ms)")
    print(
        format_table(
            [
                "N",
                "messages",
                "expected",
                "received",
                "lost",
                "dup",
                "dropped",
                "p50",
                "p95",
                "p99",
                "max",
                "POST p50",
            ],
            delivery,
        )
    )
    server = [
        [
            s["agents"],
            f"{s['connect_seconds']:.1f}",
            f"{s['server_rss_before_kb'] / 1024:.1f}",
            f"{s['server_rss_connected_kb'] / 1024:.1f}",
            f"{s['server_kb_per_socket']:.1f}",
            f"{s['server_rss_fanout_end_kb'] / 1024:.1f}",
            f"{s['server_cpu_connect_s']:.2f}",
            f"{s['server_cpu_fanout_s']:.2f}",
            f"{s['fanout_seconds']:.1f}",
            f"{s['client_cpu_fanout_s']:.2f}",
            f"{s['others_cpu_fanout_s']:.2f}",
            s["server_log"]["tracebacks"],
            f"{s['left_after_close']['queue_group_members']}/"
            f"{s['left_after_close']['agent_connections']}",
        ]
        for s in steps
    ]
    print("\nServer (one Daphne process): RSS in MiB, CPU in seconds (user + system)")
    print(
        format_table(
            [
                "N",
                "connect s",
                "RSS before",
                "RSS N open",
                "KiB/socket",
                "RSS after msgs",
                "CPU connect",
                "CPU fan-out",
                "fan-out s",
                "client CPU",
                "others CPU",
                "tracebacks",
                "left: group/conns",
            ],
            server,
        )
    )


def scan_server_log(offset: int) -> dict:
    """Count what the server logged during this run (from `offset` in the log file)."""
    raw = SERVER_LOG.read_bytes()[offset:] if SERVER_LOG.exists() else b""
    text = raw.decode("utf-8", "replace")
    lines = text.splitlines()

    def count(needle: str) -> int:
        return sum(1 for line in lines if needle in line)

    return {
        "lines": len(lines),
        "tracebacks": count("Traceback"),
        "errors": count("ERROR"),
        "warnings": count("WARNING"),
        "over_capacity": count("over capacity"),
        "too_many_clients": count("too many clients"),
    }


# --- main --------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.live_fanout", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--agents", default="100,500,1000", help="comma-separated N values")
    parser.add_argument("--rate", type=float, default=5.0, help="contact messages per second")
    parser.add_argument("--messages", type=int, default=50, help="messages per step")
    parser.add_argument("--step-timeout", type=float, default=120.0, help="seconds per step")
    parser.add_argument(
        "--drain-timeout", type=float, default=30.0, help="seconds to wait for frames after posts"
    )
    parser.add_argument("--connect-concurrency", type=int, default=20)
    parser.add_argument(
        "--close-rate", type=float, default=50.0, help="sockets closed a second (0: all at once)"
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--reset", action="store_true", help="drop and recreate the database")
    parser.add_argument(
        "--fresh-server",
        action="store_true",
        help="restart Daphne before each step (memory figures without the previous step's heap)",
    )
    args = parser.parse_args(argv)
    args.agent_counts = [int(value) for value in args.agents.split(",") if value.strip()]
    if not args.agent_counts or min(args.agent_counts) < 1:
        parser.error("--agents needs positive numbers")
    if args.rate <= 0 or args.messages < 1:
        parser.error("--rate and --messages must be positive")
    return args


def setup_django(database_url: str, redis_url: str, secret_key: str) -> None:
    """Same settings as the server: the session hash and signature depend on SECRET_KEY."""
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    os.environ.update(server_environment(database_url, redis_url, secret_key))
    import django

    django.setup()


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    most = max(args.agent_counts)
    limits = raise_open_files_limit(2 * most + 512)  # Daphne inherits it
    secret_key = secrets.token_urlsafe(50)
    password = f"Bench-{secrets.token_urlsafe(18)}!"

    print(f"database {args.database_url}, redis {args.redis_url}", file=sys.stderr)
    prepare_database(args.database_url, reset=args.reset)
    env = server_environment(args.database_url, args.redis_url, secret_key)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
    )
    setup_django(args.database_url, args.redis_url, secret_key)
    started = time.perf_counter()
    department, agents = provision(most, password)
    print(f"{most} agents ready in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    agent_ids = [a.pk for a in agents]
    forget_stale_group_members(args.redis_url, department.pk, agent_ids)
    forget_stale_connections()

    log_offset = SERVER_LOG.stat().st_size if SERVER_LOG.exists() else 0
    options = StepOptions(
        rate=args.rate,
        messages=args.messages,
        step_timeout=args.step_timeout,
        drain_timeout=args.drain_timeout,
        connect_concurrency=args.connect_concurrency,
        close_rate=args.close_rate,
    )
    steps: list[dict] = []
    server: Server | None = None
    try:
        for n in args.agent_counts:
            if server is None or args.fresh_server:
                if server is not None:
                    server.stop()
                server = Server(env)
                server.start()
                # Warm-up: one socket, one message, so imports, templates and the Redis
                # connections are in place before the first "before" reading.
                asyncio.run(
                    run_step(
                        server,
                        session_cookies(agents[:1]),
                        StepOptions(
                            rate=1,
                            messages=1,
                            step_timeout=30,
                            drain_timeout=10,
                            connect_concurrency=1,
                            close_rate=0,
                        ),
                    )
                )
                server.wait_quiet(at_least=PRESENCE_GRACE_SECONDS + 1)
            print(f"step N={n} (daphne pid {server.pid}, port {server.port})", file=sys.stderr)
            cookies = session_cookies(agents[:n])
            step_log_offset = SERVER_LOG.stat().st_size
            raw = asyncio.run(run_step(server, cookies, options))
            step = summarize(raw, args.messages)
            # The server finishes the disconnects (and settles presence) before the next step
            # or its own end; whatever is left over after that is a leak.
            server.wait_quiet(at_least=PRESENCE_GRACE_SECONDS + 1)
            step["left_after_close"] = leftovers(args.redis_url, department.pk, agent_ids[:n])
            step["server_log"] = scan_server_log(step_log_offset)
            steps.append(step)
            print(
                f"  received {step['received']:,}/{step['expected_deliveries']:,}, "
                f"lost {step['lost']:,}, dropped sockets {step['dropped_sockets']}, "
                f"p50 {ms(step['latency_ms']['p50'])} ms, server tracebacks "
                f"{step['server_log']['tracebacks']}, left after close {step['left_after_close']}",
                file=sys.stderr,
                flush=True,
            )
    finally:
        if server is not None:
            server.stop()

    print_tables(steps)
    log = scan_server_log(log_offset)
    print(
        f"\nserver log ({SERVER_LOG.relative_to(PROJECT_ROOT)}): {log['tracebacks']} tracebacks, "
        f"{log['errors']} ERROR lines, {log['over_capacity']} 'over capacity'"
    )
    from django import get_version

    result = {
        "scenario": "live_fanout",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "settings": {
            "agents": args.agent_counts,
            "rate_per_s": args.rate,
            "messages": args.messages,
            "step_timeout_s": args.step_timeout,
            "drain_timeout_s": args.drain_timeout,
            "connect_concurrency": args.connect_concurrency,
            "close_rate_per_s": args.close_rate,
            "fresh_server": args.fresh_server,
            "database": args.database_url,
            "redis": args.redis_url,
        },
        "machine": {
            "python": platform.python_version(),
            "django": get_version(),
            "cpus": os.cpu_count(),
            "open_files_limit": list(limits),
        },
        "latency_method": (
            "POST start (perf_counter, load generator) -> queue.added frame read on each socket; "
            "message id -> room id from the database, frame['room'] -> its POST"
        ),
        "server_log": log,
        "steps": steps,
    }
    RESULT_FILE.write_text(json.dumps(result, indent=2) + "\n")
    print(f"results: {RESULT_FILE.relative_to(PROJECT_ROOT)}")
    lost = sum(s["lost"] for s in steps)
    if lost:
        print(f"WARNING: {lost:,} deliveries lost", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
