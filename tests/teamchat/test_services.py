"""Team chat services: creating, joining, leaving, members, archive, messages, threads,
reactions, pins and display preferences."""

import pytest

from omnichannel.models import Event
from rooms.services import IncomingFile
from teamchat import errors, services
from teamchat.models import Chat, ChatFile, ChatMessage, DisplayPreference, Membership
from teamchat.selectors import display_preferences, main_chat_of, members_of, sidebar_for
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\x00\x01\x00\x00\x05\x00\x01\r\n-\xb4\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def roles(chat):
    return {m.user.username: m.role for m in members_of(chat)}


# --- creating -----------------------------------------------------------------------------------


def test_creator_owns_a_new_channel_and_invited_people_are_members(channel):
    assert channel.kind == Chat.Kind.CHANNEL
    assert roles(channel) == {"alex": "owner", "blair": "member"}
    assert Event.objects.filter(name="chat.created", data__chat=channel.pk).exists()


def test_private_flag_makes_a_private_group(group):
    assert group.kind == Chat.Kind.GROUP


@pytest.mark.parametrize("name", ["General", "GENERAL", " general "])
def test_duplicate_names_get_a_clear_error_whatever_their_case(channel, agent, name):
    with pytest.raises(errors.DuplicateName, match="already taken"):
        services.create_chat(agent, name=name)


def test_a_team_cannot_take_a_channels_name_nor_a_channel_a_teams(channel, agent):
    with pytest.raises(errors.DuplicateName):
        services.create_team(agent, name="general")
    services.create_team(agent, name="support-team")
    with pytest.raises(errors.DuplicateName):
        services.create_chat(agent, name="Support-Team", private=True)


@pytest.mark.parametrize("name", ["", "two words", "x" * 51, "semi;colon", "<b>"])
def test_names_are_single_words(agent, name):
    with pytest.raises(errors.InvalidName):
        services.create_chat(agent, name=name)


def test_a_direct_message_between_the_same_people_is_one_conversation(agent, other_agent, direct):
    again = services.open_direct(other_agent, users=[agent])

    assert again.pk == direct.pk
    assert direct.kind == Chat.Kind.DIRECT
    assert roles(direct) == {"alex": "member", "blair": "member"}


def test_a_direct_message_may_hold_a_small_group(agent, other_agent, outsider_agent):
    chat = services.open_direct(agent, users=[other_agent, outsider_agent])

    assert set(roles(chat)) == {"alex", "blair", "olly"}


def test_a_direct_message_needs_another_person_and_stays_small(agent):
    with pytest.raises(errors.InvalidMembers):
        services.open_direct(agent, users=[agent])
    crowd = AgentFactory.create_batch(services.DIRECT_MAX_MEMBERS)
    with pytest.raises(errors.InvalidMembers, match="at most"):
        services.open_direct(agent, users=crowd)


def test_a_team_has_a_main_channel_whose_members_are_the_team(agent, other_agent, private_team):
    main = main_chat_of(private_team)

    assert main.is_team_main
    assert main.kind == Chat.Kind.GROUP
    assert main.name == "night-shift"
    assert roles(main) == {"alex": "owner", "blair": "member"}


def test_team_channels_are_only_for_team_members(agent, other_agent, outsider_agent, private_team):
    with pytest.raises(errors.InvalidMembers, match="olly"):
        services.create_chat(agent, name="rota", team=private_team, members=[outsider_agent])
    with pytest.raises(errors.NotMember):
        services.create_chat(outsider_agent, name="rota", team=private_team)

    chat = services.create_chat(other_agent, name="rota", team=private_team, members=[agent])
    assert chat.team == private_team
    assert roles(chat) == {"blair": "owner", "alex": "member"}


# --- joining, leaving, members ------------------------------------------------------------------


def test_anyone_joins_a_public_channel_once(channel, outsider_agent):
    services.join_chat(outsider_agent, channel)
    services.join_chat(outsider_agent, channel)

    assert Membership.objects.filter(chat=channel, user=outsider_agent).count() == 1
    assert ChatMessage.objects.filter(chat=channel, system_code="joined").count() == 1


def test_nobody_joins_a_private_group_or_a_direct_message_uninvited(group, direct, outsider_agent):
    for chat in (group, direct):
        with pytest.raises(errors.NotAllowed):
            services.join_chat(outsider_agent, chat)


def test_joining_a_public_team_joins_its_main_channel(agent, outsider_agent):
    team = services.create_team(agent, name="day-shift")

    services.join_team(outsider_agent, team)

    assert "olly" in roles(main_chat_of(team))


def test_the_last_owner_hands_over_before_leaving(channel, agent, other_agent):
    with pytest.raises(errors.LastOwner):
        services.leave_chat(agent, channel)

    services.set_role(agent, channel, user=other_agent, role=Membership.Role.OWNER)
    services.leave_chat(agent, channel)

    assert roles(channel) == {"blair": "owner"}


def test_a_room_keeps_one_owner(channel, agent):
    with pytest.raises(errors.LastOwner):
        services.set_role(agent, channel, user=agent, role=Membership.Role.MEMBER)


