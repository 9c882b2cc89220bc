"""Agent reply path: POST reply -> task -> Send API (fake Graph) -> status "sent" on the socket.

One Daphne process, one task_worker, a fake Graph API on loopback; A agents each serving one
Messenger room and watching it on their own /ws/live/ socket (as the room page does). Phases:

* floors (closed loop), as in every scenario;
* `reply POST @rate`: replies at --rate a second, open loop, round robin over the agents; the
  POST's latency (the agent's composer waits for it);
* `reply POST -> sent @rate`: from the same replies, the time from the POST leaving to the
  agent's socket showing the message as sent (`message.updated`, data-delivery="sent"):
  task claim, Send API call, status change, event, live publish; `lost` = replies accepted
  but not sent 30 s after the last POST;
* `reply POST, closed loop` and `reply sent, 1 worker`: as many replies as --connections
  agents can post, and how many of them one worker sends a second.

    .venv/bin/python -m bench reply [--agents 20] [--rate 20] [--seconds 15] [--connections 16]
"""

import argparse
import asyncio
import re
import secrets
import sys
import time

from bench import fixtures, ingest, loadgen, stack, support

TOKEN = re.compile(r"bench-reply-([0-9a-z]+-\d+)")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench reply", description=__doc__)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--rate", type=float, default=20, help="replies a second (open loop)")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--connections", type=int, default=16, help="closed-loop connections")
    parser.add_argument("--floor-seconds", type=float, default=8)
    parser.add_argument("--worker-interval", type=float, default=0.1)
    parser.add_argument("--drain-seconds", type=float, default=60)
    return parser.parse_args(argv)


def serve_rooms(world: fixtures.World) -> list[int]:
    """One Messenger room per agent, taken by that agent (through the services)."""
    from accounts.models import Department
    from directory.models import Channel
    from directory.services import get_or_create_contact
    from integrations.facebook.selectors import contact_external_id
    from queues.services import take_room
    from rooms.services import receive_contact_message

    department = Department.objects.get(pk=world.department_id)
    rooms = []
    for index, agent in enumerate(world.agents):
        psid = str(8_000_000 + index)
        contact, _ = get_or_create_contact(
            channel=Channel.FACEBOOK,
            external_id=contact_external_id(fixtures.PAGE_ID, psid),
            name=f"Bench {psid}",
        )
        message = receive_contact_message(
            contact=contact,
            channel=Channel.FACEBOOK,
            department=department,
            text="Hello, I need help",
            external_id=f"m_reply_{secrets.token_hex(4)}_{index}",
            source=fixtures.PAGE_ID,
            meta={"page": fixtures.PAGE_ID},
        )
        room = message.room
        take_room(agent, room)
        rooms.append(room.pk)
    return rooms


class Tracker:
    """Socket frames -> token -> message id -> the moment it shows as sent."""

    def __init__(self) -> None:
        self.message_of: dict[str, int] = {}
        self.sent_at: dict[int, float] = {}

    def on_frame(self, _socket, frame: dict, received: float) -> None:
        kind = frame.get("type")
        if kind == "message.created" and frame.get("kind") == "agent":
            match = TOKEN.search(frame.get("html") or "")
            if match:
                self.message_of[match.group(1)] = frame["message"]
        elif kind == "message.updated" and 'data-delivery="sent"' in (frame.get("html") or ""):
            self.sent_at.setdefault(frame["message"], received)


