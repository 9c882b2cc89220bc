"""Plumbing shared by the scenarios: a database of their own, Django set-up, figures.

Nothing here imports Django models at import time: the settings read DATABASE_URL when Django
is set up, so a scenario points it at its bench database first and calls `setup_django` after.
"""

import math
import os
import secrets
import sys
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
