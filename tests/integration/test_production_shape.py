"""`make prod`: nginx in front of several Daphne processes, task workers and the sweepers."""

import os
import signal
import subprocess
import sys
import time

import pytest
import requests
from django.conf import settings
from django.core.management import CommandError, call_command

from tests.servers import ROOT, database_url_for_servers, free_port


def wait_for(url: str, process: subprocess.Popen, seconds: float = 60) -> requests.Response:
    """The answer of the first try that reaches a started Daphne (nginx answers 502 until
    its upstreams listen)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            response = requests.get(url, timeout=2, allow_redirects=False)
            if response.status_code != 502 or time.monotonic() > deadline:
                return response
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
        if process.poll() is not None:
            raise AssertionError(process.stdout.read())
        time.sleep(0.3)


@pytest.fixture
def production(transactional_db):
    nginx_port, first_daphne = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_servers(),
        "REDIS_URL": settings.REDIS_URL,
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "tests.server_settings",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    command = [sys.executable, "manage.py", "serve_production", "--processes", "2"]
    command += ["--workers", "1", "--port", str(nginx_port), "--daphne-port", str(first_daphne)]
    process = subprocess.Popen(  # noqa: S603
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        yield process, nginx_port, [first_daphne, first_daphne + 1]
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.mark.postgres
@pytest.mark.redis
def test_nginx_serves_the_product_through_every_daphne_process(production):
    process, nginx_port, daphne_ports = production

    through_nginx = wait_for(f"http://127.0.0.1:{nginx_port}/login/", process)
    direct = [wait_for(f"http://127.0.0.1:{port}/login/", process) for port in daphne_ports]

    assert through_nginx.status_code == 200
    assert [response.status_code for response in direct] == [200, 200]


@pytest.mark.postgres
@pytest.mark.redis
def test_sigterm_stops_every_process_of_the_production_shape(production):
    process, nginx_port, _ = production
    wait_for(f"http://127.0.0.1:{nginx_port}/login/", process)

    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=30) == 0
    children = subprocess.run(  # noqa: S603
        ["/usr/bin/pgrep", "-g", str(process.pid)], capture_output=True, check=False
    )
    assert children.stdout == b""


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_production_shape_refuses_the_embedded_defaults(settings):
    settings.DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    settings.REDIS_URL = ""

    with pytest.raises(CommandError, match="DATABASE_URL=postgres"):
        call_command("serve_production")
