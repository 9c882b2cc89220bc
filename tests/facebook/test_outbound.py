"""What agents write leaves through the Send API: window rules, statuses, errors, retries."""

from datetime import timedelta

import pytest
from django.tasks import default_task_backend
from django.utils import timezone

from integrations.facebook.models import ClosingMessage, Delivery, Page
from integrations.facebook.services.inbound import METADATA_PREFIX
from integrations.facebook.services.outbound import split_text, sweep
from integrations.facebook.services.pages import save_closing_message
from omnichannel import events
from omnichannel.models import Event
from rooms.models import Message
from rooms.services import retry_message
from tests.facebook.conftest import ACCESS_TOKEN, PAGE_ID, PSID, page_echoes_our_sends

pytestmark = pytest.mark.django_db

D = Message.Delivery


def status_of(message: Message) -> str:
    message.refresh_from_db()
    return message.delivery_status


def test_agent_reply_is_pending_until_the_worker_sends_it(messenger_room, reply, graph):
    message = reply(messenger_room)

    assert status_of(message) == D.PENDING
    assert graph.sends == []


def test_agent_reply_is_sent_with_the_send_api_and_marked_sent(messenger_room, reply, tasks, graph):
    message = reply(messenger_room, "Hi, how can I help?")

    tasks.run()

    (send,) = graph.sends
    assert send.path == f"/{PAGE_ID}/messages"
    assert send.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert send.body["recipient"] == {"id": PSID}
    assert send.body["messaging_type"] == "RESPONSE"
    assert "tag" not in send.body
    assert send.body["message"]["text"] == "Hi, how can I help?"
    assert send.body["message"]["metadata"].startswith("omnichannel:delivery:")
    message.refresh_from_db()
    assert message.delivery_status == D.SENT
    assert message.external_id == "m_fake_1"


def test_status_change_is_recorded_for_the_live_room_page(messenger_room, reply, tasks):
    message = reply(messenger_room)

    tasks.run()

    changes = Event.objects.filter(name="message.status_changed", room_id=messenger_room.pk)
    assert [e.data["status"] for e in changes] == [D.SENT]
    assert changes.get().data["message"] == message.pk


def make_contact_message_older(room, age: timedelta) -> None:
    Message.objects.filter(room=room, kind=Message.Kind.CONTACT).update(
        created_at=timezone.now() - age
    )


def test_reply_after_24_hours_goes_with_the_human_agent_tag(messenger_room, reply, tasks, graph):
    make_contact_message_older(messenger_room, timedelta(hours=30))
    message = reply(messenger_room)

    tasks.run()

    (send,) = graph.sends
    assert send.body["messaging_type"] == "MESSAGE_TAG"
    assert send.body["tag"] == "HUMAN_AGENT"
    assert status_of(message) == D.SENT


def test_reply_after_7_days_is_refused_without_calling_facebook(
    messenger_room, reply, tasks, graph
):
    make_contact_message_older(messenger_room, timedelta(days=8))
    message = reply(messenger_room)

    tasks.run()

    assert graph.sends == []
    message.refresh_from_db()
    assert message.delivery_status == D.FAILED
    assert "within 7 days" in message.delivery_error


def test_reply_after_24_hours_is_refused_when_the_page_may_not_use_the_tag(
    messenger_room, reply, tasks, graph, page
):
    Page.objects.filter(pk=page.pk).update(human_agent_tag=False)
    make_contact_message_older(messenger_room, timedelta(hours=30))
    message = reply(messenger_room)

    tasks.run()

    assert graph.sends == []
    message.refresh_from_db()
    assert message.delivery_status == D.FAILED
    assert "within 24 hours" in message.delivery_error


def test_long_reply_leaves_in_parts_within_messengers_limit(messenger_room, reply, tasks, graph):
    paragraphs = ["a" * 1500, "b" * 1500, "c" * 1500]
    message = reply(messenger_room, "\n\n".join(paragraphs))

    tasks.run()

    assert [s.body["message"]["text"] for s in graph.sends] == paragraphs
    message.refresh_from_db()
    assert message.delivery_status == D.SENT
    assert message.external_id == "m_fake_1"


