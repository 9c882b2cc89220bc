"""Messenger attachments of every kind are downloaded, judged by their bytes, kept and shown;
a download that fails leaves the message with its link and a note, and is tried again."""

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.tasks import default_task_backend
from django.urls import reverse
from django.utils import timezone

from directory.models import Channel
from directory.services import get_or_create_contact
from integrations.facebook.models import AttachmentDownload
from integrations.facebook.services.outbound import sweep
from omnichannel.realtime import room_group
from rooms.errors import FileRejected
from rooms.models import Attachment, Message
from rooms.services import IncomingFile, receive_contact_message
from tests.facebook.conftest import MP4, attachment_message, entry, payload

pytestmark = pytest.mark.django_db

# The first bytes of each kind, as their formats begin; the rest does not matter to us.
VOICE_CLIP = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2\x00\x00\x00\x08free" + b"\x01" * 64
UNRECOGNISED = bytes(range(256)) * 4
MESSENGER_LIMIT = 25 * 1024 * 1024


def media(kind: str, url: str) -> dict:
    return {"type": kind, "payload": {"url": url}}


async def received(layer, channel: str) -> dict:
    """The next event sent to `channel`; fails rather than waits when none comes."""
    return (await asyncio.wait_for(layer.receive(channel), timeout=2))["event"]


def file_url(room_id: int, attachment: Attachment) -> str:
    return reverse("room-attachment", args=[room_id, attachment.token])


def test_video_is_downloaded_and_listed_in_the_rooms_files(deliver, page, graph, client, agent):
    graph.files["clip.mp4"] = ("video/mp4", MP4)

    deliver(
        payload(entry(attachment_message([media("video", graph.file_url("clip.mp4"))], mid="m_v")))
    )

    message = Message.objects.get(external_id="m_v")
    video = message.attachments.get()
    assert (video.name, video.content_type, video.file.read()) == ("clip.mp4", "video/mp4", MP4)
    client.force_login(agent)
    panel = client.get(reverse("room-tool-files", args=[message.room_id])).content.decode()
    assert "clip.mp4" in panel and file_url(message.room_id, video) in panel
    assert ">MP4<" in panel


def test_video_plays_in_the_conversation(deliver, page, graph, client, agent):
    graph.files["clip.mp4"] = ("video/mp4", MP4)

    deliver(
        payload(entry(attachment_message([media("video", graph.file_url("clip.mp4"))], mid="m_v")))
    )

    message = Message.objects.get(external_id="m_v")
    url = file_url(message.room_id, message.attachments.get())
    client.force_login(agent)
    conversation = client.get(reverse("room", args=[message.room_id])).content.decode()
    assert f'<video src="{url}" controls' in conversation


def test_voice_clip_is_kept_as_audio_and_played_inline(deliver, page, graph, client, agent):
    # Messenger's voice messages are MP4 files holding only sound.
    graph.files["audioclip-1.mp4"] = ("video/mp4", VOICE_CLIP)
    clip = media("audio", graph.file_url("audioclip-1.mp4"))

    deliver(payload(entry(attachment_message([clip], mid="m_a"))))

    message = Message.objects.get(external_id="m_a")
    url = file_url(message.room_id, message.attachments.get())
    client.force_login(agent)
    conversation = client.get(reverse("room", args=[message.room_id])).content.decode()
    served = client.get(url)
    assert f'<audio src="{url}" controls' in conversation
    assert served["Content-Type"] == "audio/mp4"
    assert served["Content-Disposition"].startswith("inline")
    assert b"".join(served.streaming_content) == VOICE_CLIP


def test_unrecognised_file_is_kept_but_served_only_as_a_download(
    deliver, page, graph, client, agent
):
    graph.files["tool.exe"] = ("text/html", UNRECOGNISED)

    deliver(
        payload(entry(attachment_message([media("file", graph.file_url("tool.exe"))], mid="m_f")))
    )

    message = Message.objects.get(external_id="m_f")
    kept = message.attachments.get()
    client.force_login(agent)
    served = client.get(file_url(message.room_id, kept))
    assert served["Content-Type"] == "application/octet-stream"
    assert served["Content-Disposition"].startswith('attachment; filename="tool.exe"')
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content) == UNRECOGNISED


