"""Team chat pages and the fragments the chat page and the sidebar fetch. Every object is read
through `teamchat.selectors` (so what a user may not see is a 404) and changed through
`teamchat.services`."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from omnichannel.errors import DomainError
from rooms.services import ATTACHMENT_MAX_BYTES
from teamchat import selectors, services
from teamchat.forms import (
    ChatForm,
    DirectForm,
    DisplayForm,
    InviteForm,
    MessageForm,
    RenameForm,
    TeamForm,
)
from teamchat.live import message_html
from teamchat.models import Chat, ChatFile, ChatMessage, Membership

DIRECTORY_TABS = ("channels", "users", "teams")
DIRECTORY_PAGE_SIZE = 25


def _fragment(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _chat_url(chat: Chat) -> str:
    return reverse("teamchat-chat", args=[chat.pk])


def _refuse(request: HttpRequest, error: DomainError, back: str) -> HttpResponse:
    """A refused action: the reason as a 400 to scripts, as a message on the page otherwise."""
    if _fragment(request):
        return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")
    messages.error(request, error.message)
    return redirect(back)


def _next_or(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


def _user_or_404(user_id: int) -> User:
    return get_object_or_404(selectors.active_users(), pk=user_id)


def refusing(view):
    """Turn a service's refusal into the answer `_refuse` gives."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as error:
            back = request.path
            if "chat_id" in kwargs:
                back = reverse("teamchat-chat", args=[kwargs["chat_id"]])
            return _refuse(request, error, _next_or(request, back))

    return wrapper


def _message_answer(request: HttpRequest, message: ChatMessage, chat: Chat) -> HttpResponse:
    """After an action on a message: its fresh HTML to scripts, the chat page otherwise."""
    if _fragment(request):
        fresh = selectors.get_message_for(request.user, chat.pk, message.pk)
        return HttpResponse(message_html(fresh))
    if message.thread_parent_id:
        return redirect("teamchat-thread", chat_id=chat.pk, message_id=message.thread_parent_id)
    return redirect(f"{_chat_url(chat)}#message-{message.pk}")


# --- the sidebar, Display options, Search -------------------------------------------------------


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    return redirect("teamchat-directory")


@require_GET
@login_required
def sidebar(request: HttpRequest) -> HttpResponse:
    """The team chat part of the sidebar, re-fetched by a tab when it changed."""
    return render(request, "teamchat/sidebar.html")


@require_POST
@login_required
def display(request: HttpRequest) -> HttpResponse:
    form = DisplayForm(request.POST)
    back = _next_or(request, reverse("home"))
    if not form.is_valid():
        return _refuse(request, DomainError(_("Sort by activity or by name.")), back)
    services.set_display_preferences(request.user, **form.cleaned_data)
    if _fragment(request):
        return render(request, "teamchat/sidebar.html")
    return redirect(back)


