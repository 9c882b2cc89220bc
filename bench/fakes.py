"""The outside world on loopback, in a process of its own: a fake Graph API and a callback sink.

    python -m bench.fakes PORT

* `GET /v21.0/<psid>`: a Messenger profile (first name "Bench", last name the psid).
* `POST /v21.0/<page id>/messages`: the Send API; answers a fresh `message_id`.
* `POST /callback/...`: an API channel's callback URL or a webhook receiver; answers 200.
* `GET /_stats`: JSON counters ({"profiles", "sends", "callbacks", "send_ids"}), for the harness
  to check that every reply left exactly once.

Nothing leaves the machine. A process of its own, so its threads never steal the load
generator's interpreter lock.
"""

import itertools
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_lock = threading.Lock()
_counter = itertools.count(1)
STATS = {"profiles": 0, "sends": 0, "callbacks": 0, "duplicate_callbacks": 0}
_callback_ids: set[str] = set()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes: with Nagle's algorithm on, the second waits for
    # the client's delayed ACK of the first (~40 ms a call on a kept-alive connection), which
    # made the fake, not our code, the bottleneck of every profile fetch and send.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):
        pass

    def _answer(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/_stats":
            with _lock:
                self._answer(200, dict(STATS))
            return
        psid = path.rsplit("/", 1)[-1]
        with _lock:
            STATS["profiles"] += 1
        self._answer(200, {"id": psid, "first_name": "Bench", "last_name": psid})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?")[0]
        if path.startswith("/callback"):
            key = self.headers.get("X-Omnichannel-Delivery") or self.headers.get(
                "X-Omnichannel-Event-Id", ""
            )
            with _lock:
                STATS["callbacks"] += 1
                if key and key in _callback_ids:
                    STATS["duplicate_callbacks"] += 1
                _callback_ids.add(key)
            self._answer(200, {"ok": True})
            return
        if path.endswith("/messages"):
            try:
                recipient = json.loads(body)["recipient"]["id"]
            except (ValueError, KeyError, TypeError):
                recipient = ""
            with _lock:
                STATS["sends"] += 1
                number = next(_counter)
            self._answer(200, {"recipient_id": recipient, "message_id": f"m_bench_out_{number}"})
            return
        self._answer(404, {"error": {"message": "unknown path", "code": 100}})


def main(argv: list[str]) -> int:
    port = int(argv[0]) if argv else 0
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print(f"fakes listening on {server.server_address[1]}", flush=True)
    server.serve_forever(0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
