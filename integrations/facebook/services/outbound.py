"""Outbound Messenger: what agents write (and closing messages) leaves through the Send API.

A committed event inserts one `Delivery` row, keyed by the event and the message, and its task
row in the same transaction. The task claims the row with one conditional UPDATE (QUEUED ->
SENDING), so a task run twice sends once; each part Facebook accepted is recorded before the
next leaves, so a retry resumes after it. A worker killed mid-send leaves the row SENDING: the
sweeper settles it from the echoes Facebook sent back (our metadata names the delivery and the
part). Once a page has echoed our sends, a part without an echo after `stale_sending()` did not
leave, and the sweeper queues the send again, resuming after the echoed parts: the person gets
each part once. A send Facebook did not answer in time is left to the same sweep instead of
being retried at once (it may have arrived). A page that has never echoed cannot tell: an
interrupted send fails for the agent to retry rather than risk sending it twice, and an
unanswered one is retried (at least once).
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from directory.models import Channel
from integrations.facebook import selectors, transport
from integrations.facebook.models import Delivery, Page, WebhookEvent
from integrations.facebook.services.inbound import METADATA_PREFIX
from integrations.facebook.services.pages import clear_token_flag, flag_token
from omnichannel.models import Event
from rooms.models import Message, Room
from rooms.services import set_delivery_status

logger = logging.getLogger(__name__)

TEXT_LIMIT = 2000
RESPONSE_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
# Waits between attempts (the last repeats): eight attempts span ~37 minutes, so sends outlive
# a Graph API outage of ten minutes and more.
BACKOFF_SECONDS = (10, 30, 90, 270, 600)
STALE_SENDING = timedelta(minutes=5)
LOST_TASK = timedelta(minutes=5)


def send_attempts() -> int:
    return getattr(settings, "FACEBOOK_SEND_ATTEMPTS", 8)


def backoff_seconds(attempts: int) -> int:
    """The wait after the given number of failed attempts (settings may shorten it in tests)."""
    delays = getattr(settings, "FACEBOOK_BACKOFF_SECONDS", BACKOFF_SECONDS)
    return delays[min(attempts, len(delays)) - 1]


def stale_sending() -> timedelta:
    """How long a claimed send may stay unanswered before the sweeper settles it."""
    seconds = getattr(settings, "FACEBOOK_STALE_SENDING_SECONDS", None)
    return STALE_SENDING if seconds is None else timedelta(seconds=seconds)


def _facebook_room(room_id: int | None) -> Room | None:
    if not room_id:
        return None
    return (
        Room.objects.filter(pk=room_id, channel=Channel.FACEBOOK)
        .only("pk", "source", "department_id", "contact_id", "channel")
        .first()
    )


def _enqueue(delivery_id: int, *, run_after: datetime | None = None) -> None:
    from integrations.facebook.tasks import send_delivery

    task = send_delivery if run_after is None else send_delivery.using(run_after=run_after)
    task.enqueue(delivery_id)


def _create(**fields) -> Delivery | None:
    """Insert a delivery and its task in one transaction; None when it already exists."""
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(**fields)
            _enqueue(delivery.pk)
    except IntegrityError:
        return None
    return delivery


def schedule_reply(event: Event) -> Delivery | None:
    """An agent wrote in a Messenger room: owe Facebook one send (once per event and message)."""
    room = _facebook_room(event.room_id)
    message_id = event.data.get("message")
    if room is None or not message_id:
        return None
    return _create(
        kind=Delivery.Kind.REPLY,
        event_id=event.pk,
        last_event_id=event.pk,
        message_id=message_id,
        room=room,
        page_id=room.source,
    )


def schedule_retry(event: Event) -> Delivery | None:
    """The agent asked to send a failed message again: its delivery is queued once more.

    Parts already sent stay sent. One conditional UPDATE, accepted once per event.
    """
    room = _facebook_room(event.room_id)
    message_id = event.data.get("message")
    if room is None or not message_id:
        return None
    with transaction.atomic():
        requeued = Delivery.objects.filter(
            message_id=message_id,
            status=Delivery.Status.FAILED,
            last_event_id__lt=event.pk,
        ).update(
            status=Delivery.Status.QUEUED,
            attempts=0,
            next_attempt_at=None,
            claimed_at=None,
            last_error="",
            last_event_id=event.pk,
        )
        delivery = Delivery.objects.filter(message_id=message_id).first()
        if requeued:
            _enqueue(delivery.pk)
            return delivery
    if delivery is None:
        # Failed before any delivery existed (a message older than this integration).
        return schedule_reply(event)
    return None


def schedule_closing(event: Event) -> Delivery | None:
    """A Messenger room closed: send the department's closing message, when it has one."""
    room = _facebook_room(event.room_id)
    if room is None:
        return None
    text = selectors.closing_message_for(room.department_id)
    if not text:
        return None
    return _create(
        kind=Delivery.Kind.CLOSING,
        event_id=event.pk,
        last_event_id=event.pk,
        room=room,
        page_id=room.source,
        text=text,
    )


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Messenger's texts are at most `limit` UTF-16 units: cut at paragraphs, lines or words."""
    parts: list[str] = []
    rest = text.strip()
    while _units(rest) > limit:
        window = rest[:limit]
        while _units(window) > limit:
            window = window[: len(window) - (_units(window) - limit)]
        cut = -1
        for separator in ("\n\n", "\n", " "):
            found = window.rfind(separator)
            if found >= len(window) // 2:
                cut = found
                break
        if cut <= 0:
            cut = len(window)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def messaging_type_for(page: Page, contact_id: int, *, now: datetime) -> tuple[str, str] | str:
    """(messaging_type, tag) the window allows now, or the reason no message may leave."""
    last = selectors.last_contact_message_at(contact_id, page.page_id)
    if last is not None and now - last <= RESPONSE_WINDOW:
        return ("RESPONSE", "")
    if last is not None and page.human_agent_tag and now - last <= HUMAN_AGENT_WINDOW:
        return ("MESSAGE_TAG", "HUMAN_AGENT")
    if page.human_agent_tag:
        return _(
            "Not sent: Messenger lets a page answer only within 7 days of the person's last "
            "message (24 hours without the human agent tag). They need to write again first."
        )
    return _(
        "Not sent: Messenger lets a page answer only within 24 hours of the person's last "
        "message. They need to write again first."
    )


