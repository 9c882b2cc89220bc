"""Plumbing shared by the scenarios: a database of their own, Django set-up, figures.

Nothing here imports Django models at import time: the settings read DATABASE_URL when Django
is set up, so a scenario points it at its bench database first and calls `setup_django` after.
"""

import argparse
import json
import math
import os
import secrets
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEVELOPER_SQLITE = PROJECT_ROOT / "db.sqlite3"


def bench_database_url(sqlite_name: str) -> str:
    """BENCH_DATABASE_URL if set, otherwise a SQLite file of the scenario's own in results/."""
    url = os.environ.get("BENCH_DATABASE_URL", "").strip()
    return url or f"sqlite:///{RESULTS_DIR / sqlite_name}"


def describe_url(url: str) -> str:
    """The URL without its password, for printing."""
    import dj_database_url

    config = dj_database_url.parse(url)
    if config["ENGINE"].endswith("sqlite3"):
        return f"sqlite {config['NAME']}"
    host = f"{config.get('HOST') or 'localhost'}:{config.get('PORT') or ''}".rstrip(":")
    return (
        f"{config['ENGINE'].rsplit('.', 1)[-1]} {config.get('USER') or ''}@{host}/{config['NAME']}"
    )


def prepare_database(url: str, *, reset: bool) -> None:
    """Make sure the bench database exists (empty when `reset`); refuse the developer's own."""
    import dj_database_url

    config = dj_database_url.parse(url)
    developer_url = os.environ.get("DATABASE_URL", "").strip()
    if developer_url and developer_url == url:
        raise SystemExit(
            "BENCH_DATABASE_URL is the same as DATABASE_URL: the benchmark would write a million "
            "rows into the developer's database. Point it at a database of its own."
        )
    engine = config["ENGINE"]
    if engine.endswith("sqlite3"):
        path = Path(config["NAME"]).resolve()
        if path == DEVELOPER_SQLITE.resolve():
            raise SystemExit(f"refusing to benchmark on the developer's database {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        if reset:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    elif engine.endswith("postgresql"):
        _prepare_postgres(config, reset=reset)
    else:
        raise SystemExit(f"unsupported bench database engine {engine}")


def _prepare_postgres(config: dict, *, reset: bool) -> None:
    """Create the database if missing (dropping it first when `reset`), through `postgres`."""
    import psycopg
    from psycopg import sql

    params = {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }
    params = {key: value for key, value in params.items() if value is not None}
    name = config["NAME"]
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        if reset:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if found is None:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django(url: str) -> None:
    """Point the project's settings at the bench database and set Django up.

    DEBUG is off unless the caller's environment sets it, so templates and queries run as in
    production (a throw-away SECRET_KEY is made up when none is given, as the settings demand).
    """
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnichannel.settings")
    os.environ.setdefault("DEBUG", "0")
    # Bench data never reaches Facebook: a Graph API call fails at once on loopback.
    os.environ.setdefault("FACEBOOK_GRAPH_URL", "http://127.0.0.1:9/v21.0")
    if not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)

    import django

    django.setup()


def migrate() -> float:
    """Apply the project's migrations to the bench database; the seconds it took."""
    import time

    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    return time.perf_counter() - started


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def summarize_ms(timings_ns: list[int]) -> dict:
    values = sorted(t / 1_000_000 for t in timings_ns)
    return {
        "p50_ms": round(percentile(values, 50), 3),
        "p95_ms": round(percentile(values, 95), 3),
        "p99_ms": round(percentile(values, 99), 3),
        "max_ms": round(values[-1], 3),
    }


