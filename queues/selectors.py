"""What an agent sees of the queue, who may be given a chat, and where a waiting chat stands."""

import math
from datetime import datetime, timedelta

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import AGENT_ROLE, Department, User
from accounts.selectors import serves_queue
from omnichannel.compiled import CompiledGet
from queues.models import DepartmentRouting, SlaPolicy
from rooms.models import Room

QUEUE_SIDEBAR_LIMIT = 50
# Serving order of a queue: priority, then first-response due time (none last), then wait.
QUEUE_ORDER = [
    F("priority").desc(),
    F("first_response_due_at").asc(nulls_last=True),
    "queued_at",
    "id",
]
# A visitor's wait is estimated from the pace of the last chats served within this time.
WAIT_ESTIMATE_WINDOW = timedelta(hours=1)
WAIT_ESTIMATE_SAMPLE = 20
# Rooms listed on the dashboard as near or past their first-response due time.
AT_RISK_LIMIT = 10


def queued_rooms_for(agent: User, *, serving: bool | None = None) -> QuerySet[Room]:
    """The queued chats of the agent's enabled departments in serving order; none if not
    serving."""
    if not (serves_queue(agent) if serving is None else serving):
        return Room.objects.none()
    return (
        Room.objects.filter(
            status=Room.Status.QUEUED,
            department__enabled=True,
            department__memberships__agent=agent,
        )
        .select_related("contact", "department")
        .order_by(*QUEUE_ORDER)
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


# --- who may be given a chat ---------------------------------------------------------------


def active_chats() -> Coalesce:
    """Per agent (an annotation): the chats they serve now, those on hold left out."""
    counted = (
        Room.objects.filter(agent=OuterRef("pk"), status=Room.Status.TAKEN, held_at__isnull=True)
        .values("agent")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted), Value(0))


# Counted by every Take it! (under the agent's lock) and every queued room's page (to offer
# the button): compiled once (omnichannel.compiled).
_with_active_chats = CompiledGet(
    lambda: User.objects.only("pk").annotate(active_chats=active_chats()), "pk"
)


def active_chat_count(agent_id: int) -> int:
    agent = _with_active_chats.get(pk=agent_id)
    return agent.active_chats if agent is not None else 0


def eligible_agents(department_id: int) -> QuerySet[User]:
    """Agents who may be given a chat of this department now: the LiveChat Agent role, in the
    department, queue on, online, and below their maximum simultaneous chats (chats on hold
    do not count). Fewest open chats first."""
    return (
        User.objects.filter(
            is_active=True,
            groups__name=AGENT_ROLE,
            memberships__department_id=department_id,
            queue_enabled=True,
            status=User.Status.ONLINE,
        )
        .annotate(open_chats=active_chats())
        .filter(open_chats__lt=F("max_chats"))
        .order_by("open_chats", "username")
    )


def routing_of(department_id: int) -> DepartmentRouting:
    """The department's routing; an unsaved manual one when none was configured."""
    routing = (
        DepartmentRouting.objects.select_related("sla_policy", "department")
        .filter(department_id=department_id)
        .first()
    )
    return routing or DepartmentRouting(department_id=department_id)


def routed_department_ids(*, agent_id: int | None = None) -> list[int]:
    """Enabled departments whose chats are routed automatically (those the agent serves)."""
    routings = DepartmentRouting.objects.filter(department__enabled=True).exclude(
        policy=DepartmentRouting.Policy.MANUAL
    )
    if agent_id is not None:
        routings = routings.filter(department__memberships__agent_id=agent_id)
    return list(routings.order_by("department_id").values_list("department_id", flat=True))


