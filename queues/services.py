"""Taking chats from the queue and putting them back."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Department, User
from accounts.selectors import departments_of, is_agent, is_manager, supervised_department_ids
from omnichannel import events
from queues.errors import NotEligible, NotInQueue, RoomAlreadyTaken, RoomChanged
from queues.selectors import eligible_agents
from rooms import services as room_services
from rooms.errors import CommentRequired, NotAllowed, NotServingRoom, RoomClosed
from rooms.models import Room


def check_can_take(agent: User, room: Room) -> None:
    """Raise NotEligible, with the reason, unless the agent may take chats of this room's queue."""
    if not is_agent(agent):
        raise NotEligible(_("Only users with the LiveChat Agent role can take chats."))
    if not agent.queue_enabled:
        raise NotEligible(_("Enable your Omnichannel queue to take chats."))
    if not departments_of(agent).filter(pk=room.department_id).exists():
        raise NotEligible(_("This chat belongs to a department you are not assigned to."))


def take_room(agent: User, room: Room) -> Room:
    """Give a queued chat to the agent. Exactly one concurrent caller wins.

    The claim is one conditional UPDATE (status still queued), race-free on SQLite and
    PostgreSQL alike; every loser gets RoomAlreadyTaken.
    """
    check_can_take(agent, room)
    with transaction.atomic():
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
    agent); otherwise RoomChanged, and nothing changes.
    """
    _check_supervises(supervisor, room.department_id)
    if expected_status == Room.Status.CLOSED:
        raise RoomClosed()
    if expected_agent_id == agent.pk:
        raise NotEligible(_("This agent already serves the chat."))
    if not eligible_agents(room.department_id).filter(pk=agent.pk).exists():
        raise NotEligible(
            _("%(agent)s cannot take chats of this department now.") % {"agent": agent}
        )
    with transaction.atomic():
        moved = room_services.reassign_room(
            room,
            expected_status=expected_status,
            expected_agent_id=expected_agent_id,
            by=supervisor,
            agent=agent,
            comment=comment,
        )
        if not moved:
            raise RoomChanged()
        name = "room.taken" if expected_status == Room.Status.QUEUED else "room.transferred"
        events.record(
            name,
            actor=supervisor,
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
    comment = (comment or "").strip()
    if not comment:
        raise CommentRequired(_("Say why the chat is transferred."))
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
