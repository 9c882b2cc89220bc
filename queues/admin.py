"""The supervisor console's rooms: watch every conversation, step in through the services.

Registered here, not in rooms/, because the actions call the queue services.
"""

import csv

from django import forms
from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from omnichannel.errors import DomainError
from omnichannel.supervision import (
    CappedPaginator,
    DateRangeFilter,
    DepartmentScopedFilter,
    record_supervisor_action,
    scope_agents,
    scope_departments,
    scope_queryset,
)
from queues.errors import RoomChanged
from queues.models import DepartmentRouting, SlaPolicy
from queues.selectors import eligible_agents
from queues.services import (
    assign_room,
    configure_routing,
    return_to_queue,
    save_sla_policy,
    transfer_room,
)
from rooms.models import Message, Room, Tag
from rooms.services import close_room
from rooms.templatetags.rooms_tags import duration

CONVERSATION_PAGE_SIZE = 50


class AgentFilter(admin.SimpleListFilter):
    title = gettext_lazy("agent")
    parameter_name = "agent"

    def lookups(self, request, model_admin):
        served = User.objects.filter(Exists(Room.objects.filter(agent=OuterRef("pk"))))
        agents = scope_agents(request, served)
        return [(str(a.pk), a.display_name) for a in agents.order_by("username")]

    def queryset(self, request, queryset):
        return queryset.filter(agent_id=self.value()) if self.value() else queryset


class RoomForm(forms.Form):
    """The confirmation step of an action: what it needs, and the state the supervisor saw."""

    comment = forms.CharField(label=gettext_lazy("Comment"), required=False, widget=forms.Textarea)


def _seen_state(room: Room) -> str:
    return f"{room.status}:{room.agent_id or ''}"


