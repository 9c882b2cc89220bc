"""Facebook retries a call while the first is still being processed: one message, not two."""

import threading

import pytest
from django.db import connection

from integrations.facebook.models import WebhookEvent
from integrations.facebook.services.inbound import process_webhook_event
from rooms.models import Message, Room
from tests.facebook.conftest import entry, payload, text_message


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_call_processed_twice_at_once_stores_one_message(post_webhook, page, graph):
    body = payload(entry(text_message("Only once", mid="m_race")))
    post_webhook(body)
    post_webhook(body)
    event_ids = list(WebhookEvent.objects.values_list("pk", flat=True))
    barrier = threading.Barrier(len(event_ids))
    outcomes: list[str] = []

    def process(event_id: int) -> None:
        try:
            barrier.wait(timeout=5)
            outcomes.append(process_webhook_event(event_id))
        finally:
            connection.close()

    threads = [threading.Thread(target=process, args=(pk,)) for pk in event_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["processed", "processed"]
    assert Message.objects.filter(external_id="m_race").count() == 1
    assert Room.objects.count() == 1