@require_GET
@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Channels, groups, teams, people and direct messages whose name matches, as one types."""
    query = request.GET.get("q", "")
    context = {"query": query, "results": selectors.search(request.user, query)}
    if _fragment(request):
        return render(request, "teamchat/search.html#results", context)
    return render(request, "teamchat/search.html", context)


@require_GET
@login_required
def directory(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab", "channels")
    if tab not in DIRECTORY_TABS:
        tab = "channels"
    query = request.GET.get("q", "")[:100]
    sort = request.GET.get("sort", "name")
    if tab == "users":
        rows = selectors.directory_users(query, sort)
    elif tab == "teams":
        rows = selectors.directory_teams(request.user, query, sort)
    else:
        rows = selectors.directory_channels(request.user, query, sort)
    page = Paginator(rows, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"tab": tab, "query": query, "sort": sort, "page": page}
    if _fragment(request):
        return render(request, "teamchat/directory.html#results", context)
    return render(request, "teamchat/directory.html", context)


# --- creating -----------------------------------------------------------------------------------


def _creation_page(
    request: HttpRequest, what: str, form, status: int = 200, team=None
) -> HttpResponse:
    users = selectors.active_users().exclude(pk=request.user.pk).order_by("username")[:500]
    return render(
        request,
        "teamchat/create.html",
        {"what": what, "form": form, "users": users, "team": team},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def create_chat(request: HttpRequest) -> HttpResponse:
    """A new channel (or, marked private, a private group)."""
    form = ChatForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            chat = services.create_chat(
                request.user,
                name=form.cleaned_data["name"],
                private=form.cleaned_data["private"],
                members=form.cleaned_data["members"],
            )
        except DomainError as error:
            form.add_error(
                "name" if error.code in {"duplicate_name", "invalid_name"} else None, error.message
            )
        else:
            return redirect(_chat_url(chat))
    status = 400 if request.method == "POST" else 200
    return _creation_page(request, "channel", form, status)


@require_http_methods(["GET", "POST"])
@login_required
def create_team(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.create_team(
                request.user,
                name=form.cleaned_data["name"],
                private=form.cleaned_data["private"],
                members=form.cleaned_data["members"],
            )
        except DomainError as error:
            form.add_error(
                "name" if error.code in {"duplicate_name", "invalid_name"} else None, error.message
            )
        else:
            return redirect(_chat_url(selectors.main_chat_of(team)))
    status = 400 if request.method == "POST" else 200
    return _creation_page(request, "team", form, status)


@require_http_methods(["GET", "POST"])
@login_required
def create_direct(request: HttpRequest) -> HttpResponse:
    form = DirectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            chat = services.open_direct(request.user, users=form.cleaned_data["members"])
        except DomainError as error:
            form.add_error("members", error.message)
        else:
            return redirect(_chat_url(chat))
    status = 400 if request.method == "POST" else 200
    return _creation_page(request, "direct", form, status)


# --- teams and people ---------------------------------------------------------------------------


@require_GET
@login_required
def team(request: HttpRequest, team_id: int) -> HttpResponse:
    found = selectors.get_team_for(request.user, team_id)
    context = {
        "team": found,
        "team_chats": selectors.team_chats_for(request.user, found),
        "team_membership": selectors.team_membership(request.user, found),
        "main_chat": selectors.main_chat_of(found),
    }
    return render(request, "teamchat/team.html", context)


@require_POST
@login_required
@refusing
def join_team(request: HttpRequest, team_id: int) -> HttpResponse:
    found = selectors.get_team_for(request.user, team_id)
    services.join_team(request.user, found)
    return redirect(_chat_url(selectors.main_chat_of(found)))


@require_http_methods(["GET", "POST"])
@login_required
def create_team_chat(request: HttpRequest, team_id: int) -> HttpResponse:
    found = selectors.get_team_for(request.user, team_id)
    form = ChatForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            chat = services.create_chat(
                request.user,
                name=form.cleaned_data["name"],
                private=form.cleaned_data["private"],
                members=form.cleaned_data["members"],
                team=found,
            )
        except DomainError as error:
            form.add_error(
                "name" if error.code in {"duplicate_name", "invalid_name"} else None, error.message
            )
        else:
            return redirect(_chat_url(chat))
    status = 400 if request.method == "POST" else 200
    return _creation_page(request, "channel", form, status, team=found)


@require_GET
@login_required
def user_page(request: HttpRequest, username: str) -> HttpResponse:
    person = get_object_or_404(selectors.active_users(), username=username)
    direct = None
    if person.pk != request.user.pk:
        direct = selectors.direct_chat_between([request.user.pk, person.pk])
    return render(request, "teamchat/user.html", {"person": person, "direct": direct})


# --- a chat -------------------------------------------------------------------------------------


def _chat_context(request: HttpRequest, chat: Chat) -> dict:
    membership = selectors.membership_of(request.user, chat)
    selectors.direct_titles([chat], request.user)
    room_messages = selectors.messages_of(chat)
    return {
        "chat": chat,
        "membership": membership,
        "is_owner": bool(membership and membership.is_owner),
        "can_post": bool(membership and not chat.is_archived),
        "can_join": membership is None and chat.kind == Chat.Kind.CHANNEL and not chat.is_archived,
        "room_messages": room_messages,
        "last_message_id": room_messages[-1].pk if room_messages else 0,
        "member_count": Membership.objects.filter(chat=chat).count(),
        "files_allowed": services.files_allowed(),
        "reactions": services.REACTIONS,
        "show_avatars": selectors.display_preferences(request.user).show_avatars,
    }


@require_GET
@login_required
def chat_page(request: HttpRequest, chat_id: int) -> HttpResponse:
    """A chat: its messages and composer to members; a preview with Join to others."""
    chat = selectors.get_chat_for(request.user, chat_id)
    return render(request, "teamchat/chat.html", _chat_context(request, chat))


@require_GET
@login_required
def new_messages(request: HttpRequest, chat_id: int) -> HttpResponse:
    """Messages after ?after=<id>, for a tab whose socket is down."""
    chat = selectors.get_chat_for(request.user, chat_id)
    try:
        after_id = int(request.GET.get("after", "0"))
    except ValueError:
        return HttpResponse(_("'after' must be a message id."), status=400)
    return render(
        request,
        "teamchat/chat.html#message-list",
        {"chat": chat, "room_messages": selectors.messages_of(chat, after_id=after_id)},
    )


def _incoming_files(request: HttpRequest) -> list[services.IncomingFile]:
    files = []
    for upload in request.FILES.getlist("files"):
        if upload.size > ATTACHMENT_MAX_BYTES:
            # Never read more than the limit; the service refuses it with the usual reason.
            files.append(services.IncomingFile(upload.name, upload.read(ATTACHMENT_MAX_BYTES + 1)))
        else:
            files.append(services.IncomingFile(upload.name, upload.read()))
    return files


@require_POST
@login_required
@refusing
def post_message(request: HttpRequest, chat_id: int) -> HttpResponse:
    chat = selectors.get_chat_for(request.user, chat_id)
    form = MessageForm(request.POST)
    if not form.is_valid():
        raise DomainError(
            " ".join(message for errors in form.errors.values() for message in errors)
        )
    message = services.post_message(
        request.user,
        chat,
        text=form.cleaned_data["text"],
        thread=form.cleaned_data["thread"],
        files=_incoming_files(request),
    )
    return _message_answer(request, message, chat)


@require_GET
@login_required
def message_link(request: HttpRequest, chat_id: int, message_id: int) -> HttpResponse:
    """A message's permanent link: its place in the chat (or in its thread)."""
    message = selectors.get_message_for(request.user, chat_id, message_id)
    if _fragment(request):
        return HttpResponse(message_html(message))
    if message.thread_parent_id:
        url = reverse("teamchat-thread", args=[chat_id, message.thread_parent_id])
        return redirect(f"{url}#message-{message.pk}")
    return redirect(f"{reverse('teamchat-chat', args=[chat_id])}#message-{message.pk}")


