"""The agent's room page and the queue actions on it: take, move back to the queue."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import is_manager
from omnichannel.errors import DomainError
from queues import services
from queues.errors import NotEligible
from rooms import services as room_services
from rooms.forms import CloseRoomForm, MessageForm
from rooms.models import Room
from rooms.selectors import get_room_for, messages_of


def room_context(request: HttpRequest, room: Room, **overrides) -> dict:
    """Everything the room page and its fragments show, decided once for this viewer."""
    user = request.user
    serving = room.status == Room.Status.TAKEN and room.agent_id == user.pk
    can_take = False
    take_refusal = ""
    if room.status == Room.Status.QUEUED:
        try:
            services.check_can_take(user, room)
            can_take = True
        except NotEligible as error:
            take_refusal = error.message
    messages_shown = messages_of(room)
    return {
        "room": room,
        "room_messages": messages_shown,
        "last_message_id": messages_shown[-1].pk if messages_shown else 0,
        "serving": serving,
        "can_take": can_take,
        "take_refusal": take_refusal,
        "can_close": room.is_open and (serving or is_manager(user)),
        "can_return": room.status == Room.Status.TAKEN and (serving or is_manager(user)),
        "message_form": MessageForm(),
        "close_form": CloseRoomForm(),
        "confirm": request.GET.get("confirm", ""),
        **overrides,
    }


@login_required
def room_page(request: HttpRequest, room_id: int) -> HttpResponse:
    room = get_room_for(request.user, room_id)
    return render(request, "rooms/room.html", room_context(request, room))


@require_POST
@login_required
def take(request: HttpRequest, room_id: int) -> HttpResponse:
    room = get_room_for(request.user, room_id)
    try:
        services.take_room(request.user, room)
    except DomainError as error:
        room.refresh_from_db()
        if room.agent_id:
            messages.error(
                request,
                _("%(agent)s took this chat first.") % {"agent": room.agent.display_name}
                if room.agent_id != request.user.pk
                else error.message,
            )
        else:
            messages.error(request, error.message)
    return redirect("room", room_id=room.pk)


@require_POST
@login_required
def move_to_queue(request: HttpRequest, room_id: int) -> HttpResponse:
    room = get_room_for(request.user, room_id)
    try:
        services.return_to_queue(request.user, room)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("room", room_id=room.pk)
    messages.success(request, _("The chat is back in the queue."))
    return redirect("room", room_id=room.pk)


@require_POST
@login_required
def close(request: HttpRequest, room_id: int) -> HttpResponse:
    room = get_room_for(request.user, room_id)
    form = CloseRoomForm(request.POST)
    try:
        room_services.close_room(
            request.user, room, comment=request.POST.get("comment", ""), tags=form.tag_list
        )
    except DomainError as error:
        form.is_valid()
        context = room_context(request, room, close_form=form, confirm="close")
        context["close_error"] = error.message
        return render(request, "rooms/room.html", context, status=400)
    messages.success(request, _("The conversation is closed."))
    return redirect("room", room_id=room.pk)


@login_required
def sidebar(request: HttpRequest) -> HttpResponse:
    """The Omnichannel lists, re-fetched by a tab after a reconnect or a subscription change."""
    return render(request, "queues/sidebar.html")
