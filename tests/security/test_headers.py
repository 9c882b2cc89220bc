"""Browser-side defences every response carries."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_pages_forbid_inline_scripts(client, agent):
    client.force_login(agent)

    policy = client.get(reverse("home"))["Content-Security-Policy"]

    script_src = next(part for part in policy.split(";") if "script-src" in part)
    assert "'unsafe-inline'" not in script_src
    assert "object-src 'none'" in policy


def test_the_consoles_inline_script_carries_the_nonce(client, supervisor):
    client.force_login(supervisor)

    response = client.get(reverse("admin:index"))

    policy = response["Content-Security-Policy"]
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in response.content.decode()


def test_pages_cannot_be_framed_but_the_widget_can(client, department):
    assert client.get(reverse("login"))["X-Frame-Options"] == "DENY"
    assert "X-Frame-Options" not in client.get("/livechat/support/")


def test_session_cookie_is_httponly_and_samesite(client, agent, password):
    response = client.post(reverse("login"), {"username": agent.username, "password": password})

    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_check_deploy_is_clean_with_production_settings():
    environment = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "0",
        "SECRET_KEY": "a-long-random-production-key-" + "x" * 40,
        "ALLOWED_HOSTS": "chat.example.com",
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
