"""The only writers of API channels and their callback deliveries.

Inbound: an external system's message opens or joins a room exactly like the website chat's.
Outbound: each agent reply in an API room is one callback delivery, inserted with its task in
one transaction and sent by that task, retried with exponential back-off a bounded number of
times; the message shows the outcome (sent, or failed with the reason). The sweeper queues again
a delivery whose task was lost; the receiver dedupes on X-Omnichannel-Delivery.
"""

import logging
import secrets
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import Department
from directory import services as directory_services
from directory.models import Channel, ContactIdentity
from integrations.apichannel.errors import DuplicateMessage, InvalidChannel
from integrations.apichannel.models import ApiChannel, CallbackAttempt, CallbackDelivery
from integrations.webhooks import transport
from integrations.webhooks.models import DeliveryStatus
from omnichannel.models import Event
from rooms import services as room_services
from rooms.api.serializers import MessageOutputSerializer
from rooms.models import Message, Room
from rooms.selectors import message_by_external_id

logger = logging.getLogger(__name__)


def create_api_channel(
    *,
    name: str,
    department: Department,
    key: str = "",
    callback_url: str = "",
    secret: str = "",
    enabled: bool = True,
) -> ApiChannel:
    """A new channel; the key defaults to the name's slug, the secret to a random one."""
    key = slugify(key or name)[:64]
    if not key:
        raise InvalidChannel(_("A channel needs a name or key made of letters or digits."))
    if callback_url:
        transport.check_target(callback_url)
    try:
        with transaction.atomic():
            return ApiChannel.objects.create(
                name=name.strip()[:100] or key,
                key=key,
                department=department,
                callback_url=callback_url,
                secret=secret or secrets.token_urlsafe(32),
                enabled=enabled,
            )
    except IntegrityError:
        raise InvalidChannel(_("Another API channel has this key.")) from None


