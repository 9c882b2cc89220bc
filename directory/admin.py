"""Directory in the supervisor console: custom field definitions, contacts, calls, merges.

Contacts change only through directory.services: the change form saves with update_contact
(so every edit is in the contact's history) and merging is an action that calls
merge_contacts. Identities, values, history and calls are shown, never edited here.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from directory import services
from directory.errors import InvalidContactDetails
from directory.forms import CUSTOM_FIELD_PREFIX, custom_form_field
from directory.models import (
    Call,
    Contact,
    ContactEdit,
    ContactFieldValue,
    ContactIdentity,
    ContactMerge,
    CustomField,
)
from directory.selectors import custom_values_of, enabled_custom_fields
from omnichannel.errors import DomainError
from omnichannel.supervision import scope_queryset


class CustomFieldForm(forms.ModelForm):
    class Meta:
        model = CustomField
        fields = ["label", "key", "kind", "choices", "required", "help_text", "position", "enabled"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == CustomField.Kind.CHOICE and not [
            line for line in (cleaned.get("choices") or "").splitlines() if line.strip()
        ]:
            self.add_error("choices", _("A choice field needs at least one option."))
        return cleaned


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin):
    """Managers define the contact fields agents fill in: text, number, date or choice."""

    form = CustomFieldForm
    list_display = ["label", "key", "kind", "required", "enabled", "position"]
    list_editable = ["position"]
    list_filter = ["kind", "required", "enabled"]
    search_fields = ["label", "key"]
    prepopulated_fields = {"key": ["label"]}

    def get_readonly_fields(self, request, obj=None):
        # Values and history refer to the key; it stays once values exist.
        if obj is not None and obj.values.exists():
            return ["key"]
        return []


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class IdentityInline(ReadOnlyInline):
    model = ContactIdentity
    fields = ["channel", "external_id", "created_at"]
    readonly_fields = fields


class FieldValueInline(ReadOnlyInline):
    model = ContactFieldValue
    fields = ["field", "value"]
    readonly_fields = fields


class EditInline(ReadOnlyInline):
    model = ContactEdit
    fields = ["at", "by", "label", "old_value", "new_value"]
    readonly_fields = fields
    ordering = ["-at", "-id"]
    verbose_name_plural = gettext_lazy("edit history")


class CallInline(ReadOnlyInline):
    model = Call
    fields = ["started_at", "direction", "outcome", "duration_seconds", "agent"]
    readonly_fields = fields
    ordering = ["-started_at"]


class ContactAdminForm(forms.ModelForm):
    """Validated by directory.services, so admin refuses exactly what the service refuses."""

    class Meta:
        model = Contact
        fields = ["name", "email", "phone"]

    def details(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in ("name", "email", "phone")}

    def custom_values(self) -> dict[str, str]:
        return {
            name.removeprefix(CUSTOM_FIELD_PREFIX): value
            for name, value in self.cleaned_data.items()
            if name.startswith(CUSTOM_FIELD_PREFIX)
        }

    def clean(self):
        cleaned = super().clean()
        try:
            services.check_contact_changes(details=self.details(), custom=self.custom_values())
        except InvalidContactDetails as error:
            for key, problems in error.errors.items():
                name = key if key in self.fields else f"{CUSTOM_FIELD_PREFIX}{key}"
                for problem in problems:
                    self.add_error(name if name in self.fields else None, problem)
        return cleaned


class MergeForm(forms.Form):
    survivor = forms.TypedChoiceField(label=gettext_lazy("Keep"), coerce=int)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "phone", "created_at"]
    search_fields = ["name", "email", "phone", "identities__external_id"]
    list_filter = ["identities__channel", ("created_at", admin.DateFieldListFilter)]
    readonly_fields = ["guest_number", "created_at", "updated_at"]
    inlines = [IdentityInline, FieldValueInline, EditInline, CallInline]
    actions = ["merge_contacts"]
    show_full_result_count = False

    def get_queryset(self, request):
        # A supervisor of some departments sees the contacts who wrote to them.
        return scope_queryset(request, super().get_queryset(request), "rooms__department")

    def has_add_permission(self, request) -> bool:
        # Contacts arrive from the channels and the API.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Merging, not deleting, is how a duplicate goes away: it keeps the chats.
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        """The contact's details plus one field per enabled custom field."""
        fields = enabled_custom_fields()
        extra = {f"{CUSTOM_FIELD_PREFIX}{field.key}": custom_form_field(field) for field in fields}
        kwargs["fields"] = ["name", "email", "phone", *extra]
        # The form metaclass takes the fields out of the namespace it is given: give it a copy.
        kwargs["form"] = type("ContactAdminForm", (ContactAdminForm,), dict(extra))
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            for row in custom_values_of(obj, fields):
                form.base_fields[f"{CUSTOM_FIELD_PREFIX}{row.field.key}"].initial = row.value
        return form

    def get_fieldsets(self, request, obj=None):
        custom = [f"{CUSTOM_FIELD_PREFIX}{field.key}" for field in enabled_custom_fields()]
        fieldsets = [(None, {"fields": ["name", "email", "phone", *self.readonly_fields]})]
        if custom:
            fieldsets.append((_("Custom fields"), {"fields": custom}))
        return fieldsets

    def save_model(self, request, obj, form, change):
        services.update_contact(
            request.user, obj, details=form.details(), custom=form.custom_values()
        )

    @admin.action(description=gettext_lazy("Merge the two selected contacts"))
    def merge_contacts(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        contacts = list(queryset.order_by("pk")[:3])
        if len(contacts) != 2:
            self.message_user(request, _("Select exactly two contacts to merge."), messages.ERROR)
            return None
        form = MergeForm(request.POST if "confirm" in request.POST else None)
        form.fields["survivor"].choices = [(c.pk, f"{c} (#{c.pk})") for c in contacts]
        if form.is_bound and form.is_valid():
            survivor_id = form.cleaned_data["survivor"]
            survivor = next(c for c in contacts if c.pk == survivor_id)
            merged = next(c for c in contacts if c.pk != survivor_id)
            try:
                services.merge_contacts(request.user, survivor, merged)
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
                return None
            self.message_user(
                request,
                _("%(merged)s was merged into %(survivor)s.")
                % {"merged": merged.display_name, "survivor": survivor.display_name},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Merge contacts"),
            "contacts": contacts,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/directory/contact/merge.html", context)


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    """Call records are what telephony reported: read them here, never rewrite them."""

    list_display = ["started_at", "contact", "direction", "outcome", "duration_seconds", "agent"]
    list_filter = ["direction", "outcome", ("started_at", admin.DateFieldListFilter)]
    search_fields = ["contact__name", "contact__phone", "external_id"]
    list_select_related = ["contact", "agent"]
    date_hierarchy = "started_at"

    def get_queryset(self, request):
        return scope_queryset(request, super().get_queryset(request), "contact__rooms__department")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ContactMerge)
class ContactMergeAdmin(admin.ModelAdmin):
    list_display = ["at", "merged_name", "merged_contact_id", "survivor", "by"]
    list_select_related = ["survivor", "by"]
    readonly_fields = ["survivor", "merged_contact_id", "merged_name", "by", "at", "moved"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
