"""The message actions every kind of room shows: links, who may still edit, who reacted."""

import functools

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.selectors import is_manager
from rooms.message_actions import REACTIONS

register = template.Library()


@register.simple_tag
def offered_reactions() -> tuple[tuple[str, str], ...]:
    """The emoji offered, each with its button's label."""
    return _reaction_choices(get_language())


@register.simple_tag
def message_action_labels() -> dict[str, str]:
    """The toolbar's words. A room page shows dozens of toolbars: each sentence is translated
    once per language, not once per message."""
    return _action_labels(get_language())


@functools.cache
def _reaction_choices(language: str) -> tuple[tuple[str, str], ...]:
    return tuple((emoji, _("React with %(emoji)s") % {"emoji": emoji}) for emoji in REACTIONS)


@functools.cache
def _action_labels(language: str) -> dict[str, str]:
    return {
        "group": _("Message actions"),
        "thread": _("Reply in thread"),
        "react": _("Add reaction"),
        "pin": _("Pin message"),
        "unpin": _("Unpin message"),
        "link": _("Copy link"),
        "edit": _("Edit"),
        "delete": _("Delete"),
        "confirm_delete": _("Delete this message?"),
    }


@register.filter
def action_url(message, action: str) -> str:
    """The address of an action on a customer room's or a team chat's message."""
    return message.action_url(action)


@register.filter
def editable_by(message, user) -> bool:
    return bool(getattr(user, "pk", None)) and message.is_editable_by(user.pk)


@register.filter
def reacted_by(summary: dict, user) -> bool:
    pk = getattr(user, "pk", None)
    return bool(pk) and str(pk) in summary.get("user_ids", "").split()


@register.filter
def message_actor(room, user) -> bool:
    """May this user act on the messages of this customer room (its agent, or a manager)?"""
    if not getattr(user, "is_authenticated", False):
        return False
    return (room.status == "taken" and room.agent_id == user.pk) or is_manager(user)
