"""Productivity in templates: business hours of a department, the rating scale, stars."""

from django import template
from django.utils.translation import gettext_lazy as _

from accounts.models import Department
from productivity import selectors

register = template.Library()

RATING_LABELS = {
    1: _("Very poor"),
    2: _("Poor"),
    3: _("Fair"),
    4: _("Good"),
    5: _("Excellent"),
}


@register.simple_tag
def business_status(department: Department) -> selectors.Opening:
    """Whether the department answers now, and when it opens again if not."""
    return selectors.business_status(department)


@register.simple_tag
def rating_choices() -> list[tuple[int, str]]:
    return list(RATING_LABELS.items())


@register.filter
def rating_label(rating: int | None) -> str:
    return str(RATING_LABELS.get(rating, ""))


@register.filter
def stars(rating: int | None) -> str:
    """'★★★★☆' for 4: a picture of the rating, next to its number for screen readers."""
    if not rating:
        return ""
    return "★" * rating + "☆" * (5 - rating)
