"""Shared reads of the Facebook integration."""

import hmac
from datetime import datetime

from django.db.models import Max

from directory.models import Channel, Contact, ContactIdentity
from directory.selectors import contact_by_identity
from integrations.facebook.models import ClosingMessage, Page, WebhookEvent
from omnichannel.compiled import CompiledGet
from rooms.models import Message, Room

# Read for every message a page receives: compiled once (omnichannel.compiled).
_page = CompiledGet(lambda: Page.objects.select_related("department"), "page_id")
_webhook_event = CompiledGet(lambda: WebhookEvent.objects.all(), "pk")


def webhook_event(event_id: int) -> WebhookEvent | None:
    """A stored webhook call, as its processing reads it."""
    return _webhook_event.get(pk=event_id)


def contact_external_id(page_id: str, psid: str) -> str:
    """A PSID is scoped to its page: the same person has another one on another page."""
    return f"{page_id}:{psid}"


def psid_of(contact_id: int, page_id: str) -> str | None:
    """The contact's PSID on this page, from their Facebook identity."""
    prefix = f"{page_id}:"
    identity = (
        ContactIdentity.objects.filter(
            contact_id=contact_id, channel=Channel.FACEBOOK, external_id__startswith=prefix
        )
        .values_list("external_id", flat=True)
        .first()
    )
    return identity.removeprefix(prefix) if identity else None


def known_contact(page_id: str, psid: str) -> Contact | None:
    return contact_by_identity(Channel.FACEBOOK, contact_external_id(page_id, psid))


def signing_pages() -> list[tuple[str, str]]:
    """(page id, app secret) of every configured page, disabled ones too: a disabled page's
    calls are still Facebook's, answered 200 and not routed."""
    return list(Page.objects.values_list("page_id", "app_secret"))


def pages_by_id(page_ids: list[str]) -> dict[str, Page]:
    """The configured pages among these ids: one read each (a call names one page, nearly
    always), each compiled once."""
    pages = (_page.get(page_id=page_id) for page_id in dict.fromkeys(page_ids))
    return {page.page_id: page for page in pages if page is not None}


def page_for_verify_token(token: str) -> Page | None:
    """The page whose verify token this is (compared in constant time), enabled or not."""
    found = None
    for page in Page.objects.only("pk", "page_id", "verify_token"):
        if hmac.compare_digest(page.verify_token.encode(), token.encode()) and found is None:
            found = page
    return found


def last_contact_message_at(contact_id: int, page_id: str) -> datetime | None:
    """When the person last wrote to this page: the messaging window starts there."""
    return Message.objects.filter(
        room__contact_id=contact_id,
        room__channel=Channel.FACEBOOK,
        room__source=page_id,
        kind=Message.Kind.CONTACT,
    ).aggregate(last=Max("created_at"))["last"]


def room_for_echo(contact: Contact, page_id: str) -> Room | None:
    """Where a reply sent from the page's own inbox belongs: the open room, else the last one."""
    rooms = Room.objects.filter(contact=contact, channel=Channel.FACEBOOK, source=page_id)
    return (
        rooms.exclude(status=Room.Status.CLOSED).first()
        or rooms.order_by("-created_at", "-id").first()
    )


def rooms_awaiting_receipts(contact: Contact, page_id: str, until: datetime) -> list[Room]:
    """Rooms holding agent messages sent before `until` that are not yet read."""
    room_ids = (
        Message.objects.filter(
            room__contact=contact,
            room__channel=Channel.FACEBOOK,
            room__source=page_id,
            kind=Message.Kind.AGENT,
            created_at__lte=until,
            delivery_status__in=[Message.Delivery.SENT, Message.Delivery.DELIVERED],
        )
        .values_list("room_id", flat=True)
        .distinct()
    )
    return list(Room.objects.filter(pk__in=list(room_ids)))


def closing_message_for(department_id: int) -> str:
    found = ClosingMessage.objects.filter(department_id=department_id, enabled=True).first()
    return found.text.strip() if found else ""
