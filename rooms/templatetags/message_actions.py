"""The message actions every kind of room shows: links, who may still edit, who reacted."""

from django import template

from accounts.selectors import is_manager
from rooms.message_actions import REACTIONS

register = template.Library()


@register.simple_tag
def offered_reactions() -> tuple[str, ...]:
    return REACTIONS


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
