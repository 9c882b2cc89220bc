"""Soak (issue 11, long; not in CI): contacts, agents and 500 sockets for --minutes (default 30).

The production shape on this machine: --processes Daphne processes and as many task_workers
(behind nginx from Debian's packages when more than one), PostgreSQL and Redis on loopback,
fake Graph API and callback receiver on loopback. --agents agent sockets stay connected for the
whole run (/ws/live/); --active of those agents work. Conversations start at --rate a second
(open loop), alternately through signed Facebook webhooks and the signed API channel:

    contact writes -> the room appears on every socket (queue.added) -> an agent takes it ->
    (agent replies, contact writes again) x --turns -> the agent closes it with a comment

Agent replies leave through the Send API (fake) or the API channel's callback (fake) by the
workers. At the end (after --drain-seconds): contact messages answered but not stored are
lost, replies not "sent" are lost, queue.added frames a socket never got are lost. Memory of
the server processes is sampled every --sample-seconds: start (first sample after a minute, or
after a third of a shorter run) and end must not differ by more than the target.

    .venv/bin/python -m bench soak [--minutes 30] [--processes 1] [--agents 500] [--rate 0.5]
"""

import argparse
import asyncio
import itertools
import json
import secrets
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from bench import fixtures, loadgen, stack, support


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--processes", type=int, default=1, help="Daphne processes (= workers)")
    parser.add_argument("--agents", type=int, default=500, help="connected agent sockets")
    parser.add_argument("--active", type=int, default=50, help="agents who take and reply")
    parser.add_argument("--rate", type=float, default=0.5, help="new conversations a second")
    parser.add_argument("--turns", type=int, default=2, help="reply + next message per chat")
    parser.add_argument("--think", type=float, default=0.5, help="seconds between turns")
    parser.add_argument("--sample-seconds", type=float, default=30)
    parser.add_argument("--drain-seconds", type=float, default=60)
    parser.add_argument("--worker-interval", type=float, default=0.1)
    parser.add_argument("--name", default="soak", help="result file name (scale-out runs)")
    return parser.parse_args(argv)


