"""What team chat refuses, each with a stable code."""

from django.utils.translation import gettext_lazy as _

from omnichannel.errors import DomainError

# The message actions' refusals are the same in every kind of room.
from rooms.errors import EditWindowClosed as EditWindowClosed
from rooms.errors import InvalidEmoji as InvalidEmoji
from rooms.errors import InvalidThread as InvalidThread
from rooms.errors import MessageDeleted as MessageDeleted


class InvalidName(DomainError):
    code = "invalid_name"
    default_message = _(
        "Names are 1 to 50 letters, digits, dots, dashes or underscores, without spaces."
    )


class DuplicateName(DomainError):
    code = "duplicate_name"
    default_message = _("A channel, group or team with this name already exists.")


class ChatArchived(DomainError):
    code = "chat_archived"
    default_message = _("This room is archived: it is read-only.")


class NotMember(DomainError):
    code = "not_member"
    default_message = _("Join this room first.")


class NotOwner(DomainError):
    code = "not_owner"
    default_message = _("Only an owner of this room can do this.")


class NotAllowed(DomainError):
    code = "not_allowed"
    default_message = _("You may not do this here.")


class InvalidMembers(DomainError):
    code = "invalid_members"
    default_message = _("Choose the people to add.")


class LastOwner(DomainError):
    code = "last_owner"
    default_message = _("Make another member an owner before you leave.")


class EmptyMessage(DomainError):
    code = "empty_message"
    default_message = _("Write a message before sending.")


class MessageTooLong(DomainError):
    code = "message_too_long"
    default_message = _("The message is too long.")


class FilesNotAllowed(DomainError):
    code = "files_not_allowed"
    default_message = _("Files cannot be sent in team chats.")


class FileRejected(DomainError):
    code = "file_rejected"
    default_message = _("This file cannot be sent.")
