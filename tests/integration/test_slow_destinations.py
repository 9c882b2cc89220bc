"""The Graph API and a webhook receiver are slow (they act on each request but answer after our
timeout): every send and delivery still arrives, and each reaches the person or the receiver's
records once. Facebook's echo tells that a send it did not answer arrived, so it is not sent
again; a webhook receiver may get a delivery again, always under the same
X-Omnichannel-Delivery and with the same body, so counting by that header counts it once."""

import time
from collections import defaultdict

import pytest

from integrations.apichannel.models import CallbackDelivery
from integrations.apichannel.services import create_api_channel
from integrations.facebook.models import Delivery as FacebookDelivery
from integrations.webhooks.models import Delivery, DeliveryStatus
from integrations.webhooks.services import create_subscription
from rooms.models import Message
from rooms.services import post_agent_message
from tests.facebook import graph as fake_graph
from tests.facebook.conftest import page_echoes_our_sends
from tests.integration.faults import (
    acme_page,
    api_channel_room,
    environment,
    manage,
    messenger_room,
    post_facebook_echoes,
    start_worker,
    wait_until,
)
from tests.servers import database_url_for_servers

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REPLIES = 2
PSID = "9001"
# Longer than the workers' read timeouts in tests/integration/fault_settings.py (3 s).
SLOW_SECONDS = 4.0


@pytest.fixture
def graph(monkeypatch):
    monkeypatch.setattr(fake_graph, "SLOW_SECONDS", SLOW_SECONDS)
    fake, server = fake_graph.start()
    yield fake
    server.shutdown()
    server.server_close()


def test_slow_graph_api_and_receiver_get_each_send_and_delivery_once(
    graph, receiver, department, agent, settings, tmp_path
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    page = acme_page(department)
    page_echoes_our_sends()
    channel = create_api_channel(
        name="SMS", key="sms", department=department, callback_url=receiver.url, secret="s" * 32
    )
    create_subscription(None, url=receiver.url, events=["message.created"], secret="w" * 32)
    rooms = [messenger_room(page, agent, psid=PSID), api_channel_room(channel, agent)]
    env = environment(database_url_for_servers(), FACEBOOK_GRAPH_URL=graph.url)
    graph.fail_sends("timeout", REPLIES)  # each send arrives; its answer comes too late
    receiver.delay = SLOW_SECONDS
    # Two workers: each unanswered call holds one for the whole timeout.
    workers = [start_worker(env, tmp_path / f"worker{n}.log") for n in range(2)]
    try:
        replies = [
            post_agent_message(agent, room, text=f"Reply {n} in {room.channel}")
            for room in rooms
            for n in range(REPLIES)
        ]

        def webhooks():
            return list(Delivery.objects.filter(event__data__message__in=[m.pk for m in replies]))

        def callbacks():
            return list(CallbackDelivery.objects.all())

        # While it is slow, at least one webhook and one callback are tried and time out.
        wait_until(
            lambda: (
                len(graph.sends) == REPLIES
                and all(d.last_error for d in FacebookDelivery.objects.all())
                and any(d.attempt_count >= 1 for d in webhooks())
                and any(d.attempt_count >= 1 for d in callbacks())
            ),
            timeout=60,
            what="the sends and the first deliveries to be tried, unanswered",
        )
        receiver.delay = 0  # the receiver is quick again
        post_facebook_echoes(
            *[
                (f"m_echo_{n}", send.body["message"]["text"], send.body["message"]["metadata"])
                for n, send in enumerate(graph.sends)
            ],
            psid=PSID,
        )
        wait_until(
            lambda: all(d.echoed_parts == 1 for d in FacebookDelivery.objects.all()),
            timeout=20,
            what="the worker to record Facebook's echoes",
        )
        time.sleep(1)  # past FACEBOOK_STALE_SENDING_SECONDS
        assert f"settled: {REPLIES}" in manage(env, "facebook_sweep")
        wait_until(
            lambda: all(
                d.status == DeliveryStatus.SUCCEEDED
                for d in [*Delivery.objects.all(), *callbacks()]
            ),
            timeout=60,
            what="every webhook and callback to succeed",
        )
        time.sleep(1)  # a second send, were one queued, would leave now
    finally:
        for worker in workers:
            worker.stop()

    # The person got each reply once; the agent sees each as sent.
    sent = sorted(send.body["message"]["text"] for send in graph.sends)
    assert sent == sorted(m.text for m in replies if m.room.channel == "facebook")
    for message in Message.objects.filter(pk__in=[m.pk for m in replies]):
        assert message.delivery_status == Message.Delivery.SENT, message.delivery_error
    # The receiver: every delivery arrived, repeats only under the same name and body.
    bodies = defaultdict(set)
    for request in receiver.requests:
        bodies[request.headers["X-Omnichannel-Delivery"]].add(request.body)
    # (The contacts' first messages were webhooks too.)
    expected = [str(d.pk) for d in Delivery.objects.all()]
    expected += [f"callback-{d.pk}" for d in callbacks()]
    assert sorted(bodies) == sorted(expected)
    assert all(len(versions) == 1 for versions in bodies.values())
    assert len(receiver.requests) > len(expected)  # the slow answers were sent again
