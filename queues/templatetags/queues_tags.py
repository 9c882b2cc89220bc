"""How queues show in templates: the Queued Chats list, a room's marks (priority, on hold, due
time), its place in the serving order, a visitor's position."""

import functools

from django import template
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from queues.selectors import estimated_wait_minutes, queue_position
from rooms.models import Room
from rooms.templatetags.rooms_tags import duration

register = template.Library()

# Far in the future: rooms without a due time sort after every room with one.
NO_DUE_MS = 10**13 - 1


@register.filter
def queue_key(room: Room) -> str:
    """A string that sorts like the queue's serving order (priority, due time, wait), so the
    sidebar script can insert a room that arrives live in its place."""
    due = room.first_response_due_at
    due_ms = int(due.timestamp() * 1000) if due else NO_DUE_MS
    queued_us = int(room.queued_at.timestamp() * 1_000_000)
    return f"{9 - room.priority}:{due_ms:013d}:{queued_us:017d}:{room.pk:012d}"


@register.filter
def epoch_ms(value) -> str:
    return str(int(value.timestamp() * 1000)) if value else ""


@register.simple_tag
def visitor_queue_status(room: Room | None) -> dict | None:
    """Where the visitor's waiting chat stands: its position and the estimated wait."""
    if room is None or room.status != Room.Status.QUEUED:
        return None
    position = queue_position(room)
    return {
        "position": position,
        "wait_minutes": estimated_wait_minutes(room.department_id, position),
    }


@register.simple_tag(takes_context=True)
def queued_item(context, queued: Room) -> SafeString:
    """`{% queued_item queued %}`: one waiting chat of the Queued Chats list (the `queued-item`
    partial of queues/sidebar.html), marked as the current page in that room's page.

    Built here, not in a template: every agent page shows fifty, and the template engine spent
    about 8 ms of CPU on them. A queue event's live update renders one too.
    """
    current = (
        ' aria-current="page"' if getattr(context.get("room"), "pk", None) == queued.pk else ""
    )
    queued_at = queued.queued_at
    waiting = _("waiting %(wait)s") % {"wait": escape(duration(queued.queue_time))}
    return mark_safe(  # noqa: S308 - every piece is escaped here or in room_marks
        f'<li data-queued-room="{queued.pk}" '
        f'data-queued-at="{int(queued_at.timestamp())}{queued_at.microsecond:06d}" '
        f'data-queue-key="{queue_key(queued)}">'
        f'<a href="{escape(reverse("room", args=[queued.pk]))}"'
        f"{current}>"
        f"{escape(queued.contact.display_name)} "
        f'<span class="meta">{escape(queued.department.name)} · {waiting}</span> '
        f"{room_marks(queued)}</a></li>"
    )


@register.simple_tag
def room_marks(subject: Room, hide_priority: bool = False) -> SafeString:
    """The marks of a room in a list: its priority (unless normal), on hold, and the time its
    first response is due."""
    words = _mark_words(get_language())
    marks = []
    if subject.priority != Room.Priority.NORMAL and not hide_priority:
        marks.append(
            f'<span class="priority priority-{escape(subject.priority_name)}">'
            f"{escape(subject.get_priority_display())}</span>"
        )
    if subject.on_hold:
        marks.append(f'<span class="held">{words["on_hold"]}</span>')
    due = subject.first_response_due_at
    if due and not subject.first_response_at and subject.is_open:
        level = subject.service_level
        due_at = escape(formats.time_format(timezone.template_localtime(due), "H:i"))
        if level == "past":
            text = words["overdue"]
        elif level == "near":
            text = words["due_soon"]
        else:
            text = _("due %(due)s") % {"due": due_at}
        title = _("First response due at %(due)s") % {"due": due_at}
        marks.append(
            f'<span class="{f"sla sla-{level}" if level else "sla"}" data-sla '
            f'data-sla-due="{epoch_ms(due)}" '
            f'data-sla-warning="{epoch_ms(subject.first_response_warning_at)}" '
            f'title="{title}">{text}</span>'
        )
    return mark_safe("".join(marks))  # noqa: S308 - every piece is escaped above


@functools.cache
def _mark_words(language: str) -> dict[str, str]:
    words = {"on_hold": _("On hold"), "overdue": _("Overdue"), "due_soon": _("Due soon")}
    return {key: escape(text) for key, text in words.items()}
