"""The conversation support tools of a room page: contact information, message search, files
and the contact's chat history. Each is a right-hand panel filled by one of these fragments.

Every view starts from `get_room_for`, so a room the user may not see answers 404 in every
panel, and the contact shown is that room's contact.
"""

import re
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods

from directory import services as directory_services
from directory.errors import InvalidContactDetails
from directory.forms import ContactForm
from directory.selectors import custom_values_of
from rooms.models import Message
from rooms.selectors import (
    files_of,
    get_room_for,
    messages_from,
    other_rooms_of_contact,
    search_contact_messages,
    search_room_messages,
    search_words,
    transcript_of,
)

SNIPPET_CONTEXT = 60
FILES_LIMIT = 100


@dataclass(frozen=True)
class SearchResult:
    message: Message
    snippet: SafeString


def highlight(text: str, words: list[str], *, context: int = SNIPPET_CONTEXT) -> SafeString:
    """The part of `text` around the first word found, escaped, each word in <mark>."""
    if not words:
        return mark_safe(escape(text[: context * 2]))  # noqa: S308 (escaped just now)
    pattern = re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)
    first = pattern.search(text)
    start = max(0, (first.start() if first else 0) - context)
    end = min(len(text), (first.end() if first else 0) + context * 2)
    piece = text[start:end]
    parts = []
    position = 0
    for match in pattern.finditer(piece):
        parts.append(escape(piece[position : match.start()]))
        parts.append(f"<mark>{escape(match.group())}</mark>")
        position = match.end()
    parts.append(escape(piece[position:]))
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return mark_safe(prefix + "".join(parts) + suffix)  # noqa: S308 (every piece is escaped)


def _results(messages: list[Message], words: list[str]) -> list[SearchResult]:
    return [SearchResult(message, highlight(message.text, words)) for message in messages]


@require_http_methods(["GET", "POST"])
@login_required
def contact_information(request: HttpRequest, room_id: int) -> HttpResponse:
    """The contact's details; `?edit=1` gives the form, POST saves through directory.services."""
    room = get_room_for(request.user, room_id)
    contact = room.contact
    rows = custom_values_of(contact)
    template = "rooms/tools/contact.html"
    context = {"room": room, "contact": contact, "field_rows": rows}
    if request.method == "POST":
        form = ContactForm(request.POST, rows=rows)
        if form.is_valid():
            try:
                contact = directory_services.update_contact(
                    request.user, contact, details=form.details(), custom=form.custom_values()
                )
            except InvalidContactDetails as error:
                form.add_service_errors(error.errors)
            else:
                context.update(contact=contact, field_rows=custom_values_of(contact), saved=True)
                return render(request, f"{template}#details", context)
        return render(request, f"{template}#form", {**context, "form": form})
    if request.GET.get("edit"):
        form = ContactForm(rows=rows, contact=contact)
        return render(request, f"{template}#form", {**context, "form": form})
    return render(request, f"{template}#details", context)


@require_GET
@login_required
def search_messages(request: HttpRequest, room_id: int) -> HttpResponse:
    room = get_room_for(request.user, room_id)
    text = request.GET.get("q", "")
    words = search_words(text)
    results = _results(search_room_messages(room, text), words) if words else []
    return render(
        request,
        "rooms/tools/search_results.html",
        {"room": room, "text": text[:200], "words": words, "results": results},
    )


@require_GET
@login_required
def earlier_messages(request: HttpRequest, room_id: int) -> HttpResponse:
    """The messages a room page lacks to show an older one: from ?from= up to ?before=."""
    room = get_room_for(request.user, room_id)
    try:
        first_id = int(request.GET.get("from", ""))
        before_id = int(request.GET.get("before", "0") or 0)
    except ValueError:
        raise Http404 from None
    messages = messages_from(room, first_id=first_id, before_id=before_id)
    return render(
        request, "rooms/room.html#message-list", {"room": room, "room_messages": messages}
    )


@require_GET
@login_required
def files(request: HttpRequest, room_id: int) -> HttpResponse:
    room = get_room_for(request.user, room_id)
    name = request.GET.get("name", "")[:200]
    kind = request.GET.get("kind", "")
    found = list(files_of(room, name=name, kind=kind)[: FILES_LIMIT + 1])
    return render(
        request,
        "rooms/tools/files.html",
        {
            "room": room,
            "files": found[:FILES_LIMIT],
            "more": len(found) > FILES_LIMIT,
            "limit": FILES_LIMIT,
            "name": name.replace("\x00", ""),
            "kind": kind,
        },
    )


@require_GET
@login_required
def history(request: HttpRequest, room_id: int) -> HttpResponse:
    """The contact's other rooms, newest first; with ?q=, their messages containing the words."""
    room = get_room_for(request.user, room_id)
    text = request.GET.get("q", "")
    words = search_words(text)
    searching = bool(text.strip()) and not request.GET.get("list")
    context = {"room": room, "text": text[:200], "words": words, "searching": searching}
    if searching:
        found = search_contact_messages(request.user, room, text) if words else []
        context["results"] = _results(found, words)
    else:
        context["rooms"] = list(other_rooms_of_contact(request.user, room))
    template = "rooms/tools/history.html"
    if request.htmx and request.htmx.target == "tool-history-view":
        template += "#view"
    return render(request, template, context)


@require_GET
@login_required
def history_room(request: HttpRequest, room_id: int, other_id: int) -> HttpResponse:
    """Another room of the same contact, read-only, opened inside the history panel."""
    room = get_room_for(request.user, room_id)
    other = get_room_for(request.user, other_id)
    if other.contact_id != room.contact_id:
        raise Http404
    try:
        scroll_to = int(request.GET.get("message", "0") or 0)
    except ValueError:
        scroll_to = 0
    return render(
        request,
        "rooms/tools/history.html#room",
        {"room": room, "other": other, "transcript": transcript_of(other), "scroll_to": scroll_to},
    )
