from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from accounts.selectors import supervised_department_ids
from omnichannel.models import Event
from omnichannel.supervision import CappedPaginator, DateRangeFilter
from rooms.models import Room


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SupervisorActionFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [("supervisor", _("Supervisor actions")), ("system", _("Everything else"))]

    def queryset(self, request, queryset):
        if self.value() == "supervisor":
            return queryset.filter(name="supervisor.action")
        if self.value() == "system":
            return queryset.exclude(name="supervisor.action")
        return queryset


@admin.register(Event)
class AuditLogAdmin(ReadOnlyAdmin):
    """Every recorded event, supervisor actions included: who, what, when, from which page."""

    list_display = ["created_at", "name", "actor", "action", "page", "room_id", "dispatched_at"]
    list_filter = [SupervisorActionFilter, "name", ("created_at", DateRangeFilter)]
    search_fields = ["name", "actor__username", "data"]
    list_select_related = ["actor"]
    # The log is the largest table: no date hierarchy (a DISTINCT over every row), no second
    # COUNT of all entries on each page, and the list's count stops at 10,000.
    show_full_result_count = False
    paginator = CappedPaginator

    def get_queryset(self, request):
        """A supervisor limited to some departments sees what happened in their rooms, and
        what they did themselves."""
        events = super().get_queryset(request)
        scope = supervised_department_ids(request.user)
        if scope is None:
            return events
        rooms = Room.objects.filter(department_id__in=scope).values("pk")
        return events.filter(Q(room_id__in=rooms) | Q(actor=request.user))

    @admin.display(description=_("action"))
    def action(self, event: Event) -> str:
        return event.data.get("action", "")

    @admin.display(description=_("page"))
    def page(self, event: Event) -> str:
        return event.data.get("page", "")


@admin.register(LogEntry)
class AdminChangeLogAdmin(ReadOnlyAdmin):
    """Django admin's own log of edits made through its forms."""

    list_display = ["action_time", "user", "content_type", "object_name", "action_flag"]
    list_filter = ["action_flag", "content_type"]
    search_fields = ["object_repr", "user__username"]
    list_select_related = ["user", "content_type"]
    show_full_result_count = False
    fields = [
        "action_time",
        "user",
        "content_type",
        "object_id",
        "object_name",
        "action_flag",
        "change_message",
    ]
    readonly_fields = ["object_name"]

    def get_queryset(self, request):
        # What admin's log names (contacts, rooms, users) may lie outside a limited
        # supervisor's departments: they see their own edits only.
        entries = super().get_queryset(request)
        if supervised_department_ids(request.user) is None:
            return entries
        return entries.filter(user=request.user)

    @admin.display(description=_("object"))
    def object_name(self, entry: LogEntry) -> str:
        # An API token's name is its key: entries written before tokens were logged masked.
        if entry.content_type and entry.content_type.app_label == "authtoken":
            return f"{entry.object_repr[:4]}…" if entry.object_repr else ""
        return entry.object_repr


class BackgroundTaskAdmin(DBTaskResultAdmin):
    """The background tasks, read-only, for managers of the whole floor: a task's arguments
    and traceback are not scoped to departments, so a department-limited manager has none."""

    def _whole_floor(self, request) -> bool:
        user = request.user
        return user.is_authenticated and supervised_department_ids(user) is None

    def has_module_permission(self, request) -> bool:
        return self._whole_floor(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._whole_floor(request) and super().has_view_permission(request, obj)


admin.site.unregister(DBTaskResult)
admin.site.register(DBTaskResult, BackgroundTaskAdmin)
