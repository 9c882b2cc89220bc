"""What the supervisor console shares: who may use it, department scope, permissions, audit."""

from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import MANAGER_ROLE, Department, User
from accounts.selectors import is_manager, supervised_department_ids
from omnichannel import events

# The apps whose models a LiveChat Manager runs from admin, and what they may not do there:
# rooms change only through actions (which call services), and history is never edited.
MANAGED_APPS = [
    "accounts",
    "rooms",
    "queues",
    "directory",
    "facebook",
    "apichannel",
    "webhooks",
    "productivity",
    "authtoken",
    "django_tasks_db",
    "omnichannel",
    "admin",
]
READ_ONLY_MODELS = {
    ("rooms", "room"),
    ("omnichannel", "event"),
    ("admin", "logentry"),
    ("rooms", "message"),
    ("rooms", "attachment"),
}
NO_ADD_OR_DELETE_MODELS: set[tuple[str, str]] = set()


def grant_manager_permissions(**kwargs) -> None:
    """Give the LiveChat Manager role exactly the permissions of the supervisor console.

    Runs after every migrate, so models added by later migrations are covered too.
    """
    group = Group.objects.filter(name=MANAGER_ROLE).first()
    if group is None:
        return
    wanted = []
    for permission in Permission.objects.filter(
        content_type__app_label__in=MANAGED_APPS
    ).select_related("content_type"):
        key = (permission.content_type.app_label, permission.content_type.model)
        action = permission.codename.split("_", 1)[0]
        if key in READ_ONLY_MODELS and action != "view":
            continue
        if key in NO_ADD_OR_DELETE_MODELS and action in {"add", "delete"}:
            continue
        wanted.append(permission)
    group.permissions.add(*wanted)


def is_supervisor(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.is_staff and (user.is_superuser or is_manager(user)))


def scope_departments(request: HttpRequest) -> QuerySet[Department]:
    """The departments this supervisor may see in the console."""
    scope = supervised_department_ids(request.user)
    departments = Department.objects.all()
    return departments if scope is None else departments.filter(pk__in=scope)


def scope_queryset(request: HttpRequest, queryset: QuerySet, department_path: str) -> QuerySet:
    """Limit rows to the supervisor's departments; `department_path` leads to the department id.

    Paths through a many-valued relation may repeat rows, and only those get a DISTINCT: on a
    plain column it would sort every row in scope before the first page.
    """
    scope = supervised_department_ids(request.user)
    if scope is None:
        return queryset
    scoped = queryset.filter(**{f"{department_path}__in": scope})
    return scoped.distinct() if "__" in department_path else scoped


def scope_agents(request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
    scope = supervised_department_ids(request.user)
    if scope is None:
        return queryset
    return queryset.filter(
        Q(memberships__department_id__in=scope) | Q(pk=request.user.pk)
    ).distinct()


def record_supervisor_action(
    request: HttpRequest, action: str, *, room=None, target: str = "", detail: str = ""
) -> None:
    """The audit log: who did what, when, and from which page of the console."""
    events.record(
        "supervisor.action",
        actor=request.user,
        room=room,
        data={
            "action": action,
            "target": target,
            "detail": detail[:500],
            "page": request.get_full_path()[:300],
        },
    )


class DepartmentScopedFilter(admin.SimpleListFilter):
    """A department filter offering only the supervisor's departments."""

    title = _("department")
    parameter_name = "department"
    department_path = "department_id"

    def lookups(self, request, model_admin):
        return [(str(d.pk), d.name) for d in scope_departments(request)]

    def queryset(self, request, queryset):
        if self.value():
            allowed = {str(d.pk) for d in scope_departments(request)}
            if self.value() not in allowed:
                return queryset.none()
            return queryset.filter(**{self.department_path: self.value()})
        return queryset
