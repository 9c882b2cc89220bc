"""Taking chats from the queue and putting them back; giving them to other agents and
departments; on hold; priorities and service levels; each department's routing.

Automatic routing itself lives in `queues.routing`.
"""

from collections.abc import Callable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Department, User
from accounts.selectors import departments_of, is_agent, is_manager, supervised_department_ids
from omnichannel import events
from queues.errors import (
    InvalidPriority,
    InvalidRouting,
    InvalidSla,
    MaxChatsReached,
    NotEligible,
    NotInQueue,
    RoomAlreadyTaken,
    RoomChanged,
)
from queues.models import SLA_MAX_MINUTES, DepartmentRouting, SlaPolicy
from queues.routing import has_room_for_one_more, lock_agent, lock_agent_row
from queues.selectors import active_chat_count, sla_due_times
from rooms import services as room_services
from rooms.errors import CommentRequired, NotAllowed, NotServingRoom, RoomClosed, RoomOnHold
from rooms.models import Room
from rooms.services import COMMENT_MAX_LENGTH


def check_can_take(agent: User, room: Room) -> None:
    """Raise NotEligible, with the reason, unless the agent may take chats of this room's queue
    now (MaxChatsReached when they serve their maximum; unlocked, so `take_room` counts again
    under the agent's lock)."""
    _check_may_serve_queue(agent, room)
    if active_chat_count(agent.pk) >= agent.max_chats:
        raise MaxChatsReached.taking(agent.max_chats)


def _check_may_serve_queue(agent: User, room: Room) -> None:
    if not is_agent(agent):
        raise NotEligible(_("Only users with the LiveChat Agent role can take chats."))
    if not agent.queue_enabled:
        raise NotEligible(_("Enable your Omnichannel queue to take chats."))
    if not departments_of(agent).filter(pk=room.department_id).exists():
        raise NotEligible(_("This chat belongs to a department you are not assigned to."))


def _lock_below_maximum(agent: User, refuse: Callable[[int], MaxChatsReached]) -> User:
    """Inside a transaction: lock the agent's row (see `queues.routing`), then raise
    `refuse(maximum)` when they serve their maximum of active chats.

    Whoever adds to the agent's active chats holds this lock until commit, so the count read
    here stays true until the caller's conditional UPDATE is committed.
    """
    locked = lock_agent_row(agent.pk)
    if not has_room_for_one_more(locked):
        raise refuse(locked.max_chats)
    return locked


def take_room(agent: User, room: Room) -> Room:
    """Give a queued chat to the agent. Exactly one concurrent caller wins.

    The claim is one conditional UPDATE (status still queued), race-free on SQLite and
    PostgreSQL alike; every loser gets RoomAlreadyTaken. It happens under the agent's row lock,
    after counting their active chats (MaxChatsReached at their maximum), like routing's.
    """
    # Their chats are counted once, under their lock: a count before it could not be trusted.
    _check_may_serve_queue(agent, room)
    with transaction.atomic():
        _lock_below_maximum(agent, MaxChatsReached.taking)
        if not room_services.claim_queued_room(agent, room):
            current = Room.objects.filter(pk=room.pk).values_list("status", flat=True).first()
            if current == Room.Status.CLOSED:
                raise RoomClosed()
            raise RoomAlreadyTaken()
        events.record(
            "room.taken",
            actor=agent,
            room=room,
            contact=room.contact_id,
            data={"agent": agent.pk, "department": room.department_id},
        )
    room.refresh_from_db()
    return room


def return_to_queue(agent: User, room: Room) -> Room:
    """Put the chat back in its department's queue; a system message says who did it.

    The serving agent may return their chat; a LiveChat Manager may return anyone's.
    """
    room.refresh_from_db(fields=["status", "agent"])
    if room.status == Room.Status.CLOSED:
        raise RoomClosed()
    if room.status == Room.Status.QUEUED:
        raise NotInQueue(_("This chat is already waiting in the queue."))
    serving_agent = room.agent
    if serving_agent is None or (serving_agent.pk != agent.pk and not is_manager(agent)):
        raise NotServingRoom()
    with transaction.atomic():
        if not room_services.release_room(serving_agent, room, by=agent):
            raise NotServingRoom()
        events.record(
            "room.returned",
            actor=agent,
            room=room,
            contact=room.contact_id,
            data={"agent": serving_agent.pk, "department": room.department_id},
        )
    room.refresh_from_db()
    return room


