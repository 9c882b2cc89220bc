"""Property tests: the formatter and the room state machine hold for any input or sequence."""

import contextlib
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from rooms.formatting import render_message

# What the formatter may emit, and nothing else.
ALLOWED_TAGS = {
    "strong", "em", "del", "code", "pre", "br", "p", "a", "span",
    "math", "mrow", "mi", "mn", "mo", "msup", "msub", "msubsup", "mfrac", "msqrt", "mroot",
    "mtext", "mspace", "mtable", "mtr", "mtd", "munder", "mover", "munderover", "mstyle",
    "semantics", "annotation", "mpadded", "mphantom", "menclose",
}  # fmt: skip
SAFE_SCHEMES = ("http:", "https:", "mailto:")


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()
        self.bad_attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.bad_attributes.append((name, value or ""))
            if name in {"href", "src", "xlink:href", "action"}:
                cleaned = "".join(ch for ch in (value or "") if ch > " ").lower()
                if not cleaned.startswith(SAFE_SCHEMES):
                    self.bad_attributes.append((name, value or ""))


# Pieces of markup and of attacks, glued in any order.
PIECES = [*"ab <>/\"'=*_~$`\\{}()[]:;&#!\n", "javascript:", "script", "onerror", "svg",
          "math", "href", "http://x.y/", "&lt;", "\\href{", "\\text{"]  # fmt: skip
markup = st.lists(st.sampled_from(PIECES), max_size=80).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), markup))
def test_formatter_never_raises_and_emits_only_allowed_markup(text):
    html = render_message(text)

    collector = TagCollector()
    collector.feed(html)
    assert collector.tags <= ALLOWED_TAGS
    assert collector.bad_attributes == []


class RoomLifecycle(RuleBasedStateMachine):
    """Any sequence of take / reply / return / close / contact message keeps a valid room."""

    @initialize()
    def setup(self):
        from directory.models import Channel
        from directory.services import get_or_create_contact
        from rooms.services import receive_contact_message
        from tests.factories import AgentFactory, DepartmentFactory

        self.department = DepartmentFactory()
        self.agents = [
            AgentFactory(departments=[self.department], queue_enabled=True) for _ in range(2)
        ]
        self.contact, _ = get_or_create_contact(channel=Channel.LIVECHAT, external_id="prop")
        self.channel = Channel.LIVECHAT
        self.room = receive_contact_message(
            contact=self.contact, channel=self.channel, department=self.department, text="hi"
        ).room

    def current(self):
        self.room.refresh_from_db()
        return self.room

    @rule(which=st.integers(0, 1))
    def take(self, which):
        from omnichannel.errors import DomainError
        from queues.services import take_room

        before = self.current().status
        try:
            take_room(self.agents[which], self.room)
        except DomainError:
            assert self.current().status == before
        else:
            assert before == "queued"

    @rule(which=st.integers(0, 1))
    def reply(self, which):
        from omnichannel.errors import DomainError
        from rooms.services import post_agent_message

        room = self.current()
        try:
            post_agent_message(self.agents[which], room, text="ok")
        except DomainError:
            assert room.status != "taken" or room.agent_id != self.agents[which].pk

    @rule(which=st.integers(0, 1))
    def give_back(self, which):
        from omnichannel.errors import DomainError
        from queues.services import return_to_queue

        with contextlib.suppress(DomainError):
            return_to_queue(self.agents[which], self.room)

    @rule(which=st.integers(0, 1))
    def close(self, which):
        from omnichannel.errors import DomainError
        from rooms.services import close_room

        with contextlib.suppress(DomainError):
            close_room(self.agents[which], self.room, comment="done")

    @rule()
    def contact_writes(self):
        from rooms.services import receive_contact_message

        message = receive_contact_message(
            contact=self.contact, channel=self.channel, department=self.department, text="more"
        )
        self.room = message.room

    @invariant()
    def room_is_consistent(self):
        from rooms.models import Room

        if not hasattr(self, "room"):
            return
        room = self.current()
        assert (room.status == "taken") == (room.agent_id is not None) or room.status == "closed"
        assert (room.closed_at is not None) == (room.status == "closed")
        assert room.queue_seconds >= 0
        assert room.response_count >= 0
        open_rooms = Room.objects.filter(contact=self.contact).exclude(status="closed").count()
        assert open_rooms <= 1


@pytest.mark.django_db
def test_no_sequence_of_actions_breaks_a_room():
    RoomLifecycle.TestCase.settings = settings(
        max_examples=25, stateful_step_count=15, deadline=None
    )
    RoomLifecycle.TestCase().runTest()