def run(args, report: support.Report, stack_: stack.Stack, world, rooms: list[int]) -> None:
    port = stack_.port
    tracker = Tracker()
    run_id = secrets.token_hex(3)

    async def phases() -> None:
        sockets, _took = await loadgen.open_sockets(port, world.cookies, tracker.on_frame)
        ready = [s for s in sockets if s.hello_at is not None]
        for live, room in zip(sockets, rooms, strict=True):
            live.send_json({"type": "watch", "room": room})
        await asyncio.sleep(1)
        if len(ready) < len(sockets):
            report.notes.append(f"only {len(ready)}/{len(sockets)} sockets connected")

        # Floors.
        floor_args = argparse.Namespace(connections=args.connections, seconds=args.floor_seconds)
        before = stack_.usage()
        result = await ingest.closed(
            port, lambda n: fixtures.floor_http(port), fixtures.status_is(200), floor_args
        )
        ingest.add_load_row(
            report, "floor: http", result, stack.usage_between(before, stack_.usage()), kind="floor"
        )
        before = stack_.usage()
        result = await ingest.closed(
            port, lambda n: fixtures.floor_ingest(port, n), fixtures.status_is(200), floor_args
        )
        ingest.add_load_row(
            report,
            "floor: ingest",
            result,
            stack.usage_between(before, stack_.usage()),
            kind="floor",
        )

        def builder(label: str):
            def build(number: int) -> loadgen.Request:
                index = number % len(rooms)
                token = f"{run_id}{label}-{number}"
                raw = fixtures.agent_post(
                    port,
                    world.cookies[index],
                    f"/rooms/{rooms[index]}/messages/",
                    {"text": f"Thanks for waiting (bench-reply-{token})"},
                    htmx=True,
                )
                return loadgen.Request(raw, meta=token)

            return build

        # Open loop at --rate.
        before = stack_.usage()
        result = await loadgen.open_loop(
            port,
            builder("o"),
            fixtures.status_is(204),
            rate=args.rate,
            seconds=args.seconds,
            keep=True,
        )
        posted = stack_.usage()
        accepted = {r.meta: s for r, status, _b, s, _f in result.answered if status == 204}
        await drain(tracker, accepted, args.drain_seconds)
        usage = stack.usage_between(before, posted)
        ingest.add_load_row(report, "reply POST @rate", result, usage)
        latencies, sent = sent_latencies(tracker, accepted)
        report.add(
            "reply POST -> sent @rate",
            mode=f"open loop, {args.rate:g}/s",
            seconds=result.seconds,
            requests=sent,
            lost=len(accepted) - sent,
            latencies_ms=latencies,
            usage=stack.usage_between(before, stack_.usage()),
        )

        # Closed loop: throughput of the POST, then of the worker behind it.
        before = stack_.usage()
        started = time.perf_counter()
        result = await loadgen.closed_loop(
            port,
            builder("c"),
            fixtures.status_is(204),
            connections=args.connections,
            seconds=args.seconds,
            keep=True,
            warmup=0,
        )
        posted = stack_.usage()
        accepted = {r.meta: s for r, status, _b, s, _f in result.answered if status == 204}
        ingest.add_load_row(
            report,
            "reply POST, closed loop",
            result,
            stack.usage_between(before, posted),
            floor="floor: ingest",
        )
        await drain(tracker, accepted, args.drain_seconds)
        latencies, sent = sent_latencies(tracker, accepted)
        last = max((tracker.sent_at[m] for m in _messages(tracker, accepted)), default=0)
        loop_now = asyncio.get_running_loop().time()
        elapsed = time.perf_counter() - started - (loop_now - last if last else 0)
        report.add(
            "reply sent, 1 worker",
            mode="until the last is sent",
            floor="floor: ingest",
            seconds=elapsed,
            requests=sent,
            lost=len(accepted) - sent,
            latencies_ms=latencies,
            usage=stack.usage_between(before, stack_.usage()),
        )
        await loadgen.close_sockets(sockets)

    asyncio.run(phases())
    stats = stack_.fake_stats()
    report.notes.append(
        f"fake Graph API: {stats['sends']:,} Send API calls for "
        f"{sum(1 for r in report.rows if r['name'].startswith('reply'))} reply phases"
    )
    report.extra["graph_stats"] = stats


def _messages(tracker: Tracker, accepted: dict) -> list[int]:
    return [tracker.message_of[t] for t in accepted if tracker.message_of.get(t) in tracker.sent_at]


def sent_latencies(tracker: Tracker, accepted: dict[str, float]) -> tuple[list[float], int]:
    latencies = []
    for token, started in accepted.items():
        message = tracker.message_of.get(token)
        if message is not None and message in tracker.sent_at:
            latencies.append((tracker.sent_at[message] - started) * 1000)
    return latencies, len(latencies)


async def drain(tracker: Tracker, accepted: dict, seconds: float) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        done = sum(1 for t in accepted if tracker.message_of.get(t) in tracker.sent_at)
        if done >= len(accepted):
            return
        await asyncio.sleep(0.1)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    support.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    secret_key = stack.new_secret_key()
    database_url, redis_url = support.harness_setup("bench_reply", secret_key)
    env = stack.server_environment(database_url, redis_url, secret_key)
    report = support.Report(
        "reply",
        {
            "daphne": 1,
            "workers": 1,
            "agents": args.agents,
            "rate": args.rate,
            "seconds": args.seconds,
            "connections": args.connections,
            "worker_interval": args.worker_interval,
        },
    )
    with stack.Stack("reply", env) as stack_:
        stack_.start_fakes()
        world = fixtures.build_world(args.agents, callback_url=stack_.callback_url)
        rooms = serve_rooms(world)
        fixtures.close_connections()
        stack_.start_daphnes(1)
        stack_.start_workers(1, interval=args.worker_interval)
        run(args, report, stack_, world, rooms)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
