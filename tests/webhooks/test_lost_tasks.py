"""A delivery and its task commit together; one whose task was lost anyway (a worker killed
mid-send, a queue emptied by hand) is queued again by the sweeper and sent exactly once."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from integrations.apichannel.models import CallbackDelivery
from integrations.webhooks import services, transport
from integrations.webhooks.models import Delivery, DeliveryStatus
from rooms.services import post_agent_message
from tests.webhooks.test_api_channel import api_room, sms  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _database_queue(settings):
    """Tasks are rows in the database, as in production."""
    settings.TASKS = {"default": {"BACKEND": "omnichannel.tasks.DatabaseBackend"}}


@pytest.fixture
def subscription(receiver):
    return services.create_subscription(
        None, url=receiver.url, events=["room.queued", "message.created"], secret="s" * 32
    )


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def queued_tasks() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(status=TaskResultStatus.READY))


def run_queue() -> None:
    """What a worker does: run each queued task once."""
    for row in queued_tasks():
        DBTaskResult.objects.filter(pk=row.pk).update(status=TaskResultStatus.SUCCESSFUL)
        row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])


def lose_the_queue(model, *, minutes: int = 10) -> None:
    """As if the process died after inserting the rows and before their tasks were queued."""
    DBTaskResult.objects.all().delete()
    model.objects.update(created_at=timezone.now() - timedelta(minutes=minutes))


def sent_per_delivery(receiver) -> Counter:
    return Counter(r.headers["X-Omnichannel-Delivery"] for r in receiver.requests)


def test_each_delivery_is_queued_with_its_row(subscription, write_as_contact, commit):
    with commit():
        write_as_contact()

    queued = sorted(row.args_kwargs["args"][0] for row in queued_tasks())
    assert queued == sorted(Delivery.objects.values_list("pk", flat=True))
    assert len(queued) == 2


def test_delivery_whose_task_was_lost_is_sent_once_by_the_sweeper(
    subscription, write_as_contact, commit, receiver
):
    with commit():
        write_as_contact()
    lose_the_queue(Delivery)

    call_command("dispatch_events")
    call_command("dispatch_events")
    run_queue()
    call_command("dispatch_events")
    run_queue()

    ids = {str(pk) for pk in Delivery.objects.values_list("pk", flat=True)}
    assert sent_per_delivery(receiver) == Counter({pk: 1 for pk in ids})
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}


def test_delivery_with_a_queued_task_is_left_to_it(subscription, write_as_contact, commit):
    with commit():
        write_as_contact()
    Delivery.objects.update(created_at=timezone.now() - timedelta(minutes=10))

    assert services.requeue_lost() == 0
    assert len(queued_tasks()) == 2


def test_delivery_being_sent_is_not_queued_again(subscription, write_as_contact, commit):
    with commit():
        write_as_contact()
    lose_the_queue(Delivery)
    Delivery.objects.update(attempt_count=1, claimed_at=timezone.now())

    assert services.requeue_lost() == 0


def test_send_of_a_killed_worker_is_queued_again_after_its_lease(
    subscription, write_as_contact, commit, receiver
):
    with commit():
        write_as_contact()
    lose_the_queue(Delivery)
    held_since = timezone.now() - transport.claim_lease() - timedelta(seconds=1)
    Delivery.objects.update(attempt_count=1, claimed_at=held_since)

    assert services.requeue_lost() == 2
    run_queue()

    assert receiver.count == 2
    assert set(Delivery.objects.values_list("attempt_count", flat=True)) == {2}


def test_second_task_for_a_claimed_delivery_sends_nothing(
    subscription, write_as_contact, commit, receiver
):
    with commit():
        write_as_contact()
    delivery = Delivery.objects.get(event_name="room.queued")
    Delivery.objects.filter(pk=delivery.pk).update(attempt_count=1, claimed_at=timezone.now())

    assert services.attempt_delivery(delivery.pk) is None
    assert receiver.count == 0


def test_api_callback_whose_task_was_lost_is_sent_once_by_the_sweeper(
    api_room,  # noqa: F811
    agent,
    receiver,
    commit,
):
    with commit():
        post_agent_message(agent, api_room, text="We are on it")
    lose_the_queue(CallbackDelivery)

    call_command("dispatch_events")
    call_command("dispatch_events")
    run_queue()
    call_command("dispatch_events")
    run_queue()

    (delivery,) = CallbackDelivery.objects.all()
    assert sent_per_delivery(receiver) == Counter({f"callback-{delivery.pk}": 1})
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
