"""After-commit publishers of room events to the agents' sockets."""

from django.template.loader import render_to_string

from omnichannel.models import Event
from omnichannel.realtime import agent_group, publish, room_group
from rooms.models import Message, Room

ROOM_STATE_EVENTS = {
    "room.taken",
    "room.returned",
    "room.closed",
    "room.transferred",
    "room.held",
    "room.resumed",
    "room.service_level_changed",
}


def _room(room_id: int) -> Room | None:
    return Room.objects.select_related("contact", "department", "agent").filter(pk=room_id).first()


def room_info_html(room: Room) -> str:
    return render_to_string("rooms/room.html#room-info", {"room": room})


def publish_message_created(event: Event) -> None:
    message = (
        Message.objects.select_related("author")
        .prefetch_related("attachments")
        .filter(pk=event.data.get("message"))
        .first()
    )
    room = _room(event.room_id) if message else None
    if room is None:
        return
    html = render_to_string("rooms/room.html#message", {"message": message, "room": room})
    publish(
        [room_group(room.pk)],
        {
            "type": "message.created",
            "room": room.pk,
            "message": message.pk,
            "kind": message.kind,
            "html": html,
            "info_html": room_info_html(room),
        },
    )


def publish_room_changed(event: Event) -> None:
    room = _room(event.room_id)
    if room is None:
        return
    envelope = {
        "type": "room.changed",
        "event": event.name,
        "room": room.pk,
        "status": room.status,
        "agent": room.agent.display_name if room.agent else None,
        "agent_id": room.agent_id,
        "by": event.actor.display_name if event.actor else None,
        "by_id": event.actor_id,
        "info_html": room_info_html(room),
    }
    publish([room_group(room.pk)], envelope)
    # The agents whose "In progress" list changed: who serves it now, and who served it before.
    affected = {
        room.agent_id,
        event.data.get("agent"),
        event.data.get("previous_agent"),
        event.actor_id,
    } - {None}
    publish([agent_group(pk) for pk in affected], {"type": "my_rooms.changed", "room": room.pk})


def publish_message_updated(event: Event) -> None:
    """A delivery status changed: the message is rendered again, replacing the old one."""
    message = (
        Message.objects.select_related("author")
        .prefetch_related("attachments")
        .filter(pk=event.data.get("message"))
        .first()
    )
    room = _room(message.room_id) if message else None
    if room is None:
        return
    html = render_to_string("rooms/room.html#message", {"message": message, "room": room})
    publish(
        [room_group(room.pk)],
        {"type": "message.updated", "room": room.pk, "message": message.pk, "html": html},
    )


def on_event(event: Event) -> None:
    if event.name == "message.created":
        publish_message_created(event)
    elif event.name == "message.status_changed":
        publish_message_updated(event)
    elif event.name in ROOM_STATE_EVENTS:
        publish_room_changed(event)
