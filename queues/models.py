"""How each department's queue is served: its routing policy, default priority and SLA."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Department
from rooms.models import Room

# A first response may be due at most a week after the chat arrives.
SLA_MAX_MINUTES = 7 * 24 * 60


class SlaPolicy(models.Model):
    """A service level: the first response is due this long after the chat arrives."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    first_response_minutes = models.PositiveIntegerField(
        _("first response due after (minutes)"),
        help_text=_("From the contact's first message; 1 minute to 7 days."),
    )
    warning_minutes = models.PositiveIntegerField(
        _("warn before (minutes)"),
        default=0,
        help_text=_("The chat shows as near its due time this long before it; 0: no warning."),
    )

    class Meta:
        ordering = ["first_response_minutes", "name"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(first_response_minutes__gte=1)
                & Q(first_response_minutes__lte=SLA_MAX_MINUTES),
                name="sla_first_response_in_range",
                violation_error_message=_(
                    "The first response must be due between 1 minute and 7 days after arrival."
                ),
            ),
            models.CheckConstraint(
                condition=Q(warning_minutes__lt=F("first_response_minutes")),
                name="sla_warning_before_due",
                violation_error_message=_(
                    "The warning must come before the due time: fewer minutes than the first "
                    "response."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.first_response_minutes} min)"


class DepartmentRouting(models.Model):
    """A department's routing policy; a department without one is served manually."""

    class Policy(models.TextChoices):
        MANUAL = "manual", _("Manual selection")
        AUTO = "auto", _("Auto selection")
        LOAD_BALANCING = "load_balancing", _("Load balancing")
        LOAD_ROTATION = "load_rotation", _("Load rotation")

    department = models.OneToOneField(
        Department, on_delete=models.CASCADE, related_name="routing", verbose_name=_("department")
    )
    policy = models.CharField(
        _("routing policy"),
        max_length=20,
        choices=Policy.choices,
        default=Policy.MANUAL,
        help_text=_(
            "Manual: agents take chats from the queue. Auto selection: the next eligible agent "
            "(the one given the fewest chats today). Load balancing: the eligible agent with the "
            "fewest open chats. Load rotation: the eligible agent given a chat longest ago."
        ),
    )
    default_priority = models.PositiveSmallIntegerField(
        _("default priority"), choices=Room.Priority.choices, default=Room.Priority.NORMAL
    )
    sla_policy = models.ForeignKey(
        SlaPolicy,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="departments",
        verbose_name=_("SLA policy"),
        help_text=_("Sets the first-response due time of the department's new chats."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["department__name"]
        verbose_name = _("department routing")
        verbose_name_plural = _("department routing")
        constraints = [
            models.CheckConstraint(
                condition=Q(policy__in=["manual", "auto", "load_balancing", "load_rotation"]),
                name="routing_policy_known",
            ),
            models.CheckConstraint(
                condition=Q(default_priority__gte=1) & Q(default_priority__lte=4),
                name="routing_priority_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.department}: {self.get_policy_display()}"

    @property
    def routes_automatically(self) -> bool:
        return self.policy != self.Policy.MANUAL
