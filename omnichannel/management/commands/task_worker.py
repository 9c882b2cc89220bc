"""`manage.py task_worker`: django-tasks-db's `db_worker`, woken as soon as a task is queued.

The same options as `db_worker`; `--interval` is how long an idle worker waits before it looks
again when nothing woke it (see omnichannel/tasks.py). It runs without the autoreloader.
"""

import json
import random
import time

from django.core.management.base import CommandError
from django.db import close_old_connections, connections
from django.db.models import Q
from django.db.models.functions import Now
from django.db.utils import OperationalError
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult, get_date_max
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from omnichannel.compiled import returned_columns, rows
from omnichannel.memory import tune_for_server
from omnichannel.tasks import Wakeup
from omnichannel.warmup import warm_up


class WakeableWorker(db_worker.Worker):
    _claim_statement: tuple[str, list] | None = None

    def run(self) -> None:
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311 - workers started together look at different times
        wakeup = Wakeup()
        try:
            while self.running:
                close_old_connections()
                task_result = self._claim_next()
                if task_result is not None:
                    self.run_task(task_result)
                    if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                        return
                    continue
                if self.batch:
                    return
                close_old_connections()  # an idle worker holds no database connection
                wakeup.wait(self.interval)
        finally:
            wakeup.close()

    def _tasks(self, ready):
        tasks = ready.filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        return tasks

    def _claim_next(self):
        database = DBTaskResult.objects.db
        if connections[database].vendor == "postgresql":
            # Its statement is built once: no queryset to build either.
            return self._claim_in_one_statement(database)
        tasks = self._tasks(DBTaskResult.objects.ready())
        with exclusive_transaction(tasks.db):
            try:
                task_result = tasks.get_locked()
            except OperationalError as error:
                if is_locked_database_exception(error):  # SQLite busy: look again later
                    return None
                raise
            if task_result is not None:
                task_result.claim(self.worker_id)
        return task_result

    def _claim_in_one_statement(self, database: str):
        """Pick, lock and mark the next ready task in one statement: one round trip where the
        transaction around a locking read and a save takes four."""
        if self._claim_statement is None:
            self._claim_statement = self._claim_sql(database)
        claim, pick_params = self._claim_statement
        params = [
            TaskResultStatus.RUNNING.value,
            timezone.now(),
            json.dumps([self.worker_id]),
            *pick_params,
        ]
        claimed = rows(DBTaskResult, claim, params, using=database)
        return claimed[0] if claimed else None

    def _claim_sql(self, database: str) -> tuple[str, list]:
        """The claim statement, the same for every claim of this worker: compiled once, where
        compiling it each time was a twentieth of a worker's CPU.

        Ready is `DBTaskResult.objects.ready()` with the database's clock for "now", so that
        the statement has no parameter that changes from one claim to the next.
        """
        ready = DBTaskResult.objects.filter(status=TaskResultStatus.READY).filter(
            Q(run_after=get_date_max()) | Q(run_after__lte=Now())
        )
        pick, pick_params = self._tasks(ready).values("pk")[:1].query.sql_with_params()
        quote = connections[database].ops.quote_name
        table = quote(DBTaskResult._meta.db_table)
        # The row is locked as it is picked; a row another worker holds is skipped, not waited on.
        claim = (
            f"UPDATE {table} SET status = %s, started_at = %s, "  # noqa: S608 (the model's table)
            "worker_ids = worker_ids || %s::jsonb "
            f"WHERE id = ({pick} FOR UPDATE SKIP LOCKED)"
            f" RETURNING {returned_columns(DBTaskResult, quote)}"
        )
        return claim, list(pick_params)


class Command(db_worker.Command):
    help = "Run queued background tasks, waking as soon as one is queued."

    def handle(
        self,
        *,
        verbosity,
        queue_name,
        interval,
        batch,
        backend_name,
        startup_delay,
        max_tasks,
        worker_id,
        exclude_queues,
        **options,
    ):
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = WakeableWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded_queue_names,
        )
        worker.configure_signals()
        warm_up()
        tune_for_server()
        worker.run()
