from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.utils.translation import gettext_lazy as _

from omnichannel.models import Event


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
    list_filter = [SupervisorActionFilter, "name", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["name", "actor__username", "data"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"

    @admin.display(description=_("action"))
    def action(self, event: Event) -> str:
        return event.data.get("action", "")

    @admin.display(description=_("page"))
    def page(self, event: Event) -> str:
        return event.data.get("page", "")


@admin.register(LogEntry)
class AdminChangeLogAdmin(ReadOnlyAdmin):
    """Django admin's own log of edits made through its forms."""

    list_display = ["action_time", "user", "content_type", "object_repr", "action_flag"]
    list_filter = ["action_flag", "content_type"]
    search_fields = ["object_repr", "user__username"]
