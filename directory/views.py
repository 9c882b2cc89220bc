"""The Contact Center: Contacts, Chats and Calls tabs, a contact's page, editing and merging.

Every page reads through directory.selectors (and so rooms.selectors): what a user may not
see answers 404, exactly like what does not exist.
"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.selectors import is_manager
from directory import selectors, services
from directory.errors import InvalidContactDetails
from directory.filters import CallFilter, ChatFilter
from directory.forms import ContactForm, ContactSearchForm
from directory.models import Contact
from omnichannel.errors import DomainError
from productivity.selectors import with_ratings
from rooms.selectors import get_room_for, transcript_of

PAGE_SIZE = 25


def _page(request: HttpRequest, items: QuerySet, load: Callable[[list[int]], QuerySet]):
    """(page, rows): counted and sliced on ids alone, so a deep page reads no joined rows it
    skips; then only the page's rows are loaded, by id, in the list's order."""
    ids = items.values_list("pk", flat=True)
    page = Paginator(ids, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    found = {row.pk: row for row in load(shown)}
    return page, [found[pk] for pk in shown if pk in found]


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@require_GET
@login_required
def contacts(request: HttpRequest) -> HttpResponse:
    form = ContactSearchForm(request.GET or None)
    text, sort = form.criteria() if form.is_bound else ("", selectors.DEFAULT_CONTACT_SORT)
    found = selectors.search_contacts(request.user, text=text, sort=sort)
    page, contacts_shown = _page(request, found, selectors.contacts_by_ids)
    context = {
        "tab": "contacts",
        "form": form,
        "page": page,
        "contacts": contacts_shown,
        "text": text,
        "sort": sort,
        "query": _query_without_page(request),
    }
    template = "directory/contacts.html"
    if request.htmx and request.htmx.target == "contact-results":
        template += "#results"
    return render(request, template, context)


def _contact_context(request: HttpRequest, contact: Contact) -> dict:
    user = request.user
    rooms = selectors.rooms_of_contact(user, contact)
    return {
        "tab": "contacts",
        "contact": contact,
        "identities": list(contact.identities.order_by("channel", "created_at")),
        "field_rows": selectors.custom_values_of(contact),
        "rooms": list(with_ratings(rooms)),
        "tags": list(selectors.tags_of_rooms(rooms)),
        "calls": selectors.calls_of(user, contact),
        "edits": selectors.edits_of(contact),
        "merges": selectors.merges_into(contact),
        "can_merge": is_manager(user),
    }


@require_GET
@login_required
def contact_detail(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = selectors.get_contact_for(request.user, contact_id)
    return render(request, "directory/contact.html", _contact_context(request, contact))


@require_http_methods(["GET", "POST"])
@login_required
def contact_edit(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = selectors.get_contact_for(request.user, contact_id)
    rows = selectors.custom_values_of(contact)
    if request.method == "POST":
        form = ContactForm(request.POST, rows=rows)
        if form.is_valid():
            try:
                services.update_contact(
                    request.user, contact, details=form.details(), custom=form.custom_values()
                )
            except InvalidContactDetails as error:
                form.add_service_errors(error.errors)
            else:
                messages.success(request, _("The contact is saved."))
                return redirect("contact-center-contact", contact_id=contact.pk)
    else:
        form = ContactForm(rows=rows, contact=contact)
    return render(
        request,
        "directory/contact_edit.html",
        {"tab": "contacts", "contact": contact, "form": form},
    )


@require_http_methods(["GET", "POST"])
@login_required
def contact_merge(request: HttpRequest, contact_id: int) -> HttpResponse:
    """A manager folds another contact into this one: choose it, review, confirm."""
    if not is_manager(request.user):
        raise Http404
    survivor = selectors.get_contact_for(request.user, contact_id)
    if request.method == "POST":
        try:
            other_id = int(request.POST.get("other", ""))
        except ValueError:
            raise Http404 from None
        merged = selectors.get_contact_for(request.user, other_id)
        try:
            services.merge_contacts(request.user, survivor, merged)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect(f"{request.path}?other={merged.pk}")
        messages.success(
            request,
            _("%(merged)s was merged into %(survivor)s.")
            % {"merged": merged.display_name, "survivor": survivor.display_name},
        )
        return redirect("contact-center-contact", contact_id=survivor.pk)
    form = ContactSearchForm(request.GET or None)
    text, _sort = form.criteria() if form.is_bound else ("", "")
    candidates = []
    if text:
        candidates = list(
            selectors.search_contacts(request.user, text=text, sort="name").exclude(pk=survivor.pk)[
                :20
            ]
        )
    other = None
    summary = {}
    if request.GET.get("other", "").isdigit():
        other = selectors.get_contact_for(request.user, int(request.GET["other"]))
        if other.pk == survivor.pk:
            raise Http404
        summary = {
            "identities": other.identities.count(),
            "rooms": selectors.rooms_of_contact(request.user, other).count(),
            "calls": other.calls.count(),
            "values": other.field_values.count(),
        }
    return render(
        request,
        "directory/contact_merge.html",
        {
            "tab": "contacts",
            "contact": survivor,
            "form": form,
            "candidates": candidates,
            "other": other,
            "summary": summary,
        },
    )


@require_GET
@login_required
def chats(request: HttpRequest) -> HttpResponse:
    filterset = ChatFilter(
        request.GET or None, queryset=selectors.chats_visible_to(request.user), request=request
    )
    page, rooms = _page(request, filterset.qs, selectors.rooms_by_ids)
    context = {
        "tab": "chats",
        "filter": filterset,
        "page": page,
        "rooms": rooms,
        "query": _query_without_page(request),
    }
    template = "directory/chats.html"
    if request.htmx and request.htmx.target == "chat-results":
        template += "#results"
    return render(request, template, context)


@require_GET
@login_required
def chat_detail(request: HttpRequest, room_id: int) -> HttpResponse:
    """A conversation read-only with its whole history, comment and tags."""
    room = get_room_for(request.user, room_id)
    return render(
        request,
        "directory/chat.html",
        {"tab": "chats", "room": room, "transcript": transcript_of(room)},
    )


@require_GET
@login_required
def calls(request: HttpRequest) -> HttpResponse:
    filterset = CallFilter(
        request.GET or None, queryset=selectors.calls_visible_to(request.user), request=request
    )
    page, calls_shown = _page(request, filterset.qs, selectors.calls_by_ids)
    context = {
        "tab": "calls",
        "filter": filterset,
        "page": page,
        "calls": calls_shown,
        "query": _query_without_page(request),
    }
    return render(request, "directory/calls.html", context)
