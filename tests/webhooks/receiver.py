"""The outside world for webhook tests: an HTTP receiver on loopback, in a thread.

It records every request (path, headers, raw body) and answers with the statuses it is told
to, in order (200 once the plan is used up), optionally after a delay.
"""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    plan: list[int] = field(default_factory=list)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, count: int = 1, status: int = 500) -> None:
        with self.lock:
            self.plan.extend([status] * count)

    def next_status(self) -> int:
        with self.lock:
            return self.plan.pop(0) if self.plan else 200

    @property
    def count(self) -> int:
        return len(self.requests)


def start_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
            if receiver.delay:
                time.sleep(receiver.delay)
            status = receiver.next_status()
            payload = b'{"ok": true}' if status < 300 else b'{"error": "receiver failed"}'
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # The client gave up (a timeout test).

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    host, port = server.server_address[:2]
    receiver = Receiver(url=f"http://{host}:{port}/hook")
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return receiver, server
