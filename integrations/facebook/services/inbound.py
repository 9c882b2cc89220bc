"""Inbound Messenger: keep each signed webhook call, then turn its items into rooms' messages.

Storing is all the request does (one row and its task row together: one statement on
PostgreSQL, see `omnichannel.tasks.insert_and_enqueue`); everything that can be slow
(profiles, downloads, rooms) runs in `process_webhook_event`, where every item is idempotent
on its own, so a retried or re-processed call never stores anything twice.
"""

import json
import logging
from collections import Counter
from contextlib import nullcontext
from datetime import timedelta

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from directory.models import Channel, Contact
from directory.services import get_or_create_contact
from integrations.facebook import selectors, transport, webhook
from integrations.facebook.models import Delivery, Page, WebhookEvent
from integrations.facebook.services import attachments
from integrations.facebook.services.pages import clear_token_flag, flag_token
from omnichannel.compiled import returned_columns, rows, update_by_pk
from omnichannel.errors import DomainError
from omnichannel.tasks import insert_and_enqueue
from rooms.formatting import MESSAGE_MAX_LENGTH
from rooms.models import Message
from rooms.selectors import message_by_external_id
from rooms.services import (
    advance_delivery,
    receive_contact_message,
    record_outside_agent_message,
    set_delivery_status,
)

logger = logging.getLogger(__name__)

PROCESS_ATTEMPTS = 4
PROCESS_BACKOFF_SECONDS = (15, 60, 300)
METADATA_PREFIX = "omnichannel:delivery:"


def max_body_bytes() -> int:
    return getattr(settings, "FACEBOOK_WEBHOOK_MAX_BYTES", 1024 * 1024)


def count_items(payload: dict) -> int:
    entries = payload.get("entry") if isinstance(payload.get("entry"), list) else []
    return sum(
        len(entry["messaging"])
        for entry in entries
        if isinstance(entry, dict) and isinstance(entry.get("messaging"), list)
    )


def store_webhook(
    body: bytes, payload: dict, *, trusted: list[str], unknown: list[str]
) -> WebhookEvent:
    """Keep the raw call; queue its processing when one of our pages is concerned."""
    from integrations.facebook.tasks import process_webhook

    event = WebhookEvent(
        body=body.decode("utf-8"),
        page_ids=trusted,
        items=count_items(payload),
        status=WebhookEvent.Status.RECEIVED if trusted else WebhookEvent.Status.IGNORED,
        error=f"Unknown page id(s): {', '.join(unknown)[:500]}" if unknown else "",
    )
    if not trusted:
        event.save()
        return event
    # The call and its task are written together: a stored call is always queued.
    return insert_and_enqueue(event, process_webhook)


def reprocess(event: WebhookEvent) -> None:
    """Queue a stored call again (admin); items already stored are recognised and skipped."""
    from integrations.facebook.tasks import process_webhook

    with transaction.atomic():
        WebhookEvent.objects.filter(pk=event.pk).update(
            status=WebhookEvent.Status.RECEIVED, attempts=0
        )
        process_webhook.enqueue(event.pk, force=True)


def process_webhook_event(event_id: int, *, force: bool = False) -> str:
    """Route every item of one stored call; retried later (bounded) when a download failed."""
    event = _count_attempt(event_id, force=force)
    if event is None:
        stored = selectors.webhook_event(event_id)
        return stored.status if stored else "missing"
    attempt = event.attempts
    final = attempt >= PROCESS_ATTEMPTS
    payload = json.loads(event.body)
    pages = selectors.pages_by_id(event.page_ids)
    enabled = {page_id for page_id, page in pages.items() if page.enabled}
    parsed = webhook.parse(payload, enabled)
    summary: Counter = Counter()
    for skipped in parsed.skipped:
        summary[f"skipped: {skipped}"] += 1
    errors: list[str] = []
    retry = False
    for item in parsed.items:
        try:
            summary[handle_item(item, pages[item.page_id])] += 1
        except DomainError as error:
            summary["refused"] += 1
            errors.append(f"{item.kind} from {item.psid}: {error.message}")
        except Exception as error:
            logger.exception("Facebook webhook %s: %s item failed", event.pk, item.kind)
            retry = True
            errors.append(f"{item.kind} from {item.psid}: {type(error).__name__}: {error}")
    return _finish(event, attempt, summary, errors, retry=retry and not final)


