"""Facebook pages, the raw webhook calls they send us, and the sends we owe them."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Department
from rooms.models import Message, Room


def mask_secret(value: str) -> str:
    """Enough of a secret to recognise it, never enough to use it."""
    if not value:
        return ""
    if len(value) <= 8:
        return "•" * 8
    return f"{value[:4]}…{value[-4:]}"


class Page(models.Model):
    """A Facebook Page whose Messenger conversations arrive in one department's queue."""

    page_id = models.CharField(_("page id"), max_length=64, unique=True)
    name = models.CharField(_("page name"), max_length=200)
    access_token = models.TextField(_("page access token"))
    app_secret = models.CharField(_("app secret"), max_length=200)
    verify_token = models.CharField(_("verify token"), max_length=200)
    app_id = models.CharField(
        _("app id"),
        max_length=64,
        blank=True,
        help_text=_("Our Meta app's id: echoes carrying it are our own sends, never recorded."),
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    human_agent_tag = models.BooleanField(
        _("HUMAN_AGENT tag"),
        default=True,
        help_text=_(
            "Reply up to 7 days after the person's last message with Meta's HUMAN_AGENT tag "
            "(the app needs the Human Agent permission); off: 24 hours only."
        ),
    )
    # Set when Facebook refused the token (code 190); cleared by the next call that works or
    # by a new token.
    token_failed_at = models.DateTimeField(_("token stopped working at"), null=True, blank=True)
    token_error = models.TextField(_("token error"), blank=True)
    # Set by the first echo of one of our sends: from then on an interrupted send that Facebook
    # did not echo is known not to have left, and is sent again by itself.
    echoes_seen_at = models.DateTimeField(
        _("echoes of our sends seen since"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Facebook page")
        verbose_name_plural = _("Facebook pages")

    def __str__(self) -> str:
        return f"{self.name} ({self.page_id})"

    @property
    def token_works(self) -> bool:
        return self.token_failed_at is None


class ClosingMessage(models.Model):
    """What Messenger contacts of a department are sent when their conversation is closed."""

    department = models.OneToOneField(
        Department,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("department"),
    )
    text = models.TextField(_("text"), max_length=2000)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("closing message")
        verbose_name_plural = _("closing messages")

    def __str__(self) -> str:
        return str(self.department)


class WebhookEvent(models.Model):
    """One signed POST from Facebook, kept as received so it can always be processed again."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        FAILED = "failed", _("Failed")
        IGNORED = "ignored", _("Ignored")

    body = models.TextField(_("raw body"))
    # The entries' page ids that the matching app secret vouches for.
    page_ids = models.JSONField(_("pages"), default=list, blank=True)
    items = models.PositiveIntegerField(_("messaging items"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        indexes = [models.Index(fields=["status", "received_at"], name="fb_webhook_status")]

    def __str__(self) -> str:
        return f"webhook #{self.pk} ({self.get_status_display()})"


class Delivery(models.Model):
    """One outbound send to Messenger: an agent's reply, or a department's closing message.

    Keyed by the event that asked for it and, for replies, by the message: a repeated event
    or a second dispatch finds the row and sends nothing more.
    """

    class Kind(models.TextChoices):
        REPLY = "reply", _("Agent reply")
        CLOSING = "closing", _("Closing message")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.REPLY)
    event_id = models.BigIntegerField(_("event"), unique=True)
    # The last event that (re)queued this delivery: a retry is accepted once per event.
    last_event_id = models.BigIntegerField(_("last event"))
    message = models.OneToOneField(
        Message,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("message"),
    )
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+")
    page_id = models.CharField(_("page id"), max_length=64)
    text = models.TextField(_("text"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    # Long texts leave in several Messenger messages; a retry resumes after the parts sent.
    parts_sent = models.PositiveSmallIntegerField(_("parts sent"), default=0)
    mids = models.JSONField(_("Facebook message ids"), default=list, blank=True)
    # An echo of this send (recognised by its metadata) proves Facebook accepted it; the
    # metadata names the part, so an interrupted long send resumes after the echoed ones.
    echo_mid = models.CharField(_("echo mid"), max_length=255, blank=True)
    echoed_parts = models.PositiveSmallIntegerField(_("parts echoed"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="fb_delivery_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"


class AttachmentDownload(models.Model):
    """A contact's attachment whose fetch failed for now: tried again until kept or given up.

    Its message is stored meanwhile, showing the link and a note (`note`, a line of the text)
    that the file is not kept yet; settling the download replaces that line.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        KEPT = "kept", _("Kept")
        FAILED = "failed", _("Failed")

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="+", verbose_name=_("message")
    )
    # The attachment's place in the message's meta["attachments"].
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=20)
    url = models.TextField(_("URL"))
    name = models.CharField(_("name"), max_length=255, blank=True)
    note = models.TextField(_("note"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    # The try made when the message arrived counts as the first.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("attachment download")
        verbose_name_plural = _("attachment downloads")
        constraints = [
            models.UniqueConstraint(
                fields=["message", "position"], name="fb_one_download_per_attachment"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="fb_download_status")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.get_status_display()})"
