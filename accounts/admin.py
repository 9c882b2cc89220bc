from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Department, DepartmentAgent, User
from accounts.services import notify_departments_changed, set_queue_enabled, sign_out_everywhere
from omnichannel.supervision import record_supervisor_action, scope_agents, scope_queryset


class MembershipInline(admin.TabularInline):
    model = DepartmentAgent
    extra = 1
    autocomplete_fields = ["department"]
    verbose_name = _("department")
    verbose_name_plural = _("departments")


class AgentInline(admin.TabularInline):
    model = DepartmentAgent
    extra = 1
    autocomplete_fields = ["agent"]
    verbose_name = _("agent")
    verbose_name_plural = _("agents")


class RoleFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        from django.contrib.auth.models import Group

        return [(g.name, g.name) for g in Group.objects.order_by("name")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(groups__name=self.value())
        return queryset


@admin.register(User)
class AgentAdmin(UserAdmin):
    list_display = [
        "username",
        "get_full_name",
        "email",
        "roles",
        "department_names",
        "status",
        "queue_enabled",
        "max_chats",
        "open_chats",
        "is_active",
    ]
    actions = ["disable_queue", "sign_out_everywhere"]
    list_filter = [RoleFilter, "memberships__department", "status", "queue_enabled", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email"]
    inlines = [MembershipInline]
    fieldsets = [
        *UserAdmin.fieldsets,
        (
            _("Omnichannel"),
            {"fields": ["queue_enabled", "status", "max_chats", "supervised_departments"]},
        ),
    ]
    filter_horizontal = [*UserAdmin.filter_horizontal, "supervised_departments"]

    def get_queryset(self, request):
        users = (
            super()
            .get_queryset(request)
            .prefetch_related("groups", "departments")
            .annotate(
                open_chats=Count(
                    "served_rooms", filter=Q(served_rooms__status="taken"), distinct=True
                )
            )
        )
        return scope_agents(request, users)

    @admin.display(description=_("open chats"), ordering="open_chats")
    def open_chats(self, obj: User) -> int:
        return obj.open_chats

    @admin.action(description=_("Disable their Omnichannel queue"))
    def disable_queue(self, request, queryset):
        for agent in queryset:
            set_queue_enabled(agent, enabled=False)
            record_supervisor_action(request, "disable_queue", target=agent.username)
        self.message_user(request, _("Queue disabled for %(n)s agent(s).") % {"n": len(queryset)})

    @admin.action(description=_("Sign them out everywhere"))
    def sign_out_everywhere(self, request, queryset):
        for agent in queryset:
            ended = sign_out_everywhere(agent, by=request.user)
            record_supervisor_action(
                request, "sign_out", target=agent.username, detail=f"{ended} sessions"
            )
        self.message_user(request, _("Signed out %(n)s agent(s).") % {"n": len(queryset)})

    def get_readonly_fields(self, request, obj=None):
        """Only a superuser hands out superuser rights or raw permissions, and nobody raises
        their own: roles and supervised departments are set by someone else."""
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
            if obj is not None and obj.pk == request.user.pk:
                readonly += ["groups", "supervised_departments", "is_staff", "is_active"]
        return readonly

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        notify_departments_changed(form.instance)

    @admin.display(description=_("roles"))
    def roles(self, obj: User) -> str:
        return ", ".join(g.name for g in obj.groups.all())

    @admin.display(description=_("departments"))
    def department_names(self, obj: User) -> str:
        return ", ".join(d.name for d in obj.departments.all())


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "enabled", "agent_count", "created_at"]
    list_filter = ["enabled"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [AgentInline]

    def get_queryset(self, request):
        departments = super().get_queryset(request).annotate(agent_count=Count("memberships"))
        return scope_queryset(request, departments, "pk")

    def save_related(self, request, form, formsets, change):
        before = set(form.instance.memberships.values_list("agent_id", flat=True))
        super().save_related(request, form, formsets, change)
        after = set(form.instance.memberships.values_list("agent_id", flat=True))
        for agent in User.objects.filter(pk__in=before ^ after):
            notify_departments_changed(agent)

    @admin.display(description=_("agents"), ordering="agent_count")
    def agent_count(self, obj: Department) -> int:
        return obj.agent_count
