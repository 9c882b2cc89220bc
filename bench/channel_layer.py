"""Channel layer: one group message delivered to N receivers of one process, ours vs channels-redis.

The process-side half of the live fan-out, without Daphne or sockets: N receivers (as N agent
sockets of one Daphne process would) join one group, and each round one group_send must reach
all of them. Alternating rounds of channels-redis's `RedisChannelLayer` (every receiver takes
turns reading the process's inbox) and ours (omnichannel/layers.py: one reader per process), in
this one process against Redis on loopback. Per round: the time until the last receiver has the
message (p50/p95/p99 over the rounds) and this process's CPU per round.

    .venv/bin/python -m bench channel_layer [--receivers 1000] [--rounds 50]
    BENCH_REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python -m bench channel_layer
"""

import argparse
import asyncio
import os
import secrets
import time

from bench import support

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/7"
EVENT = {"type": "live.event", "event": {"type": "queue.added", "html": "x" * 1400}}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench channel_layer", description=__doc__.strip().splitlines()[0]
    )
    parser.add_argument("--receivers", type=support.positive, default=1000)
    parser.add_argument("--rounds", type=support.positive, default=50, help="rounds per layer")
    return parser.parse_args(argv)


async def measure(layer, receivers: int, rounds: int) -> tuple[list[float], float, float]:
    """(ms until the last receiver had each round's message, CPU ms per round, seconds)."""
    group = f"bench.{secrets.token_hex(4)}"
    channels = [await layer.new_channel() for _ in range(receivers)]
    for channel in channels:
        await layer.group_add(group, channel)
    received = 0
    everyone = asyncio.Event()

    async def receive(channel: str) -> None:
        nonlocal received
        while True:
            await layer.receive(channel)
            received += 1
            if received == receivers:
                everyone.set()

    tasks = [asyncio.create_task(receive(channel)) for channel in channels]
    await asyncio.sleep(0.5)  # every receiver waiting
    latencies = []
    started = time.perf_counter()
    cpu = time.process_time()
    for _ in range(rounds):
        received = 0
        everyone.clear()
        sent = time.perf_counter()
        await layer.group_send(group, EVENT)
        await asyncio.wait_for(everyone.wait(), 30)
        latencies.append((time.perf_counter() - sent) * 1000)
        await asyncio.sleep(0.02)  # idle between rounds, as between events
    cpu_ms = (time.process_time() - cpu) / rounds * 1000
    seconds = time.perf_counter() - started
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await layer.flush()
    return latencies, cpu_ms, seconds


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    from channels_redis.core import RedisChannelLayer as ListsChannelLayer

    from omnichannel.layers import RedisChannelLayer

    redis_url = os.environ.get("BENCH_REDIS_URL", "").strip() or DEFAULT_REDIS_URL
    layers = {
        "channels-redis (receivers take turns)": ListsChannelLayer,
        "ours (one reader per process)": RedisChannelLayer,
    }
    report = support.Report(
        "channel_layer",
        {"redis": redis_url, "receivers": args.receivers, "rounds": args.rounds},
    )
    results: dict[str, tuple[list[float], list[float], float]] = {
        name: ([], [], 0.0) for name in layers
    }
    # Alternating halves, so a busier moment of the shared machine falls on both.
    for _ in range(2):
        for name, layer_class in layers.items():
            layer = layer_class(hosts=[{"address": redis_url}], capacity=2 * args.receivers)
            latencies, cpu_ms, seconds = asyncio.run(
                measure(layer, args.receivers, max(args.rounds // 2, 1))
            )
            all_latencies, cpu, total = results[name]
            all_latencies.extend(latencies)
            cpu.append(cpu_ms)
            results[name] = (all_latencies, cpu, total + seconds)
    for name, (latencies, cpu, seconds) in results.items():
        report.add(
            name,
            mode=f"1 group_send to {args.receivers} receivers",
            seconds=seconds,
            requests=len(latencies),
            latencies_ms=latencies,
            cpu_ms_per_round=round(sum(cpu) / len(cpu), 1),
        )
        print(f"  {name:<40} CPU {sum(cpu) / len(cpu):.1f} ms a round", flush=True)
    return report.finish()
