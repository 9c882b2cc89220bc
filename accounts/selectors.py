"""Shared reads about agents: roles, departments and what they may do."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import AGENT_ROLE, MANAGER_ROLE, Department, User


def has_role(user: User, role: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    # Prefetched by the shell's context processor; filter in Python to reuse that cache.
    return any(group.name == role for group in user.groups.all())


def is_agent(user: User) -> bool:
    return has_role(user, AGENT_ROLE)


def is_manager(user: User) -> bool:
    return has_role(user, MANAGER_ROLE)


def departments_of(user: User) -> QuerySet[Department]:
    """The enabled departments an agent serves."""
    return Department.objects.filter(enabled=True, memberships__agent=user).order_by("name")


def queue_refusal_reason(user: User) -> str | None:
    """Why this user may not switch the queue on, or None when they may."""
    if not is_agent(user):
        return _("Only users with the LiveChat Agent role can enable the Omnichannel queue.")
    if not departments_of(user).exists():
        return _(
            "You are not assigned to any Omnichannel department yet. "
            "Ask a LiveChat Manager to add you to one."
        )
    return None


def serves_queue(user: User) -> bool:
    """True when the user sees queued chats: agent role, a department, and the queue on."""
    return bool(user.is_authenticated and user.queue_enabled and queue_refusal_reason(user) is None)
