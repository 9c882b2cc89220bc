"""After-commit publishers of team chat events.

What a chat's watchers see (new and changed messages, header changes) goes to its group
`chat.<id>`, which a socket joins only after `selectors.can_watch`. Per-person news (unread and
mention counts, a sidebar to re-read, access that ended) goes to each person's `agent.<id>`.

A message is rendered once for all its watchers, in the default language and time zone (never
in those of whoever caused the event); the frame says which, and a tab whose reader uses others
fetches its own copy.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from omnichannel.models import Event
from omnichannel.realtime import agent_group, publish
from teamchat.models import REACTIONS, Chat, Membership
from teamchat.realtime import chat_group
from teamchat.selectors import can_watch, message_with_details

MESSAGE_EVENTS = {
    "chat.message_edited",
    "chat.message_deleted",
    "chat.reaction_changed",
    "chat.message_pinned",
    "chat.message_unpinned",
}
MEMBER_EVENTS = {
    "chat.member_joined",
    "chat.member_added",
    "chat.member_left",
    "chat.member_removed",
    "chat.role_changed",
}
CHAT_EVENTS = {"chat.renamed", "chat.archived", "chat.unarchived"}


def message_html(message) -> str:
    context = {"message": message, "chat": message.chat, "reactions": REACTIONS}
    return render_to_string("teamchat/chat.html#message", context)


def _message_frame(kind: str, message_id: int | None) -> dict | None:
    message = message_with_details(message_id) if message_id else None
    if message is None:
        return None
    frame = {
        "type": kind,
        "chat": message.chat_id,
        "message": message.pk,
        "thread": message.thread_parent_id,
        "lang": settings.LANGUAGE_CODE,
        "tz": settings.TIME_ZONE,
    }
    with translation.override(settings.LANGUAGE_CODE), timezone.override(settings.TIME_ZONE):
        frame["html"] = message_html(message)
        if message.thread_parent_id:
            parent = message_with_details(message.thread_parent_id)
            if parent is not None:
                frame["parent_html"] = message_html(parent)
    return frame


def _publish_system_message(event: Event) -> None:
    frame = _message_frame("chat.message", event.data.get("system"))
    if frame:
        publish([chat_group(frame["chat"])], frame)


def _counts_to(chat_id: int, user_ids: list[int] | None, *, mentioned=(), by: str = "") -> None:
    """Each member's own unread and mention counts, to their own sockets."""
    chat = Chat.objects.filter(pk=chat_id).only("last_message_at", "created_at").first()
    if chat is None:
        return
    rows = Membership.objects.filter(chat_id=chat_id)
    if user_ids is not None:
        rows = rows.filter(user_id__in=user_ids)
    activity = int((chat.last_message_at or chat.created_at).timestamp())
    for user_id, unread, mention_count in rows.values_list(
        "user_id", "unread_count", "mention_count"
    ):
        publish(
            [agent_group(user_id)],
            {
                "type": "chat.unread",
                "chat": chat_id,
                "unread": unread,
                "mentions": mention_count,
                "mentioned": user_id in mentioned,
                "activity": activity,
                "by": by,
            },
        )


def _sidebar_to(user_ids) -> None:
    groups = [agent_group(pk) for pk in sorted(set(user_ids))]
    if groups:
        publish(groups, {"type": "chat.sidebar"})


def _member_ids(chat_id: int) -> list[int]:
    return list(Membership.objects.filter(chat_id=chat_id).values_list("user_id", flat=True))


def publish_message_created(event: Event) -> None:
    frame = _message_frame("chat.message", event.data.get("message"))
    if frame is None:
        return
    publish([chat_group(frame["chat"])], frame)
    notified = event.data.get("notified")
    # The author's own sidebar moves too (activity), so every member hears when it is not a
    # thread reply.
    targets = None if notified is None else [*notified, event.actor_id]
    by = event.actor.display_name if event.actor else ""
    _counts_to(frame["chat"], targets, mentioned=set(event.data.get("mentioned") or ()), by=by)


def publish_message_changed(event: Event) -> None:
    frame = _message_frame("chat.message_updated", event.data.get("message"))
    if frame is None:
        return
    publish([chat_group(frame["chat"])], frame)
    if event.data.get("system"):
        _publish_system_message(event)
    newly = event.data.get("mentioned") or []
    if newly:
        by = event.actor.display_name if event.actor else ""
        _counts_to(frame["chat"], newly, mentioned=set(newly), by=by)


def publish_membership_changed(event: Event) -> None:
    chat_id = event.data["chat"]
    _publish_system_message(event)
    publish([chat_group(chat_id)], {"type": "chat.changed", "chat": chat_id})
    if event.name in {"chat.member_left", "chat.member_removed"}:
        _revoke(event.data["user"], event.data.get("chats") or [chat_id])
    affected = [*event.data.get("users", ()), event.data.get("user")]
    _sidebar_to([pk for pk in affected if pk])


def _revoke(user_id: int, chat_ids: list[int]) -> None:
    """Tell the sockets of someone who may no longer see a chat to stop watching it."""
    from accounts.models import User

    user = User.objects.filter(pk=user_id).first()
    for chat_id in chat_ids:
        if user is None or not can_watch(user, chat_id):
            publish([agent_group(user_id)], {"type": "chat.revoked", "chat": chat_id})


def publish_chat_changed(event: Event) -> None:
    chat_id = event.data["chat"]
    _publish_system_message(event)
    publish([chat_group(chat_id)], {"type": "chat.changed", "chat": chat_id})
    _sidebar_to(_member_ids(chat_id))


def on_event(event: Event) -> None:
    name = event.name
    if not name.startswith("chat."):
        return
    if name == "chat.message_created":
        publish_message_created(event)
    elif name in MESSAGE_EVENTS:
        publish_message_changed(event)
    elif name in MEMBER_EVENTS:
        publish_membership_changed(event)
    elif name in CHAT_EVENTS:
        publish_chat_changed(event)
    elif name == "chat.created":
        _publish_system_message(event)
        _sidebar_to(event.data.get("members") or [])
    elif name == "chat.read" and event.actor_id:
        _counts_to(event.data["chat"], [event.actor_id])
    elif name == "chat.display_changed" and event.actor_id:
        _sidebar_to([event.actor_id])
