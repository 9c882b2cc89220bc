"""`manage.py task_worker`: runs what the database queue holds (and polls where it cannot be
woken, as on SQLite)."""

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from integrations.facebook.tasks import process_webhook

pytestmark = pytest.mark.django_db(transaction=True)


def test_task_worker_runs_the_queued_tasks_then_stops_in_batch_mode():
    result = process_webhook.enqueue(987654)  # no such stored call: the task says "missing"

    call_command("task_worker", "--queue-name", "*", "--batch", "--no-startup-delay", "-v", "0")

    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.return_value == "missing"


def test_task_worker_stops_after_its_maximum_of_tasks():
    first, second = process_webhook.enqueue(987654), process_webhook.enqueue(987655)

    call_command("task_worker", "--queue-name", "*", "--max-tasks", "1", "--no-startup-delay")

    statuses = {DBTaskResult.objects.get(pk=r.id).status for r in (first, second)}
    assert statuses == {TaskResultStatus.SUCCESSFUL, TaskResultStatus.READY}
