"""The agent's room page and the queue actions on it: take, move back to the queue, transfer,
on hold, priority."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Department, User
from accounts.selectors import is_manager, supervised_department_ids
from omnichannel.errors import DomainError
from queues import services
from queues.errors import MaxChatsReached, NotEligible
from queues.selectors import eligible_agents
from rooms import services as room_services
from rooms.forms import CloseRoomForm, MessageForm
from rooms.models import Room
from rooms.selectors import get_room_for, latest_messages


def room_context(request: HttpRequest, room: Room, **overrides) -> dict:
    """Everything the room page and its fragments show, decided once for this viewer."""
    user = request.user
    serving = room.status == Room.Status.TAKEN and room.agent_id == user.pk
    can_take = False
    take_refusal = ""
    take_at_maximum = False
    if room.status == Room.Status.QUEUED:
        try:
            services.check_can_take(user, room)
            can_take = True
        except NotEligible as error:
            take_refusal = error.message
            take_at_maximum = isinstance(error, MaxChatsReached)
    messages_shown, has_earlier = latest_messages(room)
    return {
        "room": room,
        "room_messages": messages_shown,
        "has_earlier_messages": has_earlier,
        "last_message_id": messages_shown[-1].pk if messages_shown else 0,
        "serving": serving,
        "can_take": can_take,
        "take_refusal": take_refusal,
        "take_at_maximum": take_at_maximum,
        "can_close": room.is_open and (serving or is_manager(user)),
        "can_return": room.status == Room.Status.TAKEN and (serving or is_manager(user)),
        "can_hold": serving and not room.on_hold,
        "can_resume": serving and room.on_hold,
        "can_transfer": room.status == Room.Status.TAKEN and (serving or _supervises(user, room)),
        "can_set_priority": services.can_set_service_level(user, room),
        "priorities": Room.Priority.choices,
        "message_form": MessageForm(),
        "close_form": CloseRoomForm(),
        "confirm": request.GET.get("confirm", ""),
        **overrides,
    }


def _supervises(user: User, room: Room) -> bool:
    if not is_manager(user):
        return False
    scope = supervised_department_ids(user)
    return scope is None or room.department_id in scope


def transfer_options(user: User, room: Room) -> dict:
    """What the transfer dialog offers: the department's agents who can take the chat now,
    and the other enabled departments."""
    agents = eligible_agents(room.department_id).exclude(pk__in=[user.pk, room.agent_id or 0])
    departments = Department.objects.filter(enabled=True).exclude(pk=room.department_id)
    return {
        "transfer_agents": [
            {"value": f"agent-{a.pk}", "name": a.display_name, "open_chats": a.open_chats}
            for a in agents
        ],
        "transfer_departments": [
            {"value": f"department-{d.pk}", "name": d.name} for d in departments.order_by("name")
        ],
    }


@login_required
def room_page(request: HttpRequest, room_id: int) -> HttpResponse:
    room = get_room_for(request.user, room_id, information=True)
    context = room_context(request, room)
    if context["confirm"] == "transfer" and context["can_transfer"]:
        context.update(transfer_options(request.user, room))
    return render(request, "rooms/room.html", context)


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


def _seen_state(value: str) -> tuple[str, int | None]:
    status, _sep, agent = (value or "").partition(":")
    return status, int(agent) if agent.isdigit() else None


@require_POST
@login_required
def transfer(request: HttpRequest, room_id: int) -> HttpResponse:
    """Give the chat to another agent or department, with a comment; the dialog again (400)
    with the reason when refused."""
    room = get_room_for(request.user, room_id)
    choice = request.POST.get("to", "")
    comment = request.POST.get("comment", "")
    status, agent_id = _seen_state(request.POST.get("state", ""))
    kind, _sep, target = choice.partition("-")
    try:
        if kind == "agent" and target.isdigit():
            target_agent = User.objects.filter(pk=int(target)).first()
            if target_agent is None:
                raise NotEligible(_("Choose an agent who can take the chat now."))
            services.transfer_to_agent(
                request.user,
                room,
                target_agent,
                expected_status=status,
                expected_agent_id=agent_id,
                comment=comment,
            )
        elif kind == "department" and target.isdigit():
            department = Department.objects.filter(pk=int(target)).first()
            if department is None:
                raise NotEligible(_("Choose a department."))
            services.transfer_room(
                request.user,
                room,
                department,
                expected_status=status,
                expected_agent_id=agent_id,
                comment=comment,
            )
        else:
            raise NotEligible(_("Choose an agent or a department to transfer the chat to."))
    except DomainError as error:
        room.refresh_from_db()
        context = room_context(request, room, confirm="transfer")
        context.update(transfer_options(request.user, room))
        context.update(
            transfer_error=error.message, transfer_choice=choice, transfer_comment=comment
        )
        return render(request, "rooms/room.html", context, status=400)
    messages.success(request, _("The chat is transferred."))
    return redirect("room", room_id=room.pk)


@require_POST
@login_required
def hold(request: HttpRequest, room_id: int) -> HttpResponse:
    room = get_room_for(request.user, room_id)
    try:
        services.put_on_hold(request.user, room)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("room", room_id=room.pk)


@require_POST
@login_required
def resume(request: HttpRequest, room_id: int) -> HttpResponse:
    room = get_room_for(request.user, room_id)
    try:
        services.resume_room(request.user, room)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("room", room_id=room.pk)


@require_POST
@login_required
def set_priority(request: HttpRequest, room_id: int) -> HttpResponse:
    room = get_room_for(request.user, room_id)
    try:
        services.set_service_level(request.user, room, priority=request.POST.get("priority", ""))
    except DomainError as error:
        room.refresh_from_db()
        context = room_context(request, room, priority_error=error.message)
        return render(request, "rooms/room.html", context, status=400)
    return redirect("room", room_id=room.pk)
