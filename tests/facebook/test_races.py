"""Work done twice at once is done once: Facebook retrying a call while the first is still
being processed, two runs of one attachment's retry, two files of one message kept together."""

import threading

import pytest
from django.db import connection

from integrations.facebook.models import AttachmentDownload, WebhookEvent
from integrations.facebook.services.attachments import retry_download
from integrations.facebook.services.inbound import process_webhook_event
from rooms.models import Attachment, Message, Room
from tests.facebook.conftest import MP4, attachment_message, entry, payload, text_message


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


def _at_once(target, args_list: list[tuple]) -> list[str]:
    """Run `target` in one thread per argument tuple, released together; their outcomes."""
    barrier = threading.Barrier(len(args_list))
    outcomes: list[str] = []

    def run(*args) -> None:
        try:
            barrier.wait(timeout=5)
            outcomes.append(target(*args))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=args) for args in args_list]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def _videos_that_failed_once(post_webhook, graph, tasks, names: list[str]) -> Message:
    attachments = []
    for name in names:
        graph.files[name] = ("video/mp4", MP4)
        attachments.append({"type": "video", "payload": {"url": graph.file_url(name)}})
    graph.fail_files("server_error", times=len(names))
    post_webhook(payload(entry(attachment_message(attachments, mid="m_videos"))))
    tasks.run(max_runs=1)  # the call is processed; the retries stay queued
    return Message.objects.get(external_id="m_videos")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_retry_run_twice_at_once_keeps_the_file_once(post_webhook, page, graph, tasks):
    _videos_that_failed_once(post_webhook, graph, tasks, ["clip.mp4"])
    download = AttachmentDownload.objects.get()
    queued_for = (download.pk, download.attempts)  # what each of two tasks for one try carries

    _at_once(retry_download, [queued_for, queued_for])

    assert Attachment.objects.count() == 1
    assert len([r for r in graph.requests if r.path == "/files/clip.mp4"]) == 2  # 1st + 1 retry


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_files_of_one_message_kept_at_once_are_both_recorded(post_webhook, page, graph, tasks):
    message = _videos_that_failed_once(post_webhook, graph, tasks, ["a.mp4", "b.mp4"])
    queued_for = list(AttachmentDownload.objects.values_list("pk", "attempts"))

    outcomes = _at_once(retry_download, queued_for)

    message.refresh_from_db()
    assert outcomes == ["kept", "kept"]
    assert message.attachments.count() == 2
    assert [entry["stored"] for entry in message.meta["attachments"]] == [True, True]
    assert "not kept" not in message.text
