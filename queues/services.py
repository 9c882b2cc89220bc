"""Taking chats from the queue and putting them back."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import departments_of, is_agent, is_manager
from omnichannel import events
from queues.errors import NotEligible, NotInQueue, RoomAlreadyTaken
from rooms import services as room_services
from rooms.errors import NotServingRoom, RoomClosed
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
