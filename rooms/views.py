"""Writing in a room, closing it, and the fragments the room page refreshes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from omnichannel.errors import DomainError
from rooms import services
from rooms.forms import MessageForm
from rooms.models import Message
from rooms.selectors import attachment_of, get_room_for, messages_of


@require_POST
@login_required
def post_message(request: HttpRequest, room_id: int) -> HttpResponse:
    room = get_room_for(request.user, room_id)
    form = MessageForm(request.POST)
    try:
        if request.FILES:
            services.post_agent_message(request.user, room, text="", files=request.FILES.values())
        if not form.is_valid():
            raise DomainError(" ".join(form.errors["text"]))
        services.post_agent_message(request.user, room, text=form.cleaned_data["text"])
    except DomainError as error:
        if request.htmx:
            return HttpResponse(error.message, status=400)
        messages.error(request, error.message)
        return redirect("room", room_id=room.pk)
    if request.htmx:
        return HttpResponse(status=204)
    return redirect("room", room_id=room.pk)


@require_GET
@login_required
def message_fragment(request: HttpRequest, room_id: int) -> HttpResponse:
    """Messages after ?after=<id>, for the polling room page."""
    room = get_room_for(request.user, room_id)
    try:
        after_id = int(request.GET.get("after", "0"))
    except ValueError:
        return HttpResponse(_("'after' must be a message id."), status=400)
    return render(
        request,
        "rooms/room.html#message-list",
        {"room": room, "room_messages": messages_of(room, after_id=after_id)},
    )


@require_GET
@login_required
def room_information(request: HttpRequest, room_id: int) -> HttpResponse:
    room = get_room_for(request.user, room_id)
    return render(request, "rooms/room.html#room-info", {"room": room})


@require_GET
@login_required
def attachment(request: HttpRequest, room_id: int, token: str) -> FileResponse:
    """A contact's file, only to someone who may see the room."""
    room = get_room_for(request.user, room_id)
    found = attachment_of(room, token)
    response = FileResponse(
        found.file.open("rb"),
        content_type=found.content_type,
        as_attachment=not found.is_image,
        filename=found.name,
    )
    # A contact's file never runs as part of our pages, whatever it turns out to contain.
    response["Content-Security-Policy"] = "sandbox"
    return response


@require_POST
@login_required
def retry(request: HttpRequest, room_id: int, message_id: int) -> HttpResponse:
    """Send a failed message again."""
    room = get_room_for(request.user, room_id)
    message = get_object_or_404(Message, room=room, pk=message_id)
    try:
        services.retry_message(request.user, message)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("room", room_id=room.pk)
