"""Message actions at the same moment, each on its own PostgreSQL connection: an edit and a
deletion of one message, and many reactions to one message, never lose or mix a change."""

import threading

import pytest
from django.db import connection

from omnichannel.errors import DomainError
from queues.services import take_room
from rooms.models import Message, MessageReaction
from rooms.services import (
    delete_room_message,
    edit_room_message,
    post_agent_message,
    toggle_room_reaction,
)
from tests.factories import make_manager

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def at_once(calls) -> tuple[list[str], list[str]]:
    """Run the calls together, released by one barrier; (domain refusals, other errors)."""
    barrier = threading.Barrier(len(calls))
    refused: list[str] = []
    failures: list[str] = []
    lock = threading.Lock()

    def run(call):
        try:
            barrier.wait(timeout=10)
            call()
        except DomainError as error:
            with lock:
                refused.append(error.code)
        except Exception as error:
            with lock:
                failures.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return refused, failures


def test_edit_racing_a_deletion_leaves_a_deleted_message_or_a_refused_delete(
    agent, write_as_contact
):
    room = take_room(agent, write_as_contact().room)
    for round_number in range(5):
        sent = post_agent_message(agent, room, text=f"draft {round_number}")

        refused, failures = at_once(
            [
                lambda sent=sent: edit_room_message(agent, sent, text="final"),
                lambda sent=sent: delete_room_message(agent, sent),
            ]
        )

        assert failures == []
        sent.refresh_from_db()
        assert sent.deleted_at is not None
        # Deleted last: nothing left. Deleted first: the edit was refused, not applied after.
        assert sent.text == ""
        assert refused in ([], ["message_deleted"])


def test_concurrent_reactions_of_many_managers_all_count(agent, department, write_as_contact):
    room = take_room(agent, write_as_contact().room)
    question = room.messages.get(kind=Message.Kind.CONTACT)
    managers = [make_manager(username=f"m{n}", departments=[department]) for n in range(8)]

    refused, failures = at_once(
        [
            lambda manager=manager: toggle_room_reaction(manager, question, emoji="\U0001f44d")
            for manager in managers
        ]
    )

    assert (refused, failures) == ([], [])
    assert MessageReaction.objects.filter(message=question).count() == len(managers)