def _check_supervises(supervisor: User, department_id: int) -> None:
    if not is_manager(supervisor):
        raise NotAllowed(_("Only a LiveChat Manager can do this."))
    scope = supervised_department_ids(supervisor)
    if scope is not None and department_id not in scope:
        raise NotAllowed(_("You do not supervise this department."))


def assign_room(
    supervisor: User,
    room: Room,
    agent: User,
    *,
    expected_status: str,
    expected_agent_id: int | None,
    comment: str = "",
) -> Room:
    """A manager gives a queued or taken chat to an eligible agent.

    The change applies only if the room is still as the manager saw it (expected status and
    agent); otherwise RoomChanged, and nothing changes. Locks the agent's row while checking
    their eligibility and giving the chat (see `queues.routing`), so they never exceed their
    maximum.
    """
    _check_supervises(supervisor, room.department_id)
    if expected_status == Room.Status.CLOSED:
        raise RoomClosed()
    if expected_agent_id == agent.pk:
        raise NotEligible(_("This agent already serves the chat."))
    return _give_to_agent(
        supervisor,
        room,
        agent,
        expected_status=expected_status,
        expected_agent_id=expected_agent_id,
        comment=comment,
    )


def transfer_room(
    actor: User,
    room: Room,
    department: Department,
    *,
    expected_status: str,
    expected_agent_id: int | None,
    comment: str,
) -> Room:
    """Send a chat to another department's queue, with a required comment.

    A manager may transfer any chat of the departments they supervise; the serving agent
    their own. Applies only if the room is still as the caller saw it.
    """
    comment = _clean_comment(comment, required=_("Say why the chat is transferred."))
    if expected_status == Room.Status.CLOSED:
        raise RoomClosed()
    if department.pk == room.department_id:
        raise NotEligible(_("The chat is already in this department."))
    if not department.enabled:
        raise NotEligible(_("This department is disabled."))
    serving = expected_status == Room.Status.TAKEN and expected_agent_id == actor.pk
    if not serving:
        _check_supervises(actor, room.department_id)
    previous_department = room.department_id
    with transaction.atomic():
        moved = room_services.reassign_room(
            room,
            expected_status=expected_status,
            expected_agent_id=expected_agent_id,
            by=actor,
            department=department,
            comment=comment,
        )
        if not moved:
            raise RoomChanged()
        events.record(
            "room.transferred",
            actor=actor,
            room=room,
            contact=room.contact_id,
            data={
                "agent": None,
                "previous_agent": expected_agent_id,
                "department": department.pk,
                "previous_department": previous_department,
                "comment": comment,
            },
        )
    room.refresh_from_db()
    return room


def _lock_eligible(agent: User, department_id: int) -> User:
    """Inside a transaction: lock the agent's row, then check they may be given one more chat
    of the department now (NotEligible otherwise)."""
    locked = lock_agent(agent.pk, department_id)
    if locked is None or not has_room_for_one_more(locked):
        raise NotEligible(
            _(
                "%(agent)s cannot be given chats of this department now: they must be an "
                "online agent of the department with their queue on and below their maximum "
                "of chats."
            )
            % {"agent": agent.display_name}
        )
    return locked


def _give_to_agent(
    actor: User,
    room: Room,
    agent: User,
    *,
    expected_status: str,
    expected_agent_id: int | None,
    comment: str,
    system_code: str | None = None,
) -> Room:
    """One transaction: lock the agent's row and check their eligibility, then give them the
    room if it is still as the caller saw it (RoomChanged otherwise); `room.taken` from the
    queue, `room.transferred` from another agent."""
    with transaction.atomic():
        _lock_eligible(agent, room.department_id)
        moved = room_services.reassign_room(
            room,
            expected_status=expected_status,
            expected_agent_id=expected_agent_id,
            by=actor,
            agent=agent,
            comment=comment,
            system_code=system_code,
        )
        if not moved:
            raise RoomChanged()
        name = "room.taken" if expected_status == Room.Status.QUEUED else "room.transferred"
        events.record(
            name,
            actor=actor,
            room=room,
            contact=room.contact_id,
            data={
                "agent": agent.pk,
                "previous_agent": expected_agent_id,
                "department": room.department_id,
                "assigned": True,
                "comment": comment,
            },
        )
    room.refresh_from_db()
    return room


def _clean_comment(comment: str, *, required: str) -> str:
    comment = (comment or "").strip()
    if not comment:
        raise CommentRequired(required)
    if len(comment) > COMMENT_MAX_LENGTH:
        raise CommentRequired(
            _("The comment is limited to %(limit)s characters.") % {"limit": COMMENT_MAX_LENGTH}
        )
    return comment


