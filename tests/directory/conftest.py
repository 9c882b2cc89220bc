"""Contact Center fixtures: a contact of Support, one of Sales, closed rooms, custom fields."""

from datetime import timedelta

import pytest
from django.utils import timezone

from directory.models import Call, CustomField


@pytest.fixture
def support_contact(write_as_contact):
    """A contact who wrote to Support (the `agent` persona's department)."""
    return write_as_contact("My order is late", visitor="ana", name="Ana Lopez").room.contact


@pytest.fixture
def sales_room(write_as_contact, other_department):
    """A room in Sales, which `agent` may not see and `outsider_agent` may."""
    return write_as_contact(
        "Do you sell gift cards?", visitor="sam-sales", name="Sam Sales", to=other_department
    ).room


@pytest.fixture
def sales_contact(sales_room):
    return sales_room.contact


@pytest.fixture
def close(agent):
    """Take (when queued) and close a room as `agent` with a comment and tags."""
    from queues.services import take_room
    from rooms.services import close_room

    def close_as_agent(room, *, comment="Solved", tags=(), by=None):
        by = by or agent
        if room.status == room.Status.QUEUED:
            room = take_room(by, room)
        return close_room(by, room, comment=comment, tags=tags)

    return close_as_agent


@pytest.fixture
def fields(db):
    """One custom field of each kind; the number is required."""
    return {
        "plan": CustomField.objects.create(
            key="plan", label="Plan", kind=CustomField.Kind.CHOICE, choices="Free\nPro\n"
        ),
        "seats": CustomField.objects.create(
            key="seats", label="Seats", kind=CustomField.Kind.NUMBER, required=True
        ),
        "renewal": CustomField.objects.create(
            key="renewal", label="Renewal", kind=CustomField.Kind.DATE
        ),
        "note": CustomField.objects.create(key="note", label="Note", kind=CustomField.Kind.TEXT),
    }


@pytest.fixture
def record(supervisor):
    """Report a call as a manager would (through the service)."""
    from directory.services import record_call

    def record_as_manager(contact, **options):
        values = {
            "direction": Call.Direction.INBOUND,
            "outcome": Call.Outcome.ANSWERED,
            "started_at": timezone.now() - timedelta(minutes=10),
            "duration_seconds": 120,
            **options,
        }
        return record_call(supervisor, contact, **values)[0]

    return record_as_manager
