"""What an agent sees of the queue."""

from django.db.models import QuerySet

from accounts.models import User
from accounts.selectors import serves_queue
from rooms.models import Room

QUEUE_SIDEBAR_LIMIT = 50


def queued_rooms_for(agent: User) -> QuerySet[Room]:
    """The queued chats of the agent's enabled departments, oldest first; none if not serving."""
    if not serves_queue(agent):
        return Room.objects.none()
    return (
        Room.objects.filter(
            status=Room.Status.QUEUED,
            department__enabled=True,
            department__memberships__agent=agent,
        )
        .select_related("contact", "department")
        .order_by("queued_at", "id")
    )


def queue_sidebar_for(agent: User) -> dict:
    """The Queued Chats section: the first rooms and how many wait in all (two queries)."""
    rooms = queued_rooms_for(agent)
    shown = list(rooms[:QUEUE_SIDEBAR_LIMIT])
    total = len(shown) if len(shown) < QUEUE_SIDEBAR_LIMIT else rooms.count()
    return {
        "queued_rooms": shown,
        "queued_total": total,
        "serves_queue": serves_queue(agent),
        "queue_limit": QUEUE_SIDEBAR_LIMIT,
    }
