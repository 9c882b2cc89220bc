"""Messages: writing, threads, mentions and unread counts, edits, reactions, pins, reading."""

import secrets
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from omnichannel import events
from rooms.formatting import render_message
from rooms.services import ATTACHMENT_TYPES, IncomingFile, check_contact_file
from teamchat import mentions
from teamchat.errors import (
    ChatArchived,
    EditWindowClosed,
    EmptyMessage,
    FilesNotAllowed,
    InvalidEmoji,
    InvalidThread,
    MessageDeleted,
    NotAllowed,
)
from teamchat.models import (
    REACTIONS,
    Chat,
    ChatFile,
    ChatMessage,
    Membership,
    Reaction,
)
from teamchat.selectors import (
    thread_participant_ids,
)
from teamchat.services._common import (
    _clean_text,
    _membership,
    _require_open,
    _system,
    files_allowed,
)

# --- messages -----------------------------------------------------------------------------------


def _resolve_mentions(chat: Chat, text: str, author: User) -> tuple[set[int], dict[str, str]]:
    """The member ids the text mentions (not the author) and the highlighting map."""
    names = mentions.mentioned_names(text)
    if not names:
        return set(), {}
    rows = (
        Membership.objects.filter(chat=chat)
        .select_related("user")
        .only("user__id", "user__username", "user__status")
    )
    members = {row.user.username.lower(): row.user for row in rows}
    ids: set[int] = set()
    marks: dict[str, str] = {}
    for name in names:
        if name == mentions.HERE:
            marks[name] = mentions.HERE
            ids |= {u.pk for u in members.values() if u.status == User.Status.ONLINE}
        elif name in members:
            marks[name] = str(members[name].pk)
            ids.add(members[name].pk)
    return ids - {author.pk}, marks


def _render(text: str, marks: dict[str, str]) -> str:
    return mentions.highlight(render_message(text), marks) if text else ""


def _store_files(message: ChatMessage, checked: list[tuple[IncomingFile, str]]) -> None:
    for incoming, content_type in checked:
        token = secrets.token_urlsafe(24)
        chat_file = ChatFile(
            message=message,
            token=token,
            name=(incoming.name or "file")[:255],
            content_type=content_type,
            size=len(incoming.content),
        )
        extension = ATTACHMENT_TYPES[content_type]
        chat_file.file.save(f"{token}.{extension}", ContentFile(incoming.content), save=False)
        chat_file.save()


def post_message(
    author: User,
    chat: Chat,
    *,
    text: str,
    thread: int | None = None,
    files: Iterable[IncomingFile] = (),
) -> ChatMessage:
    """A member writes (in a thread when `thread` is its first message's id).

    Every other member's unread count grows (in a thread: only its participants and whoever is
    mentioned); each mentioned member's mention count too. One UPDATE each, so concurrent
    messages never lose a count.
    """
    files = list(files)
    if files and not files_allowed():
        raise FilesNotAllowed()
    checked = [(incoming, check_contact_file(incoming)) for incoming in files]
    text = _clean_text(text)
    if not text and not checked:
        raise EmptyMessage()
    with transaction.atomic():
        _require_open(chat)
        _membership(author, chat)
        parent = None
        if thread is not None:
            parent = ChatMessage.objects.filter(
                pk=thread,
                chat=chat,
                kind=ChatMessage.Kind.USER,
                thread_parent__isnull=True,
                deleted_at__isnull=True,
            ).first()
            if parent is None:
                raise InvalidThread()
        mentioned, marks = _resolve_mentions(chat, text, author)
        now = timezone.now()
        message = ChatMessage.objects.create(
            chat=chat,
            author=author,
            text=text,
            html=_render(text, marks),
            mentioned=sorted(mentioned),
            thread_parent=parent,
            created_at=now,
        )
        _store_files(message, checked)
        others = Membership.objects.filter(chat=chat).exclude(user=author)
        notified: list[int] | None = None
        if parent is not None:
            ChatMessage.objects.filter(pk=parent.pk).update(
                reply_count=F("reply_count") + 1, last_reply_at=now
            )
            notified = sorted((thread_participant_ids(parent) | mentioned) - {author.pk})
            others = others.filter(user_id__in=notified)
        others.update(unread_count=F("unread_count") + 1)
        if mentioned:
            Membership.objects.filter(chat=chat, user_id__in=mentioned).update(
                mention_count=F("mention_count") + 1
            )
        # Writing is reading: the author has seen everything up to their own message.
        Membership.objects.filter(chat=chat, user=author).update(
            last_read_message_id=message.pk, last_read_at=now, unread_count=0, mention_count=0
        )
        Chat.objects.filter(pk=chat.pk).update(last_message_at=now)
        events.record(
            "chat.message_created",
            actor=author,
            data={
                "chat": chat.pk,
                "message": message.pk,
                "thread": parent.pk if parent else None,
                "notified": notified,
                "mentioned": sorted(mentioned),
            },
        )
    return message