def routing_candidates(department_id: int, policy: str) -> QuerySet[User]:
    """The eligible agents in the order the policy gives them chats.

    Auto selection: the fewest chats received today (each in turn). Load balancing: the
    fewest open chats. Load rotation: given a chat longest ago (never first). Ties by name.
    """
    agents = eligible_agents(department_id)
    if policy == DepartmentRouting.Policy.LOAD_BALANCING:
        return agents.order_by("open_chats", "username")
    if policy == DepartmentRouting.Policy.LOAD_ROTATION:
        last = (
            Room.objects.filter(agent=OuterRef("pk"), taken_at__isnull=False)
            .order_by("-taken_at")
            .values("taken_at")[:1]
        )
        return agents.annotate(last_given=Subquery(last)).order_by(
            F("last_given").asc(nulls_first=True), "username"
        )
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    given_today = (
        Room.objects.filter(agent=OuterRef("pk"), taken_at__gte=midnight)
        .values("agent")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return agents.annotate(given_today=Coalesce(Subquery(given_today), Value(0))).order_by(
        "given_today", "open_chats", "username"
    )


def next_queued_rooms(department_id: int, *, limit: int) -> list[Room]:
    """The first rooms of the department's queue, in serving order."""
    rooms = Room.objects.filter(department_id=department_id, status=Room.Status.QUEUED)
    return list(rooms.order_by(*QUEUE_ORDER).only("pk", "channel", "contact_id")[:limit])


# --- where a waiting chat stands -------------------------------------------------------------


def new_room_defaults(department: Department, now: datetime) -> dict:
    """A new room's priority and first-response due times, from its department's routing."""
    routing = routing_of(department.pk)
    defaults: dict = {"priority": routing.default_priority}
    if routing.sla_policy_id:
        defaults.update(sla_due_times(routing.sla_policy, now))
    return defaults


def sla_due_times(policy: SlaPolicy | None, since: datetime) -> dict:
    """The first-response due time and warning time a policy sets for a chat that arrived
    at `since`; both None without a policy."""
    if policy is None:
        return {"first_response_due_at": None, "first_response_warning_at": None}
    due = since + timedelta(minutes=policy.first_response_minutes)
    warning = due - timedelta(minutes=policy.warning_minutes) if policy.warning_minutes else None
    return {"first_response_due_at": due, "first_response_warning_at": warning}


def queue_positions(department_id: int, *, limit: int) -> list[tuple[int, int, str]]:
    """(room id, contact id, channel) of the first `limit` queued rooms, in serving order."""
    rooms = Room.objects.filter(department_id=department_id, status=Room.Status.QUEUED)
    ordered = rooms.order_by(*QUEUE_ORDER).values_list("pk", "contact_id", "channel")
    return list(ordered[:limit])


def queue_position(room: Room) -> int | None:
    """1 for the next chat to be served; None when the room does not wait in the queue."""
    if room.status != Room.Status.QUEUED:
        return None
    ahead = Q(priority__gt=room.priority)
    same_priority = Q(priority=room.priority)
    earlier = Q(queued_at__lt=room.queued_at) | Q(queued_at=room.queued_at, pk__lt=room.pk)
    if room.first_response_due_at is None:
        ahead |= same_priority & (Q(first_response_due_at__isnull=False) | earlier)
    else:
        due = room.first_response_due_at
        ahead |= same_priority & Q(first_response_due_at__lt=due)
        ahead |= same_priority & Q(first_response_due_at=due) & earlier
    waiting = Room.objects.filter(department_id=room.department_id, status=Room.Status.QUEUED)
    return waiting.filter(ahead).count() + 1


def served_per_minute(department_id: int) -> float:
    """The pace at which the department's chats were given to agents lately: over its last
    chats served within the last hour (at most WAIT_ESTIMATE_SAMPLE), from the first of them
    until now; 0 when none was."""
    now = timezone.now()
    recent = list(
        Room.objects.filter(department_id=department_id, taken_at__gte=now - WAIT_ESTIMATE_WINDOW)
        .order_by("-taken_at")
        .values_list("taken_at", flat=True)[:WAIT_ESTIMATE_SAMPLE]
    )
    if not recent:
        return 0.0
    minutes = max((now - recent[-1]).total_seconds() / 60, 1.0)
    return len(recent) / minutes


def wait_minutes(position: int, per_minute: float) -> int | None:
    """Minutes until the chat at this position is served at that pace; None without one."""
    if per_minute <= 0:
        return None
    return max(1, math.ceil(position / per_minute))


def estimated_wait_minutes(department_id: int, position: int) -> int | None:
    """Minutes until the chat at this position is served, at the pace the department served
    its last chats; None when it served none within the hour (nothing to go by)."""
    return wait_minutes(position, served_per_minute(department_id))


def sla_at_risk_rooms(department_ids: list[int]) -> list[Room]:
    """Open rooms not answered yet that are past or near their first-response due time,
    the most overdue first."""
    now = timezone.now()
    rooms = (
        Room.objects.filter(
            department_id__in=department_ids,
            status__in=[Room.Status.QUEUED, Room.Status.TAKEN],
            first_response_at__isnull=True,
        )
        .filter(Q(first_response_due_at__lte=now) | Q(first_response_warning_at__lte=now))
        .select_related("contact", "department", "agent")
        .order_by("first_response_due_at", "id")
    )
    return list(rooms[:AT_RISK_LIMIT])