@require_http_methods(["GET", "POST"])
@login_required
@refusing
def edit_message(request: HttpRequest, chat_id: int, message_id: int) -> HttpResponse:
    message = selectors.get_message_for(request.user, chat_id, message_id)
    if request.method == "POST":
        form = MessageForm(request.POST)
        if not form.is_valid():
            raise DomainError(" ".join(e for errors in form.errors.values() for e in errors))
        services.edit_message(request.user, message, text=form.cleaned_data["text"])
        return _message_answer(request, message, message.chat)
    if not message.is_editable_by(request.user.pk):
        raise Http404
    context = {"message": message, "chat": message.chat}
    if _fragment(request):
        return render(request, "teamchat/edit.html#edit-form", context)
    return render(request, "teamchat/edit.html", context)


@require_POST
@login_required
@refusing
def delete_message(request: HttpRequest, chat_id: int, message_id: int) -> HttpResponse:
    message = selectors.get_message_for(request.user, chat_id, message_id)
    services.delete_message(request.user, message)
    return _message_answer(request, message, message.chat)


@require_POST
@login_required
@refusing
def react(request: HttpRequest, chat_id: int, message_id: int) -> HttpResponse:
    message = selectors.get_message_for(request.user, chat_id, message_id)
    services.toggle_reaction(request.user, message, emoji=request.POST.get("emoji", ""))
    return _message_answer(request, message, message.chat)


@require_POST
@login_required
@refusing
def pin(request: HttpRequest, chat_id: int, message_id: int) -> HttpResponse:
    message = selectors.get_message_for(request.user, chat_id, message_id)
    services.set_pinned(request.user, message, pinned=request.POST.get("pinned") != "0")
    return _message_answer(request, message, message.chat)


def _panel(request: HttpRequest, chat: Chat, partial: str, context: dict) -> HttpResponse:
    """A side panel of the chat page: the fragment to scripts, a page of its own otherwise."""
    context = {**context, "chat": chat, "panel": partial}
    membership = selectors.membership_of(request.user, chat)
    context.update(
        membership=membership,
        is_owner=bool(membership and membership.is_owner),
        can_post=bool(membership and not chat.is_archived),
        reactions=services.REACTIONS,
        files_allowed=services.files_allowed(),
    )
    selectors.direct_titles([chat], request.user)
    if _fragment(request):
        return render(request, f"teamchat/panels.html#{partial}", context)
    return render(request, "teamchat/panels.html", context)


@require_GET
@login_required
def thread(request: HttpRequest, chat_id: int, message_id: int) -> HttpResponse:
    parent = selectors.get_message_for(request.user, chat_id, message_id)
    if parent.thread_parent_id:
        return redirect("teamchat-thread", chat_id=chat_id, message_id=parent.thread_parent_id)
    context = {"parent": parent, "replies": selectors.thread_of(parent)}
    return _panel(request, parent.chat, "thread", context)