def _count_attempt(event_id: int, *, force: bool) -> WebhookEvent | None:
    """Count one more attempt at a call waiting to be processed (at any call when forced) and
    return it with that count; None when there is no such call.

    One statement, where a read and an UPDATE took two round trips.
    """
    meta = WebhookEvent._meta
    alias = router.db_for_write(WebhookEvent)
    quote = connections[alias].ops.quote_name
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    attempts, status = (quote(meta.get_field(name).column) for name in ("attempts", "status"))
    statement = (
        f"UPDATE {table} SET {attempts} = {attempts} + 1"  # noqa: S608 (the model's table)
        f" WHERE {pk} = %s AND ({status} = %s OR %s)"
        f" RETURNING {returned_columns(WebhookEvent, quote)}"
    )
    counted = rows(
        WebhookEvent, statement, [event_id, WebhookEvent.Status.RECEIVED.value, force], using=alias
    )
    return counted[0] if counted else None


def _finish(
    event: WebhookEvent, attempt: int, summary: Counter, errors: list[str], *, retry: bool
) -> str:
    from integrations.facebook.tasks import process_webhook

    error = "\n".join(errors)[:4000]
    if retry:
        # The call and its next run are written together.
        with transaction.atomic():
            delay = PROCESS_BACKOFF_SECONDS[min(attempt, len(PROCESS_BACKOFF_SECONDS)) - 1]
            WebhookEvent.objects.filter(pk=event.pk).update(
                status=WebhookEvent.Status.RECEIVED, summary=dict(summary), error=error
            )
            process_webhook.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
                event.pk
            )
        return "retry"
    status = WebhookEvent.Status.FAILED if errors else WebhookEvent.Status.PROCESSED
    # One statement: it needs no transaction of its own.
    update_by_pk(
        WebhookEvent,
        [event.pk],
        status=status,
        summary=dict(summary),
        error=error,
        processed_at=timezone.now(),
    )
    if errors:
        logger.warning("Facebook webhook %s left %s item(s) unprocessed", event.pk, len(errors))
    return status


def handle_item(item: webhook.Item, page: Page) -> str:
    """Act on one messaging item; the word returned is counted in the call's summary."""
    match item.kind:
        case "message":
            return _contact_message(item, page)
        case "postback":
            return _postback(item, page)
        case "echo":
            return _echo(item, page)
        case "delivery" | "read":
            return _receipt(item, page)
    return f"skipped: {item.kind}"


def _already_stored(mid: str) -> bool:
    return message_by_external_id(Channel.FACEBOOK, mid) is not None


def _contact_for(page: Page, psid: str) -> Contact:
    """The person's contact; a new one is named from their profile when the token allows."""
    contact = selectors.known_contact(page.page_id, psid)
    if contact is not None:
        return contact
    name = ""
    try:
        profile = transport.user_profile(token=page.access_token, psid=psid)
    except transport.GraphError as error:
        if error.token_invalid:
            flag_token(page, error.reason)
        logger.info("No profile for a new Messenger contact of page %s: %s", page.page_id, error)
    else:
        clear_token_flag(page)
        name = " ".join(
            str(profile.get(key) or "").strip() for key in ("first_name", "last_name")
        ).strip()
    contact, _created = get_or_create_contact(
        channel=Channel.FACEBOOK,
        external_id=selectors.contact_external_id(page.page_id, psid),
        name=name,
        identity_checked=True,
    )
    return contact


def _contact_message(item: webhook.Item, page: Page) -> str:
    message = item.message
    mid = str(message.get("mid") or "")
    if not mid:
        return "skipped: message without mid"
    if _already_stored(mid):
        return "duplicate"
    text = message.get("text") if isinstance(message.get("text"), str) else ""
    # Downloads happen before the transaction: slow transfers hold no lock.
    fetched = attachments.fetch_all(message.get("attachments"))
    meta: dict = {"page": page.page_id}
    if fetched.described:
        meta["attachments"] = fetched.described
    quick_reply = message.get("quick_reply")
    if isinstance(quick_reply, dict) and quick_reply.get("payload"):
        meta["quick_reply"] = str(quick_reply["payload"])[:1000]
    reply_to = message.get("reply_to")
    if isinstance(reply_to, dict) and reply_to.get("mid"):
        meta["reply_to"] = str(reply_to["mid"])
    body = "\n".join(part for part in [text.strip(), *fetched.lines] if part)
    body = body[:MESSAGE_MAX_LENGTH]
    if not body and not fetched.files:
        body = "(an empty message)"
    contact = _contact_for(page, item.psid)
    # The message and the retries of its failed downloads are stored together. Without retries
    # the service's own transaction is enough: a savepoint in ours cost two more round trips.
    with transaction.atomic() if fetched.retries else nullcontext():
        stored = receive_contact_message(
            contact=contact,
            channel=Channel.FACEBOOK,
            department=page.department,
            text=body,
            external_id=mid,
            files=fetched.files,
            sent_at=item.timestamp,
            source=page.page_id,
            meta=meta,
            file_policy=attachments.messenger_files(),
            external_id_checked=True,
        )
        if fetched.retries:
            attachments.schedule_retries(stored, fetched.retries)
    return "message"


