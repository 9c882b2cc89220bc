"""The only writers of team chat: chats, teams, members, messages, reactions, pins, read state
and display preferences. Each validates, writes in one transaction and records an event there;
the live publishers (`teamchat.live`) run after it commits."""

from rooms.services import IncomingFile
from teamchat.models import REACTIONS
from teamchat.services._common import files_allowed
from teamchat.services.chats import (
    DIRECT_MAX_MEMBERS,
    add_members,
    create_chat,
    create_team,
    join_chat,
    join_team,
    leave_chat,
    open_direct,
    remove_member,
    rename_chat,
    set_archived,
    set_role,
)
from teamchat.services.messages import (
    delete_message,
    edit_message,
    mark_read,
    post_message,
    set_pinned,
    toggle_reaction,
)
from teamchat.services.preferences import set_display_preferences

__all__ = [
    "DIRECT_MAX_MEMBERS",
    "REACTIONS",
    "IncomingFile",
    "add_members",
    "create_chat",
    "create_team",
    "delete_message",
    "edit_message",
    "files_allowed",
    "join_chat",
    "join_team",
    "leave_chat",
    "mark_read",
    "open_direct",
    "post_message",
    "remove_member",
    "rename_chat",
    "set_archived",
    "set_display_preferences",
    "set_pinned",
    "set_role",
    "toggle_reaction",
]
