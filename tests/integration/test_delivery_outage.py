"""The Graph API and a webhook receiver are down for a few seconds (a TCP gate refuses their
connections): what agents write and the webhooks owed queue, retry with back-off in a real
worker, and each reaches its destination exactly once when they are back."""

import time

import pytest

from integrations.apichannel.models import CallbackDelivery
from integrations.apichannel.services import create_api_channel
from integrations.facebook.models import Delivery as FacebookDelivery
from integrations.facebook.services.inbound import METADATA_PREFIX
from integrations.facebook.services.outbound import backoff_seconds, send_attempts
from integrations.webhooks.models import Attempt, Delivery, DeliveryStatus
from integrations.webhooks.services import create_subscription
from rooms.models import Message
from rooms.services import post_agent_message
from tests.facebook import graph as fake_graph
from tests.integration.faults import (
    TcpGate,
    acme_page,
    api_channel_room,
    environment,
    messenger_room,
    start_worker,
    wait_until,
)
from tests.servers import database_url_for_servers
from tests.webhooks.receiver import start_receiver

REPLIES = 3
OUTAGE_SECONDS = 5


def test_facebook_sends_outlive_a_ten_minute_graph_outage_by_default():
    """The production schedule: every attempt but the last waits, and they span > 10 minutes."""
    waits = [backoff_seconds(failed) for failed in range(1, send_attempts())]
    assert sum(waits) > 10 * 60


@pytest.fixture
def graph():
    fake, server = fake_graph.start()
    gate = TcpGate(server.server_address[1])
    yield fake, gate
    gate.shutdown()
    server.shutdown()
    server.server_close()


@pytest.fixture
def receiver():
    received, server = start_receiver()
    gate = TcpGate(server.server_address[1])
    yield received, gate
    gate.shutdown()
    server.shutdown()
    server.server_close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sends_and_webhooks_retry_through_an_outage_and_arrive_exactly_once(
    graph, receiver, department, agent, settings, tmp_path
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    fake, graph_gate = graph
    received, receiver_gate = receiver
    receiver_url = f"http://127.0.0.1:{receiver_gate.port}/hook"
    page = acme_page(department)
    channel = create_api_channel(
        name="SMS", key="sms", department=department, callback_url=receiver_url, secret="s" * 32
    )
    create_subscription(None, url=receiver_url, events=["message.created"], secret="w" * 32)
    rooms = [messenger_room(page, agent), api_channel_room(channel, agent)]
    env = environment(
        database_url_for_servers(),
        FACEBOOK_GRAPH_URL=f"http://127.0.0.1:{graph_gate.port}{fake_graph.VERSION}",
    )
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        # Both are down (connections refused) while the agent writes.
        down_since = time.monotonic()
        replies = [
            post_agent_message(agent, room, text=f"Reply {n} in {room.channel}")
            for room in rooms
            for n in range(REPLIES)
        ]

        def facebook():
            return list(FacebookDelivery.objects.filter(room=rooms[0]))

        def others():
            return [*CallbackDelivery.objects.all(), *Delivery.objects.all()]

        # Every delivery tries, fails and is scheduled again, more than once.
        wait_until(
            lambda: (
                all(d.attempts >= 2 for d in facebook())
                and all(d.attempt_count >= 2 for d in others())
            ),
            timeout=OUTAGE_SECONDS + 10,
            what="every delivery to be retried",
        )
        assert fake.sends == [] and received.count == 0
        assert Attempt.objects.filter(succeeded=True).count() == 0
        assert len(facebook()) == REPLIES
        time.sleep(max(0, OUTAGE_SECONDS - (time.monotonic() - down_since)))

        graph_gate.open()
        receiver_gate.open()

        wait_until(
            lambda: (
                all(d.status == FacebookDelivery.Status.SENT for d in facebook())
                and all(d.status == DeliveryStatus.SUCCEEDED for d in others())
            ),
            timeout=30,
            what="every delivery to succeed once the services are back",
        )
    finally:
        worker.stop()

    # Facebook: one accepted send per reply, each named by its delivery.
    sent = sorted(s.body["message"]["text"] for s in fake.sends)
    assert sent == sorted(m.text for m in replies if m.room.channel == "facebook")
    metadata = sorted(s.body["message"]["metadata"] for s in fake.sends)
    assert metadata == sorted(f"{METADATA_PREFIX}{d.pk}:0" for d in facebook())
    for message in Message.objects.filter(pk__in=[m.pk for m in replies]):
        assert message.delivery_status == Message.Delivery.SENT, message.delivery_error
    # The receiver: each webhook and each API channel callback exactly once.
    names = sorted(r.headers["X-Omnichannel-Delivery"] for r in received.requests)
    webhooks = Delivery.objects.filter(event__data__message__in=[m.pk for m in replies])
    callbacks = CallbackDelivery.objects.all()
    assert (webhooks.count(), callbacks.count()) == (len(replies), REPLIES)
    expected = [str(d.pk) for d in Delivery.objects.all()] + [f"callback-{d.pk}" for d in callbacks]
    assert names == sorted(expected)
