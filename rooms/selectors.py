"""Shared reads of rooms, and the one access check for a room."""

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import User
from accounts.selectors import is_manager
from rooms.models import Attachment, Message, Room


def rooms_visible_to(user: User) -> QuerySet[Room]:
    """Managers see every room; agents the rooms of their departments and the ones they serve."""
    rooms = Room.objects.select_related("contact", "department", "agent")
    if not user.is_authenticated or not user.is_active:
        return rooms.none()
    if is_manager(user):
        return rooms
    return rooms.filter(Q(department__memberships__agent=user) | Q(agent=user)).distinct()


def get_room_for(user: User, room_id: int) -> Room:
    """The room if this user may see it; 404 alike for missing and not theirs."""
    room = rooms_visible_to(user).filter(pk=room_id).first()
    if room is None:
        raise Http404
    return room


def open_rooms_of(agent: User) -> QuerySet[Room]:
    return (
        Room.objects.filter(agent=agent, status=Room.Status.TAKEN)
        .select_related("contact", "department")
        .order_by("-last_message_at", "-taken_at")
    )


def messages_of(room: Room, *, after_id: int | None = None, limit: int = 200) -> list[Message]:
    """The room's latest messages in order (or those after a given id), files included."""
    messages = Message.objects.filter(room=room).select_related("author")
    messages = messages.prefetch_related("attachments")
    if after_id:
        return list(messages.filter(id__gt=after_id).order_by("id")[:limit])
    latest = list(messages.order_by("-id")[:limit])
    latest.reverse()
    return latest


def attachment_of(room: Room, token: str) -> Attachment:
    found = Attachment.objects.filter(message__room=room, token=token).first()
    if found is None:
        raise Http404
    return found
