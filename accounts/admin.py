from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import Token, TokenProxy

from accounts.models import AGENT_ROLE, Department, DepartmentAgent, User
from accounts.services import notify_departments_changed, set_queue_enabled, sign_out_everywhere
from omnichannel.supervision import (
    manageable_users,
    may_manage,
    record_supervisor_action,
    scope_departments,
    scope_queryset,
    visible_users,
)

# An API token shows as its first characters only; the whole key is shown once, on creation.
KEY_PREFIX = 4


def mask_key(key: str) -> str:
    return f"{key[:KEY_PREFIX]}…" if key else ""


class MembershipInline(admin.TabularInline):
    """An agent's departments; a limited manager sees and gives only the ones they supervise."""

    model = DepartmentAgent
    extra = 1
    autocomplete_fields = ["department"]
    verbose_name = _("department")
    verbose_name_plural = _("departments")

    def get_queryset(self, request):
        return scope_queryset(request, super().get_queryset(request), "department_id")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department":
            kwargs["queryset"] = scope_departments(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class AgentInline(admin.TabularInline):
    model = DepartmentAgent
    extra = 1
    autocomplete_fields = ["agent"]
    verbose_name = _("agent")
    verbose_name_plural = _("agents")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A limited manager adds the agents they already supervise, never one from elsewhere
        # (who would then be theirs to manage).
        if db_field.name == "agent":
            kwargs["queryset"] = visible_users(request, User.objects.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


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
        return visible_users(request, users)

    def has_change_permission(self, request, obj=None) -> bool:
        """A manager changes their own profile and the agents they manage; a fellow manager's
        account (or a superuser's) is theirs to read, not to change."""
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None or request.user.is_superuser:
            return allowed
        return obj.pk == request.user.pk or may_manage(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        if not allowed or obj is None or request.user.is_superuser:
            return allowed
        return may_manage(request, obj)

    def user_change_password(self, request, id, form_url=""):
        """Setting a password without the current one: only for the accounts one manages (one's
        own is changed from "Change password", which asks for the current one)."""
        user = self.get_object(request, unquote(id))
        if user is None:
            raise Http404
        if not request.user.is_superuser and not may_manage(request, user):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        if not request.user.is_superuser:
            users = list(objs)
            pks = [user.pk for user in users]
            if manageable_users(request, User.objects.filter(pk__in=pks)).count() != len(pks):
                perms_needed.add(_("users you do not manage"))
        keys = set(Token.objects.filter(user__in=objs).values_list("key", flat=True))
        return _without_keys(deleted, keys), model_count, perms_needed, protected

    def _managed_only(self, request, queryset):
        """The selected accounts this supervisor may act on; the others are named and left."""
        allowed = manageable_users(request, queryset)
        skipped = [user.username for user in queryset.exclude(pk__in=allowed.values("pk"))]
        if skipped:
            self.message_user(
                request,
                _("Left unchanged, not yours to manage: %(users)s") % {"users": ", ".join(skipped)},
                messages.WARNING,
            )
        return list(allowed)

    @admin.display(description=_("open chats"), ordering="open_chats")
    def open_chats(self, obj: User) -> int:
        return obj.open_chats

    @admin.action(description=_("Disable their Omnichannel queue"))
    def disable_queue(self, request, queryset):
        agents = self._managed_only(request, queryset)
        for agent in agents:
            set_queue_enabled(agent, enabled=False)
            record_supervisor_action(request, "disable_queue", target=agent.username)
        self.message_user(request, _("Queue disabled for %(n)s agent(s).") % {"n": len(agents)})

    @admin.action(description=_("Sign them out everywhere"))
    def sign_out_everywhere(self, request, queryset):
        agents = self._managed_only(request, queryset)
        for agent in agents:
            ended = sign_out_everywhere(agent, by=request.user)
            record_supervisor_action(
                request, "sign_out", target=agent.username, detail=f"{ended} sessions"
            )
        self.message_user(request, _("Signed out %(n)s agent(s).") % {"n": len(agents)})

    def get_readonly_fields(self, request, obj=None):
        """Only a superuser makes staff, managers and superusers, hands out raw permissions or
        sets whom a manager supervises; nobody raises their own rights."""
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions", "is_staff", "supervised_departments"]
            if obj is not None and obj.pk == request.user.pk:
                readonly += ["groups", "is_active"]
        return readonly

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # A manager gives or takes the LiveChat Agent role, and no other.
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(name=AGENT_ROLE)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        kept = []
        if change and not request.user.is_superuser and "groups" in form.fields:
            # Roles the manager was not offered stay as they were.
            kept = list(form.instance.groups.exclude(name=AGENT_ROLE))
        super().save_related(request, form, formsets, change)
        if kept:
            form.instance.groups.add(*kept)
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
    ordering = ["name"]  # the model's ordering does not apply to the annotated (grouped) query
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


def _without_keys(items, keys: set[str]):
    """Admin's nested list of what a deletion takes along, with API token keys masked."""
    if isinstance(items, list):
        return [_without_keys(item, keys) for item in items]
    text = str(items)
    for key in keys:
        text = text.replace(key, mask_key(key))
    # A key is hexadecimal: masking it keeps linked (safe) entries safe.
    return mark_safe(text) if isinstance(items, SafeData) else text  # noqa: S308


admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class ApiTokenAdmin(TokenAdmin):
    """API tokens: listed by their first characters, the whole key shown once when created.

    A manager creates, sees and revokes the tokens of the agents they manage only; a token is
    never changed (revoke it and create another), so there is no page of one token.
    """

    list_display = ["user", "masked_key", "created", "revoke"]
    list_display_links = None
    list_select_related = ["user"]
    fields = ["user"]

    def get_queryset(self, request):
        tokens = super().get_queryset(request).select_related("user")
        if request.user.is_superuser:
            return tokens
        return tokens.filter(user__in=manageable_users(request, User.objects.all()))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = manageable_users(request, User.objects.order_by("username"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        raise Http404

    def history_view(self, request, object_id, extra_context=None):
        raise Http404

    @admin.display(description=_("key"))
    def masked_key(self, token: Token) -> str:
        return mask_key(token.key)

    @admin.display(description=_("revoke"))
    def revoke(self, token: Token) -> str:
        url = reverse("admin:authtoken_tokenproxy_delete", args=[token.user_id])
        return format_html('<a href="{}">{}</a>', url, _("Revoke"))

    def log_addition(self, request, obj, message):
        # Admin's own log would keep the whole key as the object's name.
        record_supervisor_action(
            request, "create_api_token", target=obj.user.username, detail=mask_key(obj.key)
        )

    def log_deletions(self, request, queryset):
        for token in queryset:
            record_supervisor_action(
                request, "revoke_api_token", target=token.user.username, detail=mask_key(token.key)
            )

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(
            request,
            _(
                "The API token of %(user)s is %(key)s. Copy it now: it is not shown again, only "
                "its first characters."
            )
            % {"user": obj.user.username, "key": obj.key},
            messages.WARNING,
        )
        return HttpResponseRedirect(reverse("admin:authtoken_tokenproxy_changelist"))

    def delete_view(self, request, object_id, extra_context=None):
        token = self.get_object(request, unquote(object_id))
        extra = {
            "title": _("Revoke"),
            "masked_key": mask_key(token.key) if token else "",
            **(extra_context or {}),
        }
        return super().delete_view(request, object_id, extra)

    def response_delete(self, request, obj_display, obj_id):
        self.message_user(request, _("The API token was revoked."), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:authtoken_tokenproxy_changelist"))
