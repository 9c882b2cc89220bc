"""How queues show in templates: a room's place in the serving order, a visitor's position."""

from django import template

from queues.selectors import estimated_wait_minutes, queue_position
from rooms.models import Room

register = template.Library()

# Far in the future: rooms without a due time sort after every room with one.
NO_DUE_MS = 10**13 - 1


@register.filter
def queue_key(room: Room) -> str:
    """A string that sorts like the queue's serving order (priority, due time, wait), so the
    sidebar script can insert a room that arrives live in its place."""
    due = room.first_response_due_at
    due_ms = int(due.timestamp() * 1000) if due else NO_DUE_MS
    queued_us = int(room.queued_at.timestamp() * 1_000_000)
    return f"{9 - room.priority}:{due_ms:013d}:{queued_us:017d}:{room.pk:012d}"


@register.filter
def epoch_ms(value) -> str:
    return str(int(value.timestamp() * 1000)) if value else ""


@register.simple_tag
def visitor_queue_status(room: Room | None) -> dict | None:
    """Where the visitor's waiting chat stands: its position and the estimated wait."""
    if room is None or room.status != Room.Status.QUEUED:
        return None
    position = queue_position(room)
    return {
        "position": position,
        "wait_minutes": estimated_wait_minutes(room.department_id, position),
    }
