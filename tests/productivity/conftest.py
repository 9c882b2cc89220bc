"""Productivity fixtures: a website visitor who talks over HTTP with their token, recorded
tasks run on command, a manager, a moved clock."""

import secrets
from dataclasses import dataclass

import pytest
from django.tasks import default_task_backend
from django.urls import reverse
from django.utils import timezone

from rooms.models import Room


@pytest.fixture(autouse=True)
def _recorded_tasks(settings):
    """Tasks are recorded, not run: a test runs them when it chooses."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    yield
    default_task_backend.clear()


class Tasks:
    def __init__(self, capture) -> None:
        self.capture = capture

    @property
    def pending(self) -> list:
        return list(default_task_backend.results)

    def run(self) -> list:
        """Run every recorded task once (their own after-commit work included)."""
        due = list(default_task_backend.results)
        default_task_backend.results.clear()
        outcomes = []
        for result in due:
            with self.capture(execute=True):
                outcomes.append(result.task.call(*result.args, **result.kwargs))
        return outcomes


@pytest.fixture
def tasks(django_capture_on_commit_callbacks) -> Tasks:
    return Tasks(django_capture_on_commit_callbacks)


@pytest.fixture
def manager(department, other_department):
    from tests.factories import make_manager

    return make_manager(username="maya", departments=[department, other_department])


@dataclass
class Visitor:
    """A website visitor: their token, and the widget's endpoints called as their browser."""

    client: object
    token: str
    slug: str = "support"

    def post(self, name: str, data: dict):
        return self.client.post(
            reverse(f"livechat:{name}", args=[self.slug]),
            data,
            headers={"X-Visitor-Token": self.token},
        )

    def send(self, text: str = "Hello", **extra):
        return self.post("messages", {"text": text, **extra})

    def conversation(self):
        return self.client.get(
            reverse("livechat:conversation", args=[self.slug]),
            headers={"X-Visitor-Token": self.token},
        )

    def rate(self, room: Room, rating, comment: str = ""):
        return self.post("survey", {"room": room.pk, "rating": rating, "comment": comment})

    def ask_transcript(self, room: Room, email: str = "maria@example.com"):
        return self.post("transcript", {"room": room.pk, "email": email})

    def room(self) -> Room:
        import hashlib

        digest = hashlib.sha256(self.token.encode()).hexdigest()
        return Room.objects.filter(contact__identities__external_id=digest).latest("id")


@pytest.fixture
def visitor(client, department) -> Visitor:
    return Visitor(client=client, token=secrets.token_urlsafe(32))


@pytest.fixture
def other_visitor(client, department) -> Visitor:
    return Visitor(client=client, token=secrets.token_urlsafe(32))


@pytest.fixture
def served_visitor_room(visitor, agent):
    """The visitor wrote, the agent took the chat and answered."""
    from queues.services import take_room
    from rooms.services import post_agent_message

    visitor.send("My parcel is late", name="Maria")
    room = take_room(agent, visitor.room())
    post_agent_message(agent, room, text="Let me check, Maria.")
    return visitor.room()


@pytest.fixture
def closed_visitor_room(served_visitor_room, agent):
    from rooms.services import close_room

    return close_room(agent, served_visitor_room, comment="Parcel found")


@pytest.fixture
def clock(monkeypatch):
    """Move time: `clock.set(moment)`; services read timezone.now()."""

    class Clock:
        now = timezone.now()

        def set(self, moment):
            self.now = moment
            monkeypatch.setattr(timezone, "now", lambda: moment)

    return Clock()
