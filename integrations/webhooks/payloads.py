"""Webhook bodies: the event, and the resource as the API shows it."""

from django.db.models import Prefetch, prefetch_related_objects

from directory.api.serializers import ContactOutputSerializer
from directory.models import Contact
from omnichannel.models import Event
from rooms.api.serializers import MessageOutputSerializer, RoomOutputSerializer
from rooms.live import event_message, event_room
from rooms.models import Room, Tag


def _room(event: Event) -> dict | None:
    """The event's room as its live publishers read it (once for the events dispatched
    together), with its tags."""
    if not event.room_id:
        return None
    room = event_room(event)
    if room is None:
        return {"id": event.room_id}
    if "tags" not in getattr(room, "_prefetched_objects_cache", {}):
        prefetch_related_objects([room], Prefetch("tags", queryset=Tag.objects.order_by("name")))
    return RoomOutputSerializer(room).data


def _message(event: Event) -> dict | None:
    message_id = event.data.get("message")
    if not message_id:
        return None
    message = event_message(event)
    return MessageOutputSerializer(message).data if message else {"id": message_id}


def _contact(contact_id: int | None) -> dict | None:
    if not contact_id:
        return None
    contact = (
        Contact.objects.prefetch_related("identities", "field_values__field")
        .filter(pk=contact_id)
        .first()
    )
    return ContactOutputSerializer(contact).data if contact else {"id": contact_id}


def _priority_name(value: object) -> str | None:
    return Room.Priority(value).name.lower() if value in Room.Priority.values else None


def _room_change(event: Event) -> dict:
    """What the room event itself says, as of when it happened (the room is read later)."""
    if event.name == "room.resumed":
        return {"by_contact": bool(event.data.get("by_contact"))}
    if event.name == "room.service_level_changed":
        return {
            "priority": _priority_name(event.data.get("priority")),
            "previous_priority": _priority_name(event.data.get("previous_priority")),
            "first_response_due_at": event.data.get("first_response_due_at"),
            "previous_first_response_due_at": event.data.get("previous_first_response_due_at"),
        }
    return {}


def build_payload(event: Event) -> dict:
    """{"id", "event", "created_at", "actor", "data": {...the resources...}}."""
    data: dict = {}
    if event.name.startswith("room."):
        data["room"] = _room(event)
        data.update(_room_change(event))
    elif event.name.startswith("message."):
        data["message"] = _message(event)
        data["room"] = _room(event)
        if event.name == "message.status_changed":
            data["status"] = event.data.get("status")
    elif event.name.startswith("contact."):
        data["contact"] = _contact(event.contact_id)
        if "fields" in event.data:
            data["fields"] = event.data["fields"]
    actor = event.actor
    return {
        "id": event.pk,
        "event": event.name,
        "created_at": event.created_at.isoformat(),
        "actor": {"id": actor.pk, "username": actor.username} if actor else None,
        "data": data,
    }
