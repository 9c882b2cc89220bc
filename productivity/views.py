"""The agents' canned responses: their personal ones on a small page, and the suggestions the
composer asks for while they type '!shortcut'."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from omnichannel.errors import DomainError
from productivity import selectors, services
from productivity.errors import ShortcutTaken
from productivity.forms import CannedResponseForm
from productivity.models import CannedResponse
from rooms.selectors import get_room_for


def _check_may_use(request: HttpRequest) -> None:
    if not selectors.may_use_canned_responses(request.user):
        raise Http404


def _add_service_error(form: CannedResponseForm, error: DomainError) -> None:
    form.add_error("shortcut" if isinstance(error, ShortcutTaken) else None, error.message)


@require_http_methods(["GET", "POST"])
@login_required
def canned_list(request: HttpRequest) -> HttpResponse:
    """The agent's personal responses (add, edit, delete) and the shared ones they may use."""
    _check_may_use(request)
    form = CannedResponseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            response = services.create_canned_response(
                request.user,
                scope=CannedResponse.Scope.PERSONAL,
                shortcut=form.cleaned_data["shortcut"],
                text=form.cleaned_data["text"],
            )
        except DomainError as error:
            _add_service_error(form, error)
        else:
            messages.success(
                request, _("!%(shortcut)s is saved.") % {"shortcut": response.shortcut}
            )
            return redirect("productivity:canned")
    context = {
        "form": form,
        "personal": list(selectors.personal_canned_responses_of(request.user)),
        "shared": list(
            selectors.shared_canned_responses_for(request.user).order_by("scope", "shortcut")
        ),
    }
    return render(
        request, "productivity/canned_list.html", context, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
@login_required
def canned_edit(request: HttpRequest, response_id: int) -> HttpResponse:
    _check_may_use(request)
    response = selectors.get_personal_canned_response_for(request.user, response_id)
    initial = {"shortcut": response.shortcut, "text": response.text}
    form = CannedResponseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_canned_response(
                request.user,
                response,
                shortcut=form.cleaned_data["shortcut"],
                text=form.cleaned_data["text"],
            )
        except DomainError as error:
            _add_service_error(form, error)
        else:
            messages.success(
                request, _("!%(shortcut)s is saved.") % {"shortcut": response.shortcut}
            )
            return redirect("productivity:canned")
    return render(
        request,
        "productivity/canned_edit.html",
        {"form": form, "response": response},
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
def canned_delete(request: HttpRequest, response_id: int) -> HttpResponse:
    _check_may_use(request)
    response = selectors.get_personal_canned_response_for(request.user, response_id)
    try:
        services.delete_canned_response(request.user, response)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("!%(shortcut)s is deleted.") % {"shortcut": response.shortcut})
    return redirect("productivity:canned")


@require_GET
@login_required
def canned_suggestions(request: HttpRequest, room_id: int) -> JsonResponse:
    """Responses whose shortcut starts with ?q=, their placeholders filled for this room."""
    room = get_room_for(request.user, room_id)
    found = selectors.suggest_canned_responses(request.user, room, request.GET.get("q", ""))
    return JsonResponse(
        {
            "results": [
                {
                    "id": response.pk,
                    "shortcut": response.shortcut,
                    "scope": str(response.get_scope_display()),
                    "text": selectors.fill_placeholders(
                        response.text, room=room, agent=request.user
                    ),
                }
                for response in found
            ]
        }
    )
