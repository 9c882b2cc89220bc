from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Department
from directory.models import Channel, Contact
from rooms import filetypes
from rooms.message_actions import edit_window, message_url, message_urls, within_edit_window


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    """One conversation with a contact, from arrival in the queue to closing."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        TAKEN = "taken", _("In progress")
        CLOSED = "closed", _("Closed")

    class Priority(models.IntegerChoices):
        """Higher is served first; the API names them in lower case ("high")."""

        LOW = 1, _("Low")
        NORMAL = 2, _("Normal")
        HIGH = 3, _("High")
        URGENT = 4, _("Urgent")

    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="rooms", verbose_name=_("contact")
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    # Which endpoint of the channel the conversation came through: a Facebook page id, an API
    # channel key; empty for the website chat. Replies leave through the same one.
    source = models.CharField(_("source"), max_length=100, blank=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="rooms", verbose_name=_("department")
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="served_rooms",
        verbose_name=_("agent"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # First arrival in the queue; never reset, so a returned chat keeps its place.
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    # Start of the current wait (equals queued_at until the chat is returned).
    waiting_since = models.DateTimeField(_("waiting since"), null=True, blank=True)
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Sum of every completed wait in the queue; returning a chat adds to it, never resets it.
    queue_seconds = models.FloatField(_("queue time (s)"), default=0)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    # Oldest contact message that no agent has answered yet.
    awaiting_reply_since = models.DateTimeField(null=True, blank=True)
    response_count = models.PositiveIntegerField(default=0)
    response_seconds_total = models.FloatField(default=0)
    last_message_at = models.DateTimeField(_("last message at"), null=True, blank=True)
    closing_comment = models.TextField(_("closing comment"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="rooms", verbose_name=_("tags"))
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    # The service level: when the first answer is due, and from when the room shows as near due.
    # Set from the department's SLA policy on arrival (or by an agent or the API); none: no SLA.
    first_response_due_at = models.DateTimeField(_("first response due at"), null=True, blank=True)
    first_response_warning_at = models.DateTimeField(null=True, blank=True)
    # While set on a taken room, it is on hold: still the agent's, out of their active count.
    # Cleared whenever the room is taken or given again; meaningless on queued or closed rooms.
    held_at = models.DateTimeField(_("on hold since"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        indexes = [
            models.Index(fields=["status", "department", "queued_at"], name="room_queue"),
            models.Index(fields=["agent", "status"], name="room_agent_status"),
            # The Contact Center's Chats tab lists rooms newest first.
            models.Index(fields=["created_at", "id"], name="room_created"),
            # The dashboard counts chats closed today.
            models.Index(fields=["closed_at"], name="room_closed"),
            # A department's queue in serving order: priority, then due time, then wait.
            models.Index(
                fields=["department", "-priority", "first_response_due_at", "queued_at", "id"],
                name="room_queue_order",
                condition=models.Q(status="queued"),
            ),
            # Every department's queue at once (an agent of several, Queued Chats' first 50):
            # read in order and stopped early, instead of sorting the whole queue.
            models.Index(
                fields=["-priority", "first_response_due_at", "queued_at", "id"],
                name="room_queued_serving",
                condition=models.Q(status="queued"),
            ),
            # Load rotation: when each agent was last given a chat.
            models.Index(fields=["agent", "taken_at"], name="room_agent_taken"),
        ]
        constraints = [
            # At most one open room per contact and channel: a second arrival appends to it.
            models.UniqueConstraint(
                fields=["contact", "channel"],
                condition=~models.Q(status="closed"),
                name="one_open_room_per_contact_channel",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="taken") | models.Q(agent__isnull=False),
                name="taken_room_has_agent",
            ),
            models.CheckConstraint(
                condition=models.Q(priority__gte=1, priority__lte=4), name="room_priority_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED

    @property
    def queue_time(self) -> timedelta:
        """Total time spent waiting in the queue, counting the current wait."""
        seconds = self.queue_seconds
        if self.status == self.Status.QUEUED and self.waiting_since:
            seconds += (timezone.now() - self.waiting_since).total_seconds()
        return timedelta(seconds=seconds)

    @property
    def average_response_time(self) -> timedelta | None:
        if not self.response_count:
            return None
        return timedelta(seconds=self.response_seconds_total / self.response_count)

    @property
    def first_response_time(self) -> timedelta | None:
        if not self.first_response_at:
            return None
        return self.first_response_at - self.created_at

    @property
    def priority_name(self) -> str:
        """The priority as the API names it: "low", "normal", "high", "urgent"."""
        return self.Priority(self.priority).name.lower()

    @property
    def on_hold(self) -> bool:
        return self.held_at is not None and self.status == self.Status.TAKEN

    @property
    def service_level(self) -> str:
        """Where the first response stands against its due time: "near", "past", or ""."""
        if self.first_response_due_at is None or self.first_response_at or not self.is_open:
            return ""
        now = timezone.now()
        if now >= self.first_response_due_at:
            return "past"
        if self.first_response_warning_at and now >= self.first_response_warning_at:
            return "near"
        return ""


MESSAGE_ACTIONS = {
    "link": "room-message",
    "thread": "room-thread",
    "edit": "room-message-edit",
    "delete": "room-message-delete",
    "react": "room-message-react",
    "pin": "room-message-pin",
}


class Message(models.Model):
    class Kind(models.TextChoices):
        CONTACT = "contact", _("Contact")
        AGENT = "agent", _("Agent")
        SYSTEM = "system", _("System")

    class Delivery(models.TextChoices):
        PENDING = "pending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        FAILED = "failed", _("Failed")

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    text = models.TextField(_("text"), blank=True)
    html = models.TextField(_("rendered text"), blank=True)
    # System messages are stored as events (a code and its data), so each reader sees them
    # in their own language.
    system_code = models.CharField(max_length=40, blank=True)
    system_data = models.JSONField(default=dict, blank=True)
    # The channel's own id of the message (Facebook mid, API client id), for de-duplication.
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    # NULL, not "", for "none": the unique constraint must ignore messages without one.
    external_id = models.CharField(  # noqa: DJ001
        _("external id"), max_length=255, null=True, blank=True
    )
    delivery_status = models.CharField(
        _("delivery"), max_length=10, choices=Delivery.choices, blank=True
    )
    delivery_error = models.TextField(_("delivery error"), blank=True)
    delivery_updated_at = models.DateTimeField(null=True, blank=True)
    # What a channel adds to a message: a postback payload, a location, "sent from the page inbox".
    meta = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    # Message actions (rooms.services, "message actions"). A thread reply is agent-internal:
    # never shown to the contact nor sent to their channel.
    thread_parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="replies",
        verbose_name=_("thread"),
    )
    reply_count = models.PositiveIntegerField(_("replies"), default=0)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    pinned_at = models.DateTimeField(_("pinned at"), null=True, blank=True)
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("pinned by"),
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["room", "id"], name="message_room_id")]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="unique_external_message_per_channel",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:40]}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def editable_until(self) -> datetime:
        return self.created_at + edit_window()

    def action_url(self, action: str) -> str:
        """Where the shared message actions (rooms/message_actions.html) post or link."""
        return message_url(MESSAGE_ACTIONS[action], self.room_id, self.pk)

    def action_urls(self, actions: Iterable[str]) -> dict[str, str]:
        return message_urls(MESSAGE_ACTIONS, actions, self.room_id, self.pk)

    def is_editable_by(self, user_id: int | None, *, now: datetime | None = None) -> bool:
        """The author's own agent message (or thread reply), not deleted, within the window.

        Where it may be changed at all (not on a channel that already has it) is the service's
        rule; this says only whether the author's time is not up.
        """
        return self.kind == self.Kind.AGENT and within_edit_window(
            author_id=self.author_id,
            user_id=user_id,
            created_at=self.created_at,
            deleted_at=self.deleted_at,
            now=now,
        )


class MessageReaction(models.Model):
    """An agent's emoji on a message of a customer room; agent-internal."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(_("emoji"), max_length=16)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("reaction")
        verbose_name_plural = _("reactions")
        constraints = [
            models.UniqueConstraint(fields=["message", "user", "emoji"], name="room_one_reaction")
        ]

    def __str__(self) -> str:
        return f"{self.emoji} by {self.user_id}"


def attachment_path(attachment: "Attachment", filename: str) -> str:
    # The stored name is random so that one contact cannot guess another's file.
    return f"attachments/{attachment.token}/{filename}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    token = models.CharField(max_length=64, unique=True)
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.kind == "image"

    @property
    def kind(self) -> str:
        """`image`, `video` or `audio` when the page can show or play it; `file` otherwise."""
        return filetypes.kind_of(self.content_type)

    @property
    def served_inline(self) -> bool:
        """Shown by the browser itself; everything else is only ever a download."""
        return self.kind != "file"

    @property
    def type_label(self) -> str:
        return filetypes.label_of(self.content_type)
