import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from omnichannel.deploy import find_nginx, write_nginx_config

# How long children get to finish after SIGTERM before they are killed.
STOP_GRACE_SECONDS = 10


class Command(BaseCommand):
    help = (
        "Serve the production shape on this machine: nginx on --host:--port in front of "
        "--processes Daphne processes, --workers task workers, the event sweeper and the Facebook "
        "sweeper, all against DATABASE_URL (PostgreSQL) and REDIS_URL. Stops everything on "
        "Ctrl+C or SIGTERM, and when any of them dies."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--processes", type=int, default=2, help="Daphne processes (2).")
        parser.add_argument("--workers", type=int, default=2, help="Task workers (2).")
        parser.add_argument("--host", default="127.0.0.1", help="nginx's address (127.0.0.1).")
        parser.add_argument("--port", type=int, default=8000, help="nginx's port (8000).")
        parser.add_argument(
            "--daphne-port",
            type=int,
            default=0,
            help="First Daphne port on 127.0.0.1 (default: --port + 1, then the next ones).",
        )

    def handle(self, *args, processes: int, workers: int, host: str, port: int, **options):
        if processes < 1 or workers < 1:
            raise CommandError("--processes and --workers must be at least 1.")
        engine = settings.DATABASES["default"]["ENGINE"]
        if engine != "django.db.backends.postgresql" or not settings.REDIS_URL:
            raise CommandError(
                "Several processes share PostgreSQL and Redis: set DATABASE_URL=postgres://... "
                "and REDIS_URL=redis://... (`make run` serves one process on the embedded "
                "defaults)."
            )
        nginx = find_nginx()
        first_port = options["daphne_port"] or port + 1
        daphne_ports = [first_port + index for index in range(processes)]
        # Committed events are dispatched by a thread of each process, off the request.
        environment = {"EVENTS_DISPATCH_IN_BACKGROUND": "1", **os.environ}
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]

        with tempfile.TemporaryDirectory(prefix="omnichannel-nginx-") as folder:
            config = write_nginx_config(
                Path(folder),
                host=host,
                port=port,
                daphne_ports=daphne_ports,
                max_body_bytes=settings.MAX_REQUEST_BODY_BYTES,
            )
            commands = [
                [
                    sys.executable,
                    "-m",
                    "daphne",
                    "--proxy-headers",
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(daphne_port),
                    "omnichannel.asgi:application",
                ]
                for daphne_port in daphne_ports
            ]
            commands += [[*manage, "task_worker", "--queue-name", "*", "--no-reload"]] * workers
            commands += [
                [*manage, "dispatch_events", "--loop", "15"],
                [*manage, "facebook_sweep", "--loop", "60"],
                [nginx, "-p", folder, "-c", str(config)],
            ]
            children = [
                subprocess.Popen(command, env=environment, cwd=settings.BASE_DIR)  # noqa: S603
                for command in commands
            ]
            self.stdout.write(
                f"Serving on http://{host}:{port}/ through nginx: {processes} Daphne processes "
                f"(ports {daphne_ports[0]}-{daphne_ports[-1]}), {workers} task workers, "
                "the sweepers. Ctrl+C stops everything."
            )
            exit_code = self._supervise(children)
        if exit_code:
            raise CommandError("A process stopped; everything was stopped.", returncode=exit_code)

    def _supervise(self, children: list[subprocess.Popen]) -> int:
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        dead = None
        while not stopping and dead is None:
            dead = next((child for child in children if child.poll() is not None), None)
            time.sleep(0.5)
        for child in children:
            if child.poll() is None:
                # nginx finishes its requests on SIGQUIT; the others stop on SIGTERM.
                child.send_signal(signal.SIGQUIT if child is children[-1] else signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children:
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if dead is not None:
            self.stderr.write(f"{' '.join(map(str, dead.args))} exited with {dead.returncode}")
            return dead.returncode or 1
        return 0
