"""The only writers of rooms' models: messages, metrics, closing; the state claims queues uses."""

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Department, User
from accounts.selectors import is_manager
from directory.models import Channel, Contact
from omnichannel import events
from omnichannel.compiled import CompiledGet, insert, update_by_pk
from rooms import filetypes, live
from rooms.errors import (
    AgentFilesNotAllowed,
    AlreadyOnChannel,
    CommentRequired,
    EditWindowClosed,
    EmptyMessage,
    FileRejected,
    InvalidEmoji,
    InvalidTag,
    InvalidThread,
    MessageDeleted,
    MessageTooLong,
    NotAllowed,
    NotServingRoom,
    RoomClosed,
    RoomOnHold,
)
from rooms.formatting import MESSAGE_MAX_LENGTH, render_message
from rooms.message_actions import REACTIONS
from rooms.models import Attachment, Message, MessageReaction, Room, Tag
from rooms.selectors import message_by_external_id

# What the website chat, the API channel and team chat accept: images and PDF files.
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/pdf": "pdf",
}
COMMENT_MAX_LENGTH = 2000
TAG_MAX_LENGTH = 50
# Channels whose replies a transport must still carry; the website chat reads them directly.
CHANNELS_WITH_TRANSPORT = {Channel.FACEBOOK, Channel.API}

# Read under lock for every message a contact writes (one open room at most:
# one_open_room_per_contact_channel); compiled once (omnichannel.compiled).
_open_room_locked = CompiledGet(
    lambda: Room.objects.select_for_update(of=("self",)).exclude(status=Room.Status.CLOSED),
    "contact",
    "channel",
)
# The locks a reply, a close, a system notice and a message action take: compiled once too.
_room_locked = CompiledGet(lambda: Room.objects.select_for_update(of=("self",)), "pk")
_message_locked = CompiledGet(lambda: Message.objects.select_for_update(of=("self",)), "pk")


# What a new room starts with besides its arrival: its priority and service level. The queues
# app decides them from the department's routing (rooms cannot import queues), registering its
# provider at start-up; it runs inside the transaction that creates the room.
RoomDefaults = Callable[[Department, datetime], dict]
ROOM_DEFAULT_FIELDS = {"priority", "first_response_due_at", "first_response_warning_at"}
_room_defaults: list[RoomDefaults] = []


def provide_room_defaults(provider: RoomDefaults) -> None:
    """Register what decides a new room's priority and due times (queues.apps, once)."""
    if provider not in _room_defaults:
        _room_defaults.append(provider)


def _new_room_defaults(department: Department, now: datetime) -> dict:
    defaults: dict = {}
    for provider in _room_defaults:
        defaults.update(provider(department, now))
    return {key: value for key, value in defaults.items() if key in ROOM_DEFAULT_FIELDS}


@dataclass(frozen=True)
class IncomingFile:
    """A file a contact sent: its bytes and the name they gave it.

    `hint` is what the channel calls it ("audio"): it picks between two readings of one
    container, never lets through bytes the content check refuses.
    """

    name: str
    content: bytes
    hint: str = ""


@dataclass(frozen=True)
class FilePolicy:
    """Which contact files a channel keeps: the content types (judged by the bytes), the size,
    and whether unrecognised bytes are kept anyway (as application/octet-stream, which is only
    ever served as a download)."""

    types: frozenset[str]
    max_bytes: int
    keep_unrecognised: bool = False


# The website chat's and the API channel's rules; a channel that must keep more says so.
CONTACT_FILES = FilePolicy(types=frozenset(ATTACHMENT_TYPES), max_bytes=ATTACHMENT_MAX_BYTES)


def _clean_text(text: str) -> str:
    text = (text or "").replace("\x00", "").strip()
    if len(text) > MESSAGE_MAX_LENGTH:
        raise MessageTooLong(
            _("Messages are limited to %(limit)s characters; this one has %(length)s.")
            % {"limit": MESSAGE_MAX_LENGTH, "length": len(text)}
        )
    return text


