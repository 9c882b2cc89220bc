"""Shared reads of rooms, and the one access check for a room."""

import re

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from accounts.models import DepartmentAgent, User
from accounts.selectors import is_manager
from omnichannel.compiled import CompiledGet
from rooms.message_actions import summarise_reactions
from rooms.models import Attachment, Message, MessageReaction, Room

# Looked up for every message a channel delivers with its own id: compiled once
# (omnichannel.compiled).
_message_by_external_id = CompiledGet(lambda: Message.objects.all(), "channel", "external_id")


def message_by_external_id(channel: str, external_id: str) -> Message | None:
    """The message this channel delivered under `external_id`, if any (one at most:
    unique_external_message_per_channel)."""
    return _message_by_external_id.get(channel=channel, external_id=external_id)


def rooms_visible_to(user: User) -> QuerySet[Room]:
    """Managers see every room; agents the rooms of their departments and the ones they serve."""
    rooms = _rooms_with_people()
    if not _may_see_rooms(user):
        return rooms.none()
    if is_manager(user):
        return rooms
    return rooms.filter(_visible_to_agent(user))


def _may_see_rooms(user: User) -> bool:
    """Signed in and active; then a manager sees every room, an agent `_visible_to_agent`."""
    return user.is_authenticated and user.is_active


def _rooms_with_people() -> QuerySet[Room]:
    return Room.objects.select_related("contact", "department", "agent")


def _visible_to_agent(agent: User | int) -> Q:
    """An agent's rooms: the ones of their departments and the ones they serve."""
    # A subquery, not a join: no duplicate rows, so no DISTINCT over every visible room.
    departments = DepartmentAgent.objects.filter(agent=agent).values("department_id")
    return Q(department_id__in=departments) | Q(agent=agent)


def room_information_relations() -> list[str]:
    """What the room information shows, read in the room's own query: its contact, department,
    agent, and the one-to-one facts other apps keep of it (offline message, survey, ...)."""
    names = ["contact", "department", "agent"]
    return names + [rel.get_accessor_name() for rel in Room._meta.related_objects if rel.one_to_one]


def _with_information() -> QuerySet[Room]:
    return _rooms_with_people().select_related(*room_information_relations())


# Every room page and room action reads its room through this check: compiled once
# (omnichannel.compiled), for managers (any room) and for agents (visible to them), with or
# without what the room information shows.
_room_reads = {
    False: CompiledGet(_rooms_with_people, "pk"),
    True: CompiledGet(_with_information, "pk"),
}


def _room_visible_to_agent(pk: int, agent: int) -> Q:
    return Q(pk=pk) & _visible_to_agent(agent)


_visible_room_reads = {
    False: CompiledGet(_rooms_with_people, "pk", "agent", where=_room_visible_to_agent),
    True: CompiledGet(_with_information, "pk", "agent", where=_room_visible_to_agent),
}


def get_room_for(user: User, room_id: int, *, information: bool = False) -> Room:
    """The room if this user may see it (as `rooms_visible_to` decides); 404 alike for
    missing and not theirs.

    `information`: with everything the room information shows, in the same query (pages that
    show it would otherwise read each fact other apps keep of the room on its own).
    """
    if not _may_see_rooms(user):
        raise Http404
    if is_manager(user):
        room = _room_reads[information].get(pk=room_id)
    else:
        room = _visible_room_reads[information].get(pk=room_id, agent=user)
    if room is None:
        raise Http404
    return room


def open_rooms_of(agent: User) -> QuerySet[Room]:
    return (
        Room.objects.filter(agent=agent, status=Room.Status.TAKEN)
        .select_related("contact", "department")
        .order_by("-last_message_at", "-taken_at")
    )


def with_details(messages: QuerySet[Message]) -> QuerySet[Message]:
    """Messages with what the room page shows of each: author, files (`files`), pin,
    reactions (`reaction_list`, for `summarise_reactions`).

    Prefetched into plain lists: into the relations, Django builds a queryset for each
    message and each relation, a third of the CPU of reading a page of fifty messages.
    """
    return messages.select_related("author", "pinned_by").prefetch_related(
        Prefetch("attachments", to_attr="files"),
        Prefetch(
            "reactions",
            queryset=MessageReaction.objects.select_related("user"),
            to_attr="reaction_list",
        ),
    )


# The room page opens on the latest messages; earlier ones are fetched a window at a time.
ROOM_PAGE_MESSAGES = 50


def messages_of(room: Room, *, after_id: int | None = None, limit: int = 200) -> list[Message]:
    """The room's messages after a given id in order, files included (thread replies are in
    their threads)."""
    messages = with_details(Message.objects.filter(room=room, thread_parent__isnull=True))
    found = list(messages.filter(id__gt=after_id or 0).order_by("id")[:limit])
    summarise_reactions(found)
    return found


def latest_messages(
    room: Room, *, before_id: int | None = None, limit: int = ROOM_PAGE_MESSAGES
) -> tuple[list[Message], bool]:
    """The room's last `limit` messages (before a given id) in order, and whether earlier ones
    exist."""
    messages = with_details(Message.objects.filter(room=room, thread_parent__isnull=True))
    if before_id is not None:
        messages = messages.filter(id__lt=before_id)
    found = list(messages.order_by("-id")[: limit + 1])
    has_earlier = len(found) > limit
    found = found[:limit]
    found.reverse()
    summarise_reactions(found)
    return found, has_earlier


