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
from django.db import connections, router
from django_tasks_db.backend import DatabaseBackend as PollingDatabaseBackend
from django_tasks_db.models import DBTaskResult

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