def test_leaving_a_team_leaves_its_channels(agent, other_agent, private_team):
    rota = services.create_chat(agent, name="rota", team=private_team, members=[other_agent])

    left = services.leave_chat(other_agent, main_chat_of(private_team))

    assert set(left) == {rota.pk, main_chat_of(private_team).pk}
    assert not Membership.objects.filter(user=other_agent).exists()


def test_nobody_leaves_a_direct_message(direct, agent):
    with pytest.raises(errors.NotAllowed):
        services.leave_chat(agent, direct)


def test_only_owners_invite_to_a_private_group(group, agent, other_agent, outsider_agent):
    with pytest.raises(errors.NotOwner):
        services.add_members(other_agent, group, users=[outsider_agent])

    services.add_members(agent, group, users=[outsider_agent])

    assert "olly" in roles(group)


def test_any_member_invites_to_a_public_channel(channel, other_agent, outsider_agent):
    added = services.add_members(other_agent, channel, users=[outsider_agent])

    assert added == [outsider_agent]
    with pytest.raises(errors.InvalidMembers, match="already"):
        services.add_members(other_agent, channel, users=[outsider_agent])


def test_owners_remove_members_and_members_do_not(group, agent, other_agent):
    with pytest.raises(errors.NotOwner):
        services.remove_member(other_agent, group, user=agent)

    services.remove_member(agent, group, user=other_agent)

    assert roles(group) == {"alex": "owner"}


def test_owners_rename_and_duplicates_are_refused(channel, group, agent, other_agent):
    with pytest.raises(errors.NotOwner):
        services.rename_chat(other_agent, channel, name="town-square")
    with pytest.raises(errors.DuplicateName):
        services.rename_chat(agent, channel, name="Secret-Plans")

    services.rename_chat(agent, channel, name="town-square")

    channel.refresh_from_db()
    assert channel.name == "town-square"


def test_renaming_a_teams_main_channel_renames_the_team(agent, private_team):
    services.rename_chat(agent, main_chat_of(private_team), name="late-shift")

    private_team.refresh_from_db()
    assert private_team.name == "late-shift"


# --- archive ------------------------------------------------------------------------------------


def test_an_archived_room_is_read_only(channel, agent, other_agent, outsider_agent):
    message = services.post_message(other_agent, channel, text="before")
    with pytest.raises(errors.NotOwner):
        services.set_archived(other_agent, channel, archived=True)
    services.set_archived(agent, channel, archived=True)

    refused = [
        lambda: services.post_message(other_agent, channel, text="after"),
        lambda: services.edit_message(other_agent, message, text="changed"),
        lambda: services.delete_message(other_agent, message),
        lambda: services.toggle_reaction(other_agent, message, emoji=services.REACTIONS[0]),
        lambda: services.set_pinned(other_agent, message, pinned=True),
        lambda: services.join_chat(outsider_agent, channel),
        lambda: services.add_members(agent, channel, users=[outsider_agent]),
        lambda: services.rename_chat(agent, channel, name="other"),
    ]
    for attempt in refused:
        with pytest.raises(errors.ChatArchived):
            attempt()

    services.set_archived(agent, channel, archived=False)
    services.post_message(other_agent, channel, text="after")


# --- messages -----------------------------------------------------------------------------------


def test_messages_use_the_customer_rooms_formatting(channel, agent):
    message = services.post_message(agent, channel, text="*bold* <script>x</script> $x^2$")

    assert "<strong>bold</strong>" in message.html
    assert "<script>" not in message.html
    assert "<math" in message.html


def test_only_members_write(channel, outsider_agent):
    with pytest.raises(errors.NotMember):
        services.post_message(outsider_agent, channel, text="hello")


def test_empty_and_overlong_messages_are_refused(channel, agent):
    with pytest.raises(errors.EmptyMessage):
        services.post_message(agent, channel, text="   ")
    with pytest.raises(errors.MessageTooLong):
        services.post_message(agent, channel, text="x" * 5001)


def test_files_are_refused_while_the_setting_is_off(channel, agent):
    with pytest.raises(errors.FilesNotAllowed):
        services.post_message(agent, channel, text="", files=[IncomingFile("a.png", PNG)])


def test_files_are_kept_when_the_setting_is_on(channel, agent, settings):
    settings.TEAMCHAT_ALLOW_FILES = True

    message = services.post_message(agent, channel, text="", files=[IncomingFile("a.png", PNG)])

    assert ChatFile.objects.get(message=message).content_type == "image/png"


def test_the_author_edits_within_the_window_and_it_shows_as_edited(channel, agent, other_agent):
    message = services.post_message(agent, channel, text="teh plan")

    with pytest.raises(errors.NotAllowed):
        services.edit_message(other_agent, message, text="hacked")
    edited = services.edit_message(agent, message, text="the plan")

    assert edited.text == "the plan"
    assert edited.edited_at is not None


