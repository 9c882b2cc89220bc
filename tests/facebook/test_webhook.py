"""The webhook endpoint: the handshake, the signature, and each kind of bad input."""

import json
import logging

import pytest
from django.urls import reverse

from integrations.facebook.models import WebhookEvent
from rooms.models import Message
from tests.facebook.conftest import (
    OTHER_APP_SECRET,
    OTHER_PAGE_ID,
    PAGE_ID,
    VERIFY_TOKEN,
    entry,
    payload,
    signature,
    text_message,
)

pytestmark = pytest.mark.django_db

URL = "/integrations/facebook/webhook/"


def handshake(client, token: str, mode: str = "subscribe"):
    return client.get(
        URL, {"hub.mode": mode, "hub.verify_token": token, "hub.challenge": "1158201444"}
    )


def test_facebook_handshake_with_a_known_verify_token_gets_the_challenge(client, page):
    response = handshake(client, VERIFY_TOKEN)

    assert response.status_code == 200
    assert response.content == b"1158201444"


def test_facebook_handshake_with_an_unknown_verify_token_is_forbidden(client, page):
    response = handshake(client, "not-the-token")

    assert response.status_code == 403
    assert b"1158201444" not in response.content


def test_facebook_handshake_in_another_mode_is_forbidden(client, page):
    assert handshake(client, VERIFY_TOKEN, mode="unsubscribe").status_code == 403


def test_url_is_the_one_facebook_is_given(page):
    assert reverse("facebook:webhook") == URL


def test_signed_call_is_stored_queued_and_answered_at_once(post_webhook, page, tasks):
    response = post_webhook(payload(entry(text_message("Hi", mid="m_1"))))

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.RECEIVED
    assert event.page_ids == [PAGE_ID] and event.items == 1
    assert [r.task.name for r in tasks.queued] == ["process_webhook"]
    assert not Message.objects.exists()


def test_call_without_signature_is_forbidden_and_nothing_is_stored(post_webhook, page, tasks):
    response = post_webhook(payload(entry(text_message("Hi", mid="m_1"))), secret="")

    assert response.status_code == 403
    assert not WebhookEvent.objects.exists()
    assert not tasks.queued


@pytest.mark.parametrize(
    "sig",
    ["sha256=", "sha1=0123abcd", "sha256=zz" + "0" * 62, "0" * 64, "sha256=" + "0" * 63],
)
def test_call_with_malformed_signature_is_forbidden_and_nothing_is_stored(post_webhook, page, sig):
    response = post_webhook(payload(entry(text_message("Hi", mid="m_1"))), sig=sig)

    assert response.status_code == 403
    assert not WebhookEvent.objects.exists()


def test_call_with_wrong_signature_is_forbidden_and_nothing_is_stored(post_webhook, page):
    response = post_webhook(payload(entry(text_message("Hi", mid="m_1"))), secret="guessed")

    assert response.status_code == 403
    assert not WebhookEvent.objects.exists()


def test_call_signed_over_other_bytes_is_forbidden(post_webhook, page):
    body = json.dumps(payload(entry(text_message("Hi", mid="m_1")))).encode()
    tampered = body.replace(b"Hi", b"Yo")

    response = post_webhook(None, raw=tampered, sig=signature(body))

    assert response.status_code == 403
    assert not WebhookEvent.objects.exists()


def test_call_with_invalid_json_is_a_bad_request(post_webhook, page):
    response = post_webhook(None, raw=b'{"object": "page", "entry": [')

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_huge_call_is_refused_by_size(post_webhook, page, settings):
    settings.FACEBOOK_WEBHOOK_MAX_BYTES = 2048
    big = payload(entry(text_message("x" * 4000, mid="m_big")))

    response = post_webhook(big)

    assert response.status_code == 413
    assert not WebhookEvent.objects.exists()


def test_call_for_an_unknown_page_is_answered_logged_and_not_routed(deliver, page, tasks, caplog):
    with caplog.at_level(logging.WARNING, logger="integrations.facebook.views"):
        deliver(payload(entry(text_message("Hi", mid="m_1"), page_id="424242")))

    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.IGNORED
    assert "424242" in event.error
    assert "424242" in caplog.text
    assert not Message.objects.exists()


def test_page_id_signed_with_another_pages_secret_is_not_trusted(deliver, page, other_page):
    # Signed with the Sales app's secret, but claiming the Support page.
    deliver(payload(entry(text_message("Hi", mid="m_1"))), secret=OTHER_APP_SECRET)

    assert WebhookEvent.objects.get().status == WebhookEvent.Status.IGNORED
    assert not Message.objects.exists()


def test_each_page_is_verified_against_its_own_secret(deliver, page, other_page):
    deliver(
        payload(
            entry(text_message("Hi sales", mid="m_s", page_id=OTHER_PAGE_ID), page_id=OTHER_PAGE_ID)
        ),
        secret=OTHER_APP_SECRET,
    )

    message = Message.objects.get(external_id="m_s")
    assert message.room.source == OTHER_PAGE_ID
    assert message.room.department == other_page.department


def test_call_for_a_disabled_page_is_answered_and_not_routed(deliver, page):
    from integrations.facebook.services.pages import disable_page

    disable_page(PAGE_ID)

    deliver(payload(entry(text_message("Hi", mid="m_1"))))

    assert not Message.objects.exists()


def test_items_with_missing_fields_are_skipped_and_the_rest_is_stored(deliver, page):
    no_mid = text_message("no mid", mid="x")
    del no_mid["message"]["mid"]
    no_sender = text_message("no sender", mid="m_2")
    del no_sender["sender"]
    body = payload(
        entry(no_mid, no_sender, text_message("fine", mid="m_3")),
        {"id": PAGE_ID, "time": 1},
        {"time": 2},
    )

    deliver(body)

    assert list(Message.objects.values_list("text", flat=True)) == ["fine"]
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.PROCESSED
    assert event.summary["skipped: message without mid"] == 1
    assert event.summary["skipped: message without a person's id"] == 1


def test_unknown_event_type_is_stored_and_ignored(deliver, page):
    reaction = {
        "sender": {"id": "9001"},
        "recipient": {"id": PAGE_ID},
        "timestamp": 1700000000000,
        "reaction": {"reaction": "love", "emoji": "❤", "action": "react", "mid": "m_r"},
    }

    response = deliver(payload(entry(reaction)))

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.PROCESSED
    assert event.summary == {"skipped: reaction event": 1}
    assert not Message.objects.exists()


def test_non_page_object_is_stored_and_ignored(deliver, page):
    response = deliver({"object": "instagram", "entry": [{"id": PAGE_ID, "messaging": []}]})

    assert response.status_code == 200
    assert not Message.objects.exists()


def test_webhook_refuses_other_methods(client, page):
    assert client.put(URL).status_code == 405