def send_delivery(delivery_id: int) -> str:
    """Send one delivery through the Send API; the outcome word is the task's result."""
    now = timezone.now()
    # The queue honours each retry's run_after; the claim only makes a second run a no-op.
    claimed = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.QUEUED).update(
        status=Delivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return "not claimed"
    delivery = Delivery.objects.select_related("room", "message").get(pk=delivery_id)
    page = Page.objects.filter(page_id=delivery.page_id).first()
    if page is None or not page.enabled:
        return _fail(delivery, _("Not sent: this Facebook page is not configured or is disabled."))
    if delivery.kind == Delivery.Kind.REPLY:
        message = delivery.message
        if message is None or message.delivery_status != Message.Delivery.PENDING:
            return _settle_without_sending(delivery)
        text = message.text
    else:
        text = delivery.text
    psid = selectors.psid_of(delivery.room.contact_id, page.page_id)
    if psid is None:
        return _fail(delivery, _("Not sent: this person's Messenger id is unknown."))
    allowed = messaging_type_for(page, delivery.room.contact_id, now=now)
    if isinstance(allowed, str):
        return _fail(delivery, allowed)
    messaging_type, tag = allowed
    parts = split_text(text)
    mids = list(delivery.mids)
    for index in range(delivery.parts_sent, len(parts)):
        try:
            mid = transport.send_text(
                page_id=page.page_id,
                token=page.access_token,
                psid=psid,
                text=parts[index],
                messaging_type=messaging_type,
                tag=tag,
                metadata=f"{METADATA_PREFIX}{delivery.pk}:{index}",
            )
        except transport.GraphError as error:
            return _after_error(delivery, page, error, sent=index, total=len(parts))
        mids.append(mid)
        # Recorded before the next part leaves: a retry never repeats an accepted part.
        Delivery.objects.filter(pk=delivery.pk).update(parts_sent=index + 1, mids=mids)
    clear_token_flag(page)
    return _complete(delivery, mids[0] if mids else "")


def _complete(delivery: Delivery, mid: str) -> str:
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.SENT, last_error="", next_attempt_at=None
        )
        if delivery.message_id:
            try:
                with transaction.atomic():
                    set_delivery_status(
                        delivery.message, Message.Delivery.SENT, external_id=mid or None
                    )
            except IntegrityError:
                # The mid is already some other message's (should never be): keep it unset.
                set_delivery_status(delivery.message, Message.Delivery.SENT)
    return "sent"


def _fail(delivery: Delivery, reason: str) -> str:
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.FAILED, last_error=reason[:2000], next_attempt_at=None
        )
        if delivery.message_id:
            set_delivery_status(delivery.message, Message.Delivery.FAILED, error=reason)
    logger.info("Facebook delivery %s failed: %s", delivery.pk, reason)
    return "failed"


def _settle_without_sending(delivery: Delivery) -> str:
    """The message is no longer pending (sent meanwhile, or gone): nothing to send."""
    done = delivery.message is not None and delivery.message.delivery_status in {
        Message.Delivery.SENT,
        Message.Delivery.DELIVERED,
        Message.Delivery.READ,
    }
    status = Delivery.Status.SENT if done else Delivery.Status.FAILED
    Delivery.objects.filter(pk=delivery.pk).update(status=status)
    return "settled"


