"""What the supervisor console shares: who may use it, department scope, permissions, audit."""

from datetime import date, datetime, time, timedelta

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import build_q_object_from_lookup_parameters
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from accounts import selectors
from accounts.models import MANAGER_ROLE, Department, User
from accounts.selectors import agents_in_scope, is_manager, supervised_department_ids
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
    "django_tasks_database",  # django-tasks-db's app label: the background tasks, read-only
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
    return agents_in_scope(request.user, queryset)


def visible_users(request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
    """The accounts the console lists: a manager never sees a superuser's account."""
    if request.user.is_superuser:
        return queryset
    return scope_agents(request, queryset.filter(is_superuser=False))


def manageable_users(request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
    return selectors.manageable_users(request.user, queryset)


def may_manage(request: HttpRequest, user: User) -> bool:
    return selectors.may_manage(request.user, user)


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


class MoreThan(int):
    """A count that stopped past its cap: `cap + 1` to compare and page with, "<cap>+" to read
    (admin's pagination, search and "select all" texts all print the count)."""

    def __str__(self) -> str:
        return f"{int(self) - 1}+"


class CappedPaginator(Paginator):
    """Counts the rows of a console list up to `cap` and no further.

    An exact count reads every matching row (180,000 closed rooms of a department: a scan of
    the table on each page); counting at most `cap` + 1 keeps the page's time independent of
    the number of rooms. Past the cap the list says "10000+" and its pages end there.
    """

    cap = 10_000

    @cached_property
    def count(self) -> int:
        counted = self.object_list[: self.cap + 1].count()
        return MoreThan(counted) if counted > self.cap else counted


class DateRangeFilter(admin.DateFieldListFilter):
    """Admin's presets (today, past 7 days, this month, this year) and any range of days, both
    ends included, in the supervisor's time zone. A bound that is not a date is ignored, with
    a warning, rather than refusing the whole list."""

    template = "admin/date_range_filter.html"

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.from_name = f"{field_path}__from"
        self.to_name = f"{field_path}__to"
        super().__init__(field, request, params, model, model_admin, field_path)
        # What the range's form carries along: every other filter, search and ordering.
        self.other_params = [
            (name, value)
            for name, values in request.GET.lists()
            if not name.startswith(self.field_generic) and name not in {"p", "e"}
            for value in values
        ]
        self.range_start = self._day(request, self.from_name)
        self.range_end = self._day(request, self.to_name)

    def expected_parameters(self):
        return [*super().expected_parameters(), self.from_name, self.to_name]

    def _day(self, request: HttpRequest, name: str) -> date | None:
        value = self.used_parameters.get(name)
        value = (value[-1] if value else "") if isinstance(value, list) else (value or "")
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            warning = _("“%(value)s” is not a date (YYYY-MM-DD); the list ignores it.")
            messages.warning(request, warning % {"value": value})
            return None

    def queryset(self, request, queryset):
        presets = {
            name: value
            for name, value in self.used_parameters.items()
            if name not in {self.from_name, self.to_name}
        }
        if presets:
            try:
                queryset = queryset.filter(build_q_object_from_lookup_parameters(presets))
            except (ValueError, ValidationError) as error:
                raise IncorrectLookupParameters(error) from error
        zone = timezone.get_current_timezone()
        if self.range_start:
            since = datetime.combine(self.range_start, time.min, tzinfo=zone)
            queryset = queryset.filter(**{f"{self.field_path}__gte": since})
        if self.range_end and self.range_end < date.max:
            until = datetime.combine(self.range_end + timedelta(days=1), time.min, tzinfo=zone)
            queryset = queryset.filter(**{f"{self.field_path}__lt": until})
        return queryset


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
