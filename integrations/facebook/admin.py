"""Supervisors configure pages here, watch raw webhook calls and deliveries, re-process calls."""

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrations.facebook.models import (
    AttachmentDownload,
    ClosingMessage,
    Delivery,
    Page,
    WebhookEvent,
    mask_secret,
)
from integrations.facebook.services import inbound, pages
from omnichannel.errors import DomainError

SECRET_FIELDS = ("access_token", "app_secret", "verify_token")


class SecretInput(forms.PasswordInput):
    """Shows the stored secret masked as a placeholder; an empty field keeps it."""

    def __init__(self, masked: str = "") -> None:
        super().__init__(render_value=False, attrs={"autocomplete": "off", "size": 60})
        if masked:
            self.attrs["placeholder"] = masked


class PageForm(forms.ModelForm):
    class Meta:
        model = Page
        fields = [
            "page_id",
            "name",
            "department",
            "enabled",
            "human_agent_tag",
            "app_id",
            "access_token",
            "app_secret",
            "verify_token",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        editing = self.instance.pk is not None
        for name in SECRET_FIELDS:
            field = self.fields[name]
            masked = mask_secret(getattr(self.instance, name, "")) if editing else ""
            field.widget = SecretInput(masked)
            field.initial = ""
            field.required = not editing
            if editing:
                field.help_text = _("Stored: %(masked)s. Leave empty to keep it.") % {
                    "masked": masked
                }

    def clean(self) -> dict:
        cleaned = super().clean()
        for name in SECRET_FIELDS:
            if not cleaned.get(name) and self.instance.pk is not None:
                # Nothing typed: keep the stored value.
                cleaned[name] = getattr(Page.objects.get(pk=self.instance.pk), name)
                setattr(self.instance, name, cleaned[name])
                if name in self.changed_data:
                    self.changed_data.remove(name)
        candidate = Page(**{field: cleaned.get(field) for field in self.Meta.fields})
        try:
            pages.validate_page(candidate)
        except DomainError as error:
            raise forms.ValidationError(error.message) from None
        return cleaned


class TokenFilter(admin.SimpleListFilter):
    title = gettext_lazy("access token")
    parameter_name = "token"

    def lookups(self, request, model_admin):
        return [("failed", _("stopped working")), ("ok", _("working"))]

    def queryset(self, request, queryset):
        if self.value() == "failed":
            return queryset.filter(token_failed_at__isnull=False)
        if self.value() == "ok":
            return queryset.filter(token_failed_at__isnull=True)
        return queryset


@admin.register(Page)
class PageAdmin(admin.ModelAdmin):
    form = PageForm
    list_display = ["name", "page_id", "department", "enabled", "token_state", "masked_token"]
    list_filter = ["enabled", TokenFilter, "department"]
    search_fields = ["name", "page_id"]
    list_select_related = ["department"]
    readonly_fields = [
        "token_failed_at",
        "token_error",
        "echoes_seen_at",
        "created_at",
        "updated_at",
    ]
    actions = ["disable_pages"]

    def get_fieldsets(self, request, obj=None):
        main = [
            "page_id",
            "name",
            "department",
            "enabled",
            "human_agent_tag",
            "app_id",
            "access_token",
            "app_secret",
            "verify_token",
        ]
        status = ["token_failed_at", "token_error", "echoes_seen_at", "created_at", "updated_at"]
        return [(None, {"fields": main}), (_("Status"), {"fields": status})]

    @admin.display(description=gettext_lazy("access token"))
    def masked_token(self, page: Page) -> str:
        return mask_secret(page.access_token)

    @admin.display(description=gettext_lazy("token works"), boolean=False)
    def token_state(self, page: Page) -> str:
        if page.token_failed_at is None:
            return format_html('<span style="color:green">{}</span>', _("yes"))
        return format_html(
            '<strong style="color:#ba2121">{}</strong> {}',
            _("stopped working"),
            page.token_failed_at.strftime("%Y-%m-%d %H:%M"),
        )

    def save_model(self, request: HttpRequest, obj: Page, form, change: bool) -> None:
        pages.save_page(obj, changed=form.changed_data)

    @admin.action(description=gettext_lazy("Disable the selected pages"))
    def disable_pages(self, request: HttpRequest, queryset: QuerySet[Page]) -> None:
        for page in queryset:
            pages.disable_page(page.page_id)
        self.message_user(request, _("%(count)s page(s) disabled.") % {"count": queryset.count()})


@admin.register(ClosingMessage)
class ClosingMessageAdmin(admin.ModelAdmin):
    list_display = ["department", "enabled", "text"]
    list_select_related = ["department"]

    def save_model(self, request: HttpRequest, obj: ClosingMessage, form, change: bool) -> None:
        pages.save_closing_message(obj)


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["id", "received_at", "status", "page_list", "items", "attempts", "short_error"]
    list_filter = ["status", ("received_at", admin.DateFieldListFilter)]
    search_fields = ["body"]
    readonly_fields = [
        "received_at",
        "processed_at",
        "status",
        "page_ids",
        "items",
        "attempts",
        "summary",
        "error",
        "body",
    ]
    fields = readonly_fields
    actions = ["reprocess_events"]
    date_hierarchy = "received_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=gettext_lazy("pages"))
    def page_list(self, event: WebhookEvent) -> str:
        return ", ".join(event.page_ids)

    @admin.display(description=gettext_lazy("error"))
    def short_error(self, event: WebhookEvent) -> str:
        return event.error[:120]

    @admin.action(description=gettext_lazy("Re-process the selected webhook calls"))
    def reprocess_events(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> None:
        count = 0
        for event in queryset.exclude(status=WebhookEvent.Status.IGNORED):
            inbound.reprocess(event)
            count += 1
        self.message_user(
            request,
            _("%(count)s webhook call(s) queued for processing; messages already stored are kept.")
            % {"count": count},
        )


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "status",
        "page_id",
        "room",
        "attempts",
        "parts_sent",
        "created_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["page_id", "last_error"]
    list_select_related = ["room__contact"]
    raw_id_fields = ["message", "room"]
    readonly_fields = [
        "kind",
        "status",
        "page_id",
        "room",
        "message",
        "text",
        "event_id",
        "last_event_id",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "parts_sent",
        "mids",
        "echo_mid",
        "echoed_parts",
        "last_error",
        "created_at",
        "updated_at",
    ]
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(AttachmentDownload)
class AttachmentDownloadAdmin(admin.ModelAdmin):
    """Contacts' attachments whose first download failed: retried by the worker and sweeper."""

    list_display = ["id", "kind", "name", "status", "attempts", "next_attempt_at", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["name", "last_error"]
    raw_id_fields = ["message"]
    readonly_fields = [
        "message",
        "position",
        "kind",
        "name",
        "url",
        "note",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "updated_at",
    ]
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
