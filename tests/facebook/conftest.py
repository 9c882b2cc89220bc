"""Fixtures of the Messenger tests: a fake Graph API, a configured page, signed webhook posts,
and a deterministic task runner (Django's dummy backend, drained by hand)."""

import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta

import pytest
from django.tasks import default_task_backend
from django.urls import reverse

from tests.facebook import graph as fake_graph

PAGE_ID = "1001"
OTHER_PAGE_ID = "2002"
APP_ID = "777000111"
APP_SECRET = "fb-app-secret-0123456789"
OTHER_APP_SECRET = "another-app-secret-987654"
ACCESS_TOKEN = "EAAGfaketoken1234567890"
VERIFY_TOKEN = "verify-me-please"
PSID = "9001"
# The first bytes of an MP4 video, as the format begins; the rest does not matter to us.
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom\x00\x00\x00\x08free" + b"\x00" * 64


def millis(moment: datetime | None = None) -> int:
    return int((moment.timestamp() if moment else time.time()) * 1000)


def text_message(text: str, *, mid: str, psid: str = PSID, page_id: str = PAGE_ID, at=None):
    return {
        "sender": {"id": psid},
        "recipient": {"id": page_id},
        "timestamp": millis(at),
        "message": {"mid": mid, "text": text},
    }


def attachment_message(attachments: list, *, mid: str, text: str = "", psid: str = PSID):
    message: dict = {"mid": mid, "attachments": attachments}
    if text:
        message["text"] = text
    return {
        "sender": {"id": psid},
        "recipient": {"id": PAGE_ID},
        "timestamp": millis(),
        "message": message,
    }


def entry(*messaging: dict, page_id: str = PAGE_ID) -> dict:
    return {"id": page_id, "time": millis(), "messaging": list(messaging)}


def payload(*entries: dict) -> dict:
    return {"object": "page", "entry": list(entries)}


def page_echoes_our_sends() -> None:
    """An echo of one of our sends arrived a day ago: the pages are subscribed to
    message_echoes, so a missing echo means a send did not leave."""
    from django.utils import timezone

    from integrations.facebook.models import Page

    Page.objects.update(echoes_seen_at=timezone.now() - timedelta(days=1))


def signature(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture
def graph(settings):
    """The fake Graph API; the app talks to it through FACEBOOK_GRAPH_URL."""
    fake, server = fake_graph.start()
    settings.FACEBOOK_GRAPH_URL = fake.url
    # The fake's "timeout" answers after a second; the client gives up well before.
    settings.FACEBOOK_TIMEOUT = (1.0, 0.3)
    yield fake
    server.shutdown()
    server.server_close()


class TaskRunner:
    """Runs what the code enqueued, in order, each run's after-commit work included."""

    def __init__(self, capture) -> None:
        self.capture = capture
        self.ran: list[tuple[str, object]] = []

    @property
    def queued(self) -> list:
        return list(default_task_backend.results)

    def run(self, max_runs: int = 50) -> list:
        """Run queued tasks (deferred ones too: time is not waited for) until none is left."""
        runs = 0
        while default_task_backend.results and runs < max_runs:
            result = default_task_backend.results.pop(0)
            with self.capture(execute=True):
                outcome = result.task.call(*result.args, **result.kwargs)
            self.ran.append((result.task.name, outcome))
            runs += 1
        return [outcome for _name, outcome in self.ran[-runs:]] if runs else []


@pytest.fixture
def tasks(settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    yield TaskRunner(django_capture_on_commit_callbacks)
    default_task_backend.clear()


@pytest.fixture
def page(department, graph, tasks):
    from integrations.facebook.services.pages import add_page

    return add_page(
        page_id=PAGE_ID,
        name="Acme Support",
        access_token=ACCESS_TOKEN,
        app_secret=APP_SECRET,
        verify_token=VERIFY_TOKEN,
        department=department,
        app_id=APP_ID,
    )


@pytest.fixture
def other_page(other_department, graph, tasks):
    from integrations.facebook.services.pages import add_page

    return add_page(
        page_id=OTHER_PAGE_ID,
        name="Acme Sales",
        access_token="EAAGothertoken0987654321",
        app_secret=OTHER_APP_SECRET,
        verify_token="other-verify-token",
        department=other_department,
    )


@pytest.fixture
def post_webhook(client, django_capture_on_commit_callbacks):
    """POST a payload to the webhook, signed with `secret` unless a signature is given."""

    def post(body, *, secret: str = APP_SECRET, sig: str | None = None, raw: bytes | None = None):
        data = raw if raw is not None else json.dumps(body).encode()
        headers = {}
        if sig is not None:
            headers["X-Hub-Signature-256"] = sig
        elif secret:
            headers["X-Hub-Signature-256"] = signature(data, secret)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("facebook:webhook"),
                data=data,
                content_type="application/json",
                headers=headers,
            )

    return post


@pytest.fixture
def deliver(post_webhook, tasks):
    """Have Facebook deliver a payload and the worker process it."""

    def deliver_payload(body: dict, **kwargs):
        response = post_webhook(body, **kwargs)
        assert response.status_code == 200
        tasks.run()
        return response

    return deliver_payload


@pytest.fixture
def contact_writes(deliver):
    """The person (PSID) writes text to the page; returns the stored message."""
    from rooms.models import Message

    counter = iter(range(1, 10_000))

    def write(text: str = "Hello from Messenger", *, at=None, psid: str = PSID):
        mid = f"m_in_{next(counter)}_{psid}"
        deliver(payload(entry(text_message(text, mid=mid, psid=psid, at=at))))
        return Message.objects.get(external_id=mid)

    return write


@pytest.fixture
def messenger_room(page, contact_writes, agent):
    """A Messenger conversation the agent has taken."""
    from queues.services import take_room

    room = contact_writes().room
    return take_room(agent, room)


@pytest.fixture
def reply(agent, tasks, django_capture_on_commit_callbacks):
    """The agent writes in a room; the delivery is queued (run `tasks.run()` to send it)."""
    from rooms.services import post_agent_message

    def write(room, text: str = "Hi, how can I help?"):
        with django_capture_on_commit_callbacks(execute=True):
            return post_agent_message(agent, room, text=text)

    return write
