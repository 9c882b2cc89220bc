"""Webhook to socket: a contact's Messenger message reaching the agent's open room, N agents on.

One Daphne process and --workers task workers on PostgreSQL and Redis; N agents (default 500),
each serving one Messenger room and watching it over /ws/live/ (the room page open). Phases,
open loop, each message a signed webhook call for one of the rooms, in turn:

* `floor: ingest -> socket`: the ingest floor (one INSERT, one `group_send`) aimed at one
  agent's sockets: POST leaving to the frame read, the least this path can cost here;
* `facebook webhook -> agent socket @R/s` per --rates: POST leaving to the `message.created`
  fragment read on the serving agent's socket. The webhook answers once the call is stored;
  a worker (woken by the commit) turns it into the message, and the event reaches the room's
  watchers. `lost` = messages whose fragment never came.

    .venv/bin/python -m bench webhook_socket [--agents 500] [--rates 100] [--seconds 10]
        [--workers 1] [--profile]

--profile samples the first task worker with py-spy during each webhook phase.
"""

import argparse
import asyncio
import re
import secrets
import sys
import time

from bench import fixtures, loadgen, profiling, reply, stack, support

TOKEN = re.compile(r"bench-wsk-([0-9a-f]+-\d+-\d+)")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench webhook_socket", description=__doc__)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument(
        "--rates", type=float, nargs="+", default=[100.0], help="messages a second, per phase"
    )
    parser.add_argument("--seconds", type=float, default=10, help="length of each phase")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--drain-seconds", type=float, default=30)
    parser.add_argument("--profile", action="store_true", help="py-spy the first task worker")
    return parser.parse_args(argv)


class Receipts:
    """The first time each token's fragment (or floor id) reached a socket."""

    def __init__(self) -> None:
        self.fragments: dict[str, float] = {}
        self.floor: dict[int, float] = {}

    def on_frame(self, _socket, frame: dict, received: float) -> None:
        kind = frame.get("type")
        if kind == "message.created":
            match = TOKEN.search(frame.get("html") or "")
            if match:
                self.fragments.setdefault(match.group(1), received)
        elif kind == "bench.floor":
            self.floor.setdefault(frame.get("id"), received)