def get_message_for(user: User, room_id: int, message_id: int) -> Message:
    """A message of a room the user may see; 404 alike for missing and not theirs."""
    room = get_room_for(user, room_id)
    message = with_details(Message.objects.filter(room=room, pk=message_id)).first()
    if message is None:
        raise Http404
    message.room = room
    summarise_reactions([message])
    return message


def message_with_details(message_id: int) -> Message | None:
    found = with_details(Message.objects.filter(pk=message_id)).first()
    if found is not None:
        summarise_reactions([found])
    return found


def thread_of(parent: Message) -> list[Message]:
    replies = list(with_details(Message.objects.filter(thread_parent=parent)).order_by("id")[:500])
    summarise_reactions(replies)
    return replies


def pinned_of(room: Room) -> list[Message]:
    pinned = with_details(
        Message.objects.filter(room=room, pinned_at__isnull=False, deleted_at__isnull=True)
    ).order_by("-pinned_at")
    found = list(pinned[:100])
    summarise_reactions(found)
    return found


def attachment_of(room: Room, token: str) -> Attachment:
    found = Attachment.objects.filter(message__room=room, token=token).first()
    if found is None:
        raise Http404
    return found


# --- conversation support tools: message search, files, a contact's other rooms -----------------

# Full-text search reads every word as it is written ('simple': no stemming, no stop words), so
# it serves every language of the contact center alike. The GIN index of migration
# rooms.0003 is built on exactly this expression; change both together.
SEARCH_CONFIG = "simple"
SEARCH_RESULTS_LIMIT = 50
_WORD = re.compile(r"\w+")


def search_words(text: str) -> list[str]:
    """The words of what was typed, lower case, each once: what is matched and highlighted."""
    words: list[str] = []
    for word in _WORD.findall((text or "").replace("\x00", " ")[:200].lower()):
        if word not in words:
            words.append(word)
    return words[:10]


def message_search_vector() -> SearchVector:
    return SearchVector("text", config=SEARCH_CONFIG)


def matching_messages(messages: QuerySet[Message], text: str) -> QuerySet[Message]:
    """The messages containing every word typed; no match at all when no word was typed.

    PostgreSQL: full-text search over the GIN index. The text goes to plainto_tsquery, which
    reads no operators, so '&', '|', '!', quotes or parentheses are only text, and which splits
    it as the messages were split (an e-mail address stays one word). SQLite: each word as a
    case-insensitive substring.
    """
    words = search_words(text)
    if not words:
        return messages.none()
    messages = messages.exclude(kind=Message.Kind.SYSTEM).filter(thread_parent__isnull=True)
    if connection.vendor == "postgresql":
        plain = " ".join((text or "").replace("\x00", " ").split())[:200]
        query = SearchQuery(plain, config=SEARCH_CONFIG, search_type="plain")
        return messages.alias(search=message_search_vector()).filter(search=query)
    for word in words:
        messages = messages.filter(text__icontains=word)
    return messages


def search_room_messages(room: Room, text: str) -> list[Message]:
    """Messages of this room containing the words, newest first."""
    found = matching_messages(Message.objects.filter(room=room), text)
    return list(found.select_related("author").order_by("-id")[:SEARCH_RESULTS_LIMIT])


def messages_from(room: Room, *, first_id: int, before_id: int, limit: int = 2000) -> list[Message]:
    """The room's messages from `first_id` up to (not including) `before_id`, in order: what a
    page showing only the latest messages lacks to show an older one."""
    messages = Message.objects.filter(room=room, id__gte=first_id, thread_parent__isnull=True)
    if before_id:
        messages = messages.filter(id__lt=before_id)
    found = list(with_details(messages).order_by("id")[:limit])
    summarise_reactions(found)
    return found


def transcript_of(room: Room, *, limit: int = 5000) -> list[Message]:
    """The room's whole history in order, files included (read-only views, and the transcript a
    contact receives: thread replies are agent-internal, so never in it)."""
    messages = Message.objects.filter(room=room, thread_parent__isnull=True)
    messages = messages.select_related("author")
    return list(messages.prefetch_related("attachments").order_by("id")[:limit])


ATTACHMENT_KINDS = {
    "image": Q(content_type__startswith="image/"),
    "pdf": Q(content_type="application/pdf"),
    "video": Q(content_type__startswith="video/"),
    "audio": Q(content_type__startswith="audio/"),
}


def files_of(room: Room, *, name: str = "", kind: str = "") -> QuerySet[Attachment]:
    """Every file sent in the room, newest first, optionally by part of its name and its kind."""
    files = Attachment.objects.filter(message__room=room).select_related(
        "message", "message__author"
    )
    name = (name or "").replace("\x00", "").strip()[:200]
    if name:
        files = files.filter(name__icontains=name)
    if kind in ATTACHMENT_KINDS:
        files = files.filter(ATTACHMENT_KINDS[kind])
    return files.order_by("-created_at", "-id")


def other_rooms_of_contact(user: User, room: Room) -> QuerySet[Room]:
    """The contact's other rooms this user may see, newest first."""
    return (
        rooms_visible_to(user)
        .filter(contact_id=room.contact_id)
        .exclude(pk=room.pk)
        .prefetch_related("tags")
        .order_by("-created_at", "-id")
    )


def search_contact_messages(user: User, room: Room, text: str) -> list[Message]:
    """Messages containing the words in every room of this room's contact the user may see."""
    rooms = rooms_visible_to(user).filter(contact_id=room.contact_id).values("pk")
    found = matching_messages(Message.objects.filter(room__in=rooms), text)
    found = found.select_related("author", "room", "room__contact")
    return list(found.order_by("-id")[:SEARCH_RESULTS_LIMIT])
