"""Productivity in the supervisor console: canned responses, business hours and holidays,
inactivity rules; surveys and transcript requests read-only.

Every save goes through productivity.services, and every form runs the service's checks in
`clean`, so admin refuses exactly what the service refuses (a shortcut already taken,
overlapping hours) and saves nothing then.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.selectors import supervised_department_ids
from omnichannel.admin import ReadOnlyAdmin
from omnichannel.errors import DomainError
from omnichannel.supervision import DepartmentScopedFilter, scope_departments, scope_queryset
from productivity import selectors, services
from productivity.errors import ShortcutTaken
from productivity.models import (
    BusinessHours,
    CannedResponse,
    Holiday,
    InactivityPolicy,
    OfflineMessage,
    OpeningInterval,
    SurveyResponse,
    TranscriptRequest,
)


class ScopedDepartmentFormMixin:
    """The department choice lists only the supervisor's departments."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department":
            kwargs["queryset"] = scope_departments(request).order_by("name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- canned responses ---------------------------------------------------------------------------


class CannedResponseAdminForm(forms.ModelForm):
    class Meta:
        model = CannedResponse
        fields = ["scope", "department", "shortcut", "text"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        instance = self.instance
        try:
            shortcut, text = services.check_canned_response(
                self.request.user,
                scope=instance.scope if instance.pk else cleaned.get("scope"),
                shortcut=cleaned.get("shortcut"),
                text=cleaned.get("text"),
                department=instance.department if instance.pk else cleaned.get("department"),
                owner=instance.owner if instance.pk else None,
                exclude_pk=instance.pk,
            )
        except DomainError as error:
            self.add_error("shortcut" if isinstance(error, ShortcutTaken) else None, error.message)
        else:
            cleaned.update(shortcut=shortcut, text=text)
        return cleaned

    def validate_constraints(self, exclude=None) -> None:
        # The service's check above covers the constraints, with the scope named; the owner
        # of a personal response is only set when the service saves it.
        return


@admin.register(CannedResponse)
class CannedResponseAdmin(ScopedDepartmentFormMixin, admin.ModelAdmin):
    form = CannedResponseAdminForm
    list_display = ["__str__", "scope", "department", "owner", "short_text", "updated_at"]
    list_filter = ["scope", DepartmentScopedFilter]
    list_select_related = ["department", "owner"]
    search_fields = ["shortcut", "text"]
    readonly_fields = ["owner", "created_by", "created_at", "updated_at"]

    @admin.display(description=_("text"))
    def short_text(self, response: CannedResponse) -> str:
        return response.text[:80]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request
        return form

    def get_readonly_fields(self, request, obj=None):
        # Scope and department stay what they were; a new shortcut is a new response.
        if obj is not None:
            return [*self.readonly_fields, "scope", "department"]
        return self.readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[CannedResponse]:
        queryset = super().get_queryset(request)
        scope = supervised_department_ids(request.user)
        if scope is None:
            return queryset
        return queryset.filter(
            Q(scope=CannedResponse.Scope.GLOBAL)
            | Q(department_id__in=scope)
            | Q(owner=request.user)
            | Q(owner__memberships__department_id__in=scope)
        ).distinct()

    def save_model(self, request, obj: CannedResponse, form, change: bool) -> None:
        data = form.cleaned_data
        if change:
            saved = services.update_canned_response(
                request.user,
                CannedResponse.objects.get(pk=obj.pk),
                shortcut=data["shortcut"],
                text=data["text"],
            )
        else:
            saved = services.create_canned_response(
                request.user,
                scope=data["scope"],
                shortcut=data["shortcut"],
                text=data["text"],
                department=data.get("department"),
            )
        obj.pk = saved.pk
        obj._state.adding = False

    def delete_model(self, request, obj: CannedResponse) -> None:
        services.delete_canned_response(request.user, obj)

    def delete_queryset(self, request, queryset: QuerySet[CannedResponse]) -> None:
        for response in queryset:
            try:
                services.delete_canned_response(request.user, response)
            except DomainError as error:
                self.message_user(request, f"!{response.shortcut}: {error.message}", messages.ERROR)


# --- business hours -----------------------------------------------------------------------------


class IntervalFormSet(forms.BaseInlineFormSet):
    def intervals(self) -> list[services.Interval]:
        return [
            services.Interval(
                weekday=int(form.cleaned_data["weekday"]),
                opens_at=form.cleaned_data["opens_at"],
                closes_at=form.cleaned_data["closes_at"],
            )
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        try:
            services.check_intervals(self.intervals())
        except DomainError as error:
            raise forms.ValidationError(error.message) from None


class HolidayFormSet(forms.BaseInlineFormSet):
    def holidays(self) -> list[tuple]:
        return [
            (form.cleaned_data["date"], form.cleaned_data.get("name", ""))
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def validate_unique(self) -> None:
        # The service names the repeated date itself (see clean).
        return

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        try:
            services.check_holidays(self.holidays())
        except DomainError as error:
            raise forms.ValidationError(error.message) from None


class IntervalInline(admin.TabularInline):
    model = OpeningInterval
    formset = IntervalFormSet
    extra = 1
    fields = ["weekday", "opens_at", "closes_at"]


class HolidayInline(admin.TabularInline):
    model = Holiday
    formset = HolidayFormSet
    extra = 1
    fields = ["date", "name"]


class BusinessHoursForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("time zone"), choices=())

    class Meta:
        model = BusinessHours
        fields = ["department", "time_zone", "enabled"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(z, z) for z in sorted(selectors.time_zone_names())]


@admin.register(BusinessHours)
class BusinessHoursAdmin(ScopedDepartmentFormMixin, admin.ModelAdmin):
    form = BusinessHoursForm
    inlines = [IntervalInline, HolidayInline]
    list_display = ["department", "time_zone", "enabled", "schedule", "updated_at"]
    list_select_related = ["department"]
    list_filter = ["enabled"]

    @admin.display(description=_("weekly hours"))
    def schedule(self, hours: BusinessHours) -> str:
        return ", ".join(str(interval) for interval in hours.intervals.all())

    def get_queryset(self, request: HttpRequest) -> QuerySet[BusinessHours]:
        queryset = super().get_queryset(request).prefetch_related("intervals")
        return scope_queryset(request, queryset, "department_id")

    def get_readonly_fields(self, request, obj=None):
        return ["department", "updated_at"] if obj is not None else ["updated_at"]

    def save_model(self, request, obj: BusinessHours, form, change: bool) -> None:
        # The hours alone here; their intervals and holidays in save_related (same transaction:
        # admin wraps the whole change in one).
        saved = services.save_business_hours(
            request.user,
            obj.department,
            time_zone=form.cleaned_data["time_zone"],
            enabled=form.cleaned_data["enabled"],
        )
        obj.pk = saved.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change: bool) -> None:
        intervals = holidays = None
        for formset in formsets:
            if isinstance(formset, IntervalFormSet):
                intervals = formset.intervals()
            elif isinstance(formset, HolidayFormSet):
                holidays = formset.holidays()
            # Saved by the service, not by the formsets: nothing for the change message.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        services.save_business_hours(
            request.user,
            form.instance.department,
            time_zone=form.cleaned_data["time_zone"],
            enabled=form.cleaned_data["enabled"],
            intervals=intervals,
            holidays=holidays,
        )


# --- inactivity ---------------------------------------------------------------------------------


class InactivityPolicyForm(forms.ModelForm):
    class Meta:
        model = InactivityPolicy
        fields = [
            "department",
            "enabled",
            "timeout_minutes",
            "warning_minutes",
            "closing_comment",
            "tag",
        ]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            timeout, warning, comment, tag = services.check_inactivity_policy(
                timeout_minutes=cleaned.get("timeout_minutes"),
                warning_minutes=cleaned.get("warning_minutes"),
                closing_comment=cleaned.get("closing_comment"),
                tag=cleaned.get("tag"),
            )
        except DomainError as error:
            raise forms.ValidationError(error.message) from None
        cleaned.update(
            timeout_minutes=timeout, warning_minutes=warning, closing_comment=comment, tag=tag
        )
        return cleaned

    def validate_constraints(self, exclude=None) -> None:
        # The service's check above says the same in words; the database keeps the constraint.
        return


@admin.register(InactivityPolicy)
class InactivityPolicyAdmin(ScopedDepartmentFormMixin, admin.ModelAdmin):
    form = InactivityPolicyForm
    list_display = ["department", "enabled", "timeout_minutes", "warning_minutes", "tag"]
    list_select_related = ["department"]
    list_filter = ["enabled"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[InactivityPolicy]:
        return scope_queryset(request, super().get_queryset(request), "department_id")

    def get_readonly_fields(self, request, obj=None):
        return ["department", "updated_at"] if obj is not None else ["updated_at"]

    def save_model(self, request, obj: InactivityPolicy, form, change: bool) -> None:
        data = form.cleaned_data
        saved = services.save_inactivity_policy(
            request.user,
            obj.department,
            timeout_minutes=data["timeout_minutes"],
            warning_minutes=data["warning_minutes"],
            closing_comment=data["closing_comment"],
            tag=data["tag"],
            enabled=data["enabled"],
        )
        obj.pk = saved.pk
        obj._state.adding = False


# --- what visitors left: read-only --------------------------------------------------------------


class RoomDepartmentFilter(DepartmentScopedFilter):
    department_path = "room__department_id"


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdmin):
    list_display = ["room", "rating", "comment", "agent", "department", "created_at"]
    list_filter = ["rating", RoomDepartmentFilter]
    list_select_related = ["room__contact", "room__agent", "room__department"]
    search_fields = ["comment"]
    date_hierarchy = None

    @admin.display(description=_("agent"))
    def agent(self, survey: SurveyResponse) -> str:
        return survey.room.agent.display_name if survey.room.agent else "—"

    @admin.display(description=_("department"))
    def department(self, survey: SurveyResponse) -> str:
        return survey.room.department.name

    def get_queryset(self, request: HttpRequest) -> QuerySet[SurveyResponse]:
        return scope_queryset(request, super().get_queryset(request), "room__department_id")


@admin.register(TranscriptRequest)
class TranscriptRequestAdmin(ReadOnlyAdmin):
    list_display = ["room", "email", "status", "requested_at", "sent_at", "error"]
    list_filter = ["status"]
    list_select_related = ["room__contact"]
    search_fields = ["email"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[TranscriptRequest]:
        return scope_queryset(request, super().get_queryset(request), "room__department_id")


@admin.register(OfflineMessage)
class OfflineMessageAdmin(ReadOnlyAdmin):
    list_display = ["room", "email", "left_at"]
    list_select_related = ["room__contact"]
    search_fields = ["email"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OfflineMessage]:
        return scope_queryset(request, super().get_queryset(request), "room__department_id")