def test_split_text_never_exceeds_the_limit_counting_utf16_units():
    text = "😀" * 1500  # 3000 UTF-16 units

    parts = split_text(text)

    assert "".join(parts) == text
    assert all(len(p.encode("utf-16-le")) // 2 <= 2000 for p in parts)


def test_split_text_cuts_between_words():
    parts = split_text("word " * 500, limit=100)

    assert all(part.endswith("word") and len(part) <= 100 for part in parts)


@pytest.mark.parametrize("failure", ["server_error", "temporary", "rate_limit", "timeout"])
def test_transient_failure_is_retried_later_with_back_off(
    messenger_room, reply, tasks, graph, failure
):
    graph.fail_sends(failure)
    message = reply(messenger_room)
    before = timezone.now()

    assert tasks.run(max_runs=1) == ["retry"]

    assert status_of(message) == D.PENDING
    (again,) = tasks.queued
    assert again.task.run_after >= before + timedelta(seconds=10)
    delivery = Delivery.objects.get(message=message)
    assert delivery.status == Delivery.Status.QUEUED and delivery.last_error


def test_retried_send_succeeds_on_the_next_attempt(messenger_room, reply, tasks, graph):
    graph.fail_sends("server_error")
    message = reply(messenger_room)

    tasks.run()

    assert len(graph.sends) == 2
    assert status_of(message) == D.SENT


def test_transient_failures_fail_the_message_after_the_last_attempt(
    messenger_room, reply, tasks, graph, settings
):
    settings.FACEBOOK_SEND_ATTEMPTS = 3
    graph.fail_sends("rate_limit", times=3)
    message = reply(messenger_room)

    tasks.run()

    assert len(graph.sends) == 3
    message.refresh_from_db()
    assert message.delivery_status == D.FAILED
    assert "after 3 attempts" in message.delivery_error
    assert "exceeded the rate limit" in message.delivery_error


def test_dead_token_fails_the_message_and_flags_the_page(messenger_room, reply, tasks, graph, page):
    graph.fail_sends("token")
    message = reply(messenger_room)

    tasks.run()

    assert len(graph.sends) == 1
    message.refresh_from_db()
    assert message.delivery_status == D.FAILED
    assert message.delivery_error == "Invalid OAuth access token. (Facebook error 190)"
    page.refresh_from_db()
    assert page.token_failed_at is not None


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (
            "person_unavailable",
            "This person isn't available right now. (Facebook error 551/1545041)",
        ),
        ("outside_window", "outside of allowed window. (Facebook error 10/2018278)"),
        ("invalid", "Invalid parameter (Facebook error 100)"),
    ],
)
def test_permanent_error_fails_the_message_at_once_with_facebooks_reason(
    messenger_room, reply, tasks, graph, failure, reason
):
    graph.fail_sends(failure)
    message = reply(messenger_room)

    tasks.run()

    assert len(graph.sends) == 1
    message.refresh_from_db()
    assert message.delivery_status == D.FAILED
    assert reason in message.delivery_error


def test_agent_retries_a_failed_message_and_it_is_sent(
    messenger_room, reply, tasks, graph, agent, django_capture_on_commit_callbacks
):
    graph.fail_sends("person_unavailable")
    message = reply(messenger_room)
    tasks.run()

    with django_capture_on_commit_callbacks(execute=True):
        retry_message(agent, message)
    tasks.run()

    assert len(graph.sends) == 2
    assert status_of(message) == D.SENT


def test_retry_resumes_after_the_parts_already_sent(
    messenger_room, reply, tasks, graph, agent, django_capture_on_commit_callbacks
):
    message = reply(messenger_room, "\n\n".join(["a" * 1500, "b" * 1500]))
    graph.fail_sends("invalid")
    # The first part is refused; after the retry both leave, each once.
    tasks.run()
    with django_capture_on_commit_callbacks(execute=True):
        retry_message(agent, message)
    tasks.run()

    texts = [s.body["message"]["text"][0] for s in graph.sends]
    assert texts == ["a", "a", "b"]
    assert status_of(message) == D.SENT


