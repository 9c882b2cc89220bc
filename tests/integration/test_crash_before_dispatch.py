"""A server process dies between committing a change and dispatching its event: the change is
stored with its event, undispatched. The sweeper (`dispatch_events`) dispatches it: the agent's
live socket hears of it and the webhook receiver gets it, once."""

import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest

from integrations.webhooks.models import Delivery
from integrations.webhooks.services import create_subscription
from omnichannel.events import sweep
from omnichannel.models import Event
from rooms.models import Message
from tests.integration.faults import (
    agent_socket,
    daphne,
    environment,
    manage,
    next_frame,
    no_frame,
    start_worker,
    wait_until,
)
from tests.live.test_consumers import session_cookie
from tests.servers import ROOT, database_url_for_servers

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

CRASHED = 17
# A contact's message is stored; the process dies the moment the transaction commits, before
# the dispatch that on_commit would run next.
WRITE_THEN_DIE = textwrap.dedent(
    f"""
    import os
    import django

    django.setup()
    from django.db import transaction

    from accounts.models import Department
    from directory.models import Channel
    from directory.services import get_or_create_contact
    from rooms.services import receive_contact_message

    with transaction.atomic():
        transaction.on_commit(lambda: os._exit({CRASHED}))
        contact, _created = get_or_create_contact(
            channel=Channel.LIVECHAT, external_id="visitor-of-the-crash"
        )
        receive_contact_message(
            contact=contact,
            channel=Channel.LIVECHAT,
            department=Department.objects.get(slug="support"),
            text="Written just before the crash",
        )
    """
)


def test_sweeper_dispatches_what_a_crashed_process_committed(
    receiver, department, agent, settings, tmp_path
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    create_subscription(None, url=receiver.url, events=["message.created"], secret="w" * 32)
    env = environment(database_url_for_servers())
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        with (
            daphne(env, tmp_path / "daphne.log") as (base_url, _server),
            agent_socket(base_url, session_cookie(agent).decode()) as socket,
        ):
            crash = subprocess.run(  # noqa: S603
                [sys.executable, "-c", WRITE_THEN_DIE], cwd=ROOT, env=env, capture_output=True
            )
            assert crash.returncode == CRASHED, crash.stderr.decode()[-2000:]

            message = Message.objects.get(text="Written just before the crash")
            pending = Event.objects.filter(room_id=message.room_id, dispatched_at__isnull=True)
            assert {"room.queued", "message.created"} <= set(pending.values_list("name", flat=True))
            assert no_frame(socket, "queue.added")
            assert not Delivery.objects.exists()

            assert "Dispatched" in manage(env, "dispatch_events", "--older-than", "0")

            assert next_frame(socket, "queue.added")["room"] == message.room_id
            wait_until(lambda: receiver.count, timeout=20, what="the webhook to be delivered")
            # A second sweep finds nothing left to do: no event twice, no webhook twice.
            assert sweep(timedelta(0)) == 0
            assert no_frame(socket, "queue.added")
    finally:
        worker.stop()

    assert not Event.objects.filter(dispatched_at__isnull=True).exists()
    event = Event.objects.get(name="message.created", data__message=message.pk)
    assert [r.headers["X-Omnichannel-Event-Id"] for r in receiver.requests] == [str(event.pk)]
