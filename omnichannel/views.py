"""Pages that gather every app: the home page and its live counters."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.selectors import departments_of
from omnichannel.home import home_counters


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    context = {"departments": departments_of(request.user), **home_counters(request.user)}
    return render(request, "accounts/home.html", context)


@require_GET
@login_required
def counters(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/home.html#counters", home_counters(request.user))
