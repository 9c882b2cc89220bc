"""`manage.py task_worker`: runs what the database queue holds (and polls where it cannot be
woken, as on SQLite)."""

import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from integrations.facebook.tasks import process_webhook
from omnichannel.management.commands.task_worker import WakeableWorker

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


def worker(worker_id: str) -> WakeableWorker:
    return WakeableWorker(
        queue_names=["*"],
        interval=0.1,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def test_a_worker_claims_the_task_queued_first_and_marks_it_running():
    first, second = process_webhook.enqueue(987654), process_webhook.enqueue(987655)

    claimed = worker("worker-a")._claim_next()

    assert claimed.pk == uuid.UUID(first.id)
    row = DBTaskResult.objects.get(pk=first.id)
    assert (row.status, row.worker_ids) == (TaskResultStatus.RUNNING, ["worker-a"])
    assert row.started_at is not None
    assert DBTaskResult.objects.get(pk=second.id).status == TaskResultStatus.READY


def test_a_task_due_later_is_not_claimed_before_its_time():
    process_webhook.using(run_after=timezone.now() + timedelta(minutes=5)).enqueue(987654)

    assert worker("worker-a")._claim_next() is None


def test_a_task_that_falls_due_is_claimed_by_a_worker_that_looked_before():
    later = process_webhook.using(run_after=timezone.now() + timedelta(minutes=5)).enqueue(987654)
    claimer = worker("worker-a")
    assert claimer._claim_next() is None
    DBTaskResult.objects.filter(pk=later.id).update(run_after=timezone.now())
    time.sleep(0.01)  # past its time by the database's clock too

    claimed = claimer._claim_next()

    assert claimed.pk == uuid.UUID(later.id)


@pytest.mark.postgres
def test_workers_racing_for_the_queue_claim_each_task_once():
    queued = {uuid.UUID(process_webhook.enqueue(900_000 + n).id) for n in range(200)}
    barrier = threading.Barrier(4)
    claims: dict[str, list] = {}

    def drain(worker_id: str) -> None:
        mine = claims.setdefault(worker_id, [])
        try:
            barrier.wait(timeout=5)
            claimer = worker(worker_id)
            while (claimed := claimer._claim_next()) is not None:
                mine.append(claimed.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=drain, args=(f"worker-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    every_claim = [pk for mine in claims.values() for pk in mine]
    assert sorted(every_claim) == sorted(queued)
    assert all(len(row.worker_ids) == 1 for row in DBTaskResult.objects.all())
