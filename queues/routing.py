"""Automatic routing: give waiting chats to eligible agents the moment both exist.

Part of the queue services (the only writers of assignments): every claim goes through
`rooms.services.claim_queued_room`, a conditional UPDATE, and records `room.taken`.

Triggered after commit by the events that make an agent eligible or a chat available
(`on_event`, subscribed in `QueuesConfig.ready()`), in whichever process committed them, so it
works across any number of processes; the sweeper (`manage.py dispatch_events`) also routes
every routed department, a safety net for an event whose dispatch died with its process.

Locks, in this order everywhere: the agent's user row (`SELECT ... FOR NO KEY UPDATE`), then
the room row (the conditional UPDATE). Counting an agent's chats and claiming one happen under
the agent's lock, so concurrent routers never give an agent more than their maximum; the
conditional UPDATE gives each chat to exactly one of them. On SQLite, whose transactions here
take the write lock when they begin (IMMEDIATE), writers are serialised altogether.
"""

from django.db import transaction

from accounts.models import AGENT_ROLE, User
from omnichannel import events
from omnichannel.compiled import CompiledGet
from omnichannel.events import dispatch_cache
from omnichannel.models import Event
from queues import selectors
from queues.models import DepartmentRouting
from rooms import services as room_services
from rooms.models import Room

# Rooms tried per claim: concurrent routers of one department race for the first ones.
ROOMS_PER_ATTEMPT = 10
# Assignments per call, so one event never keeps a process routing for long; the next event
# (or the sweep) carries on.
ROUTE_LIMIT = 500

ASSIGNED, LAST_ASSIGNED = "assigned", "last_assigned"
NOT_ELIGIBLE, QUEUE_EMPTY, LOST = "not_eligible", "queue_empty", "lost"


# Taken by every Take it!: compiled once (omnichannel.compiled).
_agent_locked = CompiledGet(lambda: User.objects.select_for_update(no_key=True, of=("self",)), "pk")


def lock_agent(agent_id: int, department_id: int) -> User | None:
    """Lock the agent's row for this transaction; None when they cannot take chats of the
    department now (role, membership, queue switch, online).

    `FOR NO KEY UPDATE`: it serialises everyone who counts and adds to this agent's chats,
    without blocking the key-share locks that foreign keys to the user take.
    """
    return (
        User.objects.select_for_update(no_key=True, of=("self",))
        .filter(
            pk=agent_id,
            is_active=True,
            queue_enabled=True,
            status=User.Status.ONLINE,
            groups__name=AGENT_ROLE,
            memberships__department_id=department_id,
        )
        .first()
    )


def lock_agent_row(agent_id: int) -> User:
    """Lock the agent's row for this transaction, whatever their state: the lock that every
    path adding to an agent's active chats takes first (manual take, resume)."""
    return _agent_locked.get_existing(pk=agent_id)


def has_room_for_one_more(agent: User) -> bool:
    """Below their maximum of active chats. Call it under the agent's lock, as a statement of
    its own: a count inside the locking statement would be read before the lock was granted."""
    return selectors.active_chat_count(agent.pk) < agent.max_chats


def _assign_next(agent_id: int, department_id: int, policy: str) -> tuple[str, int | None]:
    """One transaction: lock the agent, check they may take one more chat, claim the first
    queued room that nobody else claims first. LAST_ASSIGNED when that was the last room it saw
    waiting: routing may stop there, since a chat arriving meanwhile is routed after its own
    commit."""
    with transaction.atomic():
        agent = lock_agent(agent_id, department_id)
        if agent is None or not has_room_for_one_more(agent):
            return NOT_ELIGIBLE, None
        rooms = selectors.next_queued_rooms(department_id, limit=ROOMS_PER_ATTEMPT)
        if not rooms:
            return QUEUE_EMPTY, None
        for room in rooms:
            if room_services.claim_queued_room(agent, room, system_code="routed"):
                events.record(
                    "room.taken",
                    room=room,
                    contact=room.contact_id,
                    data={
                        "agent": agent.pk,
                        "department": department_id,
                        "routed": True,
                        "policy": policy,
                    },
                )
                return (ASSIGNED if len(rooms) > 1 else LAST_ASSIGNED), room.pk
        return LOST, None


