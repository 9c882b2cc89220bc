"""Forms of the Contact Center: contact search, contact details with custom fields, merging."""

from django import forms
from django.utils.translation import gettext_lazy as _

from directory.models import Contact, CustomField
from directory.selectors import CONTACT_SORTS, DEFAULT_CONTACT_SORT, FieldRow

CUSTOM_FIELD_PREFIX = "cf_"


class ContactSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search contacts"),
        required=False,
        max_length=200,
        strip=True,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, e-mail, phone or channel id")}
        ),
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("-created", _("Newest first")),
            ("created", _("Oldest first")),
            ("name", _("Name (A-Z)")),
            ("-name", _("Name (Z-A)")),
            ("email", _("E-mail (A-Z)")),
            ("-email", _("E-mail (Z-A)")),
        ],
    )

    def criteria(self) -> tuple[str, str]:
        """(text, sort) from valid input; defaults for anything invalid."""
        if not self.is_valid():
            return "", DEFAULT_CONTACT_SORT
        sort = self.cleaned_data.get("sort") or DEFAULT_CONTACT_SORT
        return self.cleaned_data.get(
            "q", ""
        ), sort if sort in CONTACT_SORTS else DEFAULT_CONTACT_SORT


def custom_form_field(field: CustomField) -> forms.Field:
    """A form field for a custom field. It only shapes the input; directory.services validates."""
    options = {"label": field.label, "required": field.required, "help_text": field.help_text}
    match field.kind:
        case CustomField.Kind.NUMBER:
            return forms.CharField(
                widget=forms.TextInput(attrs={"inputmode": "decimal"}), max_length=60, **options
            )
        case CustomField.Kind.DATE:
            return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **options)
        case CustomField.Kind.CHOICE:
            choices = [("", "—"), *((choice, choice) for choice in field.choice_list)]
            # A plain CharField with a select: the service names an unknown option itself.
            return forms.CharField(widget=forms.Select(choices=choices), **options)
    return forms.CharField(max_length=1000, **options)


class ContactForm(forms.Form):
    """Name, e-mail, phone and one field per enabled custom field."""

    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )

    def __init__(self, *args, rows: list[FieldRow], contact: Contact | None = None, **kwargs):
        if contact is not None and not kwargs.get("data") and not args:
            kwargs["initial"] = {
                "name": contact.name,
                "email": contact.email,
                "phone": contact.phone,
                **{f"{CUSTOM_FIELD_PREFIX}{row.field.key}": row.value for row in rows},
            }
        super().__init__(*args, **kwargs)
        self.custom_fields = [row.field for row in rows]
        for field in self.custom_fields:
            self.fields[f"{CUSTOM_FIELD_PREFIX}{field.key}"] = custom_form_field(field)

    def details(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in ("name", "email", "phone")}

    def custom_values(self) -> dict[str, str]:
        return {
            field.key: self.cleaned_data.get(f"{CUSTOM_FIELD_PREFIX}{field.key}", "")
            for field in self.custom_fields
        }

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        """Show what directory.services refused next to the field it concerns."""
        for key, messages in errors.items():
            name = key if key in self.fields else f"{CUSTOM_FIELD_PREFIX}{key}"
            for message in messages:
                self.add_error(name if name in self.fields else None, message)

    def detail_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("name", "email", "phone")]

    def custom_bound_fields(self) -> list[forms.BoundField]:
        return [self[f"{CUSTOM_FIELD_PREFIX}{field.key}"] for field in self.custom_fields]
