"""Background tasks start the moment they are queued, instead of at a worker's next poll.

On PostgreSQL, queuing a task also sends a NOTIFY, which PostgreSQL delivers when the queuing
transaction commits (so a worker never wakes before the task's row is visible), and an idle
`task_worker` waits for it on LISTEN with its poll interval as the time-out. Elsewhere (SQLite)
workers poll, as django-tasks-db's `db_worker` does.
"""

import logging
import time

import psycopg
from asgiref.sync import sync_to_async
from django.db import connections, models, router, transaction
from django.db.models.signals import pre_save
from django.tasks import Task
from django_tasks_db.backend import DatabaseBackend as PollingDatabaseBackend
from django_tasks_db.models import DBTaskResult

from omnichannel.compiled import bound_values, columns, inserted_fields, placeholders, saved

logger = logging.getLogger(__name__)

CHANNEL = "omnichannel_tasks"


def _tasks_connection():
    return connections[router.db_for_write(DBTaskResult)]


def notify_workers() -> None:
    """Wake idle workers once the current transaction commits (at once outside one)."""
    connection = _tasks_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {CHANNEL}")


class DatabaseBackend(PollingDatabaseBackend):
    """django-tasks-db's backend, which also wakes the workers (settings.TASKS)."""

    def enqueue(self, task, args, kwargs):
        result = super().enqueue(task, args, kwargs)
        notify_workers()
        return result

    async def aenqueue(self, task, args, kwargs):
        result = await super().aenqueue(task, args, kwargs)
        await sync_to_async(notify_workers)()
        return result


class Wakeup:
    """Where an idle worker waits: LISTEN on a connection of its own, or a plain sleep.

    The connection is not Django's: that one goes back to the pool between tasks, and a
    pooled connection listening on behalf of a worker that no longer holds it would be lost.
    """

    def __init__(self) -> None:
        self._listener: psycopg.Connection | None = None

    def wait(self, timeout: float) -> None:
        connection = _tasks_connection()
        if connection.vendor != "postgresql":
            time.sleep(timeout)
            return
        try:
            if self._listener is None:
                self._listener = psycopg.connect(
                    **connection.get_connection_params(), autocommit=True
                )
                self._listener.execute(f"LISTEN {CHANNEL}")
                # A task queued before LISTEN sent no notification that reaches us: the worker
                # looks for work once more before it waits.
                return
            # Notifications that came while the worker was busy end the wait at once: it looks
            # for work, finds some or none, and waits again.
            for _notify in self._listener.notifies(timeout=timeout, stop_after=1):
                pass
        except psycopg.Error as error:
            # The database is away (restart, network): poll until it answers again.
            logger.warning("Task wake-up unavailable, polling instead: %s", error)
            self.close()
            time.sleep(timeout)

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None


def insert_and_enqueue(row: models.Model, task: Task) -> models.Model:
    """Insert `row` and queue `task(row.pk)`: both or neither, the workers woken at commit.

    On PostgreSQL, with the database backend, that is one statement (the row's INSERT, the
    task's INSERT that reads the row's new id, and pg_notify): one round trip instead of five
    (BEGIN, two INSERTs, NOTIFY, COMMIT), and no ORM between them. The signed Facebook call is
    stored this way; under load every round trip is another wait for the GIL among the request
    threads. Elsewhere (SQLite, another task backend) `save()` and `task.enqueue()` in a
    transaction.

    Django's task_enqueued signal is not sent on the one-statement path: its only receiver is
    Django's debug log line.
    """
    backend = task.get_backend()
    alias = router.db_for_write(type(row), instance=row)
    connection = connections[alias]
    if (
        not isinstance(backend, PollingDatabaseBackend)
        or connection.vendor != "postgresql"
        or router.db_for_write(DBTaskResult) != alias
    ):
        with transaction.atomic(using=alias):
            row.save(force_insert=True, using=alias)
            task.enqueue(row.pk)
        return row
    backend.validate_task(task)
    row._prepare_related_fields_for_save(operation_name="save")
    statement = _statements.get((type(row), alias))
    if statement is None:
        statement = _statements[type(row), alias] = _RowAndTaskStatement(type(row), connection)
    task_row = DBTaskResult(
        # As django-tasks-db's backend fills it; the arguments (the row's id) are in the SQL.
        priority=task.priority,
        task_path=task.module_path,
        queue_name=task.queue_name,
        run_after=task.run_after,
        backend_name=backend.alias,
    )
    written = (row, task_row)
    for instance in written:
        pre_save.send(type(instance), instance=instance, raw=False, using=alias, update_fields=None)
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params(row, task_row, connection))
        row.pk = cursor.fetchone()[0]
    task_row.args_kwargs = {"args": [row.pk], "kwargs": {}}
    for instance in written:
        saved(instance, alias)
    return row


class _RowAndTaskStatement:
    """The SQL of `insert_and_enqueue` for one model on one database, written once from the
    models' fields; each call binds its values as Django's INSERT would."""

    def __init__(self, model: type[models.Model], connection) -> None:
        quote = connection.ops.quote_name
        meta = model._meta
        if meta.auto_field is None or meta.pk is not meta.auto_field:
            raise TypeError(f"{model.__name__} needs an automatic primary key.")
        self.row_fields = inserted_fields(model, skip=meta.auto_field)
        arguments = DBTaskResult._meta.get_field("args_kwargs")
        self.task_fields = inserted_fields(DBTaskResult, skip=arguments)
        table, task_table = quote(meta.db_table), quote(DBTaskResult._meta.db_table)
        row_columns = columns(self.row_fields, quote)
        task_columns = f"{columns(self.task_fields, quote)}, {quote(arguments.column)}"
        arguments_of_the_row = (
            "(SELECT jsonb_build_object('args', jsonb_build_array(id), 'kwargs', '{}'::jsonb)"
            " FROM inserted)"
        )
        # One statement, atomic on its own: the row, then the task naming the row's new id;
        # pg_notify, like NOTIFY, is delivered when the statement's transaction commits.
        self.sql = " ".join(
            [
                f"WITH inserted AS (INSERT INTO {table} ({row_columns})"  # noqa: S608 (identifiers from the models)
                f" VALUES ({placeholders(self.row_fields)})"
                f" RETURNING {quote(meta.pk.column)} AS id),",
                f"queued AS (INSERT INTO {task_table} ({task_columns})"  # noqa: S608 (identifiers from the models)
                f" VALUES ({placeholders(self.task_fields)}, {arguments_of_the_row}))",
                "SELECT id, pg_notify(%s, '') FROM inserted",
            ]
        )

    def params(self, row: models.Model, task_row: DBTaskResult, connection) -> list:
        values = bound_values(self.row_fields, row, connection)
        return [*values, *bound_values(self.task_fields, task_row, connection), CHANNEL]


_statements: dict[tuple[type[models.Model], str], _RowAndTaskStatement] = {}
