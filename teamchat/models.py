"""Agents talking to each other: channels, private groups, direct messages and teams."""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The emoji and the edit window are the same in every kind of room.
from rooms.message_actions import REACTIONS as REACTIONS
from rooms.message_actions import edit_window, message_url, message_urls, within_edit_window

NAME_MAX_LENGTH = 50
CHAT_MESSAGE_ACTIONS = {
    "link": "teamchat-message",
    "thread": "teamchat-thread",
    "edit": "teamchat-edit",
    "delete": "teamchat-delete",
    "react": "teamchat-react",
    "pin": "teamchat-pin",
}


class Team(models.Model):
    """A named set of users: the members of its main chat, which also holds its other chats."""

    name = models.CharField(_("name"), max_length=NAME_MAX_LENGTH)
    private = models.BooleanField(
        _("private"), default=False, help_text=_("Only members see a private team.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [models.UniqueConstraint(Lower("name"), name="teamchat_unique_team_name")]

    def __str__(self) -> str:
        return self.name


class Chat(models.Model):
    """A conversation between agents: a public channel, a private group or a direct message."""

    class Kind(models.TextChoices):
        CHANNEL = "channel", _("Channel")
        GROUP = "group", _("Private group")
        DIRECT = "direct", _("Direct message")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # Blank for direct messages, which are known by their members.
    name = models.CharField(_("name"), max_length=NAME_MAX_LENGTH, blank=True)
    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="chats",
        verbose_name=_("team"),
    )
    # The team's main chat: its members are the team's members.
    is_team_main = models.BooleanField(_("main chat of its team"), default=False)
    # The sorted member ids of a direct message, so one set of people has one conversation.
    direct_key = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_message_at = models.DateTimeField(_("last message at"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("chat")
        verbose_name_plural = _("chats")
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                condition=~models.Q(kind="direct"),
                name="teamchat_unique_chat_name",
            ),
            models.UniqueConstraint(
                fields=["direct_key"],
                condition=models.Q(kind="direct"),
                name="teamchat_unique_direct_members",
            ),
            models.UniqueConstraint(
                fields=["team"],
                condition=models.Q(is_team_main=True),
                name="teamchat_one_main_chat_per_team",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="direct", name="")
                | (~models.Q(kind="direct") & ~models.Q(name="")),
                name="teamchat_named_unless_direct",
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"direct #{self.pk}"

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def is_direct(self) -> bool:
        return self.kind == self.Kind.DIRECT

    @property
    def is_private(self) -> bool:
        return self.kind != self.Kind.CHANNEL


class Membership(models.Model):
    """A user's place in a chat: role, and what they have read."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MEMBER = "member", _("Member")

    chat = models.ForeignKey(
        Chat, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("chat")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="chat_memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)
    # Read state: the newest message the member has seen, and what arrived since.
    last_read_message_id = models.BigIntegerField(_("last read message"), null=True, blank=True)
    last_read_at = models.DateTimeField(_("last read at"), null=True, blank=True)
    unread_count = models.PositiveIntegerField(_("unread messages"), default=0)
    mention_count = models.PositiveIntegerField(_("mentions"), default=0)

    class Meta:
        ordering = ["joined_at", "id"]
        verbose_name = _("chat membership")
        verbose_name_plural = _("chat memberships")
        constraints = [
            models.UniqueConstraint(fields=["chat", "user"], name="teamchat_one_membership")
        ]
        indexes = [models.Index(fields=["user", "chat"], name="teamchat_member_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.chat}"

    @property
    def is_owner(self) -> bool:
        return self.role == self.Role.OWNER


class ChatMessage(models.Model):
    class Kind(models.TextChoices):
        USER = "user", _("User")
        SYSTEM = "system", _("System")

    chat = models.ForeignKey(
        Chat, on_delete=models.CASCADE, related_name="messages", verbose_name=_("chat")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.USER)
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
    # System messages are a code and its data, so each reader sees them in their own language.
    system_code = models.CharField(max_length=40, blank=True)
    system_data = models.JSONField(default=dict, blank=True)
    # Ids of the members the message mentions (@here counts every member online then).
    mentioned = models.JSONField(default=list, blank=True)
    thread_parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="replies",
        verbose_name=_("thread"),
    )
    reply_count = models.PositiveIntegerField(_("replies"), default=0)
    last_reply_at = models.DateTimeField(_("last reply at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
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
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        indexes = [
            models.Index(fields=["chat", "thread_parent", "id"], name="teamchat_message_list"),
            models.Index(
                fields=["chat", "pinned_at"],
                condition=models.Q(pinned_at__isnull=False),
                name="teamchat_message_pinned",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:40] or self.system_code

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def editable_until(self) -> datetime:
        return self.created_at + edit_window()

    def action_url(self, action: str) -> str:
        """Where the shared message actions (rooms/message_actions.html) post or link."""
        return message_url(CHAT_MESSAGE_ACTIONS[action], self.chat_id, self.pk)

    def action_urls(self, actions: Iterable[str]) -> dict[str, str]:
        return message_urls(CHAT_MESSAGE_ACTIONS, actions, self.chat_id, self.pk)

    def is_editable_by(self, user_id: int | None, *, now: datetime | None = None) -> bool:
        """The author's own message, not deleted, within the edit window."""
        return self.kind == self.Kind.USER and within_edit_window(
            author_id=self.author_id,
            user_id=user_id,
            created_at=self.created_at,
            deleted_at=self.deleted_at,
            now=now,
        )


class Reaction(models.Model):
    message = models.ForeignKey(ChatMessage, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(_("emoji"), max_length=16)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("reaction")
        verbose_name_plural = _("reactions")
        constraints = [
            models.UniqueConstraint(
                fields=["message", "user", "emoji"], name="teamchat_one_reaction"
            )
        ]

    def __str__(self) -> str:
        return f"{self.emoji} by {self.user_id}"


def chat_file_path(chat_file: "ChatFile", filename: str) -> str:
    # A random folder, so that nobody guesses another chat's file.
    return f"teamchat/{chat_file.token}/{filename}"


class ChatFile(models.Model):
    """A file one agent sent others (only while TEAMCHAT_ALLOW_FILES is on)."""

    message = models.ForeignKey(ChatMessage, on_delete=models.CASCADE, related_name="files")
    token = models.CharField(max_length=64, unique=True)
    file = models.FileField(_("file"), upload_to=chat_file_path, max_length=300)
    name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("chat file")
        verbose_name_plural = _("chat files")

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class DisplayPreference(models.Model):
    """How a user likes the sidebar: the Display options, remembered."""

    class Sort(models.TextChoices):
        ACTIVITY = "activity", _("Activity")
        NAME = "name", _("Name")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_display"
    )
    sort = models.CharField(
        _("sort by"), max_length=10, choices=Sort.choices, default=Sort.ACTIVITY
    )
    unread_on_top = models.BooleanField(_("unread on top"), default=False)
    group_by_type = models.BooleanField(_("group by type"), default=True)
    show_avatars = models.BooleanField(_("avatars"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("display preference")
        verbose_name_plural = _("display preferences")

    def __str__(self) -> str:
        return f"{self.user}: {self.sort}"
