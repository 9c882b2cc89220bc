"""Outbound webhooks: who wants which events, each event's delivery, and every attempt."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# What subscribers may ask for; the names are the domain events' own.
WEBHOOK_EVENTS = (
    ("room.queued", _("Room queued")),
    ("room.taken", _("Room taken")),
    ("room.returned", _("Room returned to the queue")),
    ("room.transferred", _("Room transferred")),
    ("room.closed", _("Room closed")),
    ("room.held", _("Room put on hold")),
    ("room.resumed", _("Room resumed from hold")),
    ("room.service_level_changed", _("Room priority or SLA changed")),
    ("message.created", _("Message created (contact, agent or system)")),
    ("message.status_changed", _("Message delivery status changed")),
    ("contact.created", _("Contact created")),
    ("contact.updated", _("Contact updated")),
)
WEBHOOK_EVENT_NAMES = frozenset(name for name, _label in WEBHOOK_EVENTS)


class Subscription(models.Model):
    url = models.URLField(_("target URL"), max_length=500)
    events = models.JSONField(
        _("events"), default=list, help_text=_("The event names to send; the list is fixed.")
    )
    secret = models.CharField(
        _("secret"), max_length=128, help_text=_("Signs every body (HMAC-SHA256).")
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Start of the current run of failures; cleared by any success.
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("last failure"), null=True, blank=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.url

    def wants(self, event_name: str) -> bool:
        return event_name in (self.events or [])


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One event for one subscription; sent until it succeeds or the retry window ends."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey("omnichannel.Event", on_delete=models.CASCADE, related_name="+")
    event_name = models.CharField(_("event"), max_length=64)
    payload = models.JSONField(_("payload"))
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
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"], name="one_delivery_per_subscription_event"
            )
        ]
        indexes = [models.Index(fields=["subscription", "-id"], name="delivery_subscription")]

    def __str__(self) -> str:
        return f"{self.event_name} #{self.event_id} -> {self.subscription_id}"


class AbstractAttempt(models.Model):
    """One try at sending: when, how long, what came back."""

    number = models.PositiveIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("at"), default=timezone.now)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    status_code = models.PositiveIntegerField(_("HTTP status"), null=True, blank=True)
    succeeded = models.BooleanField(_("succeeded"), default=False)
    error = models.CharField(_("error"), max_length=500, blank=True)
    response_excerpt = models.TextField(_("response (excerpt)"), blank=True)

    class Meta:
        abstract = True
        ordering = ["number"]

    def __str__(self) -> str:
        outcome = self.status_code or self.error or "-"
        return f"#{self.number}: {outcome}"


class Attempt(AbstractAttempt):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")

    class Meta(AbstractAttempt.Meta):
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="one_webhook_attempt")
        ]
