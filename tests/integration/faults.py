"""The moving parts of the fault tests: our own processes (Daphne, task workers, commands) with
their logs, a Redis server of our own to stop, a TCP gate that cuts a service off, a Graph API
that never answers, and sockets with a session cookie.

Nothing here touches the machine's shared PostgreSQL or Redis: outages are our own Redis
process stopping, or the gate refusing connections in front of a server that keeps running.
"""

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path

import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from integrations.facebook.webhook import sign
from integrations.webhooks import transport as webhook_transport
from tests.facebook import graph as fake_graph
from tests.servers import ROOT, free_port

FAULT_SETTINGS = "tests.integration.fault_settings"


def wait_until(condition: Callable[[], object], *, timeout: float, step: float = 0.2, what: str):
    """Poll until the condition holds (returns its value); fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(step)


def environment(database_url: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": FAULT_SETTINGS,
        **extra,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


class Process:
    """A child process whose output goes to a log file (a pipe nobody reads would fill and
    stall it: an outage makes servers log a lot)."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._output = log.open("ab")
        self.popen = subprocess.Popen(  # noqa: S603
            args, cwd=ROOT, env=env, stdout=self._output, stderr=subprocess.STDOUT
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no clean-up, no goodbye (a crash, the OOM killer)."""
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._output.close()


def _wait_for_port(port: int, process: Process, *, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if process.popen.poll() is not None:
                raise RuntimeError(f"server exited:\n{process.output()[-3000:]}") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{process.output()[-3000:]}") from None
            time.sleep(0.1)


@contextmanager
def daphne(env: dict[str, str], log: Path) -> Iterator[tuple[str, Process]]:
    """Daphne on a free loopback port until the block ends: (base URL, process)."""
    port = free_port()
    process = Process(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "omnichannel.asgi:application",
        ],
        env,
        log,
    )
    try:
        _wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.stop()


def start_worker(env: dict[str, str], log: Path, *, interval: float = 0.2) -> Process:
    """`manage.py task_worker` on every queue; `interval`: how often an idle one looks anyway."""
    return Process(
        [
            sys.executable,
            "manage.py",
            "task_worker",
            "--queue-name",
            "*",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            str(interval),
        ],
        env,
        log,
    )


def manage(env: dict[str, str], *args: str) -> str:
    """Run a management command to its end; its output."""
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


# --- Redis of our own -----------------------------------------------------------------------------


class OwnRedis:
    """A redis-server on a free port, ours to stop and start; never the shared one."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.pidfile = directory / f"redis-{self.port}.pid"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as probe:
                probe.sendall(b"PING\r\n")
                return probe.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        subprocess.run(  # noqa: S603
            [
                shutil.which("redis-server") or "/usr/bin/redis-server",
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
                "--pidfile",
                str(self.pidfile),
                "--logfile",
                str(self.directory / f"redis-{self.port}.log"),
            ],
            check=True,
        )
        wait_until(self.answers, timeout=10, what=f"our redis-server on port {self.port}")
        wait_until(self.pidfile.exists, timeout=5, what="redis-server's pid file")

    def crash(self) -> None:
        """SIGKILL our redis-server, by the pid it wrote."""
        if not self.pidfile.exists():
            return
        pid = int(self.pidfile.read_text().strip())
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        self.pidfile.unlink()
        wait_until(lambda: not self.answers(), timeout=10, what="our redis-server to stop")


# --- a TCP gate -----------------------------------------------------------------------------------


class TcpGate:
    """A TCP proxy on loopback in front of a server that keeps running.

    `open()` forwards connections; `close()` cuts every open connection and refuses new ones,
    as a server that restarts or a network that drops does.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.BaseTransport] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def _run(self, coroutine) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    def open(self) -> None:
        self._run(self._open())

    def close(self) -> None:
        self._run(self._close())

    def shutdown(self) -> None:
        self.close()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    async def _open(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._forward, "127.0.0.1", self.port, reuse_address=True
            )

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for transport in list(self._transports):
            transport.abort()
        self._transports.clear()

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self.target_port
            )
        except OSError:
            writer.transport.abort()
            return
        self.connections += 1
        pair = {writer.transport, upstream_writer.transport}
        self._transports |= pair
        await asyncio.gather(
            self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer)
        )
        self._transports -= pair

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()


# --- Facebook's echoes ----------------------------------------------------------------------------


def post_facebook_echoes(*echoes: tuple[str, str, str], psid: str) -> None:
    """What Meta's webhook posts for messages the page sent: one echo per (mid, text, metadata),
    signed, to this test process's own webhook view (the worker processes the stored call)."""
    from django.test import Client

    from tests.facebook.conftest import APP_SECRET, PAGE_ID, entry, millis, payload

    items = [
        {
            "sender": {"id": PAGE_ID},
            "recipient": {"id": psid},
            "timestamp": millis(),
            "message": {"is_echo": True, "mid": mid, "text": text, "metadata": metadata},
        }
        for mid, text, metadata in echoes
    ]
    body = json.dumps(payload(entry(*items))).encode()
    response = Client().post(
        "/integrations/facebook/webhook/",
        data=body,
        content_type="application/json",
        headers={"X-Hub-Signature-256": sign(APP_SECRET, body)},
    )
    assert response.status_code == 200, response.content


# --- a Graph API that holds the first send and never answers it ---------------------------------


class _HangingHandler(fake_graph._Handler):
    def do_POST(self):
        with self.graph.lock:
            first = not getattr(self.graph, "hung", False)
            self.graph.hung = True
        if not first:
            super().do_POST()
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.graph.delivers_held_send:
            self._record(body)  # Facebook has the message: it reached the person
        else:
            self.graph.dropped.append(body)  # it never reached the person
        self.graph.holding.set()
        # The worker waiting for the answer dies before it comes.
        self.graph.release.wait(30)


def start_hanging_graph(
    *, delivers_held_send: bool
) -> tuple[fake_graph.FakeGraph, ThreadingHTTPServer]:
    """A Graph API that holds the first send unanswered; `delivers_held_send` says whether
    that send reached the person (it is then one of `graph.sends`) or was lost on the way
    (`graph.dropped`). Later sends are answered as usual."""
    graph = fake_graph.FakeGraph()
    graph.release = threading.Event()
    graph.holding = threading.Event()
    graph.delivers_held_send = delivers_held_send
    graph.dropped = []
    handler = type("Handler", (_HangingHandler,), {"graph": graph})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    graph.root = f"http://127.0.0.1:{server.server_address[1]}"
    graph.url = f"{graph.root}{fake_graph.VERSION}"
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    return graph, server


# --- sockets --------------------------------------------------------------------------------------


@contextmanager
def agent_socket(base_url: str, cookie: str) -> Iterator[ClientConnection]:
    """An agent tab's /ws/live/ socket, after its hello."""
    with connect(
        base_url.replace("http", "ws", 1) + "/ws/live/",
        additional_headers={"Cookie": cookie, "Origin": base_url},
        open_timeout=5,
    ) as socket_:
        hello = json.loads(socket_.recv(timeout=5))
        assert hello["type"] == "hello", hello
        yield socket_


def socket_opens(base_url: str, cookie: str) -> bool:
    """True when an agent's socket connects and says hello (what a reconnecting tab needs)."""
    try:
        with agent_socket(base_url, cookie):
            return True
    except (OSError, TimeoutError, AssertionError, ConnectionClosed, InvalidStatus):
        return False


def next_frame(socket_: ClientConnection, kind: str, *, timeout: float = 10) -> dict:
    """The next frame of this type, skipping others."""
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(socket_.recv(timeout=max(deadline - time.monotonic(), 0.01)))
        if frame["type"] == kind:
            return frame


# --- contacts writing over HTTP -------------------------------------------------------------------


def visitor_posts(base_url: str, token: str, text: str, *, slug: str = "support"):
    """The website chat widget sends a message; the response, whatever it is."""
    return requests.post(
        f"{base_url}/livechat/{slug}/messages/",
        data={"text": text},
        headers={"X-Visitor-Token": token},
        timeout=15,
    )


def api_channel_posts(base_url: str, key: str, secret: str, message_id: str, text: str):
    """An external system posts a signed message to the API channel."""
    body = json.dumps({"contact_id": "+4915100000001", "message_id": message_id, "text": text})
    stamp = int(time.time())
    return requests.post(
        f"{base_url}/api/v1/inbound/{key}/messages/",
        data=body.encode(),
        headers={
            "Content-Type": "application/json",
            webhook_transport.TIMESTAMP_HEADER: str(stamp),
            webhook_transport.SIGNATURE_HEADER: webhook_transport.sign(
                secret, stamp, body.encode()
            ),
        },
        timeout=15,
    )


def facebook_posts(base_url: str, body: dict, secret: str):
    """Meta delivers a signed webhook call."""
    raw = json.dumps(body).encode()
    return requests.post(
        f"{base_url}/integrations/facebook/webhook/",
        data=raw,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(secret, raw)},
        timeout=15,
    )


