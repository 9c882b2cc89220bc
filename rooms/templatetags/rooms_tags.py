"""How rooms show in templates: system messages in the reader's language, durations."""

from datetime import timedelta

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rooms.models import Message, Room

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