def route_department(
    department_id: int, *, limit: int = ROUTE_LIMIT, routing: DepartmentRouting | None = None
) -> list[int]:
    """Give the department's waiting chats to eligible agents, in serving order, until the
    queue or the agents run out. Returns the rooms assigned. Manual departments: none.
    `routing`: the department's, when the caller has just read it."""
    routing = routing or selectors.routing_of(department_id)
    if not routing.routes_automatically or not routing.department.enabled:
        return []
    assigned: list[int] = []
    # Each round assigns a chat or loses one to another router: bounded either way.
    for _round in range(limit * 3):
        if len(assigned) >= limit:
            break
        # Ranked again after every assignment: the load of the agent just served changed.
        candidates = list(
            selectors.routing_candidates(department_id, routing.policy).values_list(
                "pk", flat=True
            )[:20]
        )
        progressed = False
        for agent_id in candidates:
            outcome, room_id = _assign_next(agent_id, department_id, routing.policy)
            if outcome == LAST_ASSIGNED:
                return [*assigned, room_id]
            if outcome == ASSIGNED:
                assigned.append(room_id)
                progressed = True
                break
            if outcome == QUEUE_EMPTY:
                return assigned
            if outcome == LOST:
                # Other routers took the first rooms: try again with the same ranking.
                progressed = True
                break
        if not progressed:
            break
    return assigned


def route_for_agent(agent_id: int) -> list[int]:
    """The agent may take more chats now: route every routed department they serve."""
    assigned: list[int] = []
    for department_id in selectors.routed_department_ids(agent_id=agent_id):
        assigned += route_department(department_id)
    return assigned


def route_everything() -> int:
    """Route every routed department (the sweep); the number of chats assigned."""
    return sum(len(route_department(pk)) for pk in selectors.routed_department_ids())


# --- what triggers routing -------------------------------------------------------------------

# A chat starts waiting in the department named in the event (or the room's).
CHAT_WAITS = {"room.queued", "room.returned", "room.transferred"}
# An agent may have room for one more chat (the event's agent, or its actor).
AGENT_FREED = {
    "room.closed",
    "room.held",
    "room.transferred",
    "room.taken",
    "agent.status_changed",
    "agent.queue_changed",
    "agent.departments_changed",
    "agent.updated",
}
# The department's routing or state changed.
DEPARTMENT_CHANGED = {"routing.changed", "department.updated"}


def _freed_agents(event: Event) -> set[int]:
    data = event.data or {}
    if event.name.startswith("agent."):
        return {data.get("agent") or event.actor_id} - {None}
    if event.name in {"room.taken", "room.transferred"}:
        # A chat given away frees the agent who had it.
        return {data.get("previous_agent")} - {None}
    return {data.get("agent")} - {None}


def _routing(event: Event, department_id: int) -> DepartmentRouting:
    """The department's routing, read once for the events dispatched together (they all
    committed before; a change of routing committed later comes with its own event)."""
    known = dispatch_cache(event).setdefault("department_routings", {})
    if department_id not in known:
        known[department_id] = selectors.routing_of(department_id)
    return known[department_id]


def on_event(event: Event) -> None:
    """After commit: route where the event may have made a chat and an agent meet."""
    if event.name in CHAT_WAITS:
        department_id = (event.data or {}).get("department")
        if department_id is None and event.room_id:
            department_id = (
                Room.objects.filter(pk=event.room_id).values_list("department_id", flat=True)
            ).first()
        if department_id:
            route_department(department_id, routing=_routing(event, department_id))
    if event.name in AGENT_FREED:
        for agent_id in _freed_agents(event):
            route_for_agent(agent_id)
    if event.name in DEPARTMENT_CHANGED:
        department_id = (event.data or {}).get("department")
        if department_id:
            route_department(department_id)
