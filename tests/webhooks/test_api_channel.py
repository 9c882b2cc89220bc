"""The API channel: signed inbound messages open rooms; agent replies reach the callback."""

import json
import threading
import time
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from directory.models import Channel, Contact
from integrations.apichannel import services as channel_services
from integrations.apichannel.models import CallbackAttempt, CallbackDelivery
from integrations.webhooks import transport
from queues.services import take_room
from rooms.models import Message, Room
from rooms.services import post_agent_message, record_outside_agent_message, retry_message
from tests.api.conftest import client_with_token
from tests.servers import free_port

pytestmark = pytest.mark.django_db

SECRET = "channel-secret-0123456789"


@pytest.fixture
def sms(department, receiver):
    return channel_services.create_api_channel(
        name="SMS gateway",
        key="sms",
        department=department,
        callback_url=receiver.url,
        secret=SECRET,
    )


def post_inbound(key: str, payload: dict, *, secret: str = SECRET, timestamp: int | None = None):
    body = json.dumps(payload).encode()
    stamp = int(time.time()) if timestamp is None else timestamp
    return APIClient().generic(
        "POST",
        f"/api/v1/inbound/{key}/messages/",
        body,
        content_type="application/json",
        HTTP_X_OMNICHANNEL_TIMESTAMP=str(stamp),
        HTTP_X_OMNICHANNEL_SIGNATURE=transport.sign(secret, stamp, body),
    )


def inbound(message_id="m1", contact_id="+4915112345678", text="Hello from SMS", **extra) -> dict:
    return {"contact_id": contact_id, "message_id": message_id, "text": text, **extra}


# --- inbound --------------------------------------------------------------------------------


def test_signed_message_opens_a_queued_room_in_the_channels_department(sms, department):
    response = post_inbound("sms", inbound(contact_name="Grace"))

    assert response.status_code == 201
    room = Room.objects.get(pk=response.json()["room"])
    assert room.status == Room.Status.QUEUED
    assert room.channel == Channel.API
    assert room.source == "sms"
    assert room.department == department
    assert room.contact.name == "Grace"


def test_next_message_of_the_contact_joins_their_open_room(sms):
    first = post_inbound("sms", inbound("m1")).json()
    second = post_inbound("sms", inbound("m2", text="Are you there?")).json()

    assert second["room"] == first["room"]
    assert Message.objects.filter(room_id=first["room"], kind="contact").count() == 2


def test_replayed_message_id_is_a_conflict_and_stores_nothing(sms):
    first = post_inbound("sms", inbound("m1")).json()

    response = post_inbound("sms", inbound("m1", text="Different text"))

    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_message"
    assert response.json()["message_id"] == first["message"]
    assert Message.objects.filter(channel=Channel.API).count() == 1


def test_same_ids_on_two_channels_stay_apart(sms, department, other_department):
    channel_services.create_api_channel(
        name="WhatsApp", key="whatsapp", department=other_department, secret=SECRET
    )

    a = post_inbound("sms", inbound("m1", contact_id="42")).json()
    b = post_inbound("whatsapp", inbound("m1", contact_id="42")).json()

    assert a["contact"] != b["contact"]
    assert a["room"] != b["room"]


def test_wrong_signature_is_refused_before_anything_is_stored(sms):
    response = post_inbound("sms", inbound(), secret="not-the-secret-at-all")

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_signature"
    assert not Contact.objects.exists()


def test_stale_timestamp_is_refused(sms):
    response = post_inbound("sms", inbound(), timestamp=int(time.time()) - 3600)

    assert response.status_code == 401


def test_unsigned_request_is_refused_even_with_an_agents_token(sms, agent):
    response = client_with_token(agent).post(
        "/api/v1/inbound/sms/messages/", inbound(), format="json"
    )

    assert response.status_code == 401


def test_unknown_channel_is_not_found(sms):
    response = post_inbound("nope", inbound())

    assert response.status_code == 404


def test_missing_message_id_is_refused(sms):
    response = post_inbound("sms", {"contact_id": "1", "text": "hi"})

    assert response.status_code == 400
    assert "message_id" in response.json()["fields"]


def test_too_long_text_is_refused_and_leaves_no_contact(sms):
    response = post_inbound("sms", inbound(text="x" * 5001))

    assert response.status_code == 400
    assert response.json()["code"] == "message_too_long"
    assert not Contact.objects.exists()


def test_oversize_inbound_body_is_refused(sms, settings):
    settings.API_MAX_BODY_BYTES = 500

    response = post_inbound("sms", inbound(text="x" * 600))

    assert response.status_code == 413


def test_inbound_is_throttled_per_channel(sms, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "inbound": "1/min",
        },
    }
    post_inbound("sms", inbound("m1"))

    response = post_inbound("sms", inbound("m2"))

    assert response.status_code == 429
    assert "Retry-After" in response


