"""The load generator: raw HTTP/1.1 keep-alive and RFC 6455 websockets over asyncio streams.

It runs in the harness's process, apart from every server process. Two ways to load:

* `closed_loop`: C connections, each sends its next request when the previous one is answered
  (the most the server does at that concurrency: throughput);
* `open_loop`: requests leave on schedule at R per second whatever the server does, latency is
  counted from the scheduled departure, so a server that falls behind cannot hide it.
"""

import asyncio
import base64
import contextlib
import hashlib
import json
import os
import struct
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


@dataclass
class Request:
    raw: bytes
    meta: object = None  # anything the validator or the caller wants back
    messages: int = 1  # contact messages this request carries


Builder = Callable[[int], Request]
# (status, body, request) -> ok
Validator = Callable[[int, bytes, Request], bool]


def http_request(
    method: str,
    path: str,
    *,
    port: int,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    close: bool = False,
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class HttpConnection:
    """One keep-alive connection; reopens itself when the server closed it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, raw: bytes, timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
        async with asyncio.timeout(timeout):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            self.writer.write(raw)
            await self.writer.drain()
            return await self._response()

    async def _response(self) -> tuple[int, dict[str, str], bytes]:
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _sep, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                chunks.append(chunk[:-2])
            body = b"".join(chunks)
        else:
            length = int(headers.get("content-length") or 0)
            body = await self.reader.readexactly(length) if length else b""
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class LoadResult:
    mode: str
    seconds: float
    sent: int = 0
    ok: int = 0
    messages_ok: int = 0
    errors: Counter = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    answered: list[tuple[Request, int, bytes, float, float]] = field(default_factory=list)
    connections: int = 0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def _note(
    result: LoadResult,
    request: Request,
    status: int,
    body: bytes,
    validate: Validator,
    keep: bool,
    started: float,
    finished: float,
) -> None:
    ok = status > 0 and validate(status, body, request)
    if ok:
        result.ok += 1
        result.messages_ok += request.messages
    else:
        result.errors[f"HTTP {status}" if status else "no answer"] += 1
    if keep:
        result.answered.append((request, status, body, started, finished))


async def closed_loop(
    port: int,
    build: Builder,
    validate: Validator,
    *,
    connections: int,
    seconds: float,
    warmup: float = 2.0,
    keep: bool = False,
) -> LoadResult:
    """C connections back to back; figures over `seconds` after `warmup` unmeasured seconds."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    measure_from = start + warmup
    stop_at = measure_from + seconds
    result = LoadResult(mode=f"closed loop, {connections} connections", seconds=seconds)
    result.connections = connections
    numbers = iter(range(1, 1 << 62))
    warm = LoadResult(mode="warm-up", seconds=warmup)

    async def worker() -> None:
        connection = HttpConnection(port)
        try:
            while loop.time() < stop_at:
                request = build(next(numbers))
                sent = loop.time()
                target = result if sent >= measure_from else warm
                try:
                    status, _headers, body = await connection.send(request.raw)
                except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as error:
                    connection.close()
                    status, body = 0, type(error).__name__.encode()
                finished = loop.time()
                if target is result:
                    result.sent += 1
                    result.latencies_ms.append((finished - sent) * 1000)
                _note(target, request, status, body, validate, keep, sent, finished)
        finally:
            connection.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    # Requests the warm-up answered still count for "lost" (they were accepted).
    result.answered = warm.answered + result.answered
    return result


async def open_loop(
    port: int,
    build: Builder,
    validate: Validator,
    *,
    rate: float,
    seconds: float,
    keep: bool = False,
    timeout: float = 30,
) -> LoadResult:
    """R requests per second on schedule, each on a free connection (opening more as needed)."""
    loop = asyncio.get_running_loop()
    total = max(int(seconds * rate), 1)
    result = LoadResult(mode=f"open loop, {rate:g}/s", seconds=seconds)
    idle: list[HttpConnection] = []

    async def one(number: int, scheduled: float) -> None:
        connection = idle.pop() if idle else None
        if connection is None:
            connection = HttpConnection(port)
            result.connections += 1
        request = build(number)
        try:
            status, _headers, body = await connection.send(request.raw, timeout)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as error:
            connection.close()
            status, body = 0, type(error).__name__.encode()
        else:
            idle.append(connection)
        finished = loop.time()
        result.sent += 1
        result.latencies_ms.append((finished - scheduled) * 1000)
        _note(result, request, status, body, validate, keep, scheduled, finished)

    start = loop.time() + 0.05
    tasks = []
    for number in range(total):
        scheduled = start + number / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(number + 1, scheduled)))
    await asyncio.gather(*tasks)
    result.seconds = max(loop.time() - start, 1e-9)
    for connection in idle:
        connection.close()
    return result


# --- websockets ------------------------------------------------------------------------------


def _mask(payload: bytes, mask: bytes) -> bytes:
    if not payload:
        return payload
    repeated = (mask * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
        len(payload), "big"
    )


