"""The system under test, started by the harness: Daphne processes, task workers, nginx, fakes.

Everything runs on loopback against PostgreSQL and Redis that are already running (as in CI).
Each process logs to `bench/results/<scenario>.<name>.log`. `Stack.stop()` ends exactly the
processes it started, by their own ids.

Resource figures come from /proc: user + system CPU seconds and resident memory of each
process the stack started (Daphne, workers, nginx), and the CPU of PostgreSQL's and Redis's
processes (read only), so a phase can say where the machine's two cores went.
"""

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import support
from omnichannel.deploy import find_nginx, write_nginx_config

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
DAPHNE = Path(sys.executable).with_name("daphne")
ASGI_APPLICATION = "omnichannel.asgi:application"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_rss_kb(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
    except OSError:
        return 0
    return int(fields[1]) * PAGE_KB


def pids_named(*names: str) -> list[int]:
    """Processes whose command name is one of `names` (PostgreSQL's, Redis's), read only."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if comm in names:
            found.append(int(entry.name))
    return found


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    total = sum(values[:8])
    return (total - values[3] - values[4]) / CLK_TCK, total / CLK_TCK


@dataclass
class Usage:
    """A snapshot of CPU seconds per role and memory of the server processes."""

    at: float
    cpu: dict[str, float]
    rss_kb: dict[str, int]
    machine_busy: float
    machine_total: float
    client_cpu: float
    # CPU seconds of PostgreSQL's and Redis's own processes, by pid (backends come and go:
    # only pids present at both ends of an interval are compared).
    services: dict[int, tuple[str, float]] = field(default_factory=dict)


@dataclass
class Proc:
    role: str  # "daphne", "worker", "nginx", "fakes"
    name: str
    process: subprocess.Popen
    port: int | None = None
    log: Path | None = None

    @property
    def pid(self) -> int:
        return self.process.pid


def server_environment(
    database_url: str, redis_url: str, secret_key: str, graph_url: str = ""
) -> dict[str, str]:
    """Production settings (DEBUG off) with the floors on and loopback-friendly limits."""
    env = dict(os.environ)
    env.pop("BENCH_DATABASE_URL", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "omnichannel.settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "DEBUG": "0",
            "SECRET_KEY": secret_key,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # DEBUG=0 turns the https redirect on; the bench speaks plain http on loopback.
            "SECURE_SSL_REDIRECT": "0",
            "BENCH_FLOORS": "1",
            # The production shape: events dispatched beside the request, not inside it.
            "EVENTS_DISPATCH_IN_BACKGROUND": os.environ.get("EVENTS_DISPATCH_IN_BACKGROUND", "1"),
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
            "PYTHONUNBUFFERED": "1",
            # The callback receiver and the fake Graph API live on loopback.
            "WEBHOOK_ALLOW_PRIVATE_TARGETS": "1",
            # The load comes from one address and one channel, far above any real client's
            # quota: measure the path, not the throttles (those are tested in tests/security).
            "API_RATE_PER_CHANNEL": "100000000/min",
            "API_RATE_PER_TOKEN": "100000000/min",
            "API_RATE_ANONYMOUS": "100000000/min",
            "LIVECHAT_RATE_PER_VISITOR": "100000000/min",
            "LIVECHAT_RATE_PER_ADDRESS": "100000000/min",
            "FACEBOOK_WEBHOOK_RATE_PER_ADDRESS": "100000000/min",
        }
    )
    # Never Facebook itself: without the fakes, a Graph API call fails at once on loopback.
    env["FACEBOOK_GRAPH_URL"] = graph_url or "http://127.0.0.1:9/v21.0"
    return env


def allow_sockets(agents: int) -> None:
    """Raise this process's open-file limit for `agents` sockets and the connections beside."""
    import resource

    needed = 2 * agents + 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


def new_secret_key() -> str:
    return os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50)


