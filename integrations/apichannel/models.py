"""The API channel: external systems (an SMS gateway, a WhatsApp provider, an in-app chat)
that post their users' messages to us and receive the agents' replies at a callback URL."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from integrations.webhooks.models import AbstractAttempt, DeliveryStatus


class ApiChannel(models.Model):
    name = models.CharField(_("name"), max_length=100)
    key = models.SlugField(
        _("key"),
        max_length=64,
        unique=True,
        help_text=_("In the inbound URL: /api/v1/inbound/<key>/messages/."),
    )
    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.PROTECT,
        related_name="api_channels",
        verbose_name=_("department"),
    )
    callback_url = models.URLField(
        _("callback URL"),
        max_length=500,
        blank=True,
        help_text=_("Agents' replies are POSTed here, signed; empty means nothing is sent."),
    )
    secret = models.CharField(
        _("secret"),
        max_length=128,
        help_text=_("Signs inbound requests and outbound callbacks (HMAC-SHA256)."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("API channel")
        verbose_name_plural = _("API channels")

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"


class CallbackDelivery(models.Model):
    """One agent reply (one event) sent to the channel's callback URL."""

    channel = models.ForeignKey(ApiChannel, on_delete=models.CASCADE, related_name="deliveries")
    event = models.OneToOneField("omnichannel.Event", on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(
        "rooms.Message", on_delete=models.CASCADE, related_name="api_callbacks"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempt_count = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # Set while one worker holds the current attempt (a lease): no second sender meanwhile.
    claimed_at = models.DateTimeField(_("attempt started"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("callback delivery")
        verbose_name_plural = _("callback deliveries")

    def __str__(self) -> str:
        return f"message {self.message_id} -> {self.channel}"


class CallbackAttempt(AbstractAttempt):
    delivery = models.ForeignKey(
        CallbackDelivery, on_delete=models.CASCADE, related_name="attempts"
    )

    class Meta(AbstractAttempt.Meta):
        verbose_name = _("callback attempt")
        verbose_name_plural = _("callback attempts")
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="one_callback_attempt")
        ]