def answered_500(log: str) -> list[str]:
    """Daphne's access-log lines of requests answered 500."""
    return re.findall(r'^.*"[A-Z]+ [^"]*" 500 .*$', log, flags=re.MULTILINE)


# --- conversations set up through the services ----------------------------------------------------


def acme_page(department):
    """The Facebook page the fault tests' webhooks are signed for, routed to `department`."""
    from integrations.facebook.services.pages import add_page
    from tests.facebook.conftest import APP_SECRET, PAGE_ID

    return add_page(
        page_id=PAGE_ID,
        name="Acme",
        access_token="EAAGtoken",
        app_secret=APP_SECRET,
        verify_token="verify",
        department=department,
    )


def messenger_room(page, agent, *, psid: str = "9001"):
    """A person wrote to the page (so the messaging window is open); the agent took the chat."""
    from directory.models import Channel
    from directory.services import get_or_create_contact
    from integrations.facebook.selectors import contact_external_id
    from queues.services import take_room
    from rooms.services import receive_contact_message

    contact, _created = get_or_create_contact(
        channel=Channel.FACEBOOK, external_id=contact_external_id(page.page_id, psid)
    )
    message = receive_contact_message(
        contact=contact,
        channel=Channel.FACEBOOK,
        department=page.department,
        text="Hello from Messenger",
        external_id=f"m_in_{psid}",
        source=page.page_id,
    )
    return take_room(agent, message.room)


def api_channel_room(channel, agent):
    """A user of the external system wrote through the API channel; the agent took the chat."""
    from integrations.apichannel.services import receive_inbound_message
    from queues.services import take_room

    message = receive_inbound_message(
        channel, contact_id="+4915100000002", message_id="first", text="Hello from SMS"
    )
    return take_room(agent, message.room)


def no_frame(socket_: ClientConnection, kind: str, *, timeout: float = 1) -> bool:
    """True when no frame of this type arrives within the timeout."""
    try:
        next_frame(socket_, kind, timeout=timeout)
    except TimeoutError:
        return True
    return False
