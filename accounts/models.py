import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

AGENT_ROLE = "LiveChat Agent"
MANAGER_ROLE = "LiveChat Manager"


def validate_time_zone(value: str) -> None:
    """An IANA time zone name, such as Europe/Madrid or America/Bogota."""
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("%(zone)s is not a time zone."), code="invalid_time_zone", params={"zone": value}
        )


class User(AbstractUser):
    """A person who signs in: an agent, a supervisor, or both (roles are groups)."""

    class Status(models.TextChoices):
        ONLINE = "online", _("Online")
        AWAY = "away", _("Away")
        OFFLINE = "offline", _("Offline")

    queue_enabled = models.BooleanField(
        _("Omnichannel queue"),
        default=False,
        help_text=_("When on, the agent sees and can take the queued chats of their departments."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OFFLINE
    )
    max_chats = models.PositiveSmallIntegerField(
        _("maximum simultaneous chats"),
        default=5,
        help_text=_("How many open chats the agent may serve at once."),
    )
    departments = models.ManyToManyField(
        "Department",
        through="DepartmentAgent",
        related_name="agents",
        blank=True,
        verbose_name=_("departments"),
    )
    supervised_departments = models.ManyToManyField(
        "Department",
        related_name="supervisors",
        blank=True,
        verbose_name=_("supervised departments"),
        help_text=_(
            "For a LiveChat Manager: the departments they supervise in the console. None means all."
        ),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Empty: the language of the browser."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("Empty: the time zone of the contact center."),
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        permissions = [
            ("serve_livechat", _("Can serve omnichannel chats")),
            ("supervise_livechat", _("Can supervise the contact center")),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Department(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class DepartmentAgent(models.Model):
    """An agent's membership of a department."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="memberships")
    agent = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("department membership")
        verbose_name_plural = _("department memberships")
        constraints = [
            models.UniqueConstraint(fields=["department", "agent"], name="unique_department_agent")
        ]

    def __str__(self) -> str:
        return f"{self.agent} @ {self.department}"


class AgentConnection(models.Model):
    """One open live socket of a user's; presence is 'online' while any exists."""

    agent = models.ForeignKey(User, on_delete=models.CASCADE, related_name="connections")
    channel_name = models.CharField(max_length=200, unique=True)
    connected_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("live connection")
        verbose_name_plural = _("live connections")

    def __str__(self) -> str:
        return f"{self.agent} ({self.channel_name})"
