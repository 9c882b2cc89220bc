"""API channels in the supervisor console; callback deliveries with every attempt."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from integrations.apichannel import services
from integrations.apichannel.models import ApiChannel, CallbackAttempt, CallbackDelivery
from integrations.webhooks import transport
from omnichannel.errors import DomainError


class ApiChannelForm(forms.ModelForm):
    secret = forms.CharField(
        label=_("secret"),
        required=False,
        help_text=_("Leave empty to keep the current one (a new channel gets a random one)."),
    )

    class Meta:
        model = ApiChannel
        fields = ["name", "key", "department", "callback_url", "secret", "enabled"]

    def clean_callback_url(self) -> str:
        url = self.cleaned_data["callback_url"]
        if url:
            try:
                transport.check_target(url)
            except DomainError as error:
                raise forms.ValidationError(error.message) from None
        return url


@admin.register(ApiChannel)
class ApiChannelAdmin(admin.ModelAdmin):
    form = ApiChannelForm
    list_display = ["name", "key", "department", "callback_url", "enabled"]
    list_filter = ["enabled", "department"]
    list_select_related = ["department"]
    search_fields = ["name", "key"]
    readonly_fields = ["created_at"]

    def get_readonly_fields(self, request, obj=None):
        # The key is in the external system's URL and in its contacts' identities.
        return [*self.readonly_fields, "key"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        if change:
            services.update_api_channel(
                ApiChannel.objects.get(pk=obj.pk),
                name=data["name"],
                department=data["department"],
                callback_url=data["callback_url"],
                secret=data["secret"],
                enabled=data["enabled"],
            )
        else:
            channel = services.create_api_channel(
                name=data["name"],
                key=data["key"],
                department=data["department"],
                callback_url=data["callback_url"],
                secret=data["secret"],
                enabled=data["enabled"],
            )
            obj.pk = channel.pk
            self.message_user(
                request,
                _("The channel's secret (shown once here): %(secret)s")
                % {"secret": channel.secret},
                messages.WARNING,
            )


class CallbackAttemptInline(admin.TabularInline):
    model = CallbackAttempt
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


@admin.register(CallbackDelivery)
class CallbackDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "channel", "message", "status", "attempt_count", "last_error"]
    list_filter = ["status", "channel"]
    list_select_related = ["channel", "message"]
    readonly_fields = [
        "channel",
        "event",
        "message",
        "status",
        "attempt_count",
        "next_attempt_at",
        "claimed_at",
        "last_error",
        "created_at",
        "finished_at",
    ]
    inlines = [CallbackAttemptInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