def test_failure_after_some_parts_says_how_many_were_sent(messenger_room, reply, tasks, graph):
    message = reply(messenger_room, "\n\n".join(["a" * 1500, "b" * 1500]))
    graph.fail_sends("ok")
    graph.fail_sends("invalid")

    tasks.run()

    message.refresh_from_db()
    assert message.delivery_status == D.FAILED
    assert message.delivery_error.startswith("Only 1 of 2 parts were sent.")


def test_same_event_dispatched_twice_sends_once(messenger_room, reply, tasks, graph):
    message = reply(messenger_room)
    event = Event.objects.get(name="message.created", data__message=message.pk)
    Event.objects.filter(pk=event.pk).update(dispatched_at=None)

    events.dispatch(event.pk)
    tasks.run()

    assert len(graph.sends) == 1
    assert Delivery.objects.count() == 1


def test_task_run_twice_sends_once(messenger_room, reply, tasks, graph):
    from integrations.facebook.tasks import send_delivery

    message = reply(messenger_room)
    delivery = Delivery.objects.get(message=message)
    tasks.run()

    assert send_delivery.call(delivery.pk) == "not claimed"
    assert len(graph.sends) == 1


def test_reply_in_a_website_chat_is_not_sent_to_facebook(
    taken_room, agent, tasks, graph, django_capture_on_commit_callbacks
):
    from rooms.services import post_agent_message

    with django_capture_on_commit_callbacks(execute=True):
        post_agent_message(agent, taken_room, text="Hello")
    tasks.run()

    assert not Delivery.objects.exists()
    assert graph.sends == []


def test_reply_through_a_disabled_page_fails_with_the_reason(messenger_room, reply, tasks, page):
    Page.objects.filter(pk=page.pk).update(enabled=False)
    message = reply(messenger_room)

    tasks.run()

    message.refresh_from_db()
    assert message.delivery_status == D.FAILED
    assert "disabled" in message.delivery_error


def test_send_that_works_clears_the_token_flag(messenger_room, reply, tasks, page):
    Page.objects.filter(pk=page.pk).update(token_failed_at=timezone.now(), token_error="dead")
    reply(messenger_room)

    tasks.run()

    page.refresh_from_db()
    assert page.token_failed_at is None


def close(room, agent, capture):
    from rooms.services import close_room

    with capture(execute=True):
        close_room(agent, room, comment="Solved")


def test_closing_a_room_sends_nothing_by_default(
    messenger_room, agent, tasks, graph, django_capture_on_commit_callbacks
):
    close(messenger_room, agent, django_capture_on_commit_callbacks)
    tasks.run()

    assert graph.sends == []


def test_closing_a_room_sends_the_departments_closing_message(
    messenger_room, agent, tasks, graph, department, django_capture_on_commit_callbacks
):
    save_closing_message(ClosingMessage(department=department, text="Thanks for writing to Acme!"))

    close(messenger_room, agent, django_capture_on_commit_callbacks)
    tasks.run()

    (send,) = graph.sends
    assert send.body["message"]["text"] == "Thanks for writing to Acme!"
    assert Delivery.objects.get(kind=Delivery.Kind.CLOSING).status == Delivery.Status.SENT


def claimed_long_ago(message: Message, **fields) -> Delivery:
    """Moves the send's claim back past the time the sweeper waits for an echo."""
    delivery = Delivery.objects.get(message=message)
    Delivery.objects.filter(pk=delivery.pk).update(
        claimed_at=timezone.now() - timedelta(minutes=10), **fields
    )
    return delivery


def interrupted(message: Message) -> Delivery:
    """The worker claimed the send, then died: the row stays SENDING."""
    return claimed_long_ago(message, status=Delivery.Status.SENDING)


def test_sweeper_fails_a_send_a_dead_worker_left_when_the_page_never_echoed(
    messenger_room, reply, tasks, graph
):
    message = reply(messenger_room)
    interrupted(message)

    assert sweep()["interrupted"] == 1

    message.refresh_from_db()
    assert message.delivery_status == D.FAILED
    assert "interrupted" in message.delivery_error
    assert graph.sends == []


