"""Live fan-out: a queued chat reaching N agent sockets of one department, vs bare group_send.

One Daphne process (and one task_worker for the Facebook path) on PostgreSQL and Redis; N agent
sockets (/ws/live/, session cookie, same origin) in one department. Phases, each at --rate
messages a second for --messages messages, open loop:

* `idle sockets`: server memory per connected socket (RSS after - before, / N);
* `floor: group_send`: this process sends a ~1.5 KB event straight to the department's group
  through the channel layer (no request, no database, no rendering): what the layer, Daphne
  and the consumer cost alone;
* `queue.added via website chat` / `via API inbound` / `via facebook webhook`: a contact
  writes (a new one each time, so each message opens a queued room) and every socket must
  receive that room's `queue.added`; latency from the POST leaving to the frame read on each
  socket, `lost` = expected frames (N per room) - received. The Facebook path goes through the
  stored call and the worker (its poll interval is part of the latency).
* `website chat POST`: the visitor's own POST latency while the fan-out happens.

    .venv/bin/python -m bench fanout [--agents 1000] [--rate 2] [--messages 30] [--profile]

--profile samples Daphne with py-spy during the group_send floor and each path's phase.
"""

import argparse
import asyncio
import itertools
import json
import secrets
import sys
import time

from bench import fixtures, ingest, loadgen, profiling, stack, support

