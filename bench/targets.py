"""The numbers the system must meet, checked at the end of every harness run (PASS / FAIL).

Throughput targets are ratios to a floor measured in the same run on the same server (see
omnichannel/bench_views.py), because these machines are shared and absolute figures drift;
latency targets are absolute, at a stated load. Where a figure is set below issue 10's wish,
the comment says why (the measurements are in the issue note and `bench/results/*.json`).
"""

import operator
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    scenario: str
    row: str  # the Report row's name
    metric: str  # a key of the row: ratio, p50_ms, p99_ms, errors, lost, msgs_per_s, ...
    op: str  # "<=", ">=", "=="
    value: float
    why: str = ""

    def describe(self) -> str:
        unit = "x floor" if self.metric == "ratio" else ""
        return f"{self.scenario} / {self.row}: {self.metric} {self.op} {self.value:g}{unit}"


OPS = {"<=": operator.le, ">=": operator.ge, "==": operator.eq}

# The issue sets this path its targets at 100 messages a second (`--rates 100`).
WEBHOOK_TO_SOCKET = "facebook webhook -> agent socket @100/s"

TARGETS = [
    # --- ingest: one Daphne process, closed loop, more connections than the pool holds ------
    # The webhook only stores the signed call (one row + its task row, one transaction).
    Target("ingest", "facebook webhook x1", "ratio", ">=", 0.7, "issue 10: >= 70% of floor"),
    Target("ingest", "facebook webhook x1", "errors", "==", 0),
    Target("ingest", "facebook webhook x1", "lost", "==", 0),
    Target("ingest", "facebook webhook x10", "ratio", ">=", 0.7, "messages/s vs floor calls/s"),
    Target("ingest", "facebook webhook x1 @150/s", "p99_ms", "<=", 100, "issue 10"),
    # The API channel stores the message, opens or joins the room, records the events and
    # publishes them, all in the request: the full path, so a lower bar than the webhook's.
    Target("ingest", "api inbound", "ratio", ">=", 0.35),
    Target("ingest", "api inbound", "errors", "==", 0),
    Target("ingest", "api inbound", "lost", "==", 0),
    # What the webhook only stored, one task_worker turns into rooms, messages, events and live
    # publishes: the Facebook path's real throughput.
    Target("ingest", "facebook processed, 1 worker", "ratio", ">=", 0.35),
    # --- agent reply path: POST reply -> task -> Send API (fake) -> status "sent" -------------
    Target("reply", "reply POST @rate", "p99_ms", "<=", 500, "issue 10 brief"),
    Target("reply", "reply POST -> sent @rate", "p99_ms", "<=", 1000),
    Target("reply", "reply POST -> sent @rate", "lost", "==", 0),
    Target("reply", "reply POST, closed loop", "ratio", ">=", 0.35),
    # --- live fan-out to N agent sockets in one department ---------------------------------
    # Issue 10: every one of 1,000 sockets within 200 ms (the scenario's default --agents).
    Target("fanout", "queue.added via website chat", "p99_ms", "<=", 200, "1,000 sockets"),
    Target("fanout", "queue.added via website chat", "lost", "==", 0),
    Target("fanout", "queue.added via API inbound", "p99_ms", "<=", 200, "1,000 sockets"),
    Target("fanout", "queue.added via API inbound", "lost", "==", 0),
    Target("fanout", "queue.added via facebook webhook", "p99_ms", "<=", 200, "1,000 sockets"),
    Target("fanout", "queue.added via facebook webhook", "lost", "==", 0),
    Target("fanout", "idle sockets", "kib_per_socket", "<=", 60, "issue 10: <= 60 KB each"),
    # --- a contact's Messenger message reaching the serving agent's open room, 500 agents on -
    Target("webhook_socket", WEBHOOK_TO_SOCKET, "p50_ms", "<=", 15, "issue 10"),
    Target("webhook_socket", WEBHOOK_TO_SOCKET, "p99_ms", "<=", 60, "issue 10"),
    Target("webhook_socket", WEBHOOK_TO_SOCKET, "lost", "==", 0, "issue 10"),
    # --- the layer alone: one group_send reaching 1,000 receivers of one process -------------
    Target("channel_layer", "ours (one reader per process)", "p99_ms", "<=", 50),
    # --- two Daphne processes + two workers behind nginx ---------------------------------------
    Target("scaleout", "api inbound, 2 processes", "scale", ">=", 1.3, "issue 10: >= 1.3x"),
    Target("scaleout", "api inbound, 2 processes", "lost", "==", 0, "events cross processes"),
    Target("scaleout", "facebook processed, 2 workers", "scale", ">=", 1.3),
    # --- contested take: 50 agents, 1,000 rooms, 10,000 attempts a row -----------------------
    Target("take_race", "take, service", "double_assigned", "==", 0, "issue 10: 0 rooms twice"),
    Target("take_race", "take, service", "lost", "==", 0, "answers the database contradicts"),
    Target("take_race", "take, service", "over_maximum", "==", 0, "Take it! respects max chats"),
    Target("take_race", "take, service", "errors", "==", 0),
    Target("take_race", "take, HTTP", "double_assigned", "==", 0, "issue 10: 0 rooms twice"),
    Target("take_race", "take, HTTP", "lost", "==", 0, "answers the database contradicts"),
    Target("take_race", "take, HTTP", "over_maximum", "==", 0, "Take it! respects max chats"),
    Target("take_race", "take, HTTP", "errors", "==", 0),
    Target("take_race", "take, HTTP", "p99_ms", "<=", 25, "issue 10: take p99 <= 25 ms"),
    # --- agent pages, in-process: 100,000 rooms, 1,000,000 messages ----------------------------
    Target("agent_pages", "home", "p95_ms", "<=", 50, "issue 10: server time"),
    Target("agent_pages", "room", "p95_ms", "<=", 50, "issue 10: a 2,000-message room"),
    Target("agent_pages", "queued chats", "p95_ms", "<=", 50, "issue 10: GET /rooms/sidebar/"),
    Target("agent_pages", "home", "queries_delta", "==", 0, "same count at 2% and 100% of rooms"),
    Target("agent_pages", "room", "queries_delta", "==", 0, "20 vs 2,000 messages"),
    Target("agent_pages", "queued chats", "queries_delta", "==", 0, "60 vs 3,000 queued"),
    # --- soak ------------------------------------------------------------------------------------
    Target("soak", "contact messages", "errors", "==", 0, "issue 11"),
    Target("soak", "contact messages", "lost", "==", 0, "issue 11"),
    Target("soak", "agent replies -> sent", "lost", "==", 0, "issue 11"),
    Target("soak", "queue.added to sockets", "lost", "==", 0),
    Target("soak", "server memory", "growth_pct", "<=", 25, "issue 11: bounded"),
]


def evaluate(scenario: str, report) -> list[dict]:
    """PASS / FAIL per target of this scenario whose row the run measured (others: skipped)."""
    checks = []
    family = scenario.split("-")[0]  # "soak-2p" is checked as a "soak"
    for target in TARGETS:
        if target.scenario != family:
            continue
        row = report.row(target.row)
        measured = None if row is None else row.get(target.metric)
        if measured is None:
            result = "not measured"
        else:
            result = "PASS" if OPS[target.op](measured, target.value) else "FAIL"
        checks.append(
            {
                "target": target.describe(),
                "measured": "-" if measured is None else measured,
                "result": result,
                "why": target.why,
            }
        )
    return checks
