"""Team chat over the tab's live socket: watching a chat, messages, unread counts, mentions,
and access that ends."""

import pytest
from asgiref.sync import sync_to_async
from django.utils import translation

from teamchat import services
from tests.live.test_consumers import agent_socket, next_of, nothing_of

pytestmark = [pytest.mark.django_db(transaction=True)]


async def watching(socket, chat_id: int) -> None:
    await socket.send_json_to({"type": "watch.chat", "chat": chat_id})
    assert (await next_of(socket, "watching.chat"))["chat"] == chat_id


async def test_a_watcher_sees_new_messages_and_thread_replies_rendered(agent, other_agent, channel):
    socket = await agent_socket(other_agent)
    await watching(socket, channel.pk)

    message = await sync_to_async(services.post_message)(agent, channel, text="*Standup* now")

    frame = await next_of(socket, "chat.message")
    assert frame["message"] == message.pk
    assert frame["thread"] is None
    assert "<strong>Standup</strong>" in frame["html"]
    assert f"React with {services.REACTIONS[0]}" in frame["html"]

    await sync_to_async(services.post_message)(agent, channel, text="Notes", thread=message.pk)

    frame = await next_of(socket, "chat.message")
    assert frame["thread"] == message.pk
    assert "1 reply" in frame["parent_html"]
    await socket.disconnect()


async def test_members_hear_their_unread_count_and_mention_on_their_own_socket(
    agent, other_agent, outsider_agent, channel
):
    await sync_to_async(services.join_chat)(outsider_agent, channel)
    mentioned, other = await agent_socket(other_agent), await agent_socket(outsider_agent)

    await sync_to_async(services.post_message)(agent, channel, text="@blair please check")

    frame = await next_of(mentioned, "chat.unread")
    assert (frame["chat"], frame["unread"], frame["mentions"], frame["mentioned"]) == (
        channel.pk,
        1,
        1,
        True,
    )
    assert frame["by"] == agent.display_name
    frame = await next_of(other, "chat.unread")
    assert (frame["unread"], frame["mentions"], frame["mentioned"]) == (1, 0, False)

    # Reading in one tab clears the marks in every tab of that person.
    await sync_to_async(services.mark_read)(other_agent, channel)

    frame = await next_of(mentioned, "chat.unread")
    assert (frame["unread"], frame["mentions"]) == (0, 0)
    for socket in (mentioned, other):
        await socket.disconnect()


async def test_non_members_hear_nothing_of_private_groups_and_direct_messages(
    agent, other_agent, outsider_agent, group, direct
):
    member, stranger = await agent_socket(other_agent), await agent_socket(outsider_agent)
    await watching(member, direct.pk)

    for chat in (group, direct):
        await stranger.send_json_to({"type": "watch.chat", "chat": chat.pk})
        assert (await next_of(stranger, "error"))["code"] == "not_found"
    await sync_to_async(services.post_message)(agent, group, text="@olly secret")
    await sync_to_async(services.post_message)(agent, direct, text="just us")

    assert (await next_of(member, "chat.message"))["chat"] == direct.pk
    assert await nothing_of(stranger, "chat.message")
    assert await nothing_of(stranger, "chat.unread", timeout=0.2)
    for socket in (member, stranger):
        await socket.disconnect()


async def test_anyone_may_watch_a_public_channel_as_a_preview(agent, outsider_agent, channel):
    socket = await agent_socket(outsider_agent)
    await watching(socket, channel.pk)

    await sync_to_async(services.post_message)(agent, channel, text="open news")

    assert (await next_of(socket, "chat.message"))["chat"] == channel.pk
    assert await nothing_of(socket, "chat.unread", timeout=0.2)
    await socket.disconnect()


async def test_malformed_watch_frames_are_refused(agent):
    socket = await agent_socket(agent)

    for chat in ("1", None, True, [1]):
        await socket.send_json_to({"type": "watch.chat", "chat": chat})
        assert (await next_of(socket, "error"))["code"] == "malformed"
    await socket.disconnect()


async def test_members_added_refresh_their_sidebar_and_removed_ones_stop_hearing(
    agent, other_agent, outsider_agent, group
):
    newcomer = await agent_socket(outsider_agent)
    await sync_to_async(services.add_members)(agent, group, users=[outsider_agent])
    assert (await next_of(newcomer, "chat.sidebar"))["type"] == "chat.sidebar"
    await newcomer.disconnect()
    socket = await agent_socket(other_agent)
    await watching(socket, group.pk)

    await sync_to_async(services.remove_member)(agent, group, user=other_agent)

    assert (await next_of(socket, "chat.revoked"))["chat"] == group.pk
    assert (await next_of(socket, "chat.sidebar"))["type"] == "chat.sidebar"
    await sync_to_async(services.post_message)(agent, group, text="after you left")
    assert await nothing_of(socket, "chat.message")
    await socket.disconnect()


async def test_edits_reactions_and_pins_replace_the_message(agent, other_agent, channel):
    message = await sync_to_async(services.post_message)(agent, channel, text="teh")
    socket = await agent_socket(other_agent)
    await watching(socket, channel.pk)

    await sync_to_async(services.edit_message)(agent, message, text="the")
    assert "(edited)" in (await next_of(socket, "chat.message_updated"))["html"]
    emoji = services.REACTIONS[0]
    await sync_to_async(services.toggle_reaction)(other_agent, message, emoji=emoji)
    assert f"{emoji} 1" in (await next_of(socket, "chat.message_updated"))["html"]
    await sync_to_async(services.set_pinned)(other_agent, message, pinned=True)
    assert "Pinned" in (await next_of(socket, "chat.message_updated"))["html"]
    await socket.disconnect()


async def test_frames_are_rendered_in_the_default_language_whoever_writes(
    agent, other_agent, channel
):
    socket = await agent_socket(other_agent)
    await watching(socket, channel.pk)

    def spanish_agent_writes() -> None:
        with translation.override("es"):
            services.post_message(agent, channel, text="Hola")

    await sync_to_async(spanish_agent_writes)()

    frame = await next_of(socket, "chat.message")
    assert (frame["lang"], frame["tz"]) == ("en", "UTC")
    assert "Reply in thread" in frame["html"]
    await socket.disconnect()