PADDING = "<li class='queued'>" + "x" * 1400 + "</li>"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench fanout", description=__doc__)
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=2, help="messages a second")
    parser.add_argument("--messages", type=int, default=30, help="messages per phase")
    parser.add_argument("--floor-seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=32, help="floors' connections")
    parser.add_argument("--worker-interval", type=float, default=0.1)
    parser.add_argument("--drain-seconds", type=float, default=30)
    parser.add_argument("--profile", action="store_true", help="py-spy Daphne")
    return parser.parse_args(argv)


class Receipts:
    def __init__(self) -> None:
        self.added: list[tuple[int, int, float]] = []  # (socket, room, t)
        self.floor: list[tuple[int, int, float]] = []  # (socket, seq, t)

    def on_frame(self, live, frame: dict, received: float) -> None:
        kind = frame.get("type")
        if kind == "queue.added":
            self.added.append((live.index, frame.get("room"), received))
        elif kind == "bench.floor":
            self.floor.append((live.index, frame.get("seq"), received))


def deliveries(
    receipts: list[tuple[int, int, float]], started: dict[int, float], sockets: int
) -> tuple[list[float], int, int]:
    """Latencies of first receipts per (socket, key) with a known start; lost; duplicates."""
    seen: set[tuple[int, int]] = set()
    latencies = []
    duplicates = 0
    for index, key, received in receipts:
        if key not in started:
            continue
        if (index, key) in seen:
            duplicates += 1
            continue
        seen.add((index, key))
        latencies.append((received - started[key]) * 1000)
    return latencies, len(started) * sockets - len(latencies), duplicates


async def wait_for(receipts: list, expected: int, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline and len(receipts) < expected:
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # stragglers and duplicates


def run(args, report: support.Report, stack_: stack.Stack, world) -> None:
    from channels.layers import get_channel_layer

    from omnichannel.realtime import queue_group

    port = stack_.port
    receipts = Receipts()
    group = queue_group(world.department_id)
    run_id = secrets.token_hex(3)
    daphne = stack_.pids("daphne")[0]
    phase_seconds = args.messages / args.rate + 1

    async def phases() -> None:
        loop = asyncio.get_running_loop()
        rss_before = stack.proc_rss_kb(daphne)
        before = stack_.usage()
        sockets, took = await loadgen.open_sockets(port, world.cookies, receipts.on_frame)
        await asyncio.sleep(2)
        ready = [s for s in sockets if s.hello_at is not None and not s.closed.is_set()]
        rss_after = stack.proc_rss_kb(daphne)
        n = len(ready)
        report.add(
            "idle sockets",
            mode=f"{n} connected in {took:.1f} s",
            seconds=took,
            requests=n,
            errors=len(sockets) - n,
            usage=stack.usage_between(before, stack_.usage()),
            kib_per_socket=round((rss_after - rss_before) / max(n, 1), 1),
        )

        floor_args = argparse.Namespace(connections=args.connections, seconds=args.floor_seconds)
        for name, build in (
            ("floor: http", lambda i: fixtures.floor_http(port)),
            ("floor: ingest", lambda i: fixtures.floor_ingest(port, i)),
        ):
            before = stack_.usage()
            result = await ingest.closed(port, build, fixtures.status_is(200), floor_args)
            ingest.add_load_row(
                report, name, result, stack.usage_between(before, stack_.usage()), kind="floor"
            )

        # Bare group_send, from this process.
        layer = get_channel_layer()
        started: dict[int, float] = {}
        before = stack_.usage()
        begin = loop.time()
        with profiling.sampled(
            args.profile,
            daphne,
            phase_seconds,
            "fanout-floor",
            report.notes,
            "Profile of Daphne, floor",
        ):
            for seq in range(args.messages):
                await asyncio.sleep(max(begin + seq / args.rate - loop.time(), 0))
                started[seq] = loop.time()
                event = {"type": "bench.floor", "seq": seq, "html": PADDING}
                await layer.group_send(group, {"type": "live.event", "event": event})
            await wait_for(receipts.floor, n * args.messages, args.drain_seconds)
        latencies, lost, dup = deliveries(receipts.floor, started, n)
        report.add(
            "floor: group_send",
            kind="floor",
            mode=f"{args.rate:g}/s to {n} sockets",
            seconds=loop.time() - begin,
            requests=args.messages,
            lost=lost,
            latencies_ms=latencies,
            usage=stack.usage_between(before, stack_.usage()),
            deliveries=len(latencies),
            duplicates=dup,
        )

        # Our paths.
        for label, build, ok, room_of in paths(port, run_id):
            receipts.added.clear()
            before = stack_.usage()
            with profiling.sampled(
                args.profile,
                daphne,
                phase_seconds,
                f"fanout-{label.replace(' ', '-')}",
                report.notes,
                f"Profile of Daphne, {label}",
            ):
                result = await loadgen.open_loop(
                    port, build, ok, rate=args.rate, seconds=args.messages / args.rate, keep=True
                )
                await wait_for(receipts.added, n * result.ok, args.drain_seconds)
            usage = stack.usage_between(before, stack_.usage())
            started = await asyncio.to_thread(room_of, result.answered)
            latencies, lost, dup = deliveries(receipts.added, started, n)
            report.add(
                f"queue.added via {label}",
                mode=f"{args.rate:g}/s to {n} sockets",
                seconds=result.seconds,
                requests=result.ok,
                errors=result.error_count,
                error_detail=result.errors,
                lost=lost,
                latencies_ms=latencies,
                usage=usage,
                deliveries=len(latencies),
                duplicates=dup,
            )
            if label == "website chat":
                ingest.add_load_row(report, "website chat POST", result, usage)
        await loadgen.close_sockets(sockets)

    asyncio.run(phases())


def paths(port: int, run_id: str):
    """(label, builder, validator, answered -> {room: POST start}) per path."""
    counter = itertools.count()

    def website(number: int) -> loadgen.Request:
        from urllib.parse import urlencode

        body = urlencode({"text": f"Bench visitor {number}"}).encode()
        headers = {
            "X-Visitor-Token": secrets.token_urlsafe(32),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        raw = loadgen.http_request(
            "POST",
            f"/livechat/{fixtures.DEPARTMENT_SLUG}/messages/",
            port=port,
            body=body,
            headers=headers,
        )
        return loadgen.Request(raw)

    def website_rooms(answered) -> dict[int, float]:
        ids = {json.loads(b)["id"]: s for _r, status, b, s, _f in answered if status == 201}
        rooms = fixtures.message_rooms(list(ids))
        fixtures.close_connections()
        return {rooms[m]: s for m, s in ids.items() if m in rooms}

    def api(number: int) -> loadgen.Request:
        n = next(counter)
        raw = fixtures.api_call(port, f"fan-{run_id}-{n}", f"fan-{run_id}-{n}", f"Hello {n}")
        return loadgen.Request(raw)

    def api_rooms(answered) -> dict[int, float]:
        return {json.loads(b)["room"]: s for _r, status, b, s, _f in answered if status == 201}

    def facebook(number: int) -> loadgen.Request:
        n = next(counter)
        psid = f"6{run_id_digits}{n:06d}"
        return loadgen.Request(
            fixtures.facebook_call(port, [(psid, f"m_fan_{run_id}_{n}", f"Hi {n}")]), meta=psid
        )

    run_id_digits = str(int(run_id, 16) % 1000).zfill(3)

    def facebook_rooms(answered) -> dict[int, float]:
        from rooms.models import Room

        by_psid = {r.meta: s for r, status, _b, s, _f in answered if status == 200}
        recent = list(Room.objects.order_by("-id").values_list("pk", flat=True)[: 5 * len(by_psid)])
        psids = fixtures.room_psids(recent)
        fixtures.close_connections()
        return {room: by_psid[p] for room, p in psids.items() if p in by_psid}

    return [
        ("website chat", website, fixtures.status_is(201), website_rooms),
        ("API inbound", api, fixtures.status_is(201), api_rooms),
        ("facebook webhook", facebook, fixtures.status_is(200), facebook_rooms),
    ]


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    support.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stack.allow_sockets(args.agents)
    secret_key = stack.new_secret_key()
    database_url, redis_url = support.harness_setup("bench_fanout", secret_key)
    env = stack.server_environment(database_url, redis_url, secret_key)
    report = support.Report(
        "fanout",
        {
            "daphne": 1,
            "workers": 1,
            "agents": args.agents,
            "rate": args.rate,
            "messages": args.messages,
            "worker_interval": args.worker_interval,
        },
    )
    started = time.perf_counter()
    with stack.Stack("fanout", env) as stack_:
        stack_.start_fakes()
        world = fixtures.build_world(args.agents, callback_url=stack_.callback_url)
        fixtures.close_connections()
        print(f"{args.agents} agents in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        stack_.start_daphnes(1)
        stack_.start_workers(1, interval=args.worker_interval)
        run(args, report, stack_, world)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
