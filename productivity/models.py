"""Agent productivity: canned responses, business hours, inactivity rules, satisfaction
surveys and transcripts by e-mail. Written only by productivity.services."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Department
from rooms.models import Room


class CannedResponse(models.Model):
    """A prepared answer an agent inserts by typing ``!shortcut`` in the composer."""

    class Scope(models.TextChoices):
        PERSONAL = "personal", _("Personal")
        DEPARTMENT = "department", _("Department")
        GLOBAL = "global", _("Global")

    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    shortcut = models.CharField(
        _("shortcut"),
        max_length=50,
        help_text=_("Typed after '!' in the composer: letters, digits, '-' and '_'."),
    )
    text = models.TextField(
        _("text"),
        help_text=_("{contact_name} and {agent_name} are replaced by the contact's and your name."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_responses",
        verbose_name=_("owner"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_responses",
        verbose_name=_("department"),
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
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        ordering = ["shortcut", "id"]
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "shortcut"],
                condition=Q(scope="personal"),
                name="unique_personal_shortcut",
            ),
            models.UniqueConstraint(
                fields=["department", "shortcut"],
                condition=Q(scope="department"),
                name="unique_department_shortcut",
            ),
            models.UniqueConstraint(
                fields=["shortcut"], condition=Q(scope="global"), name="unique_global_shortcut"
            ),
            models.CheckConstraint(
                condition=(
                    Q(scope="personal", owner__isnull=False, department__isnull=True)
                    | Q(scope="department", owner__isnull=True, department__isnull=False)
                    | Q(scope="global", owner__isnull=True, department__isnull=True)
                ),
                name="canned_response_scope_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"!{self.shortcut}"


class BusinessHours(models.Model):
    """When a department answers: weekly intervals in its time zone, minus holidays."""

    department = models.OneToOneField(
        Department,
        on_delete=models.CASCADE,
        related_name="business_hours",
        verbose_name=_("department"),
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    enabled = models.BooleanField(
        _("enabled"),
        default=True,
        help_text=_("When off, the department is treated as always open."),
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")

    def __str__(self) -> str:
        return str(self.department)


class OpeningInterval(models.Model):
    """One opening of a weekday, e.g. Monday 09:00-13:00; closing at 00:00 means midnight."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    hours = models.ForeignKey(BusinessHours, on_delete=models.CASCADE, related_name="intervals")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))

    class Meta:
        ordering = ["weekday", "opens_at"]
        verbose_name = _("opening interval")
        verbose_name_plural = _("opening intervals")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"


class Holiday(models.Model):
    """A day the department is closed all day, in its own time zone."""

    hours = models.ForeignKey(BusinessHours, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [
            models.UniqueConstraint(fields=["hours", "date"], name="unique_holiday_per_calendar")
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".strip()


class OfflineMessage(models.Model):
    """A conversation a website visitor opened outside business hours, with the e-mail
    address they left (optional) so that an agent can answer later."""

    room = models.OneToOneField(
        Room, on_delete=models.CASCADE, related_name="offline_message", verbose_name=_("room")
    )
    email = models.EmailField(_("e-mail"), blank=True)
    left_at = models.DateTimeField(_("left at"), default=timezone.now)

    class Meta:
        verbose_name = _("message left outside business hours")
        verbose_name_plural = _("messages left outside business hours")

    def __str__(self) -> str:
        return f"{self.room_id} {self.email}".strip()


class InactivityPolicy(models.Model):
    """Close a served chat whose contact has stayed silent this long; warn the agent first."""

    department = models.OneToOneField(
        Department,
        on_delete=models.CASCADE,
        related_name="inactivity_policy",
        verbose_name=_("department"),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    timeout_minutes = models.PositiveIntegerField(
        _("close after (minutes)"),
        default=30,
        help_text=_("Minutes without a word from the contact after the agent's last message."),
    )
    warning_minutes = models.PositiveIntegerField(
        _("warn before (minutes)"),
        default=5,
        help_text=_("How long before closing the agent is warned; 0 for no warning."),
    )
    closing_comment = models.TextField(
        _("closing comment"), default="Closed automatically: the contact stopped answering."
    )
    tag = models.CharField(_("tag"), max_length=50, blank=True, default="inactive")
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("inactivity rule")
        verbose_name_plural = _("inactivity rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    timeout_minutes__gte=1, warning_minutes__lt=models.F("timeout_minutes")
                ),
                name="inactivity_warning_before_timeout",
            )
        ]

    def __str__(self) -> str:
        return str(self.department)


class InactivityWarning(models.Model):
    """The agent was warned that this silence (since `silent_since`) will close the chat.

    Unique per silence, so concurrent sweepers warn once; a new message starts a new silence.
    """

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="inactivity_warnings")
    silent_since = models.DateTimeField()
    warned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("inactivity warning")
        verbose_name_plural = _("inactivity warnings")
        constraints = [
            models.UniqueConstraint(fields=["room", "silent_since"], name="one_warning_per_silence")
        ]

    def __str__(self) -> str:
        return f"{self.room_id} @ {self.warned_at:%Y-%m-%d %H:%M}"


class SurveyResponse(models.Model):
    """What a website visitor thought of a conversation once it ended: 1 to 5, and a comment."""

    room = models.OneToOneField(
        Room, on_delete=models.CASCADE, related_name="survey", verbose_name=_("room")
    )
    rating = models.PositiveSmallIntegerField(_("rating"))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="survey_rating_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5"


class TranscriptRequest(models.Model):
    """The contact asked for the conversation by e-mail: sent once the room is closed."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the end of the conversation")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    room = models.OneToOneField(
        Room, on_delete=models.CASCADE, related_name="transcript_request", verbose_name=_("room")
    )
    email = models.EmailField(_("e-mail"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("transcript request")
        verbose_name_plural = _("transcript requests")

    def __str__(self) -> str:
        return f"{self.room_id} -> {self.email}"
