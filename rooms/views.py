"""Writing in a room, closing it, and the fragments the room page refreshes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from omnichannel.errors import DomainError
from rooms import services
from rooms.forms import MessageForm
from rooms.models import Message
from rooms.selectors import (
    attachment_of,
    get_message_for,
    get_room_for,
    latest_messages,
    messages_of,
    pinned_of,
    thread_of,
)


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
    """Messages after ?after=<id>, for the polling room page; or the window of messages before
    ?before=<id>, for "Show earlier messages" (X-Earlier-Messages says whether more remain)."""
    room = get_room_for(request.user, room_id)
    if "before" in request.GET:
        before_id = request.GET["before"]
        if not before_id.isdigit():
            return HttpResponse(_("'before' must be a message id."), status=400)
        shown, has_earlier = latest_messages(room, before_id=int(before_id))
        response = render(
            request, "rooms/room.html#message-list", {"room": room, "room_messages": shown}
        )
        response["X-Earlier-Messages"] = "1" if has_earlier else "0"
        return response
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
    room = get_room_for(request.user, room_id, information=True)
    return render(request, "rooms/room.html#room-info", {"room": room})


@require_GET
@login_required
def attachment(request: HttpRequest, room_id: int, token: str) -> FileResponse:
    """A contact's file, only to someone who may see the room.

    Images, videos and sounds a browser plays are shown; anything else (unrecognised bytes
    above all, served as application/octet-stream) is only ever a download.
    """
    room = get_room_for(request.user, room_id)
    found = attachment_of(room, token)
    response = FileResponse(
        found.file.open("rb"),
        content_type=found.content_type,
        as_attachment=not found.served_inline,
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


# --- message actions: the same as team chat's, in a customer room --------------------------------


def _refused(request: HttpRequest, error: DomainError, room_id: int) -> HttpResponse:
    if request.htmx:
        return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")
    messages.error(request, error.message)
    return redirect("room", room_id=room_id)


def _message_html(request: HttpRequest, message: Message) -> HttpResponse:
    fresh = get_message_for(request.user, message.room_id, message.pk)
    return render(request, "rooms/room.html#message", {"message": fresh, "room": fresh.room})


def _after_action(request: HttpRequest, message: Message) -> HttpResponse:
    """The message's fresh HTML to scripts; its place in the room (or thread) otherwise."""
    if request.htmx:
        return _message_html(request, message)
    if message.thread_parent_id:
        url = reverse("room-thread", args=[message.room_id, message.thread_parent_id])
    else:
        url = reverse("room", args=[message.room_id])
    return redirect(f"{url}#message-{message.pk}")


@require_GET
@login_required
def message_link(request: HttpRequest, room_id: int, message_id: int) -> HttpResponse:
    """A message's permanent link: its anchor in the room page (or in its thread)."""
    message = get_message_for(request.user, room_id, message_id)
    if request.htmx:
        return _message_html(request, message)
    return _after_action(request, message)


@require_http_methods(["GET", "POST"])
@login_required
def edit_message(request: HttpRequest, room_id: int, message_id: int) -> HttpResponse:
    message = get_message_for(request.user, room_id, message_id)
    if request.method == "POST":
        form = MessageForm(request.POST)
        try:
            if not form.is_valid():
                raise DomainError(" ".join(form.errors["text"]))
            services.edit_room_message(request.user, message, text=form.cleaned_data["text"])
        except DomainError as error:
            return _refused(request, error, room_id)
        return _after_action(request, message)
    if not message.is_editable_by(request.user.pk):
        raise Http404
    context = {"message": message, "room": message.room}
    if request.htmx:
        return render(request, "rooms/edit.html#edit-form", context)
    return render(request, "rooms/edit.html", context)


@require_POST
@login_required
def delete_message(request: HttpRequest, room_id: int, message_id: int) -> HttpResponse:
    message = get_message_for(request.user, room_id, message_id)
    try:
        services.delete_room_message(request.user, message)
    except DomainError as error:
        return _refused(request, error, room_id)
    return _after_action(request, message)


@require_POST
@login_required
def react(request: HttpRequest, room_id: int, message_id: int) -> HttpResponse:
    message = get_message_for(request.user, room_id, message_id)
    try:
        services.toggle_room_reaction(request.user, message, emoji=request.POST.get("emoji", ""))
    except DomainError as error:
        return _refused(request, error, room_id)
    return _after_action(request, message)


@require_POST
@login_required
def pin(request: HttpRequest, room_id: int, message_id: int) -> HttpResponse:
    message = get_message_for(request.user, room_id, message_id)
    try:
        services.set_room_message_pinned(
            request.user, message, pinned=request.POST.get("pinned") != "0"
        )
    except DomainError as error:
        return _refused(request, error, room_id)
    return _after_action(request, message)


def _panel(request: HttpRequest, room, partial: str, context: dict) -> HttpResponse:
    context = {**context, "room": room, "panel": partial}
    if request.htmx:
        return render(request, f"rooms/panels.html#{partial}", context)
    return render(request, "rooms/panels.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def thread(request: HttpRequest, room_id: int, message_id: int) -> HttpResponse:
    """A message's thread (agent-internal); POST replies in it."""
    parent = get_message_for(request.user, room_id, message_id)
    if parent.thread_parent_id:
        return redirect("room-thread", room_id=room_id, message_id=parent.thread_parent_id)
    if request.method == "POST":
        form = MessageForm(request.POST)
        try:
            if not form.is_valid():
                raise DomainError(" ".join(form.errors["text"]))
            reply = services.reply_in_thread(request.user, parent, text=form.cleaned_data["text"])
        except DomainError as error:
            if request.htmx:
                return HttpResponse(error.message, status=400)
            messages.error(request, error.message)
            return redirect("room-thread", room_id=room_id, message_id=message_id)
        return _after_action(request, reply)
    context = {"parent": parent, "replies": thread_of(parent)}
    return _panel(request, parent.room, "thread", context)


@require_GET
@login_required
def pinned(request: HttpRequest, room_id: int) -> HttpResponse:
    room = get_room_for(request.user, room_id)
    return _panel(request, room, "pinned", {"pinned_messages": pinned_of(room)})
