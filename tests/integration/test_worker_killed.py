"""A task worker is killed (SIGKILL) while Facebook holds its send: the person gets the message
once. Facebook echoes every message a page sends, with our metadata naming the send: the sweeper
settles an echoed send as sent, and sends again one that was not echoed (it never left). A page
that has never echoed cannot tell the two apart: the send fails with a Retry for the agent."""

import time

import pytest

from integrations.facebook.models import Delivery
from integrations.facebook.services.inbound import METADATA_PREFIX
from rooms.models import Message
from rooms.services import post_agent_message, retry_message
from tests.facebook.conftest import page_echoes_our_sends
from tests.integration.faults import (
    acme_page,
    environment,
    manage,
    messenger_room,
    post_facebook_echoes,
    start_hanging_graph,
    start_worker,
    wait_until,
)
from tests.servers import database_url_for_servers

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PSID = "9001"


@pytest.fixture
def hanging_graph(request):
    graph, server = start_hanging_graph(delivers_held_send=request.param)
    yield graph
    graph.release.set()
    server.shutdown()
    server.server_close()


reaches_the_person = pytest.mark.parametrize("hanging_graph", [True], indirect=True)
lost_on_the_way = pytest.mark.parametrize("hanging_graph", [False], indirect=True)


@pytest.fixture
def room(department, agent):
    page = acme_page(department)
    return messenger_room(page, agent, psid=PSID)


def facebook_echoes(delivery: Delivery, mid: str) -> None:
    """Meta's webhook echoes the message the page sent, with our metadata naming the send."""
    post_facebook_echoes((mid, "echo", f"{METADATA_PREFIX}{delivery.pk}:0"), psid=PSID)


def kill_worker_mid_send(graph, agent, room, tmp_path):
    """The agent replies; the first worker's send reaches Facebook, which never answers; the
    worker is killed while it waits. Returns (env, message, delivery)."""
    env = environment(database_url_for_servers(), FACEBOOK_GRAPH_URL=graph.url)
    first = start_worker(env, tmp_path / "first-worker.log")
    try:
        message = post_agent_message(agent, room, text="Your order has shipped")
        wait_until(graph.holding.is_set, timeout=20, what="the send to reach Facebook")
        first.kill()
    finally:
        first.stop()
    graph.release.set()
    delivery = Delivery.objects.get(message=message)
    assert delivery.status == Delivery.Status.SENDING
    return env, message, delivery


@reaches_the_person
def test_killed_send_that_facebook_echoed_is_settled_as_sent_without_a_second_send(
    hanging_graph, agent, room, tmp_path
):
    page_echoes_our_sends()
    env, message, delivery = kill_worker_mid_send(hanging_graph, agent, room, tmp_path)
    facebook_echoes(delivery, "m_echoed")
    second = start_worker(env, tmp_path / "second-worker.log")
    try:
        wait_until(
            lambda: Delivery.objects.get(pk=delivery.pk).echo_mid,
            timeout=20,
            what="the second worker to process the echo",
        )
        time.sleep(1)  # past FACEBOOK_STALE_SENDING_SECONDS
        assert "settled: 1" in manage(env, "facebook_sweep")
        time.sleep(1)  # the second worker would send it now, were it queued again
    finally:
        second.stop()

    delivery.refresh_from_db()
    message.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert message.delivery_status == Message.Delivery.SENT
    assert message.external_id == "m_echoed"
    assert len(hanging_graph.sends) == 1


@lost_on_the_way
def test_killed_send_facebook_did_not_echo_is_sent_again_by_itself_and_reaches_the_person_once(
    hanging_graph, agent, room, tmp_path
):
    page_echoes_our_sends()
    env, message, delivery = kill_worker_mid_send(hanging_graph, agent, room, tmp_path)
    second = start_worker(env, tmp_path / "second-worker.log")
    try:
        time.sleep(1.5)  # past FACEBOOK_STALE_SENDING_SECONDS, and no echo came
        assert "resumed: 1" in manage(env, "facebook_sweep")
        wait_until(
            lambda: Message.objects.get(pk=message.pk).delivery_status == Message.Delivery.SENT,
            timeout=20,
            what="the send the sweeper queued again",
        )
    finally:
        second.stop()
    assert [send.body["message"]["text"] for send in hanging_graph.sends] == [
        "Your order has shipped"
    ]
    assert Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.SENT


@reaches_the_person
def test_killed_send_of_a_page_that_never_echoed_fails_visibly_and_the_agents_retry_sends_it(
    hanging_graph, agent, room, tmp_path
):
    env, message, delivery = kill_worker_mid_send(hanging_graph, agent, room, tmp_path)
    second = start_worker(env, tmp_path / "second-worker.log")
    try:
        time.sleep(2)  # the second worker runs, and sends nothing on its own
        assert len(hanging_graph.sends) == 1
        sweep = manage(env, "facebook_sweep")
        assert "interrupted: 1" in sweep

        message.refresh_from_db()
        assert message.delivery_status == Message.Delivery.FAILED
        assert "interrupted" in message.delivery_error
        assert len(hanging_graph.sends) == 1

        # The agent reads the failure and presses Retry: one more send, which Facebook takes.
        retry_message(agent, message)
        wait_until(
            lambda: Message.objects.get(pk=message.pk).delivery_status == Message.Delivery.SENT,
            timeout=20,
            what="the retried send",
        )
    finally:
        second.stop()
    assert len(hanging_graph.sends) == 2
    assert Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.SENT
