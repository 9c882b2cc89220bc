"""Transcript by e-mail: when the visitor gave an address and asked, once the room is closed."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from productivity.models import TranscriptRequest
from productivity.services import resend_pending_transcripts
from rooms.services import close_room

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run the block's after-commit work (event dispatch, enqueueing) at its end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_transcript_asked_after_the_end_is_emailed(visitor, closed_visitor_room, tasks, on_commit):
    with on_commit():
        response = visitor.ask_transcript(closed_visitor_room, "maria@example.com")

    assert response.status_code == 201
    assert tasks.run() == ["sent"]
    (email,) = mail.outbox
    assert email.to == ["maria@example.com"]
    assert email.subject.startswith("Your conversation with Support on ")
    assert "You: My parcel is late" in email.body
    assert "Let me check, Maria." in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert "Let me check, Maria." in html
    assert TranscriptRequest.objects.get().status == TranscriptRequest.Status.SENT


def test_transcript_asked_during_the_conversation_is_sent_when_it_ends(
    visitor, served_visitor_room, agent, tasks, on_commit
):
    with on_commit():
        visitor.ask_transcript(served_visitor_room)
    assert tasks.pending == []
    assert mail.outbox == []

    with on_commit():
        close_room(agent, served_visitor_room, comment="Done")

    assert tasks.run() == ["sent"]
    assert mail.outbox[0].to == ["maria@example.com"]


def test_closing_without_a_request_sends_nothing(served_visitor_room, agent, tasks, on_commit):
    with on_commit():
        close_room(agent, served_visitor_room, comment="Done")

    assert tasks.pending == []
    assert mail.outbox == []


def test_transcript_html_is_sanitised(visitor, agent, tasks, on_commit):
    from queues.services import take_room

    visitor.send('<script>alert("x")</script> <img src=x onerror=alert(1)> *bold*')
    room = take_room(agent, visitor.room())
    visitor.ask_transcript(room)
    with on_commit():
        close_room(agent, room, comment="Done")

    tasks.run()

    html = mail.outbox[0].alternatives[0][0]
    assert "<script>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html
    assert "<strong>bold</strong>" in html


def test_transcript_is_sent_once(visitor, closed_visitor_room, tasks, on_commit):
    from productivity.tasks import send_transcript

    with on_commit():
        visitor.ask_transcript(closed_visitor_room)
    tasks.run()

    assert send_transcript.call(TranscriptRequest.objects.get().pk) == "not claimed"
    assert len(mail.outbox) == 1


def test_asking_again_after_it_was_sent_is_refused(visitor, closed_visitor_room, tasks, on_commit):
    with on_commit():
        visitor.ask_transcript(closed_visitor_room)
    tasks.run()

    response = visitor.ask_transcript(closed_visitor_room, "other@example.com")

    assert response.status_code == 400
    assert response.json()["code"] == "transcript_already_sent"
    assert TranscriptRequest.objects.get().email == "maria@example.com"


def test_invalid_email_is_refused_and_nothing_stored(visitor, closed_visitor_room):
    response = visitor.ask_transcript(closed_visitor_room, "maria at example")

    assert response.status_code == 400
    assert response.json() == {"detail": "Enter a valid e-mail address.", "code": "invalid_email"}
    assert not TranscriptRequest.objects.exists()


def test_another_visitors_conversation_is_not_found(other_visitor, closed_visitor_room):
    other_visitor.send("Hello")

    response = other_visitor.ask_transcript(closed_visitor_room)

    assert response.status_code == 404
    assert not TranscriptRequest.objects.exists()


def test_widget_offers_the_transcript_during_and_after_the_conversation(
    visitor, served_visitor_room, agent
):
    assert "E-mail me the transcript when the conversation ends" in (
        visitor.conversation().content.decode()
    )
    close_room(agent, served_visitor_room, comment="Done")

    assert 'id="livechat-transcript-wanted"' in visitor.conversation().content.decode()


def test_sweeper_enqueues_a_pending_transcript_whose_enqueue_was_lost(
    visitor, closed_visitor_room, tasks
):
    visitor.ask_transcript(closed_visitor_room)  # its after-commit enqueue never runs here
    TranscriptRequest.objects.update(requested_at=timezone.now() - timedelta(minutes=5))
    type(closed_visitor_room).objects.filter(pk=closed_visitor_room.pk).update(
        closed_at=timezone.now() - timedelta(minutes=5)
    )

    assert resend_pending_transcripts() == 1
    assert tasks.run() == ["sent"]


def test_failed_send_is_recorded(visitor, closed_visitor_room, tasks, on_commit, settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.productivity.failing_mail.Backend"}}
    with on_commit():
        visitor.ask_transcript(closed_visitor_room)

    assert tasks.run() == ["failed"]

    request = TranscriptRequest.objects.get()
    assert request.status == TranscriptRequest.Status.FAILED
    assert "refused" in request.error