def _parse_state(value: str) -> tuple[str, int | None]:
    status, _sep, agent = (value or ":").partition(":")
    return status, int(agent) if agent.isdigit() else None


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = [
        "contact_name",
        "channel",
        "department",
        "agent",
        "status",
        "priority",
        "service_level_mark",
        "waiting_or_open",
        "tag_list",
        "created_at",
    ]
    list_filter = [
        "status",
        "priority",
        DepartmentScopedFilter,
        AgentFilter,
        "channel",
        "tags",
        ("created_at", DateRangeFilter),
        ("closed_at", DateRangeFilter),
    ]
    search_fields = ["contact__name", "contact__email", "contact__phone"]
    list_select_related = ["contact", "department", "agent"]
    list_per_page = 50
    # Exact totals of every room in scope on each page cost a second COUNT over them all,
    # and the list's own count stops at 10,000 ("10000+").
    show_full_result_count = False
    paginator = CappedPaginator
    readonly_fields = [
        "contact",
        "channel",
        "source",
        "department",
        "agent",
        "status",
        "priority",
        "first_response_due_at",
        "held_at",
        "created_at",
        "queued_at",
        "taken_at",
        "closed_at",
        "queue_time_display",
        "first_response_at",
        "average_response_display",
        "closing_comment",
        "closed_by",
        "tag_list",
    ]
    fields = readonly_fields
    actions = ["requeue_rooms", "assign_rooms", "transfer_rooms", "close_rooms"]
    change_form_template = "admin/rooms/room/change_form.html"
    change_list_template = "admin/rooms/room/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Room]:
        rooms = (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("name")))
        )
        return scope_queryset(request, rooms, "department_id")

    def get_search_results(self, request, queryset, search_term):
        """Contact fields, or any message of the room: an EXISTS per room, never a join that
        repeats rooms (and needs DISTINCT over all of them)."""
        rooms, _duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            said = Message.objects.filter(room=OuterRef("pk"), text__icontains=term)
            rooms = rooms | queryset.filter(Exists(said))
        return rooms, False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # Rooms change only through the actions, which call the services.
        return False

    def get_urls(self):
        return [
            path(
                "export/",
                self.admin_site.admin_view(self.export_csv),
                name="rooms_room_export",
            ),
            *super().get_urls(),
        ]

    def action_checkbox(self, room: Room) -> str:
        # Admin renders a form widget's template for each row's checkbox; the same markup in
        # one format_html takes an eighth of the list's time off.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            admin.helpers.ACTION_CHECKBOX_NAME,
            room.pk,
            format_html(_("Select this object for an action - {}"), room),
        )

    @admin.display(description=gettext_lazy("contact"), ordering="contact__name")
    def contact_name(self, room: Room) -> str:
        return room.contact.display_name

    @admin.display(description=gettext_lazy("waiting / open / lasted"))
    def waiting_or_open(self, room: Room) -> str:
        if room.status == Room.Status.QUEUED:
            return _("waiting %(time)s") % {"time": duration(room.queue_time)}
        if room.status == Room.Status.TAKEN:
            since = room.taken_at or room.created_at
            return _("open %(time)s") % {"time": duration(timezone.now() - since)}
        lasted = (room.closed_at or room.created_at) - room.created_at
        return _("lasted %(time)s") % {"time": duration(lasted)}

    @admin.display(description=gettext_lazy("SLA"))
    def service_level_mark(self, room: Room) -> str:
        return {"near": _("near due"), "past": _("past due")}.get(room.service_level, "")

    @admin.display(description=gettext_lazy("tags"))
    def tag_list(self, room: Room) -> str:
        return ", ".join(tag.name for tag in room.tags.all())

    @admin.display(description=gettext_lazy("queue time"))
    def queue_time_display(self, room: Room) -> str:
        return duration(room.queue_time)

    @admin.display(description=gettext_lazy("average response time"))
    def average_response_display(self, room: Room) -> str:
        return duration(room.average_response_time)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        room = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if room is not None:
            conversation = Message.objects.filter(room=room).select_related("author")
            paginator = Paginator(conversation.order_by("id"), CONVERSATION_PAGE_SIZE)
            extra_context["conversation"] = paginator.get_page(request.GET.get("messages"))
        return super().change_view(request, object_id, form_url, extra_context)

    def export_csv(self, request: HttpRequest) -> HttpResponse:
        """The filtered list (the same query string as the list page) as CSV."""
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        changelist = self.get_changelist_instance(request)
        rooms = changelist.get_queryset(request)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="rooms.csv"'
        writer = csv.writer(response)
        writer.writerow(
            [
                "id", "contact", "channel", "department", "agent", "status", "created_at",
                "taken_at", "closed_at", "queue_seconds", "first_response_at",
                "average_response_seconds", "tags", "closing_comment",
            ]
        )  # fmt: skip
        for room in rooms:
            average = room.average_response_time
            writer.writerow(
                [
                    room.pk,
                    room.contact.display_name,
                    room.channel,
                    room.department.name,
                    room.agent.display_name if room.agent else "",
                    room.status,
                    room.created_at.isoformat(),
                    room.taken_at.isoformat() if room.taken_at else "",
                    room.closed_at.isoformat() if room.closed_at else "",
                    round(room.queue_time.total_seconds(), 1),
                    room.first_response_at.isoformat() if room.first_response_at else "",
                    round(average.total_seconds(), 1) if average else "",
                    " ".join(tag.name for tag in room.tags.all()),
                    room.closing_comment,
                ]
            )
        record_supervisor_action(request, "export_rooms", detail=f"{rooms.count()} rooms")
        return response

    # Actions: each shows a confirmation page first, then calls the same services as the
    # agent pages, room by room, on the state the supervisor saw.

    def _confirm(self, request, rooms, action, title, form, extra=None) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "rooms": [(room, _seen_state(room)) for room in rooms],
            "action": action,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            **(extra or {}),
        }
        return TemplateResponse(request, "admin/rooms/room/action_confirm.html", context)

    def _apply(self, request, rooms, label, apply_one) -> None:
        done = 0
        for room in rooms:
            seen = _parse_state(request.POST.get(f"state_{room.pk}", ""))
            try:
                if (room.status, room.agent_id) != seen:
                    raise RoomChanged()
                apply_one(room, seen)
            except DomainError as error:
                self.message_user(request, f"{room.contact}: {error.message}", messages.ERROR)
                continue
            done += 1
            record_supervisor_action(
                request, label, room=room, detail=request.POST.get("comment", "")
            )
        if done:
            self.message_user(
                request,
                _("%(action)s: %(count)s chat(s) done.") % {"action": label, "count": done},
                messages.SUCCESS,
            )

    @admin.action(description=gettext_lazy("Return to the queue"))
    def requeue_rooms(self, request, queryset):
        if request.POST.get("apply"):
            self._apply(
                request,
                queryset,
                "return_to_queue",
                lambda room, seen: return_to_queue(request.user, room),
            )
            return None
        return self._confirm(request, queryset, "requeue_rooms", _("Return to the queue"), None)

    @admin.action(description=gettext_lazy("Assign to an agent"))
    def assign_rooms(self, request, queryset):
        departments = set(queryset.values_list("department_id", flat=True))
        eligible = User.objects.none()
        if len(departments) == 1:
            eligible = scope_agents(request, eligible_agents(departments.pop()))
        if request.POST.get("apply"):
            agent = eligible.filter(pk=request.POST.get("agent") or 0).first()
            if agent is None:
                self.message_user(
                    request, _("Choose an agent who may take these chats."), messages.ERROR
                )
                return None
            self._apply(
                request,
                queryset,
                "assign",
                lambda room, seen: assign_room(
                    request.user,
                    room,
                    agent,
                    expected_status=seen[0],
                    expected_agent_id=seen[1],
                    comment=request.POST.get("comment", ""),
                ),
            )
            return None
        return self._confirm(
            request,
            queryset,
            "assign_rooms",
            _("Assign to an agent"),
            RoomForm(),
            {"agents": eligible, "mixed_departments": not eligible.exists()},
        )

    @admin.action(description=gettext_lazy("Transfer to a department"))
    def transfer_rooms(self, request, queryset):
        departments = scope_departments(request).filter(enabled=True)
        if request.POST.get("apply"):
            department = departments.filter(pk=request.POST.get("department") or 0).first()
            if department is None:
                self.message_user(request, _("Choose a department."), messages.ERROR)
                return None
            self._apply(
                request,
                queryset,
                "transfer",
                lambda room, seen: transfer_room(
                    request.user,
                    room,
                    department,
                    expected_status=seen[0],
                    expected_agent_id=seen[1],
                    comment=request.POST.get("comment", ""),
                ),
            )
            return None
        return self._confirm(
            request,
            queryset,
            "transfer_rooms",
            _("Transfer to a department"),
            RoomForm(),
            {"departments": departments, "comment_required": True},
        )

    @admin.action(description=gettext_lazy("Close"))
    def close_rooms(self, request, queryset):
        if request.POST.get("apply"):
            tags = request.POST.get("tags", "").split(",")
            self._apply(
                request,
                queryset,
                "close",
                lambda room, seen: close_room(
                    request.user, room, comment=request.POST.get("comment", ""), tags=tags
                ),
            )
            return None
        return self._confirm(
            request,
            queryset,
            "close_rooms",
            _("Close"),
            RoomForm(),
            {"comment_required": True, "with_tags": True},
        )


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "first_response_minutes", "warning_minutes"]
    search_fields = ["name"]
    fields = ["name", "description", "first_response_minutes", "warning_minutes"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Departments point at their policy, and rooms keep the due times it gave them.
        return False

    def save_model(self, request, obj, form, change) -> None:
        try:
            saved = save_sla_policy(
                request.user,
                obj if change else None,
                name=form.cleaned_data["name"],
                description=form.cleaned_data.get("description", ""),
                first_response_minutes=form.cleaned_data["first_response_minutes"],
                warning_minutes=form.cleaned_data["warning_minutes"],
            )
        except DomainError as error:
            # The form validated the model's constraints; what is left is a lost race.
            self.message_user(request, error.message, messages.ERROR)
            return
        obj.pk = saved.pk


@admin.register(DepartmentRouting)
class DepartmentRoutingAdmin(admin.ModelAdmin):
    """How each department's queue is served; a department not listed is served manually."""

    list_display = ["department", "policy", "default_priority", "sla_policy", "updated_at"]
    list_filter = ["policy"]
    list_select_related = ["department", "sla_policy"]
    fields = ["department", "policy", "default_priority", "sla_policy"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DepartmentRouting]:
        return scope_queryset(request, super().get_queryset(request), "department_id")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department":
            kwargs["queryset"] = scope_departments(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return ["department"] if obj else []

    def save_model(self, request, obj, form, change) -> None:
        try:
            saved = configure_routing(
                request.user,
                obj.department,
                policy=form.cleaned_data["policy"],
                default_priority=form.cleaned_data["default_priority"],
                sla_policy=form.cleaned_data["sla_policy"],
            )
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        obj.pk = saved.pk