class Pool:
    """Keep-alive connections handed out one request at a time."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: list[loadgen.HttpConnection] = []

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        connection = self.idle.pop() if self.idle else loadgen.HttpConnection(self.port)
        try:
            status, _headers, body = await connection.send(raw, timeout=60)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as error:
            connection.close()
            return 0, type(error).__name__.encode()
        self.idle.append(connection)
        return status, body


@dataclass
class Kind:
    latencies: list[float] = field(default_factory=list)
    ok: int = 0
    errors: Counter = field(default_factory=Counter)

    def note(self, ok: bool, status: int, took_ms: float) -> None:
        self.latencies.append(took_ms)
        if ok:
            self.ok += 1
        else:
            self.errors[f"HTTP {status}" if status else "no answer"] += 1


class Soak:
    def __init__(self, args, port: int, world: fixtures.World) -> None:
        self.args = args
        self.port = port
        self.world = world
        self.pool = Pool(port)
        self.kinds: dict[str, Kind] = defaultdict(Kind)
        self.run_id = secrets.token_hex(3)
        self.counter = itertools.count(1)
        self.fb_mids: list[str] = []
        self.api_ids: list[str] = []
        self.rooms: dict[int, float] = {}  # room -> first contact POST start
        self.received: dict[int, set[int]] = defaultdict(set)  # room -> sockets
        self.first_seen: dict[tuple[int, int], float] = {}
        self.duplicates = 0
        self.psid_waiters: dict[str, asyncio.Future] = {}
        self.looked_up: set[int] = set()
        self.lookups: set[asyncio.Future] = set()
        self.conversation_errors: Counter = Counter()
        self.replies = 0
        self.loop: asyncio.AbstractEventLoop | None = None

    # --- frames ---------------------------------------------------------------------------

    def on_frame(self, live, frame: dict, received: float) -> None:
        if frame.get("type") != "queue.added":
            return
        room = frame.get("room")
        if live.index in self.received[room]:
            self.duplicates += 1
            return
        self.received[room].add(live.index)
        self.first_seen[(live.index, room)] = received
        if room not in self.looked_up and self.psid_waiters:
            self.looked_up.add(room)
            task = asyncio.ensure_future(self._resolve(room))
            self.lookups.add(task)
            task.add_done_callback(self.lookups.discard)

    async def _resolve(self, room: int) -> None:
        """A Facebook room appeared: whose is it? (the contact's psid, from the database)"""
        psids = await asyncio.to_thread(self._psids, [room])
        for room_id, psid in psids.items():
            waiter = self.psid_waiters.get(psid)
            if waiter is not None and not waiter.done():
                waiter.set_result(room_id)

    @staticmethod
    def _psids(rooms: list[int]) -> dict[int, str]:
        try:
            return fixtures.room_psids(rooms)
        finally:
            fixtures.close_connections()

    # --- one conversation -----------------------------------------------------------------

    async def request(self, kind: str, raw: bytes, ok: set[int]) -> tuple[int, bytes]:
        started = self.loop.time()
        status, body = await self.pool.send(raw)
        self.kinds[kind].note(status in ok, status, (self.loop.time() - started) * 1000)
        return status, body

    async def contact_writes(self, facebook: bool, who: str, n: int) -> tuple[bool, int | None]:
        if facebook:
            mid = f"m_soak_{self.run_id}_{n}"
            status, _body = await self.request(
                "contact messages",
                fixtures.facebook_call(self.port, [(who, mid, f"Soak message {n}")]),
                {200},
            )
            if status == 200:
                self.fb_mids.append(mid)
            return status == 200, None
        message_id = f"soak-{self.run_id}-{n}"
        status, body = await self.request(
            "contact messages",
            fixtures.api_call(self.port, who, message_id, f"Soak message {n}"),
            {201},
        )
        if status != 201:
            return False, None
        self.api_ids.append(message_id)
        return True, json.loads(body)["room"]

    async def conversation(self, number: int) -> None:
        facebook = number % 2 == 1
        who = f"5{number:08d}" if facebook else f"soak-{self.run_id}-{number}"
        agent = number % min(self.args.active, len(self.world.agents))
        cookie = self.world.cookies[agent]
        if facebook:
            self.psid_waiters[who] = self.loop.create_future()
        started = self.loop.time()
        ok, room = await self.contact_writes(facebook, who, next(self.counter))
        if not ok:
            self.conversation_errors["first message refused"] += 1
            return
        try:
            if facebook:
                room = await asyncio.wait_for(self.psid_waiters[who], 60)
        except TimeoutError:
            self.conversation_errors["room never appeared"] += 1
            return
        finally:
            self.psid_waiters.pop(who, None)
        self.rooms[room] = started
        take = fixtures.agent_post(self.port, cookie, f"/rooms/{room}/take/", {}, htmx=False)
        status, _ = await self.request("agent takes", take, {302})
        if status != 302:
            self.conversation_errors["take refused"] += 1
            return
        for turn in range(self.args.turns):
            await asyncio.sleep(self.args.think)
            reply = fixtures.agent_post(
                self.port,
                cookie,
                f"/rooms/{room}/messages/",
                {"text": f"Soak reply {turn} in {room}"},
                htmx=True,
            )
            status, _ = await self.request("agent replies", reply, {204})
            self.replies += status == 204
            await asyncio.sleep(self.args.think)
            await self.contact_writes(facebook, who, next(self.counter))
        close = fixtures.agent_post(
            self.port, cookie, f"/rooms/{room}/close/", {"comment": "Soak done"}, htmx=False
        )
        await self.request("agent closes", close, {302})


async def soak(args, report: support.Report, stack_: stack.Stack, world) -> None:
    loop = asyncio.get_running_loop()
    runner = Soak(args, stack_.port, world)
    runner.loop = loop
    sockets, took = await loadgen.open_sockets(stack_.port, world.cookies, runner.on_frame)
    ready = [s for s in sockets if s.hello_at is not None]
    print(f"{len(ready)}/{len(sockets)} sockets in {took:.1f} s", file=sys.stderr, flush=True)
    seconds = args.minutes * 60
    samples: list[tuple[float, dict[str, int]]] = []
    usage_start = stack_.usage()
    begin = loop.time()

    async def sampler() -> None:
        while loop.time() - begin < seconds:
            await asyncio.sleep(args.sample_seconds)
            snap = stack_.usage()
            samples.append((loop.time() - begin, snap.rss_kb))
            msgs = runner.kinds["contact messages"].ok
            print(
                f"  {loop.time() - begin:6.0f} s: {msgs:,} contact messages, "
                f"{runner.replies:,} replies, RSS daphne {snap.rss_kb.get('daphne', 0) / 1024:.0f}"
                f" MiB, worker {snap.rss_kb.get('worker', 0) / 1024:.0f} MiB",
                file=sys.stderr,
                flush=True,
            )

    sampling = asyncio.create_task(sampler())
    conversations = []
    for number in itertools.count(1):
        scheduled = begin + number / args.rate
        if scheduled - begin > seconds:
            break
        await asyncio.sleep(max(scheduled - loop.time(), 0))
        conversations.append(asyncio.create_task(runner.conversation(number)))
    await asyncio.gather(*conversations)
    elapsed = loop.time() - begin
    await sampling
    usage = stack.usage_between(usage_start, stack_.usage())
    # Drain: the workers finish the stored calls and the sends.
    lost_messages, lost_replies = await asyncio.to_thread(
        settle, runner, args.drain_seconds, report
    )
    dropped = sum(1 for s in sockets if s.dropped)
    await loadgen.close_sockets(sockets)

    for name in ("contact messages", "agent takes", "agent replies", "agent closes"):
        kind = runner.kinds[name]
        report.add(
            name,
            mode=f"{args.rate:g} chats/s",
            seconds=elapsed,
            requests=kind.ok,
            errors=sum(kind.errors.values()),
            error_detail=kind.errors,
            lost=lost_messages if name == "contact messages" else None,
            latencies_ms=kind.latencies,
            usage=usage,
        )
    report.add(
        "agent replies -> sent",
        mode="after the drain",
        seconds=elapsed,
        requests=runner.replies - lost_replies,
        lost=lost_replies,
    )
    latencies = [
        (first - runner.rooms[room]) * 1000
        for (_index, room), first in runner.first_seen.items()
        if room in runner.rooms
    ]
    expected = len(runner.rooms) * len(ready)
    report.add(
        "queue.added to sockets",
        mode=f"{len(ready)} sockets",
        seconds=elapsed,
        requests=len(latencies),
        lost=expected - len(latencies),
        latencies_ms=latencies,
        errors=dropped,
        error_detail={"dropped sockets": dropped, "duplicates": runner.duplicates},
    )
    start_index = next((i for i, (at, _rss) in enumerate(samples) if at >= min(60, seconds / 3)), 0)
    rss = [sum(v for k, v in snap.items() if k in ("daphne", "worker")) for _at, snap in samples]
    rss_start = rss[start_index] if rss else 0
    rss_end = rss[-1] if rss else 0
    report.add(
        "server memory",
        mode="daphne + workers RSS",
        seconds=elapsed,
        requests=len(samples),
        rss_start_mib=round(rss_start / 1024, 1),
        rss_end_mib=round(rss_end / 1024, 1),
        growth_pct=round((rss_end - rss_start) / rss_start * 100, 1) if rss_start else None,
    )
    report.extra["memory_samples"] = [
        {"at_s": round(at, 1), **{k: round(v / 1024, 1) for k, v in snap.items()}}
        for at, snap in samples
    ]
    report.extra["conversations"] = {
        "started": len(conversations),
        "rooms": len(runner.rooms),
        "errors": dict(runner.conversation_errors),
    }
    report.notes.append(
        f"{len(conversations):,} conversations, {len(runner.rooms):,} rooms; memory "
        f"{rss_start / 1024:.0f} MiB at {samples[start_index][0] if samples else 0:.0f} s -> "
        f"{rss_end / 1024:.0f} MiB at the end; conversation errors: "
        f"{dict(runner.conversation_errors) or 'none'}"
    )


def settle(runner: Soak, seconds: float, report: support.Report) -> tuple[int, int]:
    """Wait (bounded) until every answered message is stored and every reply sent."""
    from directory.models import Channel
    from rooms.models import Message

    api_keys = [f"{fixtures.API_KEY}:{i}" for i in runner.api_ids]
    deadline = time.monotonic() + seconds
    while True:
        stored = fixtures.stored_facebook_mids(runner.fb_mids)
        stored += Message.objects.filter(channel=Channel.API, external_id__in=api_keys).count()
        replies = Message.objects.filter(kind=Message.Kind.AGENT, room_id__in=list(runner.rooms))
        unsent = replies.exclude(delivery_status=Message.Delivery.SENT).count()
        lost_messages = len(runner.fb_mids) + len(runner.api_ids) - stored
        if (lost_messages == 0 and unsent == 0) or time.monotonic() > deadline:
            break
        time.sleep(2)
    missing_replies = runner.replies - replies.count()
    fixtures.close_connections()
    return lost_messages, unsent + missing_replies


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    support.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stack.allow_sockets(args.agents)
    secret_key = stack.new_secret_key()
    database_url, redis_url = support.harness_setup(f"bench_{args.name}", secret_key)
    env = stack.server_environment(database_url, redis_url, secret_key)
    report = support.Report(
        args.name,
        {
            "minutes": args.minutes,
            "processes": args.processes,
            "workers": args.processes,
            "nginx": args.processes > 1,
            "agents": args.agents,
            "active": args.active,
            "rate": args.rate,
            "turns": args.turns,
        },
    )
    with stack.Stack(args.name, env) as stack_:
        stack_.start_fakes()
        world = fixtures.build_world(args.agents, callback_url=stack_.callback_url)
        fixtures.close_connections()
        stack_.start_daphnes(args.processes)
        if args.processes > 1:
            stack_.start_nginx()
        stack_.start_workers(args.processes, interval=args.worker_interval)
        asyncio.run(soak(args, report, stack_, world))
        report.extra["fake_stats"] = stack_.fake_stats()
    return report.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