def test_nothing_changes_after_the_edit_window(channel, agent, settings):
    message = services.post_message(agent, channel, text="final")
    settings.TEAMCHAT_EDIT_WINDOW_MINUTES = 0

    with pytest.raises(errors.EditWindowClosed):
        services.edit_message(agent, message, text="changed")
    with pytest.raises(errors.EditWindowClosed):
        services.delete_message(agent, message)


def test_a_deleted_message_leaves_a_marker_without_text(channel, agent, other_agent):
    message = services.post_message(agent, channel, text="oops")
    services.toggle_reaction(other_agent, message, emoji=services.REACTIONS[0])

    deleted = services.delete_message(agent, message)

    assert deleted.deleted_at is not None
    assert (deleted.text, deleted.html) == ("", "")
    assert not deleted.reactions.exists()
    with pytest.raises(errors.MessageDeleted):
        services.edit_message(agent, message, text="back")


def test_thread_replies_count_on_their_first_message(channel, agent, other_agent):
    first = services.post_message(agent, channel, text="Who covers Sunday?")

    reply = services.post_message(other_agent, channel, text="Me", thread=first.pk)

    first.refresh_from_db()
    assert reply.thread_parent == first
    assert first.reply_count == 1
    assert first.last_reply_at == reply.created_at


def test_threads_do_not_nest_nor_cross_rooms(channel, group, agent):
    first = services.post_message(agent, channel, text="first")
    reply = services.post_message(agent, channel, text="reply", thread=first.pk)
    elsewhere = services.post_message(agent, group, text="elsewhere")

    for thread in (reply.pk, elsewhere.pk, 999_999):
        with pytest.raises(errors.InvalidThread):
            services.post_message(agent, channel, text="x", thread=thread)


def test_reactions_toggle_and_only_offered_emoji(channel, agent, other_agent):
    message = services.post_message(agent, channel, text="Shipped!")
    party = services.REACTIONS[3]

    assert services.toggle_reaction(other_agent, message, emoji=party) is True
    assert message.reactions.filter(emoji=party).count() == 1
    assert services.toggle_reaction(other_agent, message, emoji=party) is False
    assert not message.reactions.exists()
    with pytest.raises(errors.InvalidEmoji):
        services.toggle_reaction(other_agent, message, emoji="<img>")


def test_members_pin_and_unpin(channel, agent, other_agent):
    message = services.post_message(agent, channel, text="Rota is in the drive")

    pinned = services.set_pinned(other_agent, message, pinned=True)
    assert pinned.pinned_at is not None
    assert pinned.pinned_by == other_agent
    assert ChatMessage.objects.filter(chat=channel, system_code="pinned").exists()

    assert services.set_pinned(agent, message, pinned=False).pinned_at is None


# --- display preferences ------------------------------------------------------------------------


def test_display_preferences_are_remembered(agent):
    assert display_preferences(agent).sort == DisplayPreference.Sort.ACTIVITY

    services.set_display_preferences(
        agent, sort="name", unread_on_top=True, group_by_type=False, show_avatars=False
    )

    saved = DisplayPreference.objects.get(user=agent)
    assert (saved.sort, saved.unread_on_top, saved.group_by_type, saved.show_avatars) == (
        "name",
        True,
        False,
        False,
    )
    with pytest.raises(errors.NotAllowed):
        services.set_display_preferences(
            agent, sort="random", unread_on_top=True, group_by_type=True, show_avatars=True
        )


def test_the_sidebar_follows_the_display_preferences(agent, other_agent, direct):
    zeta = services.create_chat(agent, name="zeta")
    alpha = services.create_chat(agent, name="alpha")
    services.post_message(other_agent, direct, text="ping")
    services.post_message(agent, zeta, text="latest")

    def order(**options):
        services.set_display_preferences(agent, **options)
        return [[m.chat.title for m in group.items] for group in sidebar_for(agent)["groups"]]

    base = {"unread_on_top": False, "show_avatars": True}
    assert order(sort="activity", group_by_type=True, **base) == [
        ["zeta", "alpha"],
        [other_agent.display_name],
    ]
    assert order(sort="name", group_by_type=False, **base) == [
        sorted(["alpha", "zeta", other_agent.display_name], key=str.casefold)
    ]
    base["unread_on_top"] = True
    assert order(sort="name", group_by_type=False, **base)[0][0] == other_agent.display_name
    assert alpha.pk


def test_changes_record_their_events_and_refusals_record_none(
    channel, agent, other_agent, django_capture_on_commit_callbacks
):
    before = Event.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        message = services.post_message(agent, channel, text="@blair hi")
        services.toggle_reaction(other_agent, message, emoji=services.REACTIONS[0])
        services.mark_read(other_agent, channel)
    with pytest.raises(errors.NotOwner):
        services.rename_chat(other_agent, channel, name="mine")

    names = list(Event.objects.order_by("id")[before:].values_list("name", flat=True))
    assert names == ["chat.message_created", "chat.reaction_changed", "chat.read"]
    created = Event.objects.get(name="chat.message_created")
    assert created.data["mentioned"] == [other_agent.pk]
    assert created.dispatched_at is not None
