"""`python -m bench <scenario> [options]`: run one benchmark scenario (all of them without one)."""

import importlib
import subprocess
import sys

# Scenario name -> module with a `main(argv) -> int`. Modules are imported only when run, since
# each one sets up Django against its own database before importing any model.
SCENARIOS = {
    "queue_sidebar": "bench.queue_sidebar",
    "agent_pages": "bench.agent_pages",
    "api_rooms": "bench.api_rooms",
    "contact_center": "bench.contact_center",
    "facebook_ingest": "bench.facebook_ingest",
    "console": "bench.console",
    "live_fanout": "bench.live_fanout",
    "routing": "bench.routing",
    # The harness (issue 10): servers started per scenario, floors measured in the same run.
    "ingest": "bench.ingest",
    "reply": "bench.reply",
    "fanout": "bench.fanout",
    "scaleout": "bench.scaleout",
    "take_race": "bench.take_race",
    "webhook_socket": "bench.webhook_socket",
    "channel_layer": "bench.channel_layer",
    "asgi_cpu": "bench.asgi_cpu",
    "soak": "bench.soak",
}

# Left out of "every scenario": run on its own (`python -m bench soak --minutes 30`).
LONG = {"soak"}

USAGE = """usage: python -m bench [SCENARIO [OPTIONS]]

Without a scenario every scenario but soak (long) runs in turn (each in a process of its
own, since each sets Django up on its own database), with default options.
`python -m bench SCENARIO --help` shows a scenario's options.

scenarios:
"""


def _usage() -> str:
    lines = []
    for name, module_name in sorted(SCENARIOS.items()):
        doc = (importlib.import_module(module_name).__doc__ or "").strip().splitlines()
        lines.append(f"  {name:<16} {doc[0] if doc else ''}")
    return USAGE + "\n".join(lines)


def main(argv: list[str]) -> int:
    if argv and argv[0] in {"-h", "--help", "help", "list"}:
        print(_usage())
        return 0
    if not argv:
        status = 0
        for name in SCENARIOS:
            if name in LONG:
                continue
            status = (
                subprocess.run([sys.executable, "-m", "bench", name], check=False).returncode
                or status
            )
        return status
    name, rest = argv[0], argv[1:]
    if name not in SCENARIOS:
        print(f"unknown scenario {name!r}\n", file=sys.stderr)
        print(_usage(), file=sys.stderr)
        return 2
    return importlib.import_module(SCENARIOS[name]).main(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