def _own_message(by: User, message: ChatMessage) -> ChatMessage:
    """The message locked for change by its author within the edit window.

    Takes the message's row lock (PostgreSQL); call inside a transaction.
    """
    current = (
        ChatMessage.objects.select_for_update(of=("self",))
        .select_related("chat")
        .get(pk=message.pk)
    )
    if current.chat.is_archived:
        raise ChatArchived()
    if current.is_deleted:
        raise MessageDeleted()
    if current.kind != ChatMessage.Kind.USER or current.author_id != by.pk:
        raise NotAllowed(_("You can only change your own messages."))
    if not current.is_editable_by(by.pk):
        raise EditWindowClosed()
    _membership(by, current.chat)
    return current


def edit_message(by: User, message: ChatMessage, *, text: str) -> ChatMessage:
    """The author corrects their message within the edit window; it shows as edited."""
    text = _clean_text(text)
    if not text:
        raise EmptyMessage(_("Delete the message instead of emptying it."))
    with transaction.atomic():
        current = _own_message(by, message)
        mentioned, marks = _resolve_mentions(current.chat, text, by)
        newly = mentioned - set(current.mentioned)
        now = timezone.now()
        ChatMessage.objects.filter(pk=current.pk).update(
            text=text,
            html=_render(text, marks),
            edited_at=now,
            mentioned=sorted(mentioned | set(current.mentioned)),
        )
        if newly:
            Membership.objects.filter(chat=current.chat, user_id__in=newly).update(
                mention_count=F("mention_count") + 1
            )
        events.record(
            "chat.message_edited",
            actor=by,
            data={"chat": current.chat_id, "message": current.pk, "mentioned": sorted(newly)},
        )
    current.refresh_from_db()
    return current


def delete_message(by: User, message: ChatMessage) -> ChatMessage:
    """The author takes their message back within the edit window; a marker stays."""
    with transaction.atomic():
        current = _own_message(by, message)
        now = timezone.now()
        ChatMessage.objects.filter(pk=current.pk).update(
            text="", html="", mentioned=[], deleted_at=now, pinned_at=None, pinned_by=None
        )
        Reaction.objects.filter(message=current).delete()
        stored = [chat_file.file.name for chat_file in current.files.all()]
        current.files.all().delete()
        events.record(
            "chat.message_deleted",
            actor=by,
            data={"chat": current.chat_id, "message": current.pk},
        )

        def remove_files() -> None:
            for name in stored:
                ChatFile.file.field.storage.delete(name)

        transaction.on_commit(remove_files, robust=True)
    current.refresh_from_db()
    return current


def _usable_message(by: User, message: ChatMessage) -> ChatMessage:
    current = ChatMessage.objects.select_related("chat").get(pk=message.pk)
    _require_open(current.chat)
    _membership(by, current.chat)
    if current.is_deleted:
        raise MessageDeleted()
    if current.kind != ChatMessage.Kind.USER:
        raise NotAllowed()
    return current


def toggle_reaction(by: User, message: ChatMessage, *, emoji: str) -> bool:
    """React with an emoji, or take the reaction back; True when it was added."""
    emoji = (emoji or "").strip()
    if emoji not in REACTIONS:
        raise InvalidEmoji()
    with transaction.atomic():
        current = _usable_message(by, message)
        removed, _details = Reaction.objects.filter(message=current, user=by, emoji=emoji).delete()
        added = not removed
        if added:
            Reaction.objects.get_or_create(message=current, user=by, emoji=emoji)
        events.record(
            "chat.reaction_changed",
            actor=by,
            data={"chat": current.chat_id, "message": current.pk, "emoji": emoji, "added": added},
        )
    return added


def set_pinned(by: User, message: ChatMessage, *, pinned: bool) -> ChatMessage:
    """Any member pins a message to the room (or unpins it)."""
    with transaction.atomic():
        current = _usable_message(by, message)
        now = timezone.now()
        changed = ChatMessage.objects.filter(pk=current.pk, pinned_at__isnull=pinned).update(
            pinned_at=now if pinned else None, pinned_by=by if pinned else None
        )
        if changed:
            note = _system(
                current.chat,
                "pinned" if pinned else "unpinned",
                actor=by,
                message=current.pk,
                excerpt=current.text[:80],
            )
            events.record(
                "chat.message_pinned" if pinned else "chat.message_unpinned",
                actor=by,
                data={"chat": current.chat_id, "message": current.pk, "system": note.pk},
            )
    current.refresh_from_db()
    return current


def mark_read(user: User, chat: Chat) -> bool:
    """The member has seen everything: unread and mention counts go to zero.

    True (and an event for the member's other tabs) when there was something to clear.
    """
    latest = (
        ChatMessage.objects.filter(chat=chat).order_by("-id").values_list("id", flat=True).first()
    )
    now = timezone.now()
    mine = Membership.objects.filter(chat=chat, user=user)
    with transaction.atomic():
        cleared = mine.filter(Q(unread_count__gt=0) | Q(mention_count__gt=0)).update(
            unread_count=0, mention_count=0, last_read_message_id=latest, last_read_at=now
        )
        if cleared:
            events.record("chat.read", actor=user, data={"chat": chat.pk})
        elif latest is not None:
            mine.exclude(last_read_message_id=latest).update(
                last_read_message_id=latest, last_read_at=now
            )
    return bool(cleared)