def check_contact_file(incoming: IncomingFile, policy: FilePolicy = CONTACT_FILES) -> str:
    """The file's real content type, judged by its bytes; refuses what `policy` does not keep
    (by default anything but images and PDF)."""
    if not incoming.content:
        raise FileRejected(_("The file is empty."))
    if len(incoming.content) > policy.max_bytes:
        raise FileRejected(
            _("Files are limited to %(mb)s MB.") % {"mb": policy.max_bytes // (1024 * 1024)}
        )
    found = filetypes.sniff(incoming.content, hint=incoming.hint)
    if found in policy.types:
        return found
    if policy.keep_unrecognised:
        return filetypes.OCTET_STREAM
    raise FileRejected(_("Only images (JPEG, PNG, GIF, WebP) and PDF files can be sent."))


def _store_files(message: Message, checked: Iterable[tuple[IncomingFile, str]]) -> list[Attachment]:
    stored = []
    for incoming, content_type in checked:
        token = secrets.token_urlsafe(24)
        attachment = Attachment(
            message=message,
            token=token,
            name=(incoming.name or "file")[:255],
            content_type=content_type,
            size=len(incoming.content),
        )
        extension = filetypes.extension_for(content_type)
        attachment.file.save(f"{token}.{extension}", ContentFile(incoming.content), save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def complete_contact_message(
    message: Message,
    *,
    revise: Callable[[str, dict], tuple[str, dict] | None],
    files: Sequence[IncomingFile] = (),
    policy: FilePolicy = CONTACT_FILES,
) -> bool:
    """Finish a contact's message stored before all it carried was at hand (a file that a
    channel fetched later): add `files`, and the text and meta that `revise(text, meta)`
    returns. `revise` runs on the locked row; None from it means there is nothing left to
    do (another run did it), and then nothing is added. Records `message.updated`.
    """
    checked = [(incoming, check_contact_file(incoming, policy)) for incoming in files]
    with transaction.atomic():
        locked = _message_locked.get_existing(pk=message.pk)
        if locked.kind != Message.Kind.CONTACT:
            raise ValueError(f"Message {locked.pk} is not a contact's")
        revised = revise(locked.text, dict(locked.meta or {}))
        if revised is None:
            return False
        text, meta = revised
        text = (text or "").replace("\x00", "").strip()[:MESSAGE_MAX_LENGTH]
        if not text and not checked and not locked.attachments.exists():
            text = locked.text
        _store_files(locked, checked)
        Message.objects.filter(pk=locked.pk).update(
            text=text, html=render_message(text) if text else "", meta=meta
        )
        events.record(
            "message.updated",
            room=locked.room_id,
            contact=locked.room.contact_id,
            data={"message": locked.pk, "files": len(checked)},
        )
    return True


def _system_message(room: Room, code: str, *, actor: User | None = None, **data) -> Message:
    if actor is not None:
        data.setdefault("agent", actor.display_name)
    return Message.objects.create(
        room=room,
        kind=Message.Kind.SYSTEM,
        author=actor,
        channel=room.channel,
        system_code=code,
        system_data=data,
    )


def receive_contact_message(
    *,
    contact: Contact,
    channel: str,
    department: Department,
    text: str = "",
    external_id: str | None = None,
    files: Sequence[IncomingFile] = (),
    sent_at: datetime | None = None,
    source: str = "",
    meta: dict | None = None,
    file_policy: FilePolicy = CONTACT_FILES,
    external_id_checked: bool = False,
) -> Message:
    """Store what a contact wrote: appended to their open room, or opening a queued one.

    A repeat of an external id returns the message stored the first time. Takes the row lock
    of the contact's open room (PostgreSQL) so metrics updates never interleave. Files are
    kept by `file_policy` (the website chat's rules unless the channel says otherwise).
    `external_id_checked`: the caller has just looked the external id up and found no message,
    so it is not looked up again (a concurrent store still meets the unique constraint, and
    then the message stored first is returned).
    """
    text = _clean_text(text)
    if not text and not files:
        raise EmptyMessage()
    checked = [(incoming, check_contact_file(incoming, file_policy)) for incoming in files]
    if external_id and not external_id_checked:
        existing = message_by_external_id(channel, external_id)
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            return _store_contact_message(
                contact, channel, department, text, external_id, checked, sent_at, source, meta
            )
    except IntegrityError:
        # Lost a race: another request opened the room or stored this external id first.
        if external_id:
            existing = message_by_external_id(channel, external_id)
            if existing is not None:
                return existing
        with transaction.atomic():
            return _store_contact_message(
                contact, channel, department, text, external_id, checked, sent_at, source, meta
            )


def _store_contact_message(
    contact, channel, department, text, external_id, checked, sent_at, source, meta
):
    now = timezone.now()
    room = _open_room_locked.get(contact=contact, channel=channel)
    created = room is None
    if created:
        # Opened by this message: its metrics start with it, in the same INSERT.
        room = Room.objects.create(
            contact=contact,
            channel=channel,
            source=source,
            department=department,
            created_at=now,
            queued_at=now,
            waiting_since=now,
            last_message_at=now,
            awaiting_reply_since=sent_at or now,
            **_new_room_defaults(department, now),
        )
    message = insert(
        Message(
            room=room,
            kind=Message.Kind.CONTACT,
            text=text,
            html=render_message(text) if text else "",
            channel=channel,
            external_id=external_id or None,
            meta=meta or {},
            created_at=sent_at or now,
        )
    )
    attachments = _store_files(message, checked)
    # The contact answered a chat on hold: it is the agent's active chat again.
    resumed = room.status == Room.Status.TAKEN and room.held_at is not None
    if not created:
        updates = {"last_message_at": now}
        if room.awaiting_reply_since is None:
            updates["awaiting_reply_since"] = message.created_at
        if resumed:
            updates["held_at"] = None
        update_by_pk(Room, [room.pk], **updates)
    if resumed:
        _system_message(room, "resumed", by_contact=True)
        events.record(
            "room.resumed",
            room=room,
            contact=contact,
            data={"agent": room.agent_id, "by_contact": True},
        )
    if created:
        events.record("room.queued", room=room, contact=contact, data={"department": department.pk})
    created_event = events.record(
        "message.created",
        room=room,
        contact=contact,
        data={"message": message.pk, "kind": message.kind},
    )
    # A contact's message stays as stored while its events are dispatched: not read back.
    live.preload_message(created_event, message, attachments)
    return message


def post_agent_message(agent: User, room: Room, *, text: str, files: Iterable = ()) -> Message:
    """Send the serving agent's reply; keeps the response-time metrics.

    Locks the room row (PostgreSQL) so two replies never count one wait twice.
    """
    if list(files):
        raise AgentFilesNotAllowed()
    text = _clean_text(text)
    if not text:
        raise EmptyMessage()
    with transaction.atomic():
        locked = _room_locked.get_existing(pk=room.pk)
        if locked.status == Room.Status.CLOSED:
            raise RoomClosed()
        if locked.status != Room.Status.TAKEN or locked.agent_id != agent.pk:
            raise NotServingRoom()
        if locked.held_at is not None:
            raise RoomOnHold()
        now = timezone.now()
        message = Message.objects.create(
            room=locked,
            kind=Message.Kind.AGENT,
            author=agent,
            text=text,
            html=render_message(text),
            channel=locked.channel,
            delivery_status=(
                Message.Delivery.PENDING
                if locked.channel in CHANNELS_WITH_TRANSPORT
                else Message.Delivery.SENT
            ),
            created_at=now,
        )
        updates: dict = {"last_message_at": now}
        if locked.awaiting_reply_since is not None:
            waited = max((now - locked.awaiting_reply_since).total_seconds(), 0.0)
            updates.update(
                awaiting_reply_since=None,
                response_count=F("response_count") + 1,
                response_seconds_total=F("response_seconds_total") + waited,
            )
            if locked.first_response_at is None:
                updates["first_response_at"] = now
        Room.objects.filter(pk=locked.pk).update(**updates)
        # Not preloaded for the publishers: its delivery status may change before they run.
        events.record(
            "message.created",
            actor=agent,
            room=locked,
            contact=locked.contact_id,
            data={"message": message.pk, "kind": message.kind},
        )
    return message


def claim_queued_room(agent: User, room: Room, *, system_code: str = "taken") -> bool:
    """Make a queued room the agent's with one conditional UPDATE; False when someone was first.

    Callers hold a transaction; exactly one concurrent caller gets True. `system_code` names
    the system message: "taken" when the agent took it, "routed" when routing gave it.
    """
    now = timezone.now()
    claimed = Room.objects.filter(pk=room.pk, status=Room.Status.QUEUED).update(
        status=Room.Status.TAKEN, agent=agent, taken_at=now, held_at=None
    )
    if not claimed:
        return False
    current = Room.objects.only("waiting_since", "queued_at").get(pk=room.pk)
    waited = (now - (current.waiting_since or current.queued_at)).total_seconds()
    Room.objects.filter(pk=room.pk).update(
        queue_seconds=F("queue_seconds") + max(waited, 0.0), waiting_since=None
    )
    _system_message(room, system_code, actor=agent)
    return True


def release_room(agent: User, room: Room, *, by: User) -> bool:
    """Put the agent's room back in the queue; False when it is no longer theirs."""
    released = Room.objects.filter(pk=room.pk, status=Room.Status.TAKEN, agent=agent).update(
        status=Room.Status.QUEUED, agent=None, waiting_since=timezone.now(), held_at=None
    )
    if released:
        _system_message(room, "returned", actor=by)
    return bool(released)


def reassign_room(
    room: Room,
    *,
    expected_status: str,
    expected_agent_id: int | None,
    by: User,
    agent: User | None = None,
    department: Department | None = None,
    comment: str = "",
    system_code: str | None = None,
) -> bool:
    """Give the room to another agent, or send it to another department's queue.

    One conditional UPDATE on the state the caller saw (status and agent): False, changing
    nothing, when the room moved meanwhile. `system_code` overrides the system message's
    ("assigned" to an agent, "transferred" to a department).
    """
    now = timezone.now()
    seen = Room.objects.filter(pk=room.pk, status=expected_status, agent_id=expected_agent_id)
    if agent is not None:
        updates: dict = {
            "status": Room.Status.TAKEN,
            "agent": agent,
            "taken_at": now,
            "held_at": None,
        }
        if expected_status == Room.Status.QUEUED:
            current = Room.objects.only("waiting_since", "queued_at").get(pk=room.pk)
            waited = (now - (current.waiting_since or current.queued_at)).total_seconds()
            updates.update(queue_seconds=F("queue_seconds") + max(waited, 0.0), waiting_since=None)
        if not seen.update(**updates):
            return False
        _system_message(
            room, system_code or "assigned", actor=by, to=agent.display_name, comment=comment
        )
        return True
    if department is None:
        raise ValueError("Reassign to an agent or to a department")
    updates = {"status": Room.Status.QUEUED, "agent": None, "department": department}
    if expected_status == Room.Status.TAKEN:
        updates.update(waiting_since=now, held_at=None)
    if not seen.update(**updates):
        return False
    _system_message(
        room, system_code or "transferred", actor=by, to=department.name, comment=comment
    )
    return True


def hold_room(agent: User, room: Room) -> bool:
    """Put the agent's chat on hold; False when it is not theirs, or on hold already.

    One conditional UPDATE; the caller holds a transaction and records the event.
    """
    held = Room.objects.filter(
        pk=room.pk, status=Room.Status.TAKEN, agent=agent, held_at__isnull=True
    ).update(held_at=timezone.now())
    if held:
        _system_message(room, "held", actor=agent)
    return bool(held)


def resume_held_room(agent: User, room: Room) -> bool:
    """Make the agent's chat on hold active again; False when it is not theirs or not on hold.

    One conditional UPDATE; the caller holds a transaction (and the agent's row lock, since
    the agent's active count grows) and records the event.
    """
    resumed = Room.objects.filter(
        pk=room.pk, status=Room.Status.TAKEN, agent=agent, held_at__isnull=False
    ).update(held_at=None)
    if resumed:
        _system_message(room, "resumed", actor=agent)
    return bool(resumed)


def set_service_level(room: Room, *, by: User | None, **changes) -> bool:
    """Change an open room's priority and/or first-response due times; False when it closed.

    `changes` are among priority, first_response_due_at and first_response_warning_at; the
    caller validated them and holds a transaction. A system message records a new priority.
    """
    unknown = set(changes) - ROOM_DEFAULT_FIELDS
    if unknown:
        raise ValueError(f"Not service-level fields: {sorted(unknown)}")
    changed = Room.objects.filter(pk=room.pk).exclude(status=Room.Status.CLOSED).update(**changes)
    if changed and "priority" in changes:
        _system_message(room, "priority", actor=by, priority=int(changes["priority"]))
    if changed and "first_response_due_at" in changes:
        due = changes["first_response_due_at"]
        _system_message(room, "sla", actor=by, due=due.isoformat() if due else None)
    return bool(changed)


def normalise_tags(tags: Iterable[str]) -> list[str]:
    cleaned = []
    for tag in tags:
        name = " ".join((tag or "").split()).lower()
        if not name:
            continue
        if len(name) > TAG_MAX_LENGTH:
            raise InvalidTag()
        if name not in cleaned:
            cleaned.append(name)
    return cleaned


def close_room(agent: User, room: Room, *, comment: str, tags: Iterable[str] = ()) -> Room:
    """Close the conversation with a required comment and optional tags; tells the contact."""
    comment = (comment or "").strip()
    if not comment:
        raise CommentRequired()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise CommentRequired(
            _("The comment is limited to %(limit)s characters.") % {"limit": COMMENT_MAX_LENGTH}
        )
    tag_names = normalise_tags(tags)
    with transaction.atomic():
        current = _room_locked.get_existing(pk=room.pk)
        if current.status == Room.Status.CLOSED:
            raise RoomClosed()
        serving = current.status == Room.Status.TAKEN and current.agent_id == agent.pk
        if not serving and not is_manager(agent):
            raise NotServingRoom()
        now = timezone.now()
        updates: dict = {
            "status": Room.Status.CLOSED,
            "closed_at": now,
            "closing_comment": comment,
            "closed_by": agent,
        }
        if current.status == Room.Status.QUEUED and current.waiting_since:
            waited = max((now - current.waiting_since).total_seconds(), 0.0)
            updates.update(queue_seconds=F("queue_seconds") + waited, waiting_since=None)
        closed = Room.objects.filter(pk=current.pk, status=current.status).update(**updates)
        if not closed:
            raise NotAllowed()
        tag_rows = [Tag.objects.get_or_create(name=name)[0] for name in tag_names]
        current.tags.set(tag_rows)
        _system_message(current, "closed", actor=agent)
        events.record(
            "room.closed",
            actor=agent,
            room=current,
            contact=current.contact_id,
            data={"tags": tag_names, "agent": current.agent_id},
        )
    current.refresh_from_db()
    return current


# Delivery of outbound messages. Statuses only move forward, so a late "sent" never hides a
# "read" that arrived first; a failed message goes back to pending only when retried.
DELIVERY_ORDER = [
    Message.Delivery.PENDING,
    Message.Delivery.SENT,
    Message.Delivery.DELIVERED,
    Message.Delivery.READ,
]


def set_delivery_status(
    message: Message, status: str, *, error: str = "", external_id: str | None = None
) -> bool:
    """Record what the channel said of an outbound message; False when it changes nothing.

    One conditional UPDATE per call: concurrent reports for one message never go backwards.
    """
    if status not in Message.Delivery.values:
        raise ValueError(f"Unknown delivery status {status!r}")
    if status == Message.Delivery.FAILED:
        allowed = [Message.Delivery.PENDING]
    else:
        allowed = DELIVERY_ORDER[: DELIVERY_ORDER.index(status)]
    updates: dict = {
        "delivery_status": status,
        "delivery_error": error[:2000],
        "delivery_updated_at": timezone.now(),
    }
    if external_id:
        updates["external_id"] = external_id
    with transaction.atomic():
        changed = Message.objects.filter(
            pk=message.pk, kind=Message.Kind.AGENT, delivery_status__in=allowed
        ).update(**updates)
        if changed:
            events.record(
                "message.status_changed",
                room=message.room_id,
                data={"message": message.pk, "status": status, "error": error[:200]},
            )
    return bool(changed)


def advance_delivery(room: Room, *, until: datetime, status: str) -> int:
    """Mark every agent message of the room sent up to `until` as delivered or read.

    Channels report "everything before this time was delivered/read" (a watermark).
    """
    if status not in (Message.Delivery.DELIVERED, Message.Delivery.READ):
        raise ValueError(f"Watermarks report delivered or read, not {status!r}")
    behind = DELIVERY_ORDER[: DELIVERY_ORDER.index(status)]
    candidates = Message.objects.filter(
        room=room,
        kind=Message.Kind.AGENT,
        created_at__lte=until,
        delivery_status__in=behind,
    ).exclude(delivery_status=Message.Delivery.PENDING)
    count = 0
    for message in candidates.only("pk", "room_id"):
        count += set_delivery_status(message, status)
    return count


def retry_message(agent: User, message: Message) -> Message:
    """Send a failed message again: back to pending; the channel's delivery picks it up."""
    room = message.room
    if room.status == Room.Status.CLOSED:
        raise RoomClosed()
    if message.kind != Message.Kind.AGENT or (
        message.author_id != agent.pk and not is_manager(agent)
    ):
        raise NotAllowed(_("Only the author of a message can send it again."))
    with transaction.atomic():
        retried = Message.objects.filter(
            pk=message.pk, delivery_status=Message.Delivery.FAILED
        ).update(
            delivery_status=Message.Delivery.PENDING,
            delivery_error="",
            delivery_updated_at=timezone.now(),
        )
        if not retried:
            raise NotAllowed(_("Only a message that failed can be sent again."))
        events.record(
            "message.status_changed",
            actor=agent,
            room=room,
            data={"message": message.pk, "status": Message.Delivery.PENDING, "retry": True},
        )
    message.refresh_from_db()
    return message


def record_outside_agent_message(
    room: Room,
    *,
    text: str,
    external_id: str,
    sent_at: datetime | None = None,
    meta: dict | None = None,
) -> Message:
    """A reply a person sent from the channel's own inbox (not through us): kept as an agent
    message without an author, already delivered. A repeat of the external id is a no-op."""
    existing = Message.objects.filter(channel=room.channel, external_id=external_id).first()
    if existing is not None:
        return existing
    text = _clean_text(text)
    with transaction.atomic():
        message = Message.objects.create(
            room=room,
            kind=Message.Kind.AGENT,
            text=text,
            html=render_message(text) if text else "",
            channel=room.channel,
            external_id=external_id,
            delivery_status=Message.Delivery.SENT,
            meta={"sent_from_channel": True, **(meta or {})},
            created_at=sent_at or timezone.now(),
        )
        Room.objects.filter(pk=room.pk).update(last_message_at=timezone.now())
        events.record(
            "message.created",
            room=room,
            contact=room.contact_id,
            data={"message": message.pk, "kind": message.kind, "outside": True},
        )
    return message


# --- automatic rules (added for productivity: inactivity) ---------------------------------------


def post_system_notice(room: Room, code: str, **data) -> Message:
    """A system message no person wrote (an automatic rule's notice), shown live to whoever
    watches the room. It leaves `last_message_at` alone: a notice is not a reply."""
    with transaction.atomic():
        current = _room_locked.get_existing(pk=room.pk)
        if current.status == Room.Status.CLOSED:
            raise RoomClosed()
        message = _system_message(current, code, **data)
        events.record(
            "message.created",
            room=current,
            contact=current.contact_id,
            data={"message": message.pk, "kind": message.kind, "code": code},
        )
    return message


def close_room_as_system(
    room: Room,
    *,
    comment: str,
    tags: Iterable[str] = (),
    reason: str,
    silent_since: datetime | None = None,
    **data,
) -> Room:
    """Close a room with no person acting (an automatic rule), with the rule's comment and tags.

    With `silent_since`, closes only a served room whose last message is still that one and
    where no contact message awaits a reply: a contact who just wrote keeps the chat open
    (NotAllowed). Locks the room row like close_room; the claim is one conditional UPDATE.
    """
    comment = (comment or "").strip()[:COMMENT_MAX_LENGTH]
    if not comment:
        raise CommentRequired()
    tag_names = normalise_tags(tags)
    with transaction.atomic():
        current = _room_locked.get_existing(pk=room.pk)
        if current.status == Room.Status.CLOSED:
            raise RoomClosed()
        now = timezone.now()
        updates: dict = {
            "status": Room.Status.CLOSED,
            "closed_at": now,
            "closing_comment": comment,
            "closed_by": None,
        }
        if current.status == Room.Status.QUEUED and current.waiting_since:
            waited = max((now - current.waiting_since).total_seconds(), 0.0)
            updates.update(queue_seconds=F("queue_seconds") + waited, waiting_since=None)
        claim = Room.objects.filter(pk=current.pk, status=current.status)
        if silent_since is not None:
            claim = claim.filter(
                status=Room.Status.TAKEN,
                last_message_at=silent_since,
                awaiting_reply_since__isnull=True,
            )
        if not claim.update(**updates):
            raise NotAllowed(_("The conversation changed meanwhile; it was not closed."))
        tag_rows = [Tag.objects.get_or_create(name=name)[0] for name in tag_names]
        current.tags.set(tag_rows)
        _system_message(current, "closed_automatically", reason=reason, comment=comment, **data)
        events.record(
            "room.closed",
            room=current,
            contact=current.contact_id,
            data={"tags": tag_names, "agent": current.agent_id, "reason": reason},
        )
    current.refresh_from_db()
    return current


# --- message actions: edit, delete, react, pin, reply in a thread --------------------------------
# The same rules as team chat's (rooms.message_actions): an author changes their own message
# within the edit window. In a customer room only its current agent (or a manager) acts; the
# contact sees edits and deletions on the website chat, never reactions, pins or thread replies;
# a message already on Facebook or an API channel stays as the customer got it.


def _acting_on(user: User, message: Message) -> tuple[Room, Message]:
    """The room and the message, locked in that order (PostgreSQL), for an action by `user`:
    the room must be open and served by `user`, unless `user` is a manager. Call inside a
    transaction."""
    room = _room_locked.get_existing(pk=message.room_id)
    if room.status == Room.Status.CLOSED:
        raise RoomClosed()
    serving = room.status == Room.Status.TAKEN and room.agent_id == user.pk
    if not serving and not is_manager(user):
        raise NotServingRoom()
    current = _message_locked.get_existing(pk=message.pk)
    if current.is_deleted:
        raise MessageDeleted()
    if current.kind == Message.Kind.SYSTEM:
        raise NotAllowed()
    return room, current


def _own_changeable(user: User, room: Room, message: Message) -> None:
    if message.kind != Message.Kind.AGENT or message.author_id != user.pk:
        raise NotAllowed(_("You can only change your own messages."))
    if not message.is_editable_by(user.pk):
        raise EditWindowClosed()
    if message.thread_parent_id is None and room.channel in CHANNELS_WITH_TRANSPORT:
        raise AlreadyOnChannel(
            _(
                "This message was already sent to %(channel)s and the customer has it there: "
                "it cannot be edited or deleted."
            )
            % {"channel": room.get_channel_display()}
        )


def _message_event(name: str, user: User, room: Room, message: Message, **data) -> None:
    events.record(
        name,
        actor=user,
        room=room,
        contact=room.contact_id,
        data={"message": message.pk, "thread": message.thread_parent_id, **data},
    )


def edit_room_message(user: User, message: Message, *, text: str) -> Message:
    """The agent corrects their own message within the edit window; it shows as edited (to the
    contact too, on the website chat)."""
    text = _clean_text(text)
    if not text:
        raise EmptyMessage(_("Delete the message instead of emptying it."))
    with transaction.atomic():
        room, current = _acting_on(user, message)
        _own_changeable(user, room, current)
        Message.objects.filter(pk=current.pk).update(
            text=text, html=render_message(text), edited_at=timezone.now()
        )
        _message_event("message.edited", user, room, current)
    current.refresh_from_db()
    return current


def delete_room_message(user: User, message: Message) -> Message:
    """The agent takes their own message back within the edit window; a marker stays."""
    with transaction.atomic():
        room, current = _acting_on(user, message)
        _own_changeable(user, room, current)
        Message.objects.filter(pk=current.pk).update(
            text="", html="", deleted_at=timezone.now(), pinned_at=None, pinned_by=None
        )
        MessageReaction.objects.filter(message=current).delete()
        _message_event("message.deleted", user, room, current)
    current.refresh_from_db()
    return current


def toggle_room_reaction(user: User, message: Message, *, emoji: str) -> bool:
    """React to a message with one of the offered emoji, or take it back; True when added."""
    emoji = (emoji or "").strip()
    if emoji not in REACTIONS:
        raise InvalidEmoji()
    with transaction.atomic():
        room, current = _acting_on(user, message)
        removed, _details = MessageReaction.objects.filter(
            message=current, user=user, emoji=emoji
        ).delete()
        added = not removed
        if added:
            MessageReaction.objects.get_or_create(message=current, user=user, emoji=emoji)
        _message_event("message.reaction_changed", user, room, current, emoji=emoji, added=added)
    return added


def set_room_message_pinned(user: User, message: Message, *, pinned: bool) -> Message:
    """Pin a message of the room for the agents (or unpin it)."""
    with transaction.atomic():
        room, current = _acting_on(user, message)
        changed = Message.objects.filter(pk=current.pk, pinned_at__isnull=pinned).update(
            pinned_at=timezone.now() if pinned else None, pinned_by=user if pinned else None
        )
        if changed:
            _message_event("message.pinned" if pinned else "message.unpinned", user, room, current)
    current.refresh_from_db()
    return current


def reply_in_thread(user: User, parent: Message, *, text: str) -> Message:
    """An agent-internal reply to a message (the contact's or an agent's): kept in its thread,
    never shown to the contact nor sent to their channel."""
    text = _clean_text(text)
    if not text:
        raise EmptyMessage()
    with transaction.atomic():
        room, current = _acting_on(user, parent)
        if current.thread_parent_id is not None:
            raise InvalidThread()
        reply = Message.objects.create(
            room=room,
            kind=Message.Kind.AGENT,
            author=user,
            text=text,
            html=render_message(text),
            channel=room.channel,
            thread_parent=current,
        )
        Message.objects.filter(pk=current.pk).update(reply_count=F("reply_count") + 1)
        _message_event("message.thread_replied", user, room, reply)
    return reply