def test_sweeper_settles_an_interrupted_send_facebook_echoed(messenger_room, reply, tasks):
    message = reply(messenger_room)
    delivery = interrupted(message)
    Delivery.objects.filter(pk=delivery.pk).update(echo_mid="m_from_echo", echoed_parts=1)

    assert sweep()["settled"] == 1

    message.refresh_from_db()
    assert message.delivery_status == D.SENT
    assert message.external_id == "m_from_echo"


def test_sweeper_sends_again_an_interrupted_send_facebook_did_not_echo(
    messenger_room, reply, tasks, graph
):
    page_echoes_our_sends()
    message = reply(messenger_room, "Your parcel left today")
    interrupted(message)

    assert sweep()["resumed"] == 1
    tasks.run()

    assert [send.body["message"]["text"] for send in graph.sends] == ["Your parcel left today"]
    assert status_of(message) == D.SENT


def test_interrupted_long_send_resumes_after_the_parts_facebook_echoed(
    messenger_room, reply, tasks, graph
):
    page_echoes_our_sends()
    first_part, second_part = "a" * 2000, "b" * 500
    message = reply(messenger_room, first_part + second_part)
    delivery = interrupted(message)
    Delivery.objects.filter(pk=delivery.pk).update(echo_mid="m_part_one", echoed_parts=1)

    assert sweep()["resumed"] == 1
    tasks.run()

    assert [send.body["message"]["text"] for send in graph.sends] == [second_part]
    assert send_metadata(graph) == [f"{METADATA_PREFIX}{delivery.pk}:1"]
    message.refresh_from_db()
    assert message.delivery_status == D.SENT
    assert message.external_id == "m_part_one"


def test_interrupted_send_claimed_before_the_first_echo_is_not_sent_again(
    messenger_room, reply, tasks, graph
):
    message = reply(messenger_room)
    interrupted(message)  # claimed ten minutes ago
    Page.objects.update(echoes_seen_at=timezone.now())  # echoes only started after it

    assert sweep()["interrupted"] == 1
    tasks.run()

    assert graph.sends == []
    assert status_of(message) == D.FAILED


def test_interrupted_send_out_of_attempts_fails_for_the_agent(
    messenger_room, reply, tasks, graph, settings
):
    settings.FACEBOOK_SEND_ATTEMPTS = 1
    page_echoes_our_sends()
    message = reply(messenger_room)
    delivery = interrupted(message)
    Delivery.objects.filter(pk=delivery.pk).update(attempts=1)

    assert sweep()["interrupted"] == 1

    assert status_of(message) == D.FAILED
    assert graph.sends == []


def test_unanswered_send_of_a_page_that_echoes_is_settled_by_its_echo_without_a_second_send(
    messenger_room, reply, tasks, graph
):
    page_echoes_our_sends()
    graph.fail_sends("timeout")  # Facebook takes the message but answers too late
    message = reply(messenger_room)

    assert tasks.run() == ["awaiting echo"]
    assert status_of(message) == D.PENDING
    delivery = claimed_long_ago(message)
    Delivery.objects.filter(pk=delivery.pk).update(echo_mid="m_late", echoed_parts=1)

    assert sweep()["settled"] == 1
    tasks.run()

    assert len(graph.sends) == 1
    assert status_of(message) == D.SENT


def test_unanswered_send_without_an_echo_is_sent_again_by_the_sweeper(
    messenger_room, reply, tasks, graph
):
    page_echoes_our_sends()
    graph.fail_sends("timeout")
    message = reply(messenger_room)
    tasks.run()
    claimed_long_ago(message)

    assert sweep()["resumed"] == 1
    tasks.run()

    assert len(graph.sends) == 2
    assert status_of(message) == D.SENT


def send_metadata(graph) -> list[str]:
    return [send.body["message"]["metadata"] for send in graph.sends]


def test_sweeper_queues_again_a_send_whose_task_was_lost(messenger_room, reply, tasks, graph):
    message = reply(messenger_room)
    default_task_backend.clear()  # the task row is lost
    Delivery.objects.filter(message=message).update(updated_at=timezone.now() - timedelta(hours=1))

    assert sweep()["requeued"] == 1
    tasks.run()

    assert status_of(message) == D.SENT
