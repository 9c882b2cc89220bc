"""How rooms show in templates: system messages in the reader's language, durations."""

from datetime import timedelta

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rooms.models import Message

register = template.Library()


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
            return _("%(agent)s assigned the chat to %(to)s") % {
                "agent": agent,
                "to": message.system_data.get("to", ""),
            }
        case "transferred":
            return _("%(agent)s transferred the chat to %(to)s") % {
                "agent": agent,
                "to": message.system_data.get("to", ""),
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
        case "assigned":
            return _("%(agent)s joined the chat") % {"agent": message.system_data.get("to", "")}
        case "closed":
            return _("The conversation has ended. Thank you for writing to us.")
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
