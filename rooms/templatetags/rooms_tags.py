"""How rooms show in templates: their messages, system messages in the reader's language,
durations."""

import functools
from datetime import timedelta

from django import template
from django.template.loader import get_template
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from rooms.models import Message, Room
from rooms.templatetags.message_actions import csrf_input, editable_by, toolbar_html

register = template.Library()


def _with_comment(text: str, message: Message) -> str:
    """A transfer's sentence followed by the comment its author wrote, when there is one."""
    comment = message.system_data.get("comment", "")
    if not comment:
        return text
    return _("%(what)s: %(comment)s") % {"what": text, "comment": comment}


def _priority_label(value) -> str:
    try:
        return str(Room.Priority(int(value)).label)
    except (TypeError, ValueError):
        return str(value)


@register.filter
def system_text(message: Message) -> str:
    """The sentence for a system message, built now so each reader gets their own language."""
    agent = message.system_data.get("agent", "")
    match message.system_code:
        case "taken":
            return _("%(agent)s took the chat") % {"agent": agent}
        case "returned":
            return _("%(agent)s returned the chat to the queue") % {"agent": agent}
        case "closed":
            return _("%(agent)s closed the conversation") % {"agent": agent}
        case "assigned":
            text = _("%(agent)s assigned the chat to %(to)s") % {
                "agent": agent,
                "to": message.system_data.get("to", ""),
            }
            return _with_comment(text, message)
        case "transferred" | "transferred_to_agent":
            text = _("%(agent)s transferred the chat to %(to)s") % {
                "agent": agent,
                "to": message.system_data.get("to", ""),
            }
            return _with_comment(text, message)
        case "routed":
            return _("The chat was routed to %(agent)s") % {"agent": agent}
        case "held":
            return _("%(agent)s put the chat on hold") % {"agent": agent}
        case "resumed":
            if message.system_data.get("by_contact"):
                return _("The contact wrote: the chat is no longer on hold")
            return _("%(agent)s resumed the chat") % {"agent": agent}
        case "priority":
            return _("%(agent)s set the priority to %(priority)s") % {
                "agent": agent or _("Routing"),
                "priority": _priority_label(message.system_data.get("priority")),
            }
        case "sla":
            if message.system_data.get("due"):
                return _("%(agent)s changed the first-response due time") % {"agent": agent}
            return _("%(agent)s removed the first-response due time") % {"agent": agent}
        case "inactivity_warning":
            return _(
                "No answer from the contact for %(minutes)s min: the chat closes automatically "
                "in %(left)s min."
            ) % {
                "minutes": message.system_data.get("minutes", ""),
                "left": message.system_data.get("left", ""),
            }
        case "closed_automatically":
            return _("The conversation was closed automatically: %(comment)s") % {
                "comment": message.system_data.get("comment", "")
            }
    return message.text


@register.filter
def visitor_system_text(message: Message) -> str:
    """What the contact sees of a system message: no internal details."""
    agent = message.system_data.get("agent", "")
    match message.system_code:
        case "taken":
            return _("%(agent)s joined the chat") % {"agent": agent}
        case "returned" | "transferred":
            return _("You are back in the queue. An agent will be with you shortly.")
        case "assigned" | "transferred_to_agent":
            return _("%(agent)s joined the chat") % {"agent": message.system_data.get("to", "")}
        case "routed":
            return _("%(agent)s joined the chat") % {"agent": agent}
        case "closed":
            return _("The conversation has ended. Thank you for writing to us.")
        case "held":
            return _("The chat is on hold. Write whenever you are ready to continue.")
        case "resumed" | "priority" | "sla":
            return ""
        case "inactivity_warning":
            return _("Are you still there? Without an answer, this conversation ends soon.")
        case "closed_automatically":
            return _("The conversation has ended because we had no answer. Write again anytime.")
    return message.text


@register.filter
def duration(value: timedelta | None) -> str:
    """A short human duration: '45 s', '3 min 20 s', '2 h 5 min'; a dash when unknown."""
    if value is None:
        return "—"
    seconds = round(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)s min %(s)s s") % {"m": minutes, "s": seconds}
    return ngettext("%(s)s s", "%(s)s s", seconds) % {"s": seconds}


