"""What an agent sees of the queue."""

from django.db.models import Count, F, Q, QuerySet

from accounts.models import AGENT_ROLE, User
from accounts.selectors import serves_queue
from rooms.models import Room

QUEUE_SIDEBAR_LIMIT = 50


def queued_rooms_for(agent: User, *, serving: bool | None = None) -> QuerySet[Room]:
    """The queued chats of the agent's enabled departments, oldest first; none if not serving."""
    if not (serves_queue(agent) if serving is None else serving):
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
    serving = serves_queue(agent)
    rooms = queued_rooms_for(agent, serving=serving)
    shown = list(rooms[:QUEUE_SIDEBAR_LIMIT])
    total = len(shown) if len(shown) < QUEUE_SIDEBAR_LIMIT else rooms.count()
    return {
        "queued_rooms": shown,
        "queued_total": total,
        "serves_queue": serving,
        "queue_limit": QUEUE_SIDEBAR_LIMIT,
    }


def eligible_agents(department_id: int) -> QuerySet[User]:
    """Agents who may be given a chat of this department now: the LiveChat Agent role, in the
    department, queue on, online, and below their maximum simultaneous chats."""
    return (
        User.objects.filter(
            is_active=True,
            groups__name=AGENT_ROLE,
            memberships__department_id=department_id,
            queue_enabled=True,
            status=User.Status.ONLINE,
        )
        .annotate(
            open_chats=Count(
                "served_rooms", filter=Q(served_rooms__status=Room.Status.TAKEN), distinct=True
            )
        )
        .filter(open_chats__lt=F("max_chats"))
        .order_by("open_chats", "username")
        .distinct()
    )