def _postback(item: webhook.Item, page: Page) -> str:
    postback = item.data["postback"]
    title = str(postback.get("title") or "").strip()
    payload = str(postback.get("payload") or "")
    mid = str(postback.get("mid") or "")
    if not mid:
        # Older postbacks carry no mid: the person, page and instant make one up that a
        # repeat of the same call reproduces.
        stamp = int(item.timestamp.timestamp() * 1000) if item.timestamp else 0
        mid = f"postback:{page.page_id}:{item.psid}:{stamp}"
    if _already_stored(mid):
        return "duplicate"
    meta: dict = {"page": page.page_id, "postback": {"title": title, "payload": payload[:1000]}}
    referral = postback.get("referral")
    if isinstance(referral, dict):
        meta["referral"] = {key: str(value)[:200] for key, value in referral.items()}
    receive_contact_message(
        contact=_contact_for(page, item.psid),
        channel=Channel.FACEBOOK,
        department=page.department,
        text=title or payload[:200] or "(a button)",
        external_id=mid,
        sent_at=item.timestamp,
        source=page.page_id,
        meta=meta,
        external_id_checked=True,
    )
    return "postback"


def _echo(item: webhook.Item, page: Page) -> str:
    """A copy of a message the page sent: ours are skipped, the page inbox's are recorded."""
    message = item.message
    mid = str(message.get("mid") or "")
    if not mid:
        return "skipped: echo without mid"
    metadata = str(message.get("metadata") or "")
    if metadata.startswith(METADATA_PREFIX):
        _record_echo_of_ours(page, metadata.removeprefix(METADATA_PREFIX), mid)
        return "echo of ours"
    if page.app_id and str(message.get("app_id") or "") == page.app_id:
        return "echo of ours"
    if _already_stored(mid):
        return "echo of ours"
    contact = selectors.known_contact(page.page_id, item.psid)
    room = selectors.room_for_echo(contact, page.page_id) if contact else None
    if room is None:
        return "skipped: echo to a person without a conversation"
    text = message.get("text") if isinstance(message.get("text"), str) else ""
    # What the page sent from its inbox is Facebook's to keep: its files stay links.
    fetched = attachments.fetch_all(message.get("attachments"), download=False)
    body = "\n".join(part for part in [text.strip(), *fetched.lines] if part)
    body = body[:MESSAGE_MAX_LENGTH]
    meta = {"page": page.page_id, "app_id": str(message.get("app_id") or "")}
    if fetched.described:
        meta["attachments"] = fetched.described
    record_outside_agent_message(
        room, text=body, external_id=mid, sent_at=item.timestamp, meta=meta
    )
    return "echo from the page inbox"


def _record_echo_of_ours(page: Page, reference: str, mid: str) -> None:
    """Proof that Facebook took one part of a send, should its worker die before hearing so.

    The metadata reads "<delivery id>:<part index>" (a bare id, from before parts were named,
    is the first part).
    """
    delivery_id, _sep, part = reference.partition(":")
    if not delivery_id.isdigit() or len(delivery_id) > 18:
        return
    if part and not (part.isdigit() and len(part) <= 4):
        return
    delivery = Delivery.objects.filter(pk=int(delivery_id))
    delivery.update(echoed_parts=Greatest(F("echoed_parts"), int(part or 0) + 1))
    delivery.filter(echo_mid="").update(echo_mid=mid[:255])
    if page.echoes_seen_at is None:
        Page.objects.filter(pk=page.pk, echoes_seen_at__isnull=True).update(
            echoes_seen_at=timezone.now()
        )


def _receipt(item: webhook.Item, page: Page) -> str:
    """Delivery and read receipts: named messages, and everything before the watermark."""
    status = Message.Delivery.DELIVERED if item.kind == "delivery" else Message.Delivery.READ
    receipt = item.data[item.kind]
    contact = selectors.known_contact(page.page_id, item.psid)
    if contact is None:
        return f"skipped: {item.kind} for an unknown person"
    mids = receipt.get("mids") if isinstance(receipt.get("mids"), list) else []
    for message in Message.objects.filter(
        channel=Channel.FACEBOOK,
        kind=Message.Kind.AGENT,
        external_id__in=[str(mid) for mid in mids],
        room__contact=contact,
    ).only("pk", "room_id"):
        set_delivery_status(message, status)
    watermark = webhook.parse_timestamp(receipt.get("watermark"))
    if watermark is not None:
        for room in selectors.rooms_awaiting_receipts(contact, page.page_id, watermark):
            advance_delivery(room, until=watermark, status=status)
    return item.kind