@require_GET
@login_required
def pinned(request: HttpRequest, chat_id: int) -> HttpResponse:
    chat = selectors.get_chat_for(request.user, chat_id)
    return _panel(request, chat, "pinned", {"pinned_messages": selectors.pinned_of(chat)})


@require_http_methods(["GET", "POST"])
@login_required
@refusing
def members(request: HttpRequest, chat_id: int) -> HttpResponse:
    """The members panel; POST invites people."""
    chat = selectors.get_chat_for(request.user, chat_id)
    form = InviteForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            raise DomainError(" ".join(e for errors in form.errors.values() for e in errors))
        added = services.add_members(request.user, chat, users=form.cleaned_data["members"])
        if not _fragment(request):
            messages.success(
                request,
                _("Added: %(names)s.") % {"names": ", ".join(u.display_name for u in added)},
            )
            return redirect(_chat_url(chat))
        form = InviteForm()
    context = {"member_list": selectors.members_of(chat), "invite_form": form}
    return _panel(request, chat, "members", context)


@require_POST
@login_required
@refusing
def remove_member(request: HttpRequest, chat_id: int, user_id: int) -> HttpResponse:
    chat = selectors.get_chat_for(request.user, chat_id)
    services.remove_member(request.user, chat, user=_user_or_404(user_id))
    return _after_member_change(request, chat)


@require_POST
@login_required
@refusing
def set_role(request: HttpRequest, chat_id: int, user_id: int) -> HttpResponse:
    chat = selectors.get_chat_for(request.user, chat_id)
    services.set_role(
        request.user, chat, user=_user_or_404(user_id), role=request.POST.get("role", "")
    )
    return _after_member_change(request, chat)


def _after_member_change(request: HttpRequest, chat: Chat) -> HttpResponse:
    if _fragment(request):
        context = {"member_list": selectors.members_of(chat), "invite_form": InviteForm()}
        return _panel(request, chat, "members", context)
    return redirect("teamchat-members", chat_id=chat.pk)


@require_POST
@login_required
@refusing
def join(request: HttpRequest, chat_id: int) -> HttpResponse:
    chat = selectors.get_chat_for(request.user, chat_id)
    services.join_chat(request.user, chat)
    return redirect(_chat_url(chat))


@require_POST
@login_required
@refusing
def leave(request: HttpRequest, chat_id: int) -> HttpResponse:
    chat = selectors.get_chat_for(request.user, chat_id)
    services.leave_chat(request.user, chat)
    messages.info(request, _("You left %(name)s.") % {"name": chat.name})
    if selectors.can_watch(request.user, chat.pk):
        return redirect(_chat_url(chat))
    return redirect("teamchat-directory")


@require_POST
@login_required
@refusing
def rename(request: HttpRequest, chat_id: int) -> HttpResponse:
    chat = selectors.get_chat_for(request.user, chat_id)
    form = RenameForm(request.POST)
    if not form.is_valid():
        raise DomainError(" ".join(e for errors in form.errors.values() for e in errors))
    services.rename_chat(request.user, chat, name=form.cleaned_data["name"])
    return redirect(_chat_url(chat))


@require_POST
@login_required
@refusing
def archive(request: HttpRequest, chat_id: int) -> HttpResponse:
    chat = selectors.get_chat_for(request.user, chat_id)
    services.set_archived(request.user, chat, archived=request.POST.get("archived") != "0")
    return redirect(_chat_url(chat))


@require_POST
@login_required
def read(request: HttpRequest, chat_id: int) -> HttpResponse:
    """The member looked at the chat: its unread and mention counts go to zero."""
    chat = selectors.get_chat_for(request.user, chat_id)
    if selectors.is_member(request.user, chat):
        services.mark_read(request.user, chat)
    return HttpResponse(status=204)


@require_GET
@login_required
def chat_file(request: HttpRequest, chat_id: int, token: str) -> FileResponse:
    """A file sent in a chat, only to someone who may see the chat."""
    chat = selectors.get_chat_for(request.user, chat_id)
    found = ChatFile.objects.filter(message__chat=chat, token=token).first()
    if found is None:
        raise Http404
    response = FileResponse(
        found.file.open("rb"),
        content_type=found.content_type,
        as_attachment=not found.is_image,
        filename=found.name,
    )
    # Whatever the file turns out to contain, it never runs as part of our pages.
    response["Content-Security-Policy"] = "sandbox"
    return response