def update_api_channel(channel: ApiChannel, **changes: object) -> ApiChannel:
    allowed = {"name", "department", "callback_url", "secret", "enabled"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidChannel(_("These cannot be changed: %s") % ", ".join(sorted(unknown)))
    if changes.get("callback_url"):
        transport.check_target(str(changes["callback_url"]))
    if not changes.get("secret", True):
        changes.pop("secret")
    with transaction.atomic():
        ApiChannel.objects.filter(pk=channel.pk).update(**changes)
    channel.refresh_from_db()
    return channel


# --- inbound ------------------------------------------------------------------------------------


def contact_key(channel: ApiChannel, contact_id: str) -> str:
    """The contact's identity: the caller's id, kept apart from other API channels' ids."""
    return f"{channel.key}:{contact_id}"


def message_key(channel: ApiChannel, message_id: str) -> str:
    return f"{channel.key}:{message_id}"


def receive_inbound_message(
    channel: ApiChannel,
    *,
    contact_id: str,
    message_id: str,
    text: str,
    contact_name: str = "",
    sent_at: datetime | None = None,
    meta: dict | None = None,
) -> Message:
    """Store an external system's message from one of its users: it opens a queued room in
    the channel's department or joins the contact's open one.

    DuplicateMessage for a message id this channel already sent; nothing is written then, and
    nothing is left behind when the message is refused (one transaction).
    """
    external_id = message_key(channel, message_id)
    known = message_by_external_id(Channel.API, external_id)
    if known is not None:
        raise DuplicateMessage(known.pk)
    now = timezone.now()
    if sent_at is not None and sent_at > now:
        sent_at = now  # A caller's clock ahead of ours must not reorder the conversation.
    with transaction.atomic():
        contact, created = directory_services.get_or_create_contact(
            channel=Channel.API, external_id=contact_key(channel, contact_id), name=contact_name
        )
        if contact_name and not created:
            contact = directory_services.rename_contact_if_nameless(contact, contact_name)
        return room_services.receive_contact_message(
            contact=contact,
            channel=Channel.API,
            department=channel.department,
            text=text,
            external_id=external_id,
            sent_at=sent_at,
            source=channel.key,
            meta={"api_channel": channel.key, **(meta or {})},
            external_id_checked=True,
        )


# --- outbound -----------------------------------------------------------------------------------


def _is_reply_to_send(event: Event) -> bool:
    if event.name == "message.created":
        return event.data.get("kind") == Message.Kind.AGENT and not event.data.get("outside")
    if event.name == "message.status_changed":
        return bool(event.data.get("retry")) and event.data.get("status") == "pending"
    return False


def on_event(event: Event) -> CallbackDelivery | None:
    """After commit: an agent's reply (or its retry) in an API room becomes one delivery."""
    if not event.room_id or not _is_reply_to_send(event):
        return None
    room = Room.objects.filter(pk=event.room_id, channel=Channel.API).only("id", "source").first()
    if room is None:
        return None
    message = Message.objects.filter(pk=event.data.get("message"), room=room).first()
    if message is None:
        return None
    channel = ApiChannel.objects.filter(key=room.source).first()
    if channel is None or not channel.enabled or not channel.callback_url:
        room_services.set_delivery_status(
            message,
            Message.Delivery.FAILED,
            error=_("The API channel %(key)s has no callback URL, or is disabled.")
            % {"key": room.source},
        )
        return None
    try:
        with transaction.atomic():
            delivery, created = CallbackDelivery.objects.get_or_create(
                event=event, defaults={"channel": channel, "message": message}
            )
            if created:
                schedule(delivery.pk)
    except IntegrityError:
        return None  # A concurrent dispatch of the same event inserted it first.
    return delivery


def schedule(delivery_id: int, *, run_after: datetime | None = None) -> None:
    """Enqueue the delivery's next attempt in the current transaction (tasks are rows too)."""
    from integrations.apichannel.tasks import send_callback

    task = send_callback.using(run_after=run_after) if run_after else send_callback
    task.enqueue(delivery_id)


def requeue_lost(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Queue again pending callbacks that are overdue and have no task waiting to run (see
    `integrations.webhooks.services.requeue_lost`). Returns how many."""
    from integrations.apichannel.tasks import send_callback

    now = now or timezone.now()
    cutoff = now - transport.lost_task_grace()
    overdue = (
        CallbackDelivery.objects.filter(status=DeliveryStatus.PENDING)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - transport.claim_lease()))
        .filter(
            Q(next_attempt_at__lt=cutoff) | Q(next_attempt_at__isnull=True, created_at__lt=cutoff)
        )
        .order_by("pk")
    )
    with transaction.atomic():
        ids = list(
            overdue.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)[
                :limit
            ]
        )
        waiting = transport.ids_with_queued_task(send_callback, ids)
        lost = [pk for pk in ids if pk not in waiting]
        for delivery_id in lost:
            schedule(delivery_id)
    if lost:
        logger.warning("Queued again %s API channel callbacks whose task was lost", len(lost))
    return len(lost)


def callback_payload(delivery: CallbackDelivery) -> dict:
    """{"id", "event", "created_at", "data": {"channel", "room", "contact", "message"}}."""
    message = (
        Message.objects.select_related("author", "room")
        .prefetch_related("attachments")
        .get(pk=delivery.message_id)
    )
    prefix = f"{delivery.channel.key}:"
    identity = (
        ContactIdentity.objects.filter(
            contact_id=message.room.contact_id,
            channel=Channel.API,
            external_id__startswith=prefix,
        )
        .values_list("external_id", flat=True)
        .first()
    )
    return {
        "id": delivery.event_id,
        "event": "message.created",
        "created_at": message.created_at.isoformat(),
        "data": {
            "channel": delivery.channel.key,
            "room": message.room_id,
            "contact": {"id": identity.removeprefix(prefix) if identity else None},
            "message": MessageOutputSerializer(message).data,
        },
    }


def max_attempts() -> int:
    return max(int(getattr(settings, "API_CHANNEL_MAX_ATTEMPTS", 8)), 1)


def attempt_callback(delivery_id: int, *, now: datetime | None = None) -> datetime | None:
    """One attempt at the channel's callback; returns when to try again, or None when done.

    Claimed with one conditional UPDATE on the attempt count (one sender per attempt).
    """
    now = now or timezone.now()
    delivery = (
        CallbackDelivery.objects.select_related("channel", "message")
        .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
        .first()
    )
    if delivery is None:
        return None
    message = delivery.message
    channel = delivery.channel
    if message.delivery_status != Message.Delivery.PENDING:
        _finish(delivery, DeliveryStatus.FAILED, now, error="The message is no longer pending.")
        return None
    number = delivery.attempt_count + 1
    claimed = (
        CallbackDelivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.PENDING, attempt_count=delivery.attempt_count
        )
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - transport.claim_lease()))
        .update(attempt_count=number, next_attempt_at=None, claimed_at=now)
    )
    if not claimed:
        return None
    if channel.enabled and channel.callback_url:
        outcome = transport.post_signed(
            channel.callback_url,
            secret=channel.secret,
            body=transport.encode(callback_payload(delivery)),
            headers={
                transport.EVENT_HEADER: "message.created",
                transport.EVENT_ID_HEADER: str(delivery.event_id),
                transport.DELIVERY_HEADER: f"callback-{delivery.pk}",
            },
        )
    else:
        outcome = transport.Outcome(
            False, None, "The API channel is disabled or has no callback URL.", "", 0, True
        )
    with transaction.atomic():
        CallbackAttempt.objects.create(
            delivery=delivery,
            number=number,
            started_at=now,
            duration_ms=outcome.duration_ms,
            status_code=outcome.status_code,
            succeeded=outcome.succeeded,
            error=outcome.error,
            response_excerpt=outcome.response_excerpt,
        )
        if outcome.succeeded:
            _finish(delivery, DeliveryStatus.SUCCEEDED, now)
            room_services.set_delivery_status(message, Message.Delivery.SENT)
            return None
        if outcome.permanent or number >= max_attempts():
            _finish(delivery, DeliveryStatus.FAILED, now, error=outcome.error)
            room_services.set_delivery_status(
                message,
                Message.Delivery.FAILED,
                error=_("Not delivered after %(count)s attempts: %(error)s")
                % {"count": number, "error": outcome.error},
            )
            return None
        next_at = now + transport.backoff(number)
        CallbackDelivery.objects.filter(pk=delivery.pk).update(
            next_attempt_at=next_at, claimed_at=None, last_error=outcome.error[:2000]
        )
        schedule(delivery.pk, run_after=next_at)
        return next_at


def _finish(delivery: CallbackDelivery, status: str, now: datetime, *, error: str = "") -> None:
    CallbackDelivery.objects.filter(pk=delivery.pk).update(
        status=status,
        finished_at=now,
        next_attempt_at=None,
        claimed_at=None,
        last_error=error[:2000],
    )
