"""Shared reads about agents: roles, departments and what they may do."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import AGENT_ROLE, MANAGER_ROLE, Department, User


def role_names(user: User) -> frozenset[str]:
    """The user's roles, read once per user object (a request's user lives one request)."""
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._role_names = cached
    return cached


def forget_roles(user: User) -> None:
    """Read the roles again next time (long-lived holders of a user object, like sockets)."""
    user.__dict__.pop("_role_names", None)


def has_role(user: User, role: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return role in role_names(user)


def is_agent(user: User) -> bool:
    return has_role(user, AGENT_ROLE)


def is_manager(user: User) -> bool:
    return has_role(user, MANAGER_ROLE)


def supervised_department_ids(user: User) -> set[int] | None:
    """The departments a manager may see in the supervisor console; None means every one."""
    if user.is_superuser:
        return None
    if not hasattr(user, "_supervised_ids"):
        user._supervised_ids = set(user.supervised_departments.values_list("pk", flat=True))
    return user._supervised_ids or None


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


def agents_in_scope(by: User, queryset: QuerySet[User]) -> QuerySet[User]:
    """The users of `queryset` a department-limited manager supervises (and themselves)."""
    scope = supervised_department_ids(by)
    if scope is None:
        return queryset
    return queryset.filter(Q(memberships__department_id__in=scope) | Q(pk=by.pk)).distinct()


def manageable_users(by: User, queryset: QuerySet[User]) -> QuerySet[User]:
    """The accounts whose password, roles, departments and API tokens `by` may change.

    A manager manages agents (in their departments when limited), never a superuser, a fellow
    manager or a staff member, nor their own account: that one needs the current password.
    """
    if by.is_superuser:
        return queryset
    managers = User.groups.through.objects.filter(user_id=OuterRef("pk"), group__name=MANAGER_ROLE)
    agents = queryset.filter(is_superuser=False, is_staff=False).exclude(Exists(managers))
    return agents_in_scope(by, agents).exclude(pk=by.pk)


def may_manage(by: User, user: User) -> bool:
    return manageable_users(by, User.objects.filter(pk=user.pk)).exists()