def format_table(headers: list[str], rows: list[list[object]]) -> str:
    """A plain-text table: text columns left-aligned, numbers right-aligned."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [all(isinstance(row[i], int | float) for row in rows) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        parts = [
            cell.rjust(width) if is_number else cell.ljust(width)
            for cell, width, is_number in zip(row, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


# --- the harness: one report per run (table, JSON, histogram, deltas, targets) ---------------

# Per-row figures compared with the previous run's JSON.
DELTA_METRICS = ("msgs_per_s", "ratio", "p50_ms", "p99_ms", "errors", "lost")


def latency_figures(latencies_ms: list[float]) -> dict:
    if not latencies_ms:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}
    values = sorted(latencies_ms)
    return {
        "p50_ms": round(percentile(values, 50), 1),
        "p95_ms": round(percentile(values, 95), 1),
        "p99_ms": round(percentile(values, 99), 1),
        "max_ms": round(values[-1], 1),
    }


def histogram(latencies_ms: list[float]) -> dict:
    """Counts in logarithmic bins (0.1 ms .. 100 s), small enough to keep in the JSON."""
    edges = [round(0.1 * 10 ** (i / 10), 4) for i in range(61)]
    counts = [0] * (len(edges) + 1)
    for value in latencies_ms:
        index = 0
        while index < len(edges) and value >= edges[index]:
            index += 1
        counts[index] += 1
    return {"edges_ms": edges, "counts": counts}


def cpu_ms_per_message(row: dict) -> float | None:
    """The CPU that every measured process (servers, databases, load generator) spent on one
    message of the phase: what a machine of N cores can pay for at most N*1000/this a second."""
    cpu = row["usage"].get("cpu_pct", {})
    if not cpu or not row["msgs_per_s"]:
        return None
    return round(sum(cpu.values()) * 10 / row["msgs_per_s"], 1)


class Report:
    """The rows of one scenario run: printed as a table, saved as JSON and a PNG histogram.

    A row is one measured phase: a floor (`kind="floor"`) or one of our paths, which names the
    floor it is compared with; its `ratio` is its throughput over that floor's (same run, same
    server), the figure that survives a shared, drifting machine.
    """

    def __init__(self, scenario: str, settings: dict) -> None:
        self.scenario = scenario
        self.settings = settings
        self.rows: list[dict] = []
        self.latencies: dict[str, list[float]] = {}
        self.notes: list[str] = []
        self.extra: dict = {}
        self.started = time.strftime("%Y-%m-%dT%H:%M:%S%z")

    def add(
        self,
        name: str,
        *,
        kind: str = "path",
        floor: str | None = None,
        seconds: float,
        requests: int,
        messages: int | None = None,
        errors: int = 0,
        error_detail: dict | None = None,
        lost: int | None = None,
        latencies_ms: list[float] | None = None,
        usage: dict | None = None,
        mode: str = "",
        **extra,
    ) -> dict:
        seconds = max(seconds, 1e-9)
        messages = requests if messages is None else messages
        row = {
            "name": name,
            "kind": kind,
            "mode": mode,
            "floor": floor,
            "seconds": round(seconds, 2),
            "requests": requests,
            "req_per_s": round(requests / seconds, 1),
            "messages": messages,
            "msgs_per_s": round(messages / seconds, 1),
            "errors": errors,
            "error_detail": dict(error_detail or {}),
            "lost": lost,
            **latency_figures(latencies_ms or []),
            "usage": usage or {},
            **extra,
        }
        self.rows.append(row)
        self.latencies[name] = list(latencies_ms or [])
        row["histogram"] = histogram(self.latencies[name])
        row["cpu_ms_per_msg"] = cpu_ms_per_message(row)
        return row

    def row(self, name: str) -> dict | None:
        return next((row for row in self.rows if row["name"] == name), None)

    def _ratios(self) -> None:
        for row in self.rows:
            base = self.row(row["floor"]) if row.get("floor") else None
            if base and base["msgs_per_s"]:
                row["ratio"] = round(row["msgs_per_s"] / base["msgs_per_s"], 3)
            else:
                row["ratio"] = None

    # --- output ---------------------------------------------------------------------------------

    def table(self) -> str:
        headers = ["phase", "mode", "req/s", "msg/s", "x floor", "p50 ms", "p95 ms", "p99 ms"]
        headers += ["max ms", "errors", "lost", "CPU% dph/wrk/pg/rds/cli", "CPU ms/msg"]
        headers += ["RSS MiB dph/wrk"]
        rows = []
        for row in self.rows:
            cpu = row["usage"].get("cpu_pct", {})
            rss = row["usage"].get("rss_mib", {})
            rows.append(
                [
                    row["name"],
                    row["mode"],
                    row["req_per_s"],
                    row["msgs_per_s"],
                    "floor" if row["kind"] == "floor" else _fmt(row.get("ratio"), "{:.2f}x"),
                    _fmt(row["p50_ms"]),
                    _fmt(row["p95_ms"]),
                    _fmt(row["p99_ms"]),
                    _fmt(row["max_ms"]),
                    row["errors"],
                    _fmt(row["lost"], "{}"),
                    "/".join(
                        f"{cpu.get(role, 0):.0f}"
                        for role in ("daphne", "worker", "postgres", "redis", "client")
                    )
                    if cpu
                    else "-",
                    _fmt(row.get("cpu_ms_per_msg")),
                    f"{rss.get('daphne', 0):.0f}/{rss.get('worker', 0):.0f}" if rss else "-",
                ]
            )
        return format_table(headers, rows)

    def finish(self) -> int:
        """Ratios, table, targets, deltas against the last run; writes JSON and PNG."""
        from bench import targets

        self._ratios()
        json_path = RESULTS_DIR / f"{self.scenario}.json"
        previous = _load(json_path)
        checks = targets.evaluate(self.scenario, self)
        print(f"\n== {self.scenario}: {describe_settings(self.settings)}")
        print(self.table())
        for note in self.notes:
            print(note)
        if checks:
            print("\nTargets")
            print(
                format_table(
                    ["target", "measured", "result"],
                    [[c["target"], c["measured"], c["result"]] for c in checks],
                )
            )
        deltas = compare(previous, self.rows) if previous else []
        if deltas:
            print(f"\nChanges since the last run ({previous.get('when', '?')})")
            print(format_table(["phase", "figure", "last", "now", "change"], deltas))
        elif previous is None:
            print("\n(no earlier run to compare with)")
        report = {
            "scenario": self.scenario,
            "when": self.started,
            "settings": self.settings,
            "machine": machine(),
            "rows": self.rows,
            "targets": checks,
            "notes": self.notes,
            **self.extra,
        }
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        if json_path.exists():
            history = RESULTS_DIR / "history"
            history.mkdir(exist_ok=True)
            stamp = (previous or {}).get("when", "previous").replace(":", "")
            json_path.replace(history / f"{self.scenario}.{stamp}.json")
        json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
        png = self.plot()
        print(f"\nresults: {json_path.relative_to(PROJECT_ROOT)}" + (f", {png}" if png else ""))
        return 1 if any(c["result"] == "FAIL" for c in checks) else 0

    def plot(self) -> str:
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            return ""
        named = [(name, values) for name, values in self.latencies.items() if values]
        if not named:
            return ""
        figure, axis = plt.subplots(figsize=(10, 5.5))
        low = max(min(min(values) for _n, values in named), 0.1)
        high = max(max(values) for _n, values in named)
        bins = [low * (high / low) ** (i / 60) for i in range(61)] if high > low else 30
        for name, values in named:
            axis.hist(values, bins=bins, histtype="step", linewidth=1.4, label=name)
        axis.set_xscale("log")
        axis.set_xlabel("latency, ms (log scale)")
        axis.set_ylabel("requests")
        axis.set_title(f"{self.scenario}: latency per phase ({self.started})")
        axis.legend(fontsize=8)
        figure.tight_layout()
        path = RESULTS_DIR / f"{self.scenario}.png"
        figure.savefig(path, dpi=110)
        plt.close(figure)
        return str(path.relative_to(PROJECT_ROOT))


def _fmt(value, pattern: str = "{:.1f}") -> str:
    return "-" if value is None else pattern.format(value)


def _load(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def compare(previous: dict, rows: list[dict]) -> list[list[object]]:
    """Each figure of DELTA_METRICS that changed, per phase present in both runs."""
    before = {row.get("name"): row for row in previous.get("rows", []) if isinstance(row, dict)}
    changes = []
    for row in rows:
        old = before.get(row["name"])
        if not old:
            continue
        for metric in DELTA_METRICS:
            a, b = old.get(metric), row.get(metric)
            if not isinstance(a, int | float) or not isinstance(b, int | float) or a == b:
                continue
            change = f"{(b - a) / a * 100:+.0f}%" if a else "new"
            changes.append([row["name"], metric, a, b, change])
    return changes


def describe_settings(settings: dict) -> str:
    return ", ".join(f"{key}={value}" for key, value in settings.items())


def machine() -> dict:
    import platform

    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": [round(v, 2) for v in os.getloadavg()],
    }


# --- the harness: a bench database of the scenario's own, on PostgreSQL and Redis ----------------

DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/7"
FLOOR_TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS bench_floor_ingest ("
    "id bigserial PRIMARY KEY, body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
)


def harness_setup(database_name: str, secret_key: str) -> tuple[str, str]:
    """A fresh PostgreSQL database and an empty Redis database; Django set up on them.

    BENCH_DATABASE_URL / BENCH_REDIS_URL override the defaults
    (postgres://postgres@127.0.0.1:5432/<database_name>, redis://127.0.0.1:6379/7).
    """
    database_url = os.environ.get("BENCH_DATABASE_URL", "").strip() or (
        DEFAULT_POSTGRES + database_name
    )
    redis_url = os.environ.get("BENCH_REDIS_URL", "").strip() or DEFAULT_REDIS_URL
    prepare_database(database_url, reset=True)
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()  # the bench's own database: stale groups of a killed run would skew fan-out
    client.close()
    os.environ["SECRET_KEY"] = secret_key
    os.environ["REDIS_URL"] = redis_url
    os.environ["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = "1"
    setup_django(database_url)
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("The harness measures PostgreSQL: point BENCH_DATABASE_URL at it.")
    migrate()
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_TABLE_SQL)
    connection.close()
    return database_url, redis_url


# --- the in-process scenarios (queue_sidebar, console, api_rooms, contact_center) -----------------

LABEL_KEYS = ("row", "page", "tab", "scenario", "user", "manager", "what", "rooms")
RESULT_METRICS = ("queries", "req_per_s", "p50_ms", "p95_ms", "p99_ms")


def save_results(name: str, report: dict, *, vendor: str | None = None) -> None:
    """Write `<name>.json` (and `<name>.<vendor>.json`), print the changes since the last run
    and draw `<name>.png` (p50/p95/p99 per row), like the harness's own scenarios."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    previous = _load(path)
    report.setdefault("when", time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    rows = [dict(row, name=_label(row)) for row in report.get("results", [])]
    if previous:
        before = {_label(row): row for row in previous.get("results", [])}
        changes = []
        for row in rows:
            old = before.get(row["name"])
            for metric in RESULT_METRICS if old else ():
                a, b = old.get(metric), row.get(metric)
                if isinstance(a, int | float) and isinstance(b, int | float) and a != b:
                    change = f"{(b - a) / a * 100:+.0f}%" if a else "new"
                    changes.append([row["name"][:60], metric, a, b, change])
        if changes:
            print(f"\nChanges since the last run ({previous.get('when', '?')})")
            print(format_table(["row", "figure", "last", "now", "change"], changes))
    text = json.dumps(report, indent=2, default=str) + "\n"
    path.write_text(text)
    if vendor:
        (RESULTS_DIR / f"{name}.{vendor}.json").write_text(text)
    _plot_rows(name, rows)


def _label(row: dict) -> str:
    return " ".join(str(row[key]) for key in LABEL_KEYS if key in row)


def _plot_rows(name: str, rows: list[dict]) -> None:
    rows = [row for row in rows if isinstance(row.get("p50_ms"), int | float)]
    if not rows:
        return
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    figure, axis = plt.subplots(figsize=(10, 0.35 * len(rows) + 1.5))
    labels = [row["name"][:70] for row in rows]
    positions = range(len(rows))
    for offset, metric in ((-0.25, "p50_ms"), (0, "p95_ms"), (0.25, "p99_ms")):
        values = [row.get(metric) or 0 for row in rows]
        axis.barh([p + offset for p in positions], values, height=0.25, label=metric)
    axis.set_yticks(list(positions), labels, fontsize=7)
    axis.invert_yaxis()
    axis.set_xlabel("ms")
    axis.set_title(name)
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(RESULTS_DIR / f"{name}.png", dpi=100)
    plt.close(figure)
