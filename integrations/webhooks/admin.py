"""Supervisor console for webhooks: subscriptions, and every delivery with its attempts."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from integrations.webhooks import services, transport
from integrations.webhooks.models import WEBHOOK_EVENTS, Attempt, Delivery, Subscription
from omnichannel.errors import DomainError


class SubscriptionForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("events"), choices=WEBHOOK_EVENTS, widget=forms.CheckboxSelectMultiple
    )
    secret = forms.CharField(
        label=_("secret"),
        required=False,
        help_text=_("Leave empty to keep the current one (a new subscription gets a random one)."),
    )

    class Meta:
        model = Subscription
        fields = ["url", "events", "secret", "description", "enabled"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            transport.check_target(url)
        except DomainError as error:
            raise forms.ValidationError(error.message) from None
        return url


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = [
        "url",
        "enabled",
        "event_list",
        "failing_since",
        "last_success_at",
        "disabled_reason",
    ]
    list_filter = ["enabled"]
    search_fields = ["url", "description"]
    readonly_fields = [
        "failing_since",
        "last_success_at",
        "last_failure_at",
        "disabled_at",
        "disabled_reason",
        "created_by",
        "created_at",
    ]
    actions = ["enable_again"]

    @admin.display(description=_("events"))
    def event_list(self, subscription: Subscription) -> str:
        return ", ".join(subscription.events or [])

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        if change:
            saved = services.update_subscription(
                None,
                Subscription.objects.get(pk=obj.pk),
                url=data["url"],
                events=data["events"],
                secret=data["secret"] or None,
                description=data["description"],
                enabled=data["enabled"],
            )
        else:
            saved = services.create_subscription(
                None,
                url=data["url"],
                events=data["events"],
                secret=data["secret"],
                description=data["description"],
                enabled=data["enabled"],
            )
        obj.pk = saved.pk

    def delete_model(self, request, obj) -> None:
        services.delete_subscription(None, obj)

    def delete_queryset(self, request, queryset) -> None:
        for subscription in queryset:
            services.delete_subscription(None, subscription)

    @admin.action(description=_("Enable again (clears the failure flag)"))
    def enable_again(self, request, queryset) -> None:
        for subscription in queryset:
            services.update_subscription(None, subscription, enabled=True)
        self.message_user(request, _("Enabled."), messages.SUCCESS)


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    fields = [
        "number",
        "started_at",
        "status_code",
        "succeeded",
        "duration_ms",
        "error",
        "response_excerpt",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "event_name",
        "subscription",
        "status",
        "attempt_count",
        "next_attempt_at",
        "last_error",
        "created_at",
    ]
    list_filter = ["status", "event_name"]
    list_select_related = ["subscription"]
    raw_id_fields = ["subscription", "event"]
    readonly_fields = [
        "subscription",
        "event",
        "event_name",
        "payload",
        "status",
        "attempt_count",
        "next_attempt_at",
        "claimed_at",
        "last_error",
        "created_at",
        "finished_at",
    ]
    inlines = [AttemptInline]
    actions = ["send_again"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Send again now"))
    def send_again(self, request, queryset) -> None:
        for delivery in queryset:
            services.redeliver(None, delivery)
        self.message_user(request, _("Queued for sending."), messages.SUCCESS)
