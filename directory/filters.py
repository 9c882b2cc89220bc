"""Filters of the Chats and Calls tabs; choices are scoped to what the user may see."""

from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory.models import Call, Channel
from directory.phones import phone_digits_in
from directory.selectors import agents_visible_to, clean_search_text, departments_visible_to
from rooms.models import Room


def _departments(request):
    return departments_visible_to(request.user) if request else None


def _agents(request):
    return agents_visible_to(request.user) if request else None


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class DateInput(forms.DateInput):
    input_type = "date"


class ChatFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Room.Status.choices, empty_label=_("Any status")
    )
    department = django_filters.ModelChoiceFilter(
        label=_("Department"), queryset=_departments, empty_label=_("Any department")
    )
    agent = django_filters.ModelChoiceFilter(
        label=_("Agent"), queryset=_agents, empty_label=_("Any agent")
    )
    channel = django_filters.ChoiceFilter(
        label=_("Channel"), choices=Channel.choices, empty_label=_("Any channel")
    )
    tag = django_filters.CharFilter(label=_("Tag"), method="filter_tag")
    created_from = django_filters.DateFilter(
        label=_("Created from"), method="filter_created_from", widget=DateInput
    )
    created_to = django_filters.DateFilter(
        label=_("Created until"), method="filter_created_to", widget=DateInput
    )
    comment = django_filters.CharFilter(label=_("Closing comment"), method="filter_comment")

    class Meta:
        model = Room
        fields: list[str] = []

    def filter_tag(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        tag = " ".join(clean_search_text(value).lower().split())
        return queryset.filter(tags__name=tag) if tag else queryset

    def filter_created_from(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(created_at__gte=_day_start(value))

    def filter_created_to(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(created_at__lt=_day_start(value + timedelta(days=1)))

    def filter_comment(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        text = clean_search_text(value)
        return queryset.filter(closing_comment__icontains=text) if text else queryset


class CallFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Contact"), method="filter_contact")
    direction = django_filters.ChoiceFilter(
        label=_("Direction"), choices=Call.Direction.choices, empty_label=_("Any direction")
    )
    outcome = django_filters.ChoiceFilter(
        label=_("Outcome"), choices=Call.Outcome.choices, empty_label=_("Any outcome")
    )
    agent = django_filters.ModelChoiceFilter(
        label=_("Agent"), queryset=_agents, empty_label=_("Any agent")
    )
    started_from = django_filters.DateFilter(
        label=_("From"), method="filter_started_from", widget=DateInput
    )
    started_to = django_filters.DateFilter(
        label=_("Until"), method="filter_started_to", widget=DateInput
    )

    class Meta:
        model = Call
        fields: list[str] = []

    def filter_contact(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        text = clean_search_text(value)
        if not text:
            return queryset
        matches = (
            Q(contact__name__icontains=text)
            | Q(contact__phone__icontains=text)
            | Q(contact__email__icontains=text)
        )
        digits = phone_digits_in(text)
        if digits:
            matches |= Q(contact__phone__icontains=digits)
        return queryset.filter(matches)

    def filter_started_from(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(started_at__gte=_day_start(value))

    def filter_started_to(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(started_at__lt=_day_start(value + timedelta(days=1)))
