"""Team chat in the supervisor console: to look at, never to change (the services change it)."""

from django.contrib import admin

from teamchat.models import Chat, Membership, Team


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ["user", "role", "joined_at", "unread_count", "mention_count"]
    readonly_fields = fields
    raw_id_fields = ["user"]
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Chat)
class ChatAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "team", "created_at", "last_message_at", "archived_at"]
    list_filter = ["kind", "archived_at"]
    list_select_related = ["team"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Team)
class TeamAdmin(ReadOnlyAdmin):
    list_display = ["name", "private", "created_by", "created_at"]
    list_filter = ["private"]
    list_select_related = ["created_by"]
    search_fields = ["name"]