@dataclass
class Stack:
    scenario: str
    env: dict[str, str]
    procs: list[Proc] = field(default_factory=list)
    nginx_port: int | None = None
    fakes_port: int | None = None
    _nginx_dir: Path | None = None

    # --- starting ----------------------------------------------------------------------------

    def _log_path(self, name: str) -> Path:
        return support.RESULTS_DIR / f"{self.scenario}.{name}.log"

    def _spawn(self, role: str, name: str, argv: list[str], port: int | None = None) -> Proc:
        log_path = self._log_path(name)
        log = log_path.open("a")
        log.write(f"\n===== {name} {' '.join(argv[-4:])}, {time.strftime('%F %T')} =====\n")
        log.flush()
        process = subprocess.Popen(
            argv,
            cwd=support.PROJECT_ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        proc = Proc(role, name, process, port, log_path)
        self.procs.append(proc)
        return proc

    def start_fakes(self) -> str:
        """The fake Graph API and callback sink; returns the Graph base URL."""
        port = free_port()
        self._spawn("fakes", "fakes", [sys.executable, "-m", "bench.fakes", str(port)], port)
        self._wait_http(port, "/_stats", {200}, "fakes")
        self.fakes_port = port
        graph = f"http://127.0.0.1:{port}/v21.0"
        self.env["FACEBOOK_GRAPH_URL"] = graph
        return graph

    @property
    def callback_url(self) -> str:
        return f"http://127.0.0.1:{self.fakes_port}/callback/"

    def fake_stats(self) -> dict:
        import json

        connection = http.client.HTTPConnection("127.0.0.1", self.fakes_port, timeout=5)
        connection.request("GET", "/_stats")
        data = json.loads(connection.getresponse().read())
        connection.close()
        return data

    def start_daphnes(self, count: int) -> list[Proc]:
        started = []
        for _ in range(count):
            index = sum(1 for p in self.procs if p.role == "daphne")
            port = free_port()
            started.append(
                self._spawn(
                    "daphne",
                    f"daphne{index}",
                    [str(DAPHNE), "-b", "127.0.0.1", "-p", str(port), ASGI_APPLICATION],
                    port,
                )
            )
        for proc in started:
            self._wait_http(proc.port, "/bench/floor/http/", {200}, proc.name, proc)
        return started

    def start_workers(self, count: int, *, interval: float = 0.1) -> list[Proc]:
        started = []
        for _ in range(count):
            index = sum(1 for p in self.procs if p.role == "worker")
            argv = [sys.executable, "manage.py", "task_worker", "--queue-name", "*", "--no-reload"]
            argv += ["--interval", str(interval), "--no-startup-delay", "-v", "0"]
            started.append(self._spawn("worker", f"worker{index}", argv))
        time.sleep(1.5)
        for proc in started:
            if proc.process.poll() is not None:
                raise SystemExit(f"{proc.name} exited with {proc.process.returncode}: {proc.log}")
        return started

    def stop_role(self, role: str) -> None:
        for proc in [p for p in self.procs if p.role == role]:
            self._stop(proc)
            self.procs.remove(proc)
        if role == "nginx":
            self.nginx_port = None

    def start_nginx(self) -> int:
        """nginx from Debian's package in the foreground, its own config, a free port."""
        nginx = find_nginx()
        daphnes = [p for p in self.procs if p.role == "daphne"]
        port = free_port()
        prefix = support.RESULTS_DIR / f"nginx-{self.scenario}"
        write_nginx_config(
            prefix,
            host="127.0.0.1",
            port=port,
            daphne_ports=[p.port for p in daphnes],
            max_body_bytes=32 * 1024 * 1024,
        )
        argv = [nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf")]
        check = subprocess.run([*argv, "-t"], capture_output=True, text=True, check=False)
        if check.returncode:
            raise SystemExit(f"nginx refused its configuration:\n{check.stderr}")
        self._spawn("nginx", "nginx", argv, port)
        self._wait_http(port, "/bench/floor/http/", {200}, "nginx")
        self.nginx_port = port
        self._nginx_dir = prefix
        return port

    def _wait_http(
        self, port: int, path: str, ok: set[int], name: str, proc: Proc | None = None
    ) -> None:
        deadline = time.monotonic() + 60
        proc = proc or self.procs[-1]
        while time.monotonic() < deadline:
            if proc.process.poll() is not None:
                raise SystemExit(f"{name} exited with {proc.process.returncode}; see {proc.log}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", path, headers={"Host": "127.0.0.1"})
                status = connection.getresponse().status
                connection.close()
            except OSError:
                time.sleep(0.2)
                continue
            if status in ok:
                return
            raise SystemExit(f"{name} answered {status} to GET {path}; see {proc.log}")
        raise SystemExit(f"{name} did not answer within 60 s; see {proc.log}")

    # --- addresses and figures ------------------------------------------------------------

    @property
    def port(self) -> int:
        """Where clients go: nginx when it runs, else the first Daphne."""
        if self.nginx_port:
            return self.nginx_port
        return next(p.port for p in self.procs if p.role == "daphne")

    def pids(self, *roles: str) -> list[int]:
        return [p.pid for p in self.procs if not roles or p.role in roles]

    def usage(self) -> Usage:
        cpu: dict[str, float] = {}
        rss: dict[str, int] = {}
        for proc in self.procs:
            if proc.role == "fakes":
                continue
            cpu[proc.role] = cpu.get(proc.role, 0.0) + proc_cpu_seconds(proc.pid)
            rss[proc.role] = rss.get(proc.role, 0) + proc_rss_kb(proc.pid)
            rss[proc.name] = proc_rss_kb(proc.pid)
        services = {pid: ("postgres", proc_cpu_seconds(pid)) for pid in pids_named("postgres")}
        services |= {pid: ("redis", proc_cpu_seconds(pid)) for pid in pids_named("redis-server")}
        busy, total = machine_cpu()
        return Usage(time.monotonic(), cpu, rss, busy, total, time.process_time(), services)

    # --- stopping ------------------------------------------------------------------------------

    def _stop(self, proc: Proc) -> None:
        process = proc.process
        if process.poll() is None:
            # nginx stops at once on SIGQUIT after finishing requests; the others on SIGTERM.
            process.send_signal(signal.SIGQUIT if proc.role == "nginx" else signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            self._stop(proc)
        self.procs.clear()
        self.nginx_port = None

    def __enter__(self) -> "Stack":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def usage_between(start: Usage, end: Usage) -> dict:
    """CPU as % of one core per role over the interval, memory at its end (MiB)."""
    seconds = max(end.at - start.at, 1e-9)
    cpu = {
        role: round((end.cpu.get(role, 0.0) - start.cpu.get(role, 0.0)) / seconds * 100, 1)
        for role in end.cpu
    }
    cpu["client"] = round((end.client_cpu - start.client_cpu) / seconds * 100, 1)
    for role in ("postgres", "redis"):
        spent = sum(
            cpu_end - start.services[pid][1]
            for pid, (name, cpu_end) in end.services.items()
            if name == role and pid in start.services
        )
        cpu[role] = round(spent / seconds * 100, 1)
    machine = (end.machine_busy - start.machine_busy) / max(
        end.machine_total - start.machine_total, 1e-9
    )
    return {
        "cpu_pct": cpu,
        "machine_busy_pct": round(machine * 100, 1),
        "rss_mib": {role: round(kb / 1024, 1) for role, kb in end.rss_kb.items()},
    }