def transfer_to_agent(
    actor: User,
    room: Room,
    agent: User,
    *,
    expected_status: str,
    expected_agent_id: int | None,
    comment: str,
) -> Room:
    """Give a chat to another eligible agent of its department, with a required comment.

    The serving agent may give their own chat; a manager any chat of the departments they
    supervise. Applies only if the room is still as the caller saw it (RoomChanged otherwise).
    Locks the receiving agent's row while checking and giving (see `queues.routing`).
    """
    comment = _clean_comment(comment, required=_("Say why the chat is transferred."))
    if expected_status == Room.Status.CLOSED:
        raise RoomClosed()
    if expected_agent_id == agent.pk:
        raise NotEligible(_("This agent already serves the chat."))
    serving = expected_status == Room.Status.TAKEN and expected_agent_id == actor.pk
    if not serving:
        _check_supervises(actor, room.department_id)
    return _give_to_agent(
        actor,
        room,
        agent,
        expected_status=expected_status,
        expected_agent_id=expected_agent_id,
        comment=comment,
        system_code="transferred_to_agent",
    )


# --- on hold ---------------------------------------------------------------------------------


def put_on_hold(agent: User, room: Room) -> Room:
    """The serving agent pauses a chat while the contact is away: it leaves their active count
    until they resume it or the contact writes again."""
    room.refresh_from_db(fields=["status", "agent", "held_at"])
    if room.status == Room.Status.CLOSED:
        raise RoomClosed()
    if room.status != Room.Status.TAKEN or room.agent_id != agent.pk:
        raise NotServingRoom()
    if room.held_at is not None:
        raise RoomOnHold(_("This chat is already on hold."))
    with transaction.atomic():
        if not room_services.hold_room(agent, room):
            raise RoomChanged()
        events.record(
            "room.held",
            actor=agent,
            room=room,
            contact=room.contact_id,
            data={"agent": agent.pk, "department": room.department_id},
        )
    room.refresh_from_db()
    return room


def resume_room(agent: User, room: Room) -> Room:
    """The serving agent takes a chat off hold; refused while they serve their maximum.

    Locks the agent's row while counting (see `queues.routing`).
    """
    room.refresh_from_db(fields=["status", "agent", "held_at"])
    if room.status == Room.Status.CLOSED:
        raise RoomClosed()
    if room.status != Room.Status.TAKEN or room.agent_id != agent.pk:
        raise NotServingRoom()
    if room.held_at is None:
        raise NotAllowed(_("This chat is not on hold."))
    with transaction.atomic():
        _lock_below_maximum(agent, MaxChatsReached.resuming)
        if not room_services.resume_held_room(agent, room):
            raise RoomChanged()
        events.record(
            "room.resumed",
            actor=agent,
            room=room,
            contact=room.contact_id,
            data={"agent": agent.pk},
        )
    room.refresh_from_db()
    return room


# --- priorities and service levels -----------------------------------------------------------

UNCHANGED = object()


def parse_priority(value: object) -> int:
    """A priority from a form or the API: its name ("high") or number (3); InvalidPriority
    otherwise."""
    if isinstance(value, bool):
        raise InvalidPriority()
    if isinstance(value, str):
        text = value.strip().lower()
        by_name = {p.name.lower(): p.value for p in Room.Priority}
        if text in by_name:
            return by_name[text]
        value = int(text) if text.isdigit() else None
    if isinstance(value, int) and value in Room.Priority.values:
        return value
    raise InvalidPriority()


def can_set_service_level(user: User, room: Room) -> bool:
    """The serving agent, a manager of the department, or (while it waits) an agent of it."""
    if not room.is_open:
        return False
    if room.status == Room.Status.TAKEN and room.agent_id == user.pk:
        return True
    if is_manager(user):
        scope = supervised_department_ids(user)
        return scope is None or room.department_id in scope
    if room.status == Room.Status.QUEUED and is_agent(user):
        return departments_of(user).filter(pk=room.department_id).exists()
    return False


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def set_service_level(
    actor: User,
    room: Room,
    *,
    priority: object = UNCHANGED,
    sla_policy: SlaPolicy | object | None = UNCHANGED,
) -> Room:
    """Change a room's priority (a name or number) and/or SLA policy (None: no due time).

    The due time counts from the chat's arrival. Nothing changes on any error.
    """
    changes: dict = {}
    if priority is not UNCHANGED:
        changes["priority"] = parse_priority(priority)
    if sla_policy is not UNCHANGED:
        if sla_policy is not None and not isinstance(sla_policy, SlaPolicy):
            raise InvalidSla()
        changes.update(sla_due_times(sla_policy, room.created_at))
    room.refresh_from_db()
    if room.status == Room.Status.CLOSED:
        raise RoomClosed()
    if not can_set_service_level(actor, room):
        raise NotAllowed(_("Only the serving agent or a manager can change this chat."))
    if changes.get("priority") == room.priority:
        del changes["priority"]
    if not changes:
        return room
    # The due time after the change: the new one, or the one the room keeps.
    due = changes.get("first_response_due_at", room.first_response_due_at)
    with transaction.atomic():
        if not room_services.set_service_level(room, by=actor, **changes):
            raise RoomClosed()
        events.record(
            "room.service_level_changed",
            actor=actor,
            room=room,
            contact=room.contact_id,
            data={
                "department": room.department_id,
                "agent": room.agent_id,
                "priority": changes.get("priority", room.priority),
                "previous_priority": room.priority,
                "first_response_due_at": _iso(due),
                "previous_first_response_due_at": _iso(room.first_response_due_at),
            },
        )
    room.refresh_from_db()
    return room


