"""Scale-out: one vs two Daphne processes (and task workers) behind nginx, PostgreSQL and Redis.

For P = 1 then 2: P Daphne processes behind nginx from Debian's packages (its own config under
bench/results/nginx-scaleout/, a free loopback port, in the foreground: no system service),
--sockets agent sockets connected through nginx (so spread over the processes), then, closed
loop through nginx:

* floors `floor: http, P` and `floor: ingest, P`;
* `api inbound, P`: new contacts (each opens a room): the whole ingest path in the request;
  every socket must receive every room's queue.added whichever process took the POST and
  whichever holds the socket: `lost` counts the frames that did not cross;
* `facebook webhook x1, P`: signed calls stored;
* `facebook processed, P workers`: then P task_workers turn the stored backlog into messages.

Rows of the two-process run carry `scale`: their throughput over the one-process run's.

    .venv/bin/python -m bench scaleout [--seconds 10] [--connections 64] [--sockets 100]
"""

import argparse
import asyncio
import itertools
import json
import secrets
import sys

from bench import fixtures, ingest, loadgen, stack, support
from bench.fanout import Receipts, deliveries, wait_for


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench scaleout", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--sockets", type=int, default=100)
    parser.add_argument("--worker-seconds", type=float, default=15)
    parser.add_argument("--worker-interval", type=float, default=0.1)
    parser.add_argument("--processes", default="1,2", help="process counts to compare")
    return parser.parse_args(argv)


def one_shape(args, report: support.Report, stack_: stack.Stack, world, processes: int) -> None:
    suffix = f"{processes} process" + ("es" if processes > 1 else "")
    stack_.start_daphnes(processes)
    stack_.start_nginx()
    port = stack_.port
    run_id = secrets.token_hex(3)
    receipts = Receipts()
    counter = itertools.count()

    async def phases() -> None:
        sockets, _took = await loadgen.open_sockets(port, world.cookies, receipts.on_frame)
        ready = [s for s in sockets if s.hello_at is not None]
        for name, build, kind in (
            (f"floor: http, {suffix}", lambda n: fixtures.floor_http(port), "floor"),
            (f"floor: ingest, {suffix}", lambda n: fixtures.floor_ingest(port, n), "floor"),
        ):
            before = stack_.usage()
            result = await ingest.closed(port, build, fixtures.status_is(200), args)
            ingest.add_load_row(
                report, name, result, stack.usage_between(before, stack_.usage()), kind=kind
            )

        def api(number: int) -> loadgen.Request:
            n = next(counter)
            raw = fixtures.api_call(port, f"so-{run_id}-{n}", f"so-{run_id}-{n}", f"Hello {n}")
            return loadgen.Request(raw)

        receipts.added.clear()
        before = stack_.usage()
        result = await ingest.closed(port, api, fixtures.status_is(201), args, keep=True)
        usage = stack.usage_between(before, stack_.usage())
        started = {
            json.loads(b)["room"]: s for _r, status, b, s, _f in result.answered if status == 201
        }
        await wait_for(receipts.added, len(started) * len(ready), 30)
        latencies, lost, duplicates = deliveries(receipts.added, started, len(ready))
        row = ingest.add_load_row(
            report, f"api inbound, {suffix}", result, usage, floor=f"floor: ingest, {suffix}"
        )
        row.update(
            lost=lost,
            deliveries=len(latencies),
            duplicates=duplicates,
            sockets=len(ready),
            delivery=support.latency_figures(latencies),
        )

        def facebook(number: int) -> loadgen.Request:
            n = next(counter)
            item = (str(4_000_000 + n % 2000), f"m_so_{run_id}_{n}", f"Hi {n}")
            return loadgen.Request(fixtures.facebook_call(port, [item]))

        before = stack_.usage()
        result = await ingest.closed(port, facebook, fixtures.status_is(200), args)
        ingest.add_load_row(
            report,
            f"facebook webhook x1, {suffix}",
            result,
            stack.usage_between(before, stack_.usage()),
            floor=f"floor: ingest, {suffix}",
        )
        await loadgen.close_sockets(sockets)

    asyncio.run(phases())
    stack_.stop_role("nginx")
    stack_.stop_role("daphne")
    workers = f"{processes} worker" + ("s" if processes > 1 else "")
    fields = ingest.worker_phase(
        stack_, args, name=f"facebook processed, {workers}", workers=processes
    )
    fields["floor"] = f"floor: ingest, {suffix}"
    report.add(**fields)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    counts = [int(v) for v in args.processes.split(",")]
    support.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    secret_key = stack.new_secret_key()
    database_url, redis_url = support.harness_setup("bench_scaleout", secret_key)
    env = stack.server_environment(database_url, redis_url, secret_key)
    report = support.Report(
        "scaleout",
        {
            "processes": args.processes,
            "connections": args.connections,
            "seconds": args.seconds,
            "sockets": args.sockets,
            "nginx": "Debian nginx-light, 1 worker process, least_conn, upstream keep-alive",
        },
    )
    with stack.Stack("scaleout", env) as stack_:
        stack_.start_fakes()
        world = fixtures.build_world(args.sockets, callback_url=stack_.callback_url)
        fixtures.close_connections()
        for processes in counts:
            one_shape(args, report, stack_, world, processes)
    # Two processes over one: the figure issue 10 asks for (>= 1.3x).
    for row in report.rows:
        if ", 1 process" in row["name"] or "1 worker" in row["name"]:
            continue
        base_name = row["name"].replace(" processes", " process").replace(" workers", " worker")
        for count in counts[1:]:
            base_name = base_name.replace(f", {count} process", ", 1 process").replace(
                f", {count} worker", ", 1 worker"
            )
        base = report.row(base_name)
        if base and base["msgs_per_s"]:
            row["scale"] = round(row["msgs_per_s"] / base["msgs_per_s"], 2)
            report.notes.append(
                f"{row['name']}: {row['msgs_per_s']:.1f}/s vs {base['msgs_per_s']:.1f}/s "
                f"with one = {row['scale']:.2f}x"
            )
    return report.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