@register.simple_tag(takes_context=True)
def room_message(context, message: Message) -> SafeString:
    """`{% room_message message %}`: one message of a customer room, as its page, its panels and
    the live updates show it (the `message` partial of rooms/room.html).

    Built here, not in a template: a room page shows fifty messages, and the template engine
    spent about 15 ms of CPU on them, a third of the page (5 ms here). The parts few messages
    have (files, reactions, a thread's summary) are still templates.
    """
    room = context.get("room")
    user = context.get("user")
    token = context.get("csrf_token")
    words = _message_words(get_language())
    created = timezone.template_localtime(message.created_at)
    sent_at = (
        f'<time datetime="{formats.date_format(created, "c")}">'
        f"{formats.time_format(created, 'H:i')}</time>"
    )
    deleted = message.is_deleted
    until = formats.date_format(timezone.template_localtime(message.editable_until), "c")
    opening = (
        f'<li class="message message-{escape(message.kind)}{" deleted" if deleted else ""}" '
        f'id="message-{message.pk}" data-message-id="{message.pk}" '
        f'data-chat-message="{message.pk}" data-author="{message.author_id or ""}" '
        f'data-edit-until="{until}"{" data-can-edit" if editable_by(message, user) else ""}>'
    )
    if message.kind == Message.Kind.SYSTEM:
        text = escape(system_text(message))
        return mark_safe(f'{opening}<p class="system">{text} · {sent_at}</p></li>')  # noqa: S308
    parts = [opening, '<p class="author">', _author_line(message, room, sent_at, words, token)]
    parts.append("</p>")
    if deleted:
        parts.append(f'<p class="hint">{words["deleted"]}</p>')
    else:
        # html was produced by rooms.formatting.render_message, which sanitises it.
        parts.append(f'<div class="body">{message.html}</div>')
        # `files`: the list the page's selectors load; the live updates' messages have the
        # relation prefetched instead.
        files = getattr(message, "files", None)
        for file in message.attachments.all() if files is None else files:
            parts.append(get_template("rooms/attachment.html").render({"room": room, "file": file}))
        parts.append(_actions(message, user, room.is_open, token))
    parts.append("</li>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece is escaped where it is made


def _author_line(message: Message, room: Room, sent_at: str, words: dict, token) -> str:
    if message.kind == Message.Kind.AGENT:
        author = escape(message.author.display_name if message.author else "") or words["agent"]
    else:
        author = escape(room.contact.display_name)
    pieces = [author, f'<a class="time" href="{escape(message.action_url("link"))}">{sent_at}</a>']
    if message.thread_parent_id:
        pieces.append(f'<span class="hint">{words["internal"]}</span>')
    if message.edited_at and not message.is_deleted:
        edited_at = timezone.template_localtime(message.edited_at)
        pieces.append(
            f'<span class="edited" title="{formats.date_format(edited_at, "DATETIME_FORMAT")}">'
            f"({words['edited']})</span>"
        )
    if message.pinned_at:
        pinner = message.pinned_by.display_name if message.pinned_by else ""
        title = _("Pinned by %(name)s") % {"name": escape(pinner)}
        pieces.append(
            f'<span class="pinned-mark" title="{title}">&#128204; {words["pinned"]}</span>'
        )
    if isinstance(message.meta, dict) and message.meta.get("sent_from_channel"):
        sent_from = _("sent from %(channel)s") % {"channel": escape(message.get_channel_display())}
        pieces.append(f'<span class="hint">{sent_from}</span>')
    status = message.delivery_status
    if message.kind == Message.Kind.AGENT and status:
        pieces.append(
            f'<span class="delivery delivery-{escape(status)}" data-delivery="{escape(status)}">'
            f"{escape(message.get_delivery_status_display())}</span>"
        )
    if status == Message.Delivery.FAILED:
        if message.delivery_error:
            pieces.append(f'<span class="error">{escape(message.delivery_error)}</span>')
        retry_url = reverse("room-retry-message", args=[room.pk, message.pk])
        pieces.append(
            f'<form method="post" action="{escape(retry_url)}" class="inline-form">'
            f'{csrf_input(token)}<button type="submit" class="link">{words["retry"]}</button>'
            "</form>"
        )
    return " ".join(pieces)


def _actions(message: Message, user, can_act: bool, token) -> str:
    """Reactions, the thread's summary and the toolbar (rooms/message_actions.html)."""
    has_thread = message.reply_count and not message.thread_parent_id
    if getattr(message, "reaction_summary", None) or has_thread:
        context = {"message": message, "user": user, "can_act": can_act, "csrf_token": token}
        return get_template("rooms/message_actions.html").render(context)
    return toolbar_html(message, token) if can_act else ""


@functools.cache
def _message_words(language: str) -> dict[str, str]:
    # Fifty messages a page: each word is translated and escaped once per language.
    words = {
        "agent": _("Agent"),
        "internal": _("internal"),
        "edited": _("edited"),
        "pinned": _("Pinned"),
        "retry": _("Retry"),
        "deleted": _("This message was deleted."),
    }
    return {key: escape(text) for key, text in words.items()}