async def drain(received: dict, expected: int, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline and len(received) < expected:
        await asyncio.sleep(0.1)


def run(args, report: support.Report, stack_: stack.Stack, world, rooms: list[int]) -> None:
    port = stack_.port
    receipts = Receipts()
    run_id = secrets.token_hex(3)
    psids = [str(8_000_000 + index) for index in range(len(rooms))]

    async def phases() -> None:
        sockets, _took = await loadgen.open_sockets(port, world.cookies, receipts.on_frame)
        for live, room in zip(sockets, rooms, strict=True):
            live.send_json({"type": "watch", "room": room})
        await asyncio.sleep(2)
        connected = sum(1 for s in sockets if s.hello_at is not None and not s.closed.is_set())
        report.notes.append(f"{connected}/{len(sockets)} agent sockets connected and watching")
        agent_ids = [agent.pk for agent in world.agents]

        def floor(number: int) -> loadgen.Request:
            request = fixtures.floor_ingest(port, number)
            agent = agent_ids[number % len(agent_ids)]
            raw = request.raw.replace(
                b"/bench/floor/ingest/", f"/bench/floor/ingest/?agent={agent}".encode(), 1
            )
            return loadgen.Request(raw)

        rate = args.rates[0]
        before = stack_.usage()
        result = await loadgen.open_loop(
            port, floor, fixtures.status_is(200), rate=rate, seconds=args.seconds, keep=True
        )
        started = {int(body): scheduled for _r, status, body, scheduled, _f in result.answered}
        await drain(receipts.floor, len(started), args.drain_seconds)
        add_latency_row(
            report,
            "floor: ingest -> socket",
            result,
            started,
            receipts.floor,
            stack.usage_between(before, stack_.usage()),
            kind="floor",
        )

        for rate in args.rates:
            phase = f"{run_id}-{int(rate)}"

            def webhook(number: int, phase=phase) -> loadgen.Request:
                index = number % len(psids)
                token = f"{phase}-{number}"
                text = f"Still there? bench-wsk-{token}"
                raw = fixtures.facebook_call(port, [(psids[index], f"m_wsk_{token}", text)])
                return loadgen.Request(raw, meta=token)

            before = stack_.usage()
            with profiling.sampled(
                args.profile,
                stack_.pids("worker")[0],
                args.seconds,
                f"webhook-socket-worker-{rate:g}",
                report.notes,
                f"Profile of the first worker, @{rate:g}/s",
            ):
                result = await loadgen.open_loop(
                    port,
                    webhook,
                    fixtures.status_is(200),
                    rate=rate,
                    seconds=args.seconds,
                    keep=True,
                )
                started = {r.meta: scheduled for r, status, _b, scheduled, _f in result.answered}
                await drain_tokens(receipts.fragments, started, args.drain_seconds)
            add_latency_row(
                report,
                f"facebook webhook -> agent socket @{rate:g}/s",
                result,
                started,
                receipts.fragments,
                stack.usage_between(before, stack_.usage()),
            )
        await loadgen.close_sockets(sockets)

    asyncio.run(phases())


async def drain_tokens(received: dict, started: dict, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline and any(token not in received for token in started):
        await asyncio.sleep(0.1)


def median_by_second(started: dict, received: dict) -> list[float | None]:
    """The median latency (ms) of the messages sent in each second of a phase: a backlog that
    builds and drains shows here, where the percentiles of the whole phase hide it."""
    if not started:
        return []
    first = min(started.values())
    seconds: dict[int, list[float]] = {}
    for key, at in started.items():
        if key in received:
            seconds.setdefault(int(at - first), []).append((received[key] - at) * 1000)
    return [
        round(support.percentile(sorted(seconds[second]), 50), 1) if second in seconds else None
        for second in range(max(seconds, default=-1) + 1)
    ]


def add_latency_row(report, name, result, started, received, usage, *, kind="path") -> None:
    latencies = [(received[key] - at) * 1000 for key, at in started.items() if key in received]
    by_second = median_by_second(started, received)
    report.notes.append(
        f"{name}, p50 by second of the phase (ms): "
        + " ".join("-" if value is None else f"{value:.0f}" for value in by_second)
    )
    report.add(
        name,
        kind=kind,
        mode=f"{result.mode}, {result.ok} answered",
        seconds=result.seconds,
        requests=result.ok,
        errors=result.error_count,
        error_detail=result.errors,
        lost=len(started) - len(latencies),
        latencies_ms=latencies,
        usage=usage,
        post_p99_ms=round(support.percentile(sorted(result.latencies_ms), 99), 1),
        p50_by_second_ms=by_second,
    )


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    support.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stack.allow_sockets(args.agents)
    secret_key = stack.new_secret_key()
    database_url, redis_url = support.harness_setup("bench_webhook_socket", secret_key)
    env = stack.server_environment(database_url, redis_url, secret_key)
    report = support.Report(
        "webhook_socket",
        {
            "daphne": 1,
            "workers": args.workers,
            "agents": args.agents,
            "rates": args.rates,
            "seconds": args.seconds,
        },
    )
    started = time.perf_counter()
    with stack.Stack("webhook_socket", env) as stack_:
        stack_.start_fakes()  # the Graph API the worker may call is ours, on loopback
        world = fixtures.build_world(args.agents)
        rooms = reply.serve_rooms(world)
        fixtures.close_connections()
        print(
            f"{args.agents} agents and rooms in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
        stack_.start_daphnes(1)
        stack_.start_workers(args.workers, interval=1)
        run(args, report, stack_, world, rooms)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
