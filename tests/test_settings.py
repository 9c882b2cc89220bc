"""Settings pick PostgreSQL and Redis from the environment, in a fresh interpreter each time."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import json, django; from django.conf import settings; django.setup();"
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'],"
    " 'name': settings.DATABASES['default']['NAME'],"
    " 'layer': settings.CHANNEL_LAYERS['default']['BACKEND'],"
    " 'server_side_binding': settings.DATABASES['default'].get('OPTIONS', {})"
    ".get('server_side_binding'),"
    " 'prepare_threshold': settings.DATABASES['default'].get('OPTIONS', {})"
    ".get('prepare_threshold'),"
    " 'hosts': settings.CHANNEL_LAYERS['default'].get('CONFIG', {}).get('hosts')}))"
)


def read_settings(**env: str) -> dict:
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    environment.update(env, DJANGO_SETTINGS_MODULE="omnichannel.settings")
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_defaults_are_sqlite_and_in_memory_layer():
    found = read_settings()

    assert found["engine"] == "django.db.backends.sqlite3"
    assert found["layer"] == "channels.layers.InMemoryChannelLayer"


def test_database_url_selects_postgresql():
    found = read_settings(DATABASE_URL="postgres://postgres@127.0.0.1:5432/contactcenter")

    assert found["engine"] == "django.db.backends.postgresql"
    assert found["name"] == "contactcenter"


def test_redis_url_selects_redis_layer_with_a_long_socket_timeout():
    found = read_settings(REDIS_URL="redis://127.0.0.1:6379/3")

    assert found["layer"] == "omnichannel.layers.RedisChannelLayer"
    assert found["hosts"] == [
        {"address": "redis://127.0.0.1:6379/3", "socket_timeout": 30, "max_connections": 2000}
    ]


def test_postgresql_binds_parameters_on_the_server_unless_turned_off():
    url = "postgres://postgres@127.0.0.1:5432/contactcenter"

    assert read_settings(DATABASE_URL=url)["server_side_binding"] is True
    assert (
        read_settings(DATABASE_URL=url, DATABASE_SERVER_SIDE_BINDING="0")["server_side_binding"]
        is False
    )


def test_postgresql_prepares_a_statement_from_its_fifth_run_unless_turned_off():
    url = "postgres://postgres@127.0.0.1:5432/contactcenter"

    assert read_settings(DATABASE_URL=url)["prepare_threshold"] == 5
    assert (
        read_settings(DATABASE_URL=url, DATABASE_PREPARE_THRESHOLD="0")["prepare_threshold"] is None
    )
    unbound = read_settings(DATABASE_URL=url, DATABASE_SERVER_SIDE_BINDING="0")
    assert unbound["prepare_threshold"] is None


def test_channel_layer_pubsub_selects_redis_pub_sub_with_the_same_host():
    found = read_settings(REDIS_URL="redis://127.0.0.1:6379/3", CHANNEL_LAYER="pubsub")

    assert found["layer"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    assert found["hosts"][0]["address"] == "redis://127.0.0.1:6379/3"


def test_production_without_secret_key_refuses_to_start():
    environment = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    environment.update(DEBUG="0", DJANGO_SETTINGS_MODULE="omnichannel.settings")

    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", PROBE], cwd=ROOT, env=environment, capture_output=True, text=True
    )

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
