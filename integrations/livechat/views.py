"""The website chat widget: a public page, its JSON/fragment endpoints and the embed loader.

A visitor is known only by a random token that their browser keeps (localStorage, one per
department) and sends in the ``X-Visitor-Token`` header; the server stores its SHA-256 digest as
the contact's livechat identity, never the token itself. Because nothing rides on cookies, the
endpoints need no CSRF token: another site cannot make a browser send that header.
"""

import hashlib
import re
from collections.abc import Callable
from functools import wraps

from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Department
from directory import services as directory_services
from directory.models import Channel, Contact, ContactIdentity
from integrations.livechat.forms import VisitorMessageForm
from omnichannel import throttle
from omnichannel.errors import DomainError
from productivity import selectors as productivity_selectors
from productivity import services as productivity_services
from rooms import services as room_services
from rooms.formatting import MESSAGE_MAX_LENGTH
from rooms.models import Attachment, Message, Room
from rooms.selectors import message_by_external_id
from rooms.services import ATTACHMENT_MAX_BYTES, ATTACHMENT_TYPES, IncomingFile

VISITOR_HEADER = "X-Visitor-Token"
# secrets.token_urlsafe(32) is 43 characters; the bounds leave room for other generators
# while refusing anything short enough to guess or long enough to be abuse.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{32,128}")
CONVERSATION_LIMIT = 200
# A message with the largest file allowed, plus its text and the form's envelope.
MAX_BODY_BYTES = ATTACHMENT_MAX_BYTES + 64 * 1024
POLL_INTERVAL_MS = 2500


class VisitorTokenError(DomainError):
    code = "invalid_visitor_token"


class InvalidRequest(DomainError):
    code = "invalid"


def _error(error: DomainError) -> JsonResponse:
    return JsonResponse({"detail": error.message, "code": error.code}, status=400)


def _token_digest(request: HttpRequest) -> str:
    """The SHA-256 hex digest of the request's visitor token; VisitorTokenError when unusable."""
    token = request.headers.get(VISITOR_HEADER, "")
    if not token:
        raise VisitorTokenError(
            _("The visitor token is missing: send it in the %(header)s header.")
            % {"header": VISITOR_HEADER}
        )
    if not TOKEN_PATTERN.fullmatch(token):
        raise VisitorTokenError(
            _("The visitor token is not valid: use 32 to 128 URL-safe characters.")
        )
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _enabled_department(slug: str) -> Department:
    return get_object_or_404(Department, slug=slug, enabled=True)


VisitorView = Callable[..., HttpResponse]


def visitor_endpoint(view: VisitorView) -> Callable[..., HttpResponse]:
    """Resolve the department (404) and the visitor token (400) before the view runs."""

    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
        department = _enabled_department(slug)
        try:
            digest = _token_digest(request)
        except VisitorTokenError as error:
            return _error(error)
        return view(request, department, digest, *args, **kwargs)

    return wrapper


def _known_contact(digest: str) -> Contact | None:
    """The contact behind a token digest, or None; reading never creates a contact."""
    identity = (
        ContactIdentity.objects.select_related("contact")
        .filter(channel=Channel.LIVECHAT, external_id=digest)
        .first()
    )
    return identity.contact if identity else None


def _visitor_messages(contact: Contact, after_id: int) -> list[Message]:
    """The contact's own website-chat messages (every room of theirs), after a message id."""
    messages = (
        # Thread replies are the agents' own notes, never shown to the visitor.
        Message.objects.filter(
            room__contact=contact, room__channel=Channel.LIVECHAT, thread_parent__isnull=True
        )
        .select_related("author")
        .prefetch_related("attachments")
    )
    if after_id:
        return list(messages.filter(id__gt=after_id).order_by("id")[:CONVERSATION_LIMIT])
    latest = list(messages.order_by("-id")[:CONVERSATION_LIMIT])
    latest.reverse()
    return latest


def _latest_room(contact: Contact) -> Room | None:
    return (
        Room.objects.filter(contact=contact, channel=Channel.LIVECHAT)
        .select_related("agent")
        .order_by("-created_at", "-id")
        .first()
    )


@require_GET
@never_cache
@xframe_options_exempt
def widget(request: HttpRequest, slug: str) -> HttpResponse:
    """The chat page a visitor opens, on its own or inside the embed loader's iframe."""
    department = _enabled_department(slug)
    context = {
        "department": department,
        "message_max_length": MESSAGE_MAX_LENGTH,
        "file_max_bytes": ATTACHMENT_MAX_BYTES,
        "file_max_mb": ATTACHMENT_MAX_BYTES // (1024 * 1024),
        "file_types": ",".join(ATTACHMENT_TYPES),
        "poll_interval_ms": POLL_INTERVAL_MS,
    }
    return render(request, "livechat/widget.html", context)