def _after_error(
    delivery: Delivery, page: Page, error: transport.GraphError, *, sent: int, total: int
) -> str:
    if error.token_invalid:
        flag_token(page, error.reason)
    attempts = delivery.attempts  # loaded after the claim, so this attempt is counted
    if error.unanswered and attempts < send_attempts() and _echoes_tell(page, delivery):
        # Facebook may have taken it: its echo will say. The row stays SENDING, and the sweeper
        # settles it or sends it again once `stale_sending()` has passed.
        Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(
            last_error=error.reason[:2000]
        )
        logger.info("Facebook delivery %s unanswered: waiting for its echo", delivery.pk)
        return "awaiting echo"
    if error.transient and attempts < send_attempts():
        delay = backoff_seconds(attempts)
        run_after = timezone.now() + timedelta(seconds=delay)
        with transaction.atomic():
            Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(
                status=Delivery.Status.QUEUED,
                next_attempt_at=run_after,
                last_error=error.reason[:2000],
            )
            _enqueue(delivery.pk, run_after=run_after)
        logger.info("Facebook delivery %s will retry in %s s: %s", delivery.pk, delay, error)
        return "retry"
    reason = error.reason
    if error.transient:
        reason = ngettext(
            "Facebook did not take the message after %(count)s attempt: %(reason)s",
            "Facebook did not take the message after %(count)s attempts: %(reason)s",
            attempts,
        ) % {"count": attempts, "reason": reason}
    if sent:
        reason = _("Only %(sent)s of %(total)s parts were sent. %(reason)s") % {
            "sent": sent,
            "total": total,
            "reason": reason,
        }
    return _fail(delivery, reason)


def _echoes_tell(page: Page | None, delivery: Delivery) -> bool:
    """Whether a missing echo means this send did not leave: the page echoed our sends
    before this one was claimed (it is subscribed to message_echoes)."""
    return (
        page is not None
        and page.echoes_seen_at is not None
        and delivery.claimed_at is not None
        and page.echoes_seen_at <= delivery.claimed_at
    )


def _settle_interrupted(delivery: Delivery, *, now: datetime) -> str:
    """A send whose worker died: sent (every part echoed), resumed, or failed for the agent.

    Returns the sweep's count it adds to.
    """
    text = delivery.message.text if delivery.message_id else delivery.text
    total = len(split_text(text))
    done = max(delivery.parts_sent, delivery.echoed_parts)
    mids = delivery.mids or ([delivery.echo_mid] if delivery.echo_mid else [])
    held = Delivery.objects.filter(
        pk=delivery.pk, status=Delivery.Status.SENDING, claimed_at=delivery.claimed_at
    )
    if done >= total:
        if not held.update(mids=mids, parts_sent=total):
            return "settled"  # a late worker or another sweep settled it meanwhile
        _complete(delivery, mids[0] if mids else "")
        return "settled"
    page = Page.objects.filter(page_id=delivery.page_id).first()
    if _echoes_tell(page, delivery) and delivery.attempts < send_attempts():
        with transaction.atomic():
            if held.update(
                status=Delivery.Status.QUEUED, parts_sent=done, mids=mids, next_attempt_at=now
            ):
                _enqueue(delivery.pk)
        logger.info(
            "Facebook delivery %s was interrupted before part %s: resumed", delivery.pk, done
        )
        return "resumed"
    if held.update(status=Delivery.Status.QUEUED):  # hold it while failing it below
        delivery.status = Delivery.Status.QUEUED
        _fail(
            delivery,
            _(
                "The send was interrupted and may not have reached the person. "
                "Retry to send it again."
            ),
        )
    return "interrupted"


def sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Settle deliveries a dead worker left, re-queue lost tasks, stored calls and downloads."""
    from integrations.facebook.services.attachments import sweep_downloads
    from integrations.facebook.tasks import process_webhook

    now = now or timezone.now()
    counts = {
        "settled": 0,
        "resumed": 0,
        "interrupted": 0,
        "requeued": 0,
        "webhooks": 0,
        "downloads": 0,
    }
    stale = Delivery.objects.select_related("message").filter(
        status=Delivery.Status.SENDING, claimed_at__lt=now - stale_sending()
    )
    for delivery in stale:
        counts[_settle_interrupted(delivery, now=now)] += 1
    lost = Delivery.objects.filter(status=Delivery.Status.QUEUED).filter(
        Q(next_attempt_at__lt=now - LOST_TASK)
        | Q(next_attempt_at__isnull=True, updated_at__lt=now - LOST_TASK)
    )
    for delivery_id in lost.values_list("pk", flat=True)[:1000]:
        # A second task for a row is harmless: only one run can claim it.
        _enqueue(delivery_id)
        Delivery.objects.filter(pk=delivery_id).update(updated_at=now)
        counts["requeued"] += 1
    waiting = WebhookEvent.objects.filter(
        status=WebhookEvent.Status.RECEIVED, received_at__lt=now - LOST_TASK
    )
    for event_id in waiting.values_list("pk", flat=True)[:1000]:
        process_webhook.enqueue(event_id)
        counts["webhooks"] += 1
    counts["downloads"] = sweep_downloads(now=now, lost_after=LOST_TASK)
    return counts
