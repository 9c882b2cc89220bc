"""Unread counts and mentions, kept per member and cleared when read."""

import pytest

from accounts.models import User
from teamchat import mentions, services
from teamchat.models import Membership

pytestmark = pytest.mark.django_db


def counts(chat, user):
    membership = Membership.objects.get(chat=chat, user=user)
    return membership.unread_count, membership.mention_count


def test_each_other_member_has_one_more_unread_message(channel, agent, other_agent):
    services.post_message(agent, channel, text="one")
    services.post_message(agent, channel, text="two")

    assert counts(channel, other_agent) == (2, 0)
    assert counts(channel, agent) == (0, 0)


def test_a_mention_counts_for_the_mentioned_member_only(
    channel, agent, other_agent, outsider_agent
):
    services.join_chat(outsider_agent, channel)

    message = services.post_message(agent, channel, text="@Blair can you look? @nobody")

    assert counts(channel, other_agent) == (1, 1)
    assert counts(channel, outsider_agent) == (1, 0)
    assert message.mentioned == [other_agent.pk]
    assert f'data-mention="{other_agent.pk}">@Blair</span>' in message.html
    assert "@nobody" in message.html


def test_at_here_mentions_the_members_online(channel, agent, other_agent, outsider_agent):
    services.join_chat(outsider_agent, channel)
    User.objects.filter(pk=outsider_agent.pk).update(status=User.Status.OFFLINE)

    services.post_message(agent, channel, text="@here standup")

    assert counts(channel, other_agent) == (1, 1)
    assert counts(channel, outsider_agent) == (1, 0)


def test_mentions_in_code_are_not_highlighted(channel, agent, other_agent):
    message = services.post_message(agent, channel, text="`@blair` and https://x.example/@blair")

    assert 'class="mention"' not in message.html


def test_reading_clears_the_counts(channel, agent, other_agent):
    latest = services.post_message(agent, channel, text="@blair hello")

    assert services.mark_read(other_agent, channel) is True
    membership = Membership.objects.get(chat=channel, user=other_agent)
    assert (membership.unread_count, membership.mention_count) == (0, 0)
    assert membership.last_read_message_id == latest.pk
    assert services.mark_read(other_agent, channel) is False


def test_writing_marks_the_room_read_for_the_author(channel, agent, other_agent):
    services.post_message(agent, channel, text="@blair hello")

    services.post_message(other_agent, channel, text="hi")

    assert counts(channel, other_agent) == (0, 0)


def test_thread_replies_count_for_its_participants_and_the_mentioned(
    channel, agent, other_agent, outsider_agent
):
    services.join_chat(outsider_agent, channel)
    first = services.post_message(agent, channel, text="Who covers Sunday?")
    for user in (agent, other_agent, outsider_agent):
        services.mark_read(user, channel)

    services.post_message(other_agent, channel, text="Me", thread=first.pk)

    assert counts(channel, agent) == (1, 0)
    assert counts(channel, outsider_agent) == (0, 0)

    services.post_message(other_agent, channel, text="@olly too?", thread=first.pk)
    assert counts(channel, outsider_agent) == (1, 1)


def test_an_edit_that_adds_a_mention_counts_it_once(channel, agent, other_agent):
    message = services.post_message(agent, channel, text="hello")

    services.edit_message(agent, message, text="hello @blair")
    services.edit_message(agent, message, text="hello @blair!")

    assert counts(channel, other_agent) == (1, 1)


def test_new_members_start_with_nothing_unread(channel, agent, outsider_agent):
    services.post_message(agent, channel, text="old news")

    services.join_chat(outsider_agent, channel)

    assert counts(channel, outsider_agent) == (0, 0)


def test_mentioned_names_are_read_once_and_lower_cased():
    assert mentions.mentioned_names("@Blair, @blair. @here e@mail.com @a.b-") == [
        "blair",
        "here",
        "a.b",
    ]
