"""A signed call and its task are stored together, in the database queue the workers read."""

import json

import psycopg
import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.tasks import TaskResultStatus
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from integrations.facebook.models import WebhookEvent
from integrations.facebook.services.inbound import store_webhook
from integrations.facebook.tasks import process_webhook
from omnichannel.tasks import CHANNEL, insert_and_enqueue
from rooms.models import Message
from tests.facebook.conftest import PAGE_ID, entry, payload, text_message

DATABASE_QUEUE = {"default": {"BACKEND": "omnichannel.tasks.DatabaseBackend"}}


@pytest.fixture
def database_queue(page, settings):
    """The project's task backend, in place of the tests' in-memory one (`page` set that)."""
    in_memory = settings.TASKS
    settings.TASKS = DATABASE_QUEUE
    yield
    settings.TASKS = in_memory  # which the `tasks` fixture empties as it ends


def store(text: str = "Hi", mid: str = "m_1") -> WebhookEvent:
    call = payload(entry(text_message(text, mid=mid)))
    return store_webhook(json.dumps(call).encode(), call, trusted=[PAGE_ID], unknown=[])


@pytest.mark.django_db(transaction=True)
def test_a_stored_call_is_processed_by_a_task_worker(database_queue):
    store("Where is my parcel?")

    call_command("task_worker", "--queue-name", "*", "--batch", "--no-startup-delay", "-v", "0")

    assert Message.objects.get(external_id="m_1").text == "Where is my parcel?"


@pytest.mark.django_db
def test_the_task_of_a_stored_call_names_it_and_is_ready_at_once(database_queue):
    event = store()

    task = DBTaskResult.objects.get()
    assert task.args_kwargs == {"args": [event.pk], "kwargs": {}}
    assert task.task_path == "integrations.facebook.tasks.process_webhook"
    assert DBTaskResult.objects.ready().get() == task
    assert task.status == TaskResultStatus.READY


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_task_row_is_the_one_the_backend_writes(database_queue):
    event = store()
    written_together = DBTaskResult.objects.get()
    enqueued = DBTaskResult.objects.get(pk=process_webhook.enqueue(event.pk).id)

    columns = [f.attname for f in DBTaskResult._meta.concrete_fields]
    differing = [
        column
        for column in columns
        if getattr(written_together, column) != getattr(enqueued, column)
    ]
    assert sorted(differing) == ["enqueued_at", "id"]


@pytest.mark.django_db
def test_a_call_that_cannot_be_stored_leaves_no_task_behind(database_queue):
    refused = WebhookEvent(body="{}", page_ids=[PAGE_ID], items=-1)  # items cannot be negative

    with pytest.raises(IntegrityError), transaction.atomic():
        insert_and_enqueue(refused, process_webhook)

    assert not DBTaskResult.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db
def test_on_postgresql_a_call_is_stored_and_queued_in_one_statement(database_queue):
    with CaptureQueriesContext(connection) as queries:
        store()

    assert len(queries) == 1
    assert WebhookEvent.objects.count() == DBTaskResult.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_stored_call_wakes_an_idle_worker(database_queue):
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")

        store()

        woken = list(listener.notifies(timeout=5, stop_after=1))
    assert [notification.channel for notification in woken] == [CHANNEL]
