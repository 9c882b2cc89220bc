"""The supervisor console's own pages inside admin: the live dashboard and the reports."""

import csv
from datetime import timedelta

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omnichannel import reports
from omnichannel.supervision import is_supervisor, record_supervisor_action, scope_departments
from queues.selectors import sla_at_risk_rooms

REPORT_MAX_DAYS = 366


def supervisor_view(view):
    """Admin's login and staff checks, then the LiveChat Manager role."""

    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_supervisor(request):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return admin.site.admin_view(checked)


def dashboard_context(request: HttpRequest) -> dict:
    departments = list(scope_departments(request).order_by("name"))
    hours = reports.chats_per_hour(departments)
    return {
        "floor": reports.department_floor(departments),
        "today": reports.today_on_the_floor(departments),
        "hourly_chart": reports.bar_chart([(hour.strftime("%H"), count) for hour, count in hours]),
        "sla_at_risk": sla_at_risk_rooms([d.pk for d in departments]),
    }


def dashboard(request: HttpRequest) -> HttpResponse:
    """The dashboard fragment the admin index refreshes every few seconds."""
    return render(request, "admin/dashboard.html", dashboard_context(request))


class ReportForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=None, required=False, empty_label=_("All my departments")
    )

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The period ends before it starts."))
            if (end - start).days > REPORT_MAX_DAYS:
                raise forms.ValidationError(_("Choose a period of at most a year."))
        return cleaned


REPORT_COLUMNS = [
    ("name", _("Name")),
    ("taken", _("Taken")),
    ("closed", _("Closed")),
    ("returned", _("Returned to the queue")),
    ("queue_time_avg", _("Queue time, average (s)")),
    ("queue_time_p90", _("Queue time, 90th percentile (s)")),
    ("first_response_avg", _("First response, average (s)")),
    ("first_response_p90", _("First response, 90th percentile (s)")),
    ("response_time_avg", _("Response time, average (s)")),
    ("response_time_p90", _("Response time, 90th percentile (s)")),
    ("duration_avg", _("Chat duration, average (s)")),
    ("duration_p90", _("Chat duration, 90th percentile (s)")),
    ("tags", _("Tags used")),
    ("satisfaction_avg", _("Satisfaction, average (1-5)")),
    ("satisfaction_count", _("Satisfaction, ratings")),
]


def report_page(request: HttpRequest) -> HttpResponse:
    departments = scope_departments(request).order_by("name")
    today = timezone.localdate()
    data = request.GET if "start" in request.GET else None
    form = ReportForm(
        data,
        departments=departments,
        initial={"start": today - timedelta(days=6), "end": today},
    )
    context = {
        **admin.site.each_context(request),
        "title": _("Reports"),
        "form": form,
        "columns": REPORT_COLUMNS,
    }
    if form.is_valid():
        chosen = form.cleaned_data["department"]
        report = reports.period_report(
            [chosen] if chosen else list(departments),
            form.cleaned_data["start"],
            form.cleaned_data["end"],
        )
        if request.GET.get("format") == "csv":
            record_supervisor_action(request, "export_report")
            return report_csv(report)
        context["report"] = report
    return render(request, "admin/reports.html", context)


def report_csv(report: dict) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="report.csv"'
    writer = csv.writer(response)
    writer.writerow(["scope", *[str(label) for _key, label in REPORT_COLUMNS]])
    for scope in ("departments", "agents"):
        for row in report[scope]:
            writer.writerow([scope[:-1], *[_csv_value(row[key]) for key, _l in REPORT_COLUMNS]])
    return response


def _csv_value(value):
    return round(value, 1) if isinstance(value, float) else value


dashboard_view = supervisor_view(dashboard)
report_view = supervisor_view(report_page)
