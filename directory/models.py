from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """Where a contact writes from."""

    LIVECHAT = "livechat", _("Website chat")
    FACEBOOK = "facebook", _("Facebook Messenger")
    API = "api", _("API")


class GuestNumber(models.Model):
    """A counter that never repeats: each nameless contact takes the next row's id."""

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("guest number")

    def __str__(self) -> str:
        return f"guest-{self.pk}"


class Contact(models.Model):
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    guest_number = models.PositiveBigIntegerField(_("guest number"), null=True, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            # The Contact Center sorts by these; the id breaks ties so pages never overlap.
            models.Index(fields=["email", "id"], name="contact_email"),
            models.Index(fields=["created_at", "id"], name="contact_created"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        return f"guest-{self.guest_number}" if self.guest_number else f"guest-{self.pk}"


class ContactIdentity(models.Model):
    """How a contact is known on one channel: a visitor token's hash, a Facebook PSID, ..."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    external_id = models.CharField(_("external id"), max_length=255)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("channel identity")
        verbose_name_plural = _("channel identities")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], name="unique_identity_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.external_id}"


class CustomField(models.Model):
    """A contact attribute a manager defines in admin: kind, label, whether it is required."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")

    key = models.SlugField(
        _("key"),
        max_length=50,
        unique=True,
        help_text=_("A stable name for programs; it cannot change once values exist."),
    )
    label = models.CharField(_("label"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    choices = models.TextField(
        _("choices"),
        blank=True,
        help_text=_("For a choice field: one option per line."),
    )
    required = models.BooleanField(_("required"), default=False)
    help_text = models.CharField(_("help text"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    enabled = models.BooleanField(
        _("enabled"),
        default=True,
        help_text=_("Disabled fields are hidden from agents; their values are kept."),
    )

    class Meta:
        ordering = ["position", "label", "id"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")

    def __str__(self) -> str:
        return self.label

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class ContactFieldValue(models.Model):
    """A contact's value of one custom field, stored in a canonical text form.

    Numbers as plain decimals ("12.5"), dates as ISO dates ("2026-01-31"), choices as the option.
    """

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="field_values", verbose_name=_("contact")
    )
    field = models.ForeignKey(
        CustomField, on_delete=models.CASCADE, related_name="values", verbose_name=_("field")
    )
    value = models.TextField(_("value"))

    class Meta:
        verbose_name = _("custom field value")
        verbose_name_plural = _("custom field values")
        constraints = [
            models.UniqueConstraint(fields=["contact", "field"], name="one_value_per_contact_field")
        ]

    def __str__(self) -> str:
        return f"{self.field}: {self.value}"


class ContactEdit(models.Model):
    """One change of one contact attribute: who, when, old and new value. Never edited."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="edits", verbose_name=_("contact")
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    # "name", "email", "phone", or "custom:<key>" for a custom field.
    field = models.CharField(_("field"), max_length=60)
    # The field's label when the change was made, so history reads the same after a rename.
    label = models.CharField(_("label"), max_length=100)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("contact edit")
        verbose_name_plural = _("contact edits")
        indexes = [models.Index(fields=["contact", "-at"], name="contact_edit_history")]

    def __str__(self) -> str:
        return f"{self.label}: {self.old_value!r} -> {self.new_value!r}"


class ContactMerge(models.Model):
    """Two contacts found to be one person: what moved from the merged one to the survivor."""

    survivor = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="merges", verbose_name=_("survivor")
    )
    # The merged contact is deleted; its id and name are kept here for the record.
    merged_contact_id = models.BigIntegerField(_("merged contact id"))
    merged_name = models.CharField(_("merged contact"), max_length=200)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    moved = models.JSONField(_("moved"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("contact merge")
        verbose_name_plural = _("contact merges")

    def __str__(self) -> str:
        return f"{self.merged_name} -> {self.survivor}"


class Call(models.Model):
    """A phone call an external telephony system reported; we only keep the record."""

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    class Outcome(models.TextChoices):
        ANSWERED = "answered", _("Answered")
        MISSED = "missed", _("Missed")
        NO_ANSWER = "no_answer", _("No answer")
        BUSY = "busy", _("Busy")
        VOICEMAIL = "voicemail", _("Voicemail")
        FAILED = "failed", _("Failed")

    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="calls", verbose_name=_("contact")
    )
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (s)"), default=0)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calls",
        verbose_name=_("agent"),
    )
    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calls",
        verbose_name=_("department"),
    )
    recording_url = models.URLField(_("recording URL"), max_length=500, blank=True)
    # The telephony system's own id of the call: a repeated push is stored once.
    external_id = models.CharField(  # noqa: DJ001
        _("external id"), max_length=255, null=True, blank=True
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reported by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        indexes = [
            models.Index(fields=["contact", "-started_at"], name="call_contact_started"),
            models.Index(fields=["-started_at", "-id"], name="call_started"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=models.Q(external_id__isnull=False),
                name="unique_call_external_id",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True)
                | models.Q(ended_at__gte=models.F("started_at")),
                name="call_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.contact} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self) -> timedelta:
        return timedelta(seconds=self.duration_seconds)
