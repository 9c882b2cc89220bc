"""What people write on Messenger becomes rooms, messages and files; receipts and echoes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.facebook.models import Delivery, Page, WebhookEvent
from integrations.facebook.services import inbound
from integrations.facebook.services.inbound import METADATA_PREFIX
from rooms.models import Attachment, Message, Room
from tests.facebook.conftest import (
    ACCESS_TOKEN,
    APP_ID,
    PAGE_ID,
    PSID,
    attachment_message,
    entry,
    millis,
    payload,
    text_message,
)

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_contact_message_opens_a_queued_room_in_the_pages_department(contact_writes, page):
    message = contact_writes("My order is late")

    room = message.room
    assert room.status == Room.Status.QUEUED
    assert room.channel == "facebook"
    assert room.source == PAGE_ID
    assert room.department == page.department
    assert message.kind == Message.Kind.CONTACT
    assert message.text == "My order is late"


def test_contact_message_keeps_the_time_facebook_gives(contact_writes, page):
    sent = timezone.now() - timedelta(minutes=3)

    message = contact_writes("Earlier", at=sent)

    assert abs((message.created_at - sent).total_seconds()) < 0.01


def test_second_message_joins_the_open_room(contact_writes, page):
    first = contact_writes("One")
    second = contact_writes("Two")

    assert first.room_id == second.room_id
    assert Room.objects.count() == 1


def test_message_in_an_open_room_is_processed_in_a_fixed_number_of_statements(
    deliver, post_webhook, page, tasks, django_assert_num_queries
):
    deliver(payload(entry(text_message("One", mid="m_one"))))
    post_webhook(payload(entry(text_message("Two", mid="m_two"))))

    # The call counted and read (one statement), the page, the mid, the contact; the room
    # locked, the message, the room's time, the event (one transaction); the call marked; then
    # dispatched: the room read, the event marked.
    with django_assert_num_queries(13):
        tasks.run()

    assert Message.objects.filter(external_id="m_two").exists()


def test_new_contact_is_named_from_their_profile(contact_writes, page, graph):
    graph.profiles[PSID] = {"first_name": "Peter", "last_name": "Chang"}

    message = contact_writes()

    assert message.room.contact.display_name == "Peter Chang"
    request = graph.profile_requests[0]
    assert request.path == f"/{PSID}"
    assert request.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert ACCESS_TOKEN not in str(request.query)


def test_new_contact_without_profile_access_is_a_guest(contact_writes, page):
    message = contact_writes()

    contact = message.room.contact
    assert contact.name == ""
    assert contact.display_name == f"guest-{contact.guest_number}"


def test_known_contact_is_not_looked_up_again(contact_writes, page, graph):
    graph.profiles[PSID] = {"first_name": "Peter", "last_name": "Chang"}
    contact_writes("One")
    contact_writes("Two")

    assert len(graph.profile_requests) == 1


def test_contact_identity_is_scoped_to_the_page(contact_writes, page):
    contact = contact_writes().room.contact

    assert list(contact.identities.values_list("external_id", flat=True)) == [f"{PAGE_ID}:{PSID}"]


def test_profile_refused_for_a_dead_token_flags_the_page(contact_writes, page, graph):
    graph.fail_profiles("token")

    message = contact_writes()

    page.refresh_from_db()
    assert page.token_failed_at is not None
    assert "Invalid OAuth access token" in page.token_error
    assert message.room.contact.name == ""


def test_facebook_retry_of_the_same_mid_is_stored_once(deliver, page):
    body = payload(entry(text_message("Once", mid="m_dup")))

    deliver(body)
    deliver(body)

    assert Message.objects.filter(external_id="m_dup").count() == 1
    assert WebhookEvent.objects.first().summary == {"duplicate": 1}


def test_batched_entries_and_items_are_all_stored_in_the_order_they_happened(deliver, page):
    now = timezone.now()
    body = payload(
        entry(
            text_message("second", mid="m_2", psid="9001", at=now - timedelta(seconds=2)),
            text_message("first", mid="m_1", psid="9001", at=now - timedelta(seconds=3)),
        ),
        entry(
            text_message("other person", mid="m_3", psid="9002", at=now - timedelta(seconds=1)),
            text_message("third", mid="m_4", psid="9001", at=now),
        ),
    )

    deliver(body)

    first_person = Message.objects.filter(room__contact__identities__external_id=f"{PAGE_ID}:9001")
    assert list(first_person.order_by("id").values_list("text", flat=True)) == [
        "first",
        "second",
        "third",
    ]
    assert Room.objects.count() == 2
    assert WebhookEvent.objects.get().summary == {"message": 4}


def test_image_attachment_is_downloaded_and_listed_in_the_rooms_files(deliver, page, graph):
    graph.files["photo.png"] = ("image/png", PNG)
    image = {"type": "image", "payload": {"url": graph.file_url("photo.png")}}

    deliver(payload(entry(attachment_message([image], mid="m_img"))))

    attachment = Attachment.objects.get()
    assert attachment.message.external_id == "m_img"
    assert attachment.content_type == "image/png"
    assert attachment.name == "photo.png"
    assert attachment.file.read() == PNG


def test_pdf_file_attachment_is_kept(deliver, page, graph):
    graph.files["invoice.pdf"] = ("application/pdf", PDF)
    file = {"type": "file", "payload": {"url": graph.file_url("invoice.pdf")}}

    deliver(payload(entry(attachment_message([file], mid="m_pdf"))))

    assert Attachment.objects.get().content_type == "application/pdf"


def test_text_and_attachment_are_stored_together(deliver, page, graph):
    graph.files["photo.png"] = ("image/png", PNG)
    image = {"type": "image", "payload": {"url": graph.file_url("photo.png")}}

    deliver(payload(entry(attachment_message([image], mid="m_both", text="Look at this"))))

    message = Message.objects.get(external_id="m_both")
    assert message.text == "Look at this"
    assert message.attachments.count() == 1


def test_location_is_shown_with_its_coordinates(deliver, page):
    location = {
        "type": "location",
        "title": "Pinned Location",
        "payload": {"coordinates": {"lat": 52.52, "long": 13.405}},
    }

    deliver(payload(entry(attachment_message([location], mid="m_loc"))))

    message = Message.objects.get(external_id="m_loc")
    assert "52.52, 13.405" in message.text
    assert message.meta["attachments"] == [{"type": "location", "lat": 52.52, "long": 13.405}]


def test_shared_link_fallback_is_shown_with_its_link(deliver, page):
    fallback = {
        "type": "fallback",
        "payload": {"url": "https://example.com/article", "title": "An article"},
    }

    deliver(payload(entry(attachment_message([fallback], mid="m_fb"))))

    assert "An article https://example.com/article" in Message.objects.get(external_id="m_fb").text


def test_postback_is_stored_as_the_persons_message_with_its_payload(deliver, page):
    postback = {
        "sender": {"id": PSID},
        "recipient": {"id": PAGE_ID},
        "timestamp": millis(),
        "postback": {"mid": "m_pb", "title": "Talk to a person", "payload": "HUMAN_PLEASE"},
    }

    deliver(payload(entry(postback)))

    message = Message.objects.get(external_id="m_pb")
    assert message.kind == Message.Kind.CONTACT
    assert message.text == "Talk to a person"
    assert message.meta["postback"] == {"title": "Talk to a person", "payload": "HUMAN_PLEASE"}


def test_postback_without_mid_repeated_by_facebook_is_stored_once(deliver, page):
    postback = {
        "sender": {"id": PSID},
        "recipient": {"id": PAGE_ID},
        "timestamp": 1700000000123,
        "postback": {"title": "Get Started", "payload": "GET_STARTED"},
    }

    deliver(payload(entry(postback)))
    deliver(payload(entry(postback)))

    assert Message.objects.filter(text="Get Started").count() == 1


def echo(mid: str, text: str, *, app_id: str | int, metadata: str = "") -> dict:
    message = {"is_echo": True, "app_id": app_id, "mid": mid, "text": text}
    if metadata:
        message["metadata"] = metadata
    return {
        "sender": {"id": PAGE_ID},
        "recipient": {"id": PSID},
        "timestamp": millis(),
        "message": message,
    }


def echo_of_ours(delivery: Delivery, mid: str, text: str, *, reference: str = "") -> dict:
    """The echo of one of our sends; `reference` follows the delivery id in its metadata."""
    metadata = f"{METADATA_PREFIX}{delivery.pk}{reference}"
    return payload(entry(echo(mid, text, app_id=APP_ID, metadata=metadata)))


def test_echo_of_our_own_send_is_ignored(deliver, messenger_room, reply, tasks, graph):
    sent = reply(messenger_room, "On its way")
    tasks.run()
    delivery = Delivery.objects.get(message=sent)

    deliver(echo_of_ours(delivery, "m_echo", "On its way"))

    assert messenger_room.messages.filter(kind=Message.Kind.AGENT).count() == 1
    delivery.refresh_from_db()
    assert delivery.echo_mid == "m_echo"


def test_echo_of_a_part_of_our_send_records_the_part_and_that_the_page_echoes(
    deliver, messenger_room, reply, tasks, graph, page
):
    sent = reply(messenger_room, "x" * 2500)
    tasks.run()
    delivery = Delivery.objects.get(message=sent)

    deliver(echo_of_ours(delivery, "m_second_part", "x" * 500, reference=":1"))

    delivery.refresh_from_db()
    page.refresh_from_db()
    assert delivery.echoed_parts == 2
    assert page.echoes_seen_at is not None
    assert messenger_room.messages.filter(kind=Message.Kind.AGENT).count() == 1


def test_echo_with_malformed_metadata_of_ours_changes_no_send(
    deliver, messenger_room, reply, tasks, graph
):
    sent = reply(messenger_room, "On its way")
    tasks.run()
    delivery = Delivery.objects.get(message=sent)

    deliver(echo_of_ours(delivery, "m_echo", "On its way", reference=":99999999999"))

    delivery.refresh_from_db()
    assert (delivery.echoed_parts, delivery.echo_mid) == (0, "")


def test_echo_from_our_app_without_metadata_is_ignored(deliver, messenger_room):
    deliver(payload(entry(echo("m_echo", "Sent by us", app_id=int(APP_ID)))))

    assert not messenger_room.messages.filter(kind=Message.Kind.AGENT).exists()


def test_reply_sent_from_the_page_inbox_is_recorded_as_sent_from_facebook(
    deliver, messenger_room, graph, tasks
):
    deliver(payload(entry(echo("m_inbox", "Answered from the inbox", app_id=263902037430900))))

    message = messenger_room.messages.get(external_id="m_inbox")
    assert message.kind == Message.Kind.AGENT
    assert message.author is None
    assert message.meta["sent_from_channel"] is True
    assert message.delivery_status == Message.Delivery.SENT
    assert not Delivery.objects.exists()
    assert graph.sends == []


def test_inbox_reply_repeated_by_facebook_is_recorded_once(deliver, messenger_room):
    body = payload(entry(echo("m_inbox", "Once", app_id=263902037430900)))

    deliver(body)
    deliver(body)

    assert messenger_room.messages.filter(external_id="m_inbox").count() == 1


def receipt(kind: str, watermark, mids=None) -> dict:
    body: dict = {"watermark": millis(watermark)}
    if mids:
        body["mids"] = mids
    return {"sender": {"id": PSID}, "recipient": {"id": PAGE_ID}, "timestamp": millis(), kind: body}


@pytest.fixture
def sent_reply(messenger_room, reply, tasks):
    message = reply(messenger_room, "Here you go")
    tasks.run()
    message.refresh_from_db()
    assert message.delivery_status == Message.Delivery.SENT
    return message


def test_delivery_watermark_marks_earlier_messages_delivered(deliver, sent_reply):
    deliver(payload(entry(receipt("delivery", timezone.now() + timedelta(seconds=1)))))

    sent_reply.refresh_from_db()
    assert sent_reply.delivery_status == Message.Delivery.DELIVERED


def test_delivery_mids_mark_those_messages_delivered(deliver, sent_reply):
    long_ago = timezone.now() - timedelta(days=1)

    deliver(payload(entry(receipt("delivery", long_ago, mids=[sent_reply.external_id]))))

    sent_reply.refresh_from_db()
    assert sent_reply.delivery_status == Message.Delivery.DELIVERED


def test_read_watermark_marks_earlier_messages_read(deliver, sent_reply):
    deliver(payload(entry(receipt("read", timezone.now() + timedelta(seconds=1)))))

    sent_reply.refresh_from_db()
    assert sent_reply.delivery_status == Message.Delivery.READ


def test_watermark_leaves_later_messages_alone(deliver, sent_reply):
    deliver(payload(entry(receipt("read", sent_reply.created_at - timedelta(seconds=5)))))

    sent_reply.refresh_from_db()
    assert sent_reply.delivery_status == Message.Delivery.SENT


def test_receipt_from_an_unknown_person_changes_nothing(deliver, page):
    deliver(payload(entry(receipt("read", timezone.now()))))

    assert WebhookEvent.objects.get().summary == {"skipped: read for an unknown person": 1}


def test_item_the_core_refuses_fails_the_call_and_keeps_it(deliver, page):
    deliver(payload(entry(text_message("\x00", mid="m_nul"), text_message("ok", mid="m_ok"))))

    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.FAILED
    assert "Write a message" in event.error
    assert event.body and Message.objects.filter(external_id="m_ok").exists()


def test_reprocessed_call_stores_nothing_twice(deliver, page, tasks):
    from integrations.facebook.services.inbound import reprocess

    deliver(payload(entry(text_message("Once", mid="m_1"))))
    reprocess(WebhookEvent.objects.get())
    tasks.run()

    assert Message.objects.filter(external_id="m_1").count() == 1
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PROCESSED


def test_a_processed_call_run_again_by_its_task_is_left_as_it_is(deliver, page):
    deliver(payload(entry(text_message("Once", mid="m_1"))))
    event = WebhookEvent.objects.get()

    outcome = inbound.process_webhook_event(event.pk)

    assert outcome == WebhookEvent.Status.PROCESSED
    assert WebhookEvent.objects.get().attempts == 1
    assert Message.objects.filter(external_id="m_1").count() == 1


def test_a_call_whose_processing_keeps_failing_is_given_up_after_its_attempts(
    deliver, page, monkeypatch
):
    def fail(item, page):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(inbound, "handle_item", fail)

    deliver(payload(entry(text_message("Hi", mid="m_1"))))

    event = WebhookEvent.objects.get()
    assert (event.status, event.attempts) == (WebhookEvent.Status.FAILED, inbound.PROCESS_ATTEMPTS)
    assert "the database went away" in event.error


def test_page_token_flag_is_cleared_when_a_profile_call_works(contact_writes, page, graph):
    Page.objects.filter(pk=page.pk).update(token_failed_at=timezone.now(), token_error="x")
    graph.profiles["9005"] = {"first_name": "Ana", "last_name": "Ruiz"}

    contact_writes(psid="9005")

    page.refresh_from_db()
    assert page.token_failed_at is None