# --- configuration: SLA policies and each department's routing --------------------------------


def _check_manager(by: User) -> None:
    if not is_manager(by) and not by.is_superuser:
        raise NotAllowed(_("Only a LiveChat Manager can do this."))


def _clean_minutes(value: object, *, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidSla(_("%(label)s must be a whole number of minutes.") % {"label": label})
    return value


def save_sla_policy(
    by: User,
    policy: SlaPolicy | None,
    *,
    name: str,
    first_response_minutes: int,
    warning_minutes: int = 0,
    description: str = "",
) -> SlaPolicy:
    """Create (policy None) or change an SLA policy; InvalidSla, changing nothing, when the
    minutes are out of range, the warning not before the due time, or the name taken."""
    _check_manager(by)
    name = (name or "").strip()
    if not name:
        raise InvalidSla(_("An SLA policy needs a name."))
    first = _clean_minutes(first_response_minutes, label=_("The first response time"))
    warning = _clean_minutes(warning_minutes, label=_("The warning time"))
    if not 1 <= first <= SLA_MAX_MINUTES:
        raise InvalidSla(
            _("The first response must be due between 1 minute and 7 days after arrival.")
        )
    if not 0 <= warning < first:
        raise InvalidSla(
            _("The warning must come before the due time: fewer minutes than the first response.")
        )
    taken = SlaPolicy.objects.filter(name__iexact=name)
    if policy is not None:
        taken = taken.exclude(pk=policy.pk)
    if taken.exists():
        raise InvalidSla(_("An SLA policy with this name exists already."))
    fields = {
        "name": name,
        "first_response_minutes": first,
        "warning_minutes": warning,
        "description": description,
    }
    try:
        with transaction.atomic():
            if policy is None:
                policy = SlaPolicy.objects.create(**fields)
            else:
                SlaPolicy.objects.filter(pk=policy.pk).update(**fields)
            events.record("sla_policy.saved", actor=by, data={"sla_policy": policy.pk, **fields})
    except IntegrityError:
        raise InvalidSla(_("An SLA policy with this name exists already.")) from None
    policy.refresh_from_db()
    return policy


def configure_routing(
    by: User,
    department: Department,
    *,
    policy: str,
    default_priority: object = Room.Priority.NORMAL,
    sla_policy: SlaPolicy | None = None,
) -> DepartmentRouting:
    """Set how a department's queue is served; switching to automatic routing assigns the
    chats already waiting (after commit, like every routing trigger)."""
    _check_manager(by)
    scope = supervised_department_ids(by)
    if scope is not None and department.pk not in scope:
        raise NotAllowed(_("You do not supervise this department."))
    if policy not in DepartmentRouting.Policy.values:
        raise InvalidRouting(
            _("Unknown routing policy %(policy)r: choose one of %(choices)s.")
            % {"policy": policy, "choices": ", ".join(DepartmentRouting.Policy.values)}
        )
    priority = parse_priority(default_priority)
    if sla_policy is not None and not isinstance(sla_policy, SlaPolicy):
        raise InvalidSla()
    with transaction.atomic():
        routing, _created = DepartmentRouting.objects.update_or_create(
            department=department,
            defaults={"policy": policy, "default_priority": priority, "sla_policy": sla_policy},
        )
        events.record(
            "routing.changed",
            actor=by,
            data={
                "department": department.pk,
                "policy": policy,
                "default_priority": priority,
                "sla_policy": sla_policy.pk if sla_policy else None,
            },
        )
    return routing
