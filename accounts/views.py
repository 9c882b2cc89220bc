from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import services
from accounts.errors import InvalidAgent, QueueNotAllowed
from accounts.forms import PreferencesForm, QueueSwitchForm, SignInForm, StatusForm


class SignInView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


def locked_out(
    request: HttpRequest, credentials: dict | None = None, *args, **kwargs
) -> HttpResponse:
    """django-axes calls this instead of signing in once an address failed too often."""
    form = SignInForm(request)
    return render(
        request,
        "registration/login.html",
        {"form": form, "locked_out": True},
        status=429,
    )


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("home")


@require_POST
@login_required
def queue_switch(request: HttpRequest) -> HttpResponse:
    form = QueueSwitchForm(request.POST)
    form.is_valid()  # a BooleanField(required=False) is always valid
    enabled = form.cleaned_data["enabled"]
    try:
        services.set_queue_enabled(request.user, enabled=enabled)
    except QueueNotAllowed as error:
        messages.error(request, error.message)
        return _back(request)
    if enabled:
        messages.success(request, _("Omnichannel queue enabled."))
    else:
        messages.info(request, _("Omnichannel queue disabled."))
    return _back(request)


@require_POST
@login_required
def change_status(request: HttpRequest) -> HttpResponse:
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose online, away or offline."))
        return _back(request)
    services.set_status(request.user, status=form.cleaned_data["status"])
    return _back(request)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own page: language and time zone."""
    user = request.user
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                services.set_preferences(user, **form.cleaned_data)
            except InvalidAgent as error:
                form.add_error(None, error.message)
            else:
                # Say it in the language just chosen.
                translation.activate(
                    user.language or translation.get_language_from_request(request)
                )
                messages.success(request, _("Your language and time zone are saved."))
                return redirect("profile")
    else:
        form = PreferencesForm(initial={"language": user.language, "time_zone": user.time_zone})
    return render(request, "accounts/profile.html", {"form": form, "now": timezone.now()})