@pytest.mark.redis  # the shared counter of production, where DRF's own throttle lost counts
def test_calls_of_one_channel_arriving_at_once_are_each_counted(settings):
    from integrations.apichannel.views import ChannelRateThrottle

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "inbound": "20/min",
        },
    }
    view = SimpleNamespace(kwargs={"key": f"burst-{uuid.uuid4().hex}"})
    barrier = threading.Barrier(40)
    allowed: list[bool] = []

    def call() -> None:
        throttle = ChannelRateThrottle()
        barrier.wait(timeout=5)
        allowed.append(throttle.allow_request(None, view))

    threads = [threading.Thread(target=call) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert allowed.count(True) == 20


def test_inbound_goes_through_its_throttle_when_the_cache_is_down(sms, settings):
    """Redis gone: the channel's calls cannot be counted, its messages must still be stored."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "inbound": "1/min",
        },
    }
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }

    statuses = [post_inbound("sms", inbound(f"m{n}")).status_code for n in range(3)]

    assert statuses == [201, 201, 201]
    assert Message.objects.filter(channel=Channel.API).count() == 3


# --- replies to the callback ----------------------------------------------------------------


@pytest.fixture
def api_room(sms, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        room_id = post_inbound("sms", inbound(contact_id="+49151")).json()["room"]
    return take_room(agent, Room.objects.get(pk=room_id))


def reply(agent, room, text="We are on it", capture=None) -> Message:
    with capture(execute=True):
        return post_agent_message(agent, room, text=text)


def test_agent_reply_is_delivered_signed_to_the_callback(
    api_room, agent, receiver, tasks, django_capture_on_commit_callbacks
):
    message = reply(agent, api_room, capture=django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        tasks.run()

    assert receiver.count == 1
    sent = receiver.requests[0]
    stamp = sent.headers["X-Omnichannel-Timestamp"]
    assert transport.signature_is_valid(
        SECRET, stamp, sent.headers["X-Omnichannel-Signature"], sent.body
    )
    body = json.loads(sent.body)
    assert body["data"]["contact"] == {"id": "+49151"}
    assert body["data"]["message"]["text"] == "We are on it"
    assert sent.headers["X-Omnichannel-Event-Id"] == str(body["id"])
    message.refresh_from_db()
    assert message.delivery_status == Message.Delivery.SENT


def test_contact_messages_are_not_sent_to_the_callback(sms, receiver, tasks):
    post_inbound("sms", inbound())

    tasks.run()

    assert receiver.count == 0


def test_reply_sent_from_the_channels_own_inbox_is_not_echoed(
    api_room, receiver, tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record_outside_agent_message(api_room, text="from the phone", external_id="sms:out-1")

    tasks.run()

    assert receiver.count == 0


def test_failed_callback_is_retried_with_back_off_and_every_attempt_stored(
    api_room, agent, receiver, tasks, django_capture_on_commit_callbacks
):
    receiver.fail_next(1, status=503)
    message = reply(agent, api_room, capture=django_capture_on_commit_callbacks)

    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        tasks.run()
    retry = tasks.pending
    with django_capture_on_commit_callbacks(execute=True):
        tasks.run()

    assert len(retry) == 1
    assert retry[0].task.run_after >= before + timedelta(seconds=30)
    attempts = list(CallbackAttempt.objects.order_by("number"))
    assert [(a.status_code, a.succeeded) for a in attempts] == [(503, False), (200, True)]
    assert "receiver failed" in attempts[0].response_excerpt
    message.refresh_from_db()
    assert message.delivery_status == Message.Delivery.SENT


def test_reply_fails_visibly_after_the_last_attempt(
    api_room, agent, receiver, tasks, settings, django_capture_on_commit_callbacks
):
    settings.API_CHANNEL_MAX_ATTEMPTS = 3
    receiver.fail_next(5, status=500)
    message = reply(agent, api_room, capture=django_capture_on_commit_callbacks)

    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            tasks.run()

    assert receiver.count == 3
    assert CallbackDelivery.objects.get().status == "failed"
    message.refresh_from_db()
    assert message.delivery_status == Message.Delivery.FAILED
    assert "3 attempts" in message.delivery_error
    assert "HTTP 500" in message.delivery_error


def test_retrying_a_failed_reply_sends_it_again(
    api_room, agent, receiver, tasks, settings, django_capture_on_commit_callbacks
):
    settings.API_CHANNEL_MAX_ATTEMPTS = 1
    receiver.fail_next(1)
    message = reply(agent, api_room, capture=django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.run()

    with django_capture_on_commit_callbacks(execute=True):
        retry_message(agent, message)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.run()

    assert receiver.count == 2
    message.refresh_from_db()
    assert message.delivery_status == Message.Delivery.SENT


def test_repeated_dispatch_of_one_reply_sends_once(
    api_room, agent, receiver, tasks, django_capture_on_commit_callbacks
):
    from omnichannel.models import Event

    reply(agent, api_room, capture=django_capture_on_commit_callbacks)
    event = Event.objects.filter(name="message.created").latest("id")

    channel_services.on_event(event)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.run()

    assert CallbackDelivery.objects.count() == 1
    assert receiver.count == 1


def test_callback_on_the_servers_own_network_is_refused(
    api_room, agent, receiver, tasks, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    message = reply(agent, api_room, capture=django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        tasks.run()

    assert receiver.count == 0
    message.refresh_from_db()
    assert message.delivery_status == Message.Delivery.FAILED
    assert "private" in message.delivery_error or "not a public address" in message.delivery_error