def client_frame(opcode: int, payload: bytes) -> bytes:
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    mask = os.urandom(4)
    return header + mask + _mask(payload, mask)


FrameHandler = Callable[["LiveSocket", dict, float], None]


class LiveSocket:
    """One agent tab's /ws/live/: waits for "hello", hands every JSON frame to `on_frame`."""

    def __init__(self, index: int, cookie: str, on_frame: FrameHandler | None = None) -> None:
        self.index = index
        self.cookie = cookie
        self.on_frame = on_frame
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.hello = asyncio.Event()
        self.closed = asyncio.Event()
        self.hello_at: float | None = None
        self.user: int | None = None
        self.closing = False
        self.dropped = False
        self.close_code: int | None = None
        self.error: str | None = None
        self.frames: Counter = Counter()
        self._pump: asyncio.Task | None = None

    async def open(self, port: int, timeout: float = 30) -> bool:
        try:
            async with asyncio.timeout(timeout):
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
                key = base64.b64encode(os.urandom(16)).decode()
                request = (
                    f"GET /ws/live/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                    f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                    f"Origin: http://127.0.0.1:{port}\r\nCookie: {self.cookie}\r\n\r\n"
                )
                self.writer.write(request.encode("ascii"))
                await self.writer.drain()
                head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                if head.split(" ", 2)[1:2] != ["101"]:
                    raise ConnectionError(head.split("\r\n", 1)[0])
                accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest())  # noqa: S324
                if accept.decode() not in head:
                    raise ConnectionError("wrong Sec-WebSocket-Accept")
                self._pump = asyncio.create_task(self.pump())
                await self.hello.wait()
        except Exception as error:  # a failed socket is a figure, not a crash
            self.error = f"{type(error).__name__}: {error}"
            return False
        return self.hello_at is not None

    async def _frame(self) -> tuple[int, bool, bytes]:
        first, second = await self.reader.readexactly(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
        mask = await self.reader.readexactly(4) if second & 0x80 else b""
        payload = await self.reader.readexactly(length)
        return first & 0x0F, bool(first & 0x80), _mask(payload, mask) if mask else payload

    async def pump(self) -> None:
        parts: list[bytes] = []
        loop = asyncio.get_running_loop()
        try:
            while True:
                opcode, fin, payload = await self._frame()
                if opcode in (0x0, 0x1, 0x2):
                    parts.append(payload)
                    if not fin:
                        continue
                    received = loop.time()
                    frame = json.loads(b"".join(parts))
                    parts = []
                    kind = frame.get("type")
                    self.frames[kind] += 1
                    if kind == "hello" and self.hello_at is None:
                        self.hello_at = received
                        self.user = frame.get("user")
                        self.hello.set()
                    elif self.on_frame is not None:
                        self.on_frame(self, frame, received)
                elif opcode == 0x9:
                    self.send(0xA, payload)
                elif opcode == 0x8:
                    self.close_code = struct.unpack("!H", payload[:2])[0] if payload else 1005
                    if not self.closing:
                        self.dropped = True
                        self.send(0x8, payload[:2])
                    break
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            if not self.closing:
                self.dropped = True
        finally:
            self.closed.set()
            self.hello.set()
            if self.writer is not None:
                self.writer.close()

    def send(self, opcode: int, payload: bytes) -> None:
        if self.writer is not None and not self.writer.is_closing():
            self.writer.write(client_frame(opcode, payload))

    def send_json(self, data: dict) -> None:
        self.send(0x1, json.dumps(data).encode())

    async def close(self, timeout: float = 5) -> None:
        if self._pump is None:
            if self.writer is not None:
                self.writer.close()
            return
        if not self.closed.is_set():
            self.closing = True
            self.send(0x8, struct.pack("!H", 1000))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.closed.wait(), timeout)
        if not self._pump.done():
            self._pump.cancel()


async def open_sockets(
    port: int,
    cookies: list[str],
    on_frame: FrameHandler | None = None,
    *,
    concurrency: int = 20,
    rate: float = 0,
) -> tuple[list[LiveSocket], float]:
    """Connect one socket per cookie (at most `concurrency` handshakes at once)."""
    gate = asyncio.Semaphore(concurrency)
    sockets = [LiveSocket(index, cookie, on_frame) for index, cookie in enumerate(cookies)]
    started = time.perf_counter()

    async def connect(live: LiveSocket) -> None:
        async with gate:
            await live.open(port)

    if rate:
        tasks = []
        for live in sockets:
            tasks.append(asyncio.create_task(connect(live)))
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*tasks)
    else:
        await asyncio.gather(*(connect(live) for live in sockets))
    return sockets, time.perf_counter() - started


async def close_sockets(sockets: list[LiveSocket], rate: float = 100) -> None:
    tasks = []
    for live in sockets:
        tasks.append(asyncio.create_task(live.close()))
        if rate:
            await asyncio.sleep(1 / rate)
    await asyncio.gather(*tasks)