@csrf_exempt
@require_POST
@visitor_endpoint
def send_message(request: HttpRequest, department: Department, digest: str) -> JsonResponse:
    """Store the visitor's message: it opens a queued room or joins their open one."""
    refused = throttle.throttled(
        ("livechat_visitor", digest), ("livechat_address", throttle.client_address(request))
    )
    if refused:
        return refused
    declared = request.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return JsonResponse(
            {"detail": _("The message is too large."), "code": "payload_too_large"}, status=413
        )
    form = VisitorMessageForm(request.POST, request.FILES)
    if not form.is_valid():
        return _error(InvalidRequest(next(iter(form.errors.values()))[0]))
    files = []
    upload = form.cleaned_data["file"]
    if upload:
        # One byte past the cap is enough for the service to refuse an oversized file with its
        # own message, without holding a huge upload in memory.
        files.append(IncomingFile(name=upload.name, content=upload.read(ATTACHMENT_MAX_BYTES + 1)))
    name = form.cleaned_data["name"]
    email = form.cleaned_data["email"]
    client_id = form.cleaned_data["client_id"]
    try:
        # One transaction, so a refused message leaves no contact behind.
        with transaction.atomic():
            contact, created = directory_services.get_or_create_contact(
                channel=Channel.LIVECHAT, external_id=digest, name=name, email=email
            )
            if name and not created:
                contact = directory_services.rename_contact_if_nameless(contact, name)
            # The widget's id for the message, unique per contact: a retry after a lost answer
            # gets the message stored the first time (a concurrent one, via the service).
            external_id = f"livechat:{contact.pk}:{client_id}" if client_id else None
            if external_id:
                stored = message_by_external_id(Channel.LIVECHAT, external_id)
                if stored is not None:
                    return JsonResponse({"id": stored.pk}, status=200)
            message = room_services.receive_contact_message(
                contact=contact,
                channel=Channel.LIVECHAT,
                department=department,
                text=form.cleaned_data["text"],
                files=files,
                external_id=external_id,
            )
            # Outside business hours the message still waits in the queue, marked as left.
            if not productivity_selectors.business_status(department).is_open:
                productivity_services.note_offline_message(message.room, email=email)
    except DomainError as error:
        return _error(error)
    return JsonResponse({"id": message.pk}, status=201)


@require_GET
@never_cache
@visitor_endpoint
def conversation(request: HttpRequest, department: Department, digest: str) -> HttpResponse:
    """The visitor's messages after ?after=<id>, and the status line, as an HTML fragment."""
    try:
        after_id = max(int(request.GET.get("after") or 0), 0)
    except ValueError:
        return _error(InvalidRequest(_("'after' must be a message id.")))
    contact = _known_contact(digest)
    context = {
        "department": department,
        "room": _latest_room(contact) if contact else None,
        "conversation": _visitor_messages(contact, after_id) if contact else [],
    }
    return render(request, "livechat/widget.html#conversation", context)


@require_GET
@never_cache
@visitor_endpoint
def attachment(
    request: HttpRequest, department: Department, digest: str, token: str
) -> FileResponse:
    """A file the visitor sent, to that visitor only; 404 alike for missing and not theirs."""
    contact = _known_contact(digest)
    if contact is None:
        raise Http404
    found = get_object_or_404(
        Attachment.objects.select_related("message__room"),
        token=token,
        message__kind=Message.Kind.CONTACT,
        message__room__channel=Channel.LIVECHAT,
        message__room__contact=contact,
    )
    response = FileResponse(
        found.file.open("rb"),
        content_type=found.content_type,
        as_attachment=not found.is_image,
        filename=found.name,
    )
    # The bytes are the visitor's own upload: never let them run as a page of ours.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_GET
@cache_control(public=True, max_age=300)
def embed_js(request: HttpRequest) -> HttpResponse:
    """The loader any site includes to get a "Chat with us" button that opens the widget.

    Snippet, before ``</body>``::

        <script src="https://chat.example.com/livechat/embed.js" data-department="support"
                async></script>

    ``data-department`` (or ``?department=<slug>`` on the script URL) names the department.
    """
    department = request.GET.get("department", "")
    if not re.fullmatch(r"[-a-zA-Z0-9_]{1,100}", department):
        department = ""
    # The widget lives next to this script: <base>/<slug>/, where <base> ends in "livechat/".
    base_url = request.build_absolute_uri(reverse("livechat:embed")).removesuffix("embed.js")
    context = {"base_url": base_url, "department": department}
    return render(
        request, "livechat/embed.js", context, content_type="text/javascript; charset=utf-8"
    )


# After the conversation: the satisfaction survey and the transcript by e-mail.


def _visitor_room(digest: str, room_id: object) -> Room:
    """One of the visitor's own website-chat rooms; 404 alike for missing and not theirs."""
    contact = _known_contact(digest)
    try:
        room_id = int(str(room_id))
    except ValueError:
        raise Http404 from None
    if contact is None:
        raise Http404
    return get_object_or_404(
        Room.objects.select_related("contact"),
        pk=room_id,
        contact=contact,
        channel=Channel.LIVECHAT,
    )


def _not_found() -> JsonResponse:
    return JsonResponse({"detail": _("No such conversation."), "code": "not_found"}, status=404)


@csrf_exempt
@require_POST
@visitor_endpoint
def survey(request: HttpRequest, department: Department, digest: str) -> JsonResponse:
    """The visitor rates their ended conversation from 1 to 5, with an optional comment."""
    try:
        room = _visitor_room(digest, request.POST.get("room", ""))
    except Http404:
        return _not_found()
    try:
        response = productivity_services.submit_survey(
            room.contact,
            room,
            rating=request.POST.get("rating", ""),
            comment=request.POST.get("comment", ""),
        )
    except DomainError as error:
        return _error(error)
    return JsonResponse({"rating": response.rating}, status=201)


@csrf_exempt
@require_POST
@visitor_endpoint
def transcript(request: HttpRequest, department: Department, digest: str) -> JsonResponse:
    """The visitor asks for the conversation by e-mail: sent when it ends, or now if it has."""
    try:
        room = _visitor_room(digest, request.POST.get("room", ""))
    except Http404:
        return _not_found()
    try:
        requested = productivity_services.request_transcript(
            room.contact, room, email=request.POST.get("email", "")
        )
    except DomainError as error:
        return _error(error)
    return JsonResponse({"status": requested.status}, status=201)
