"""On PostgreSQL a queued task wakes an idle worker: an agent's reply leaves at once, not at the
worker's next look (here a minute away)."""

import time

import pytest
from django.db import connection

from integrations.apichannel.services import create_api_channel
from rooms.services import post_agent_message
from tests.integration.faults import api_channel_room, environment, start_worker, wait_until
from tests.servers import database_url_for_servers

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

IDLE_LOOK_SECONDS = 60


def worker_listening() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND query LIKE 'LISTEN omnichannel_tasks'"
        )
        return cursor.fetchone()[0] > 0


def test_a_queued_task_runs_without_waiting_for_the_idle_workers_next_look(
    settings, receiver, department, agent, tmp_path
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the receiver is on loopback
    channel = create_api_channel(
        name="SMS", key="sms", department=department, callback_url=receiver.url, secret="s" * 32
    )
    room = api_channel_room(channel, agent)
    worker = start_worker(
        environment(database_url_for_servers()), tmp_path / "worker.log", interval=IDLE_LOOK_SECONDS
    )
    try:
        wait_until(worker_listening, timeout=30, what="the worker to listen")
        time.sleep(0.5)  # past its last look: now it only waits

        post_agent_message(agent, room, text="On its way")

        wait_until(lambda: receiver.count >= 1, timeout=10, what="the reply at the external system")
    finally:
        worker.stop()