def test_office_document_is_kept_with_its_type(deliver, page, graph):
    import io
    import zipfile

    document = io.BytesIO()
    with zipfile.ZipFile(document, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", "<w:document/>")
    graph.files["offer.docx"] = ("application/octet-stream", document.getvalue())

    deliver(
        payload(entry(attachment_message([media("file", graph.file_url("offer.docx"))], mid="m_d")))
    )

    kept = Attachment.objects.get()
    assert kept.content_type.endswith("wordprocessingml.document")
    assert kept.type_label == "DOCX"


def test_attachment_over_messengers_limit_is_refused_with_a_note(deliver, page, graph):
    graph.files["long.mp4"] = ("video/mp4", MP4 + b"\x00" * (MESSENGER_LIMIT + 1 - len(MP4)))
    url = graph.file_url("long.mp4")

    deliver(payload(entry(attachment_message([media("video", url)], mid="m_big"))))

    message = Message.objects.get(external_id="m_big")
    assert f"Video long.mp4 (not kept: The attachment is bigger than 25 MB): {url}" in message.text
    assert not Attachment.objects.exists()
    assert not AttachmentDownload.objects.exists()


def test_missing_file_is_noted_and_not_tried_again(deliver, page, graph, tasks):
    url = graph.file_url("gone.mp4")

    deliver(
        payload(
            entry(
                attachment_message([media("video", url)], mid="m_404"),
            )
        )
    )

    message = Message.objects.get(external_id="m_404")
    assert "(not kept: The attachment could not be downloaded (HTTP 404))" in message.text
    assert message.meta["attachments"][0]["stored"] is False
    assert [name for name, _outcome in tasks.ran] == ["process_webhook"]


def test_download_that_times_out_is_tried_again_and_the_message_waits_with_a_note(
    post_webhook, page, graph, tasks
):
    graph.files["clip.mp4"] = ("video/mp4", MP4)
    graph.fail_files("timeout")
    url = graph.file_url("clip.mp4")

    post_webhook(payload(entry(attachment_message([media("video", url)], mid="m_t"))))
    tasks.run(max_runs=1)

    message = Message.objects.get(external_id="m_t")
    assert f"(not kept yet, trying again: The attachment download timed out): {url}" in message.text
    assert not message.attachments.exists()

    assert tasks.run() == ["kept"]

    message.refresh_from_db()
    assert message.attachments.get().file.read() == MP4
    assert "not kept" not in message.text
    assert message.meta["attachments"][0] == {
        "type": "video",
        "url": url,
        "name": "clip.mp4",
        "stored": True,
    }


def test_download_that_keeps_failing_is_given_up_with_a_note(deliver, page, graph):
    graph.fail_files("server_error", times=10)
    url = graph.file_url("clip.mp4")

    deliver(
        payload(
            entry(
                attachment_message([media("video", url)], mid="m_x"),
            )
        )
    )

    message = Message.objects.get(external_id="m_x")
    assert "not kept yet" not in message.text
    assert (
        f"Video clip.mp4 (not kept: The attachment could not be downloaded (HTTP 503)): {url}"
        in message.text
    )
    download = AttachmentDownload.objects.get()
    assert (download.status, download.attempts) == (AttachmentDownload.Status.FAILED, 4)


def test_retry_whose_task_was_lost_is_queued_again_by_the_sweeper(post_webhook, page, graph, tasks):
    graph.files["clip.mp4"] = ("video/mp4", MP4)
    graph.fail_files("server_error")
    post_webhook(
        payload(entry(attachment_message([media("video", graph.file_url("clip.mp4"))], mid="m_s")))
    )
    tasks.run(max_runs=1)
    default_task_backend.clear()  # the retry's task is lost

    counts = sweep(now=timezone.now() + timedelta(minutes=10))
    tasks.run()

    assert counts["downloads"] == 1
    assert Message.objects.get(external_id="m_s").attachments.count() == 1


def test_retry_queued_twice_for_one_try_makes_that_try_once(post_webhook, page, graph, tasks):
    graph.files["clip.mp4"] = ("video/mp4", MP4)
    graph.fail_files("server_error", times=2)
    post_webhook(
        payload(entry(attachment_message([media("video", graph.file_url("clip.mp4"))], mid="m_d")))
    )
    tasks.run(max_runs=1)
    sweep(now=timezone.now() + timedelta(minutes=10))  # thinks the queued retry lost

    outcomes = tasks.run(max_runs=2)  # the retry's task, then the sweeper's for the same try

    assert outcomes == ["retry", "busy"]
    assert len([r for r in graph.requests if r.path == "/files/clip.mp4"]) == 2
    assert AttachmentDownload.objects.get().attempts == 2


def test_file_kept_on_a_later_try_reaches_the_agents_page_live(post_webhook, page, graph, tasks):
    graph.files["clip.mp4"] = ("video/mp4", MP4)
    graph.fail_files("server_error")
    post_webhook(
        payload(entry(attachment_message([media("video", graph.file_url("clip.mp4"))], mid="m_l")))
    )
    tasks.run(max_runs=1)
    message = Message.objects.get(external_id="m_l")
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(room_group(message.room_id), channel)

    tasks.run()

    event = async_to_sync(received)(layer, channel)
    assert (event["type"], event["message"]) == ("message.updated", message.pk)
    assert "<video" in event["html"] and "not kept" not in event["html"]


def test_agent_of_another_department_cannot_download_a_messenger_file(
    deliver, page, graph, client, agent, outsider_agent
):
    graph.files["clip.mp4"] = ("video/mp4", MP4)
    deliver(
        payload(entry(attachment_message([media("video", graph.file_url("clip.mp4"))], mid="m_v")))
    )
    message = Message.objects.get(external_id="m_v")
    url = file_url(message.room_id, message.attachments.get())

    client.force_login(outsider_agent)
    refused = client.get(url)
    client.force_login(agent)
    allowed = client.get(url)

    assert refused.status_code == 404
    assert allowed.status_code == 200


def test_website_chat_still_refuses_a_video(department):
    contact, _created = get_or_create_contact(channel=Channel.LIVECHAT, external_id="token-ana")

    with pytest.raises(FileRejected):
        receive_contact_message(
            contact=contact,
            channel=Channel.LIVECHAT,
            department=department,
            files=[IncomingFile("clip.mp4", MP4)],
        )

    assert not Message.objects.exists()
