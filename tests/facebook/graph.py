"""A fake Graph API: a real HTTP server on loopback that records what it is asked.

It answers the Send API (`POST /<page id>/messages`), user profiles (`GET /<psid>`) and
attachment downloads (`GET /files/<name>`), and fails on command in each way Facebook does.
Error bodies have the shape Meta documents: {"error": {"message", "type", "code", ...}}.
"""

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def _error(status: int, code: int, message: str, subcode: int | None = None) -> tuple:
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "FAKE"}
    if subcode:
        error["error_subcode"] = subcode
    return status, {"error": error}


# Each failure: (HTTP status, JSON body), or "timeout" (answers after the client gave up).
FAILURES = {
    "timeout": "timeout",
    "server_error": (503, None),
    "temporary": _error(500, 2, "An unexpected error has occurred. Please retry later."),
    "rate_limit": _error(400, 613, "Calls to this API have exceeded the rate limit."),
    "token": _error(400, 190, "Invalid OAuth access token."),
    "person_unavailable": _error(400, 551, "This person isn't available right now.", 1545041),
    "outside_window": _error(400, 10, "This message is sent outside of allowed window.", 2018278),
    "invalid": _error(400, 100, "Invalid parameter"),
}
SLOW_SECONDS = 1.0
VERSION = "/v21.0"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    headers: dict
    body: dict | None = None


@dataclass
class FakeGraph:
    url: str = ""
    root: str = ""
    requests: list[Recorded] = field(default_factory=list)
    profiles: dict[str, dict] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    send_failures: deque = field(default_factory=deque)
    profile_failures: deque = field(default_factory=deque)
    file_failures: deque = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: int = 0

    def fail_sends(self, kind: str, times: int = 1) -> None:
        self.send_failures.extend([kind] * times)

    def fail_profiles(self, kind: str, times: int = 1) -> None:
        self.profile_failures.extend([kind] * times)

    def fail_files(self, kind: str, times: int = 1) -> None:
        self.file_failures.extend([kind] * times)

    def file_url(self, name: str) -> str:
        return f"{self.root}/files/{name}?oh=signed&oe=expires"

    @property
    def sends(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path.endswith("/messages")]

    @property
    def profile_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "GET" and not r.path.startswith("/files/")]

    def next_mid(self) -> str:
        with self.lock:
            self.counter += 1
            return f"m_fake_{self.counter}"


class _Handler(BaseHTTPRequestHandler):
    graph: FakeGraph

    def log_message(self, format, *args):
        pass

    def _record(self, body: dict | None = None) -> Recorded:
        split = urlsplit(self.path)
        recorded = Recorded(
            method=self.command,
            path=split.path.removeprefix(VERSION),
            query={k: v[0] for k, v in parse_qs(split.query).items()},
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        with self.graph.lock:
            self.graph.requests.append(recorded)
        return recorded

    def _answer(self, status: int, body: object, content_type="application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout, a file too big): what the test asked for

    def _fail(self, queue: deque) -> bool:
        try:
            kind = queue.popleft()
        except IndexError:
            return False
        if kind == "ok":
            return False
        failure = FAILURES[kind]
        if failure == "timeout":
            time.sleep(SLOW_SECONDS)
            self._answer(200, {"late": True})
            return True
        status, body = failure
        if body is None:
            self._answer(status, b"Service Unavailable", "text/plain")
        else:
            self._answer(status, body)
        return True

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        recorded = self._record(body)
        if self._fail(self.graph.send_failures):
            return
        if not recorded.path.endswith("/messages"):
            self._answer(*_error(400, 100, "Unknown path"))
            return
        psid = body.get("recipient", {}).get("id")
        self._answer(200, {"recipient_id": psid, "message_id": self.graph.next_mid()})

    def do_GET(self):
        recorded = self._record()
        if recorded.path.startswith("/files/"):
            if self._fail(self.graph.file_failures):
                return
            name = recorded.path.removeprefix("/files/")
            if name not in self.graph.files:
                self._answer(404, b"Not Found", "text/plain")
                return
            content_type, content = self.graph.files[name]
            self._answer(200, content, content_type)
            return
        if self._fail(self.graph.profile_failures):
            return
        psid = recorded.path.strip("/")
        if psid in self.graph.profiles:
            self._answer(200, {"id": psid, **self.graph.profiles[psid]})
            return
        self._answer(*_error(400, 100, "No profile available for this user.", 2018218))


def start() -> tuple[FakeGraph, ThreadingHTTPServer]:
    graph = FakeGraph()
    handler = type("Handler", (_Handler,), {"graph": graph})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    graph.root = f"http://127.0.0.1:{server.server_address[1]}"
    graph.url = f"{graph.root}{VERSION}"
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    return graph, server
