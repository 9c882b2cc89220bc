from django.utils.translation import gettext_lazy as _

from omnichannel.errors import DomainError


class RoomClosed(DomainError):
    code = "room_closed"
    default_message = _("This conversation is closed.")


class NotServingRoom(DomainError):
    code = "not_serving_room"
    default_message = _("You are not serving this conversation. Take it first.")


class EmptyMessage(DomainError):
    code = "empty_message"
    default_message = _("Write a message before sending.")


class MessageTooLong(DomainError):
    code = "message_too_long"
    default_message = _("The message is too long.")


class AgentFilesNotAllowed(DomainError):
    code = "agent_files_not_allowed"
    default_message = _("Agents cannot send files (PDF, Excel or any other) to contacts.")


class FileRejected(DomainError):
    code = "file_rejected"
    default_message = _("This file cannot be sent.")


class CommentRequired(DomainError):
    code = "comment_required"
    default_message = _("Write a comment before closing the conversation.")


class InvalidTag(DomainError):
    code = "invalid_tag"
    default_message = _("Tags are words of at most 50 characters.")


class NotAllowed(DomainError):
    code = "not_allowed"
    default_message = _("You may not do this in this conversation.")


class RoomOnHold(DomainError):
    code = "room_on_hold"
    default_message = _("This chat is on hold. Resume it before writing.")


# --- message actions (shared with team chat, which re-exports these) ----------------------------


class EditWindowClosed(DomainError):
    code = "edit_window_closed"
    default_message = _("Messages can only be changed for a short while after sending.")


class MessageDeleted(DomainError):
    code = "message_deleted"
    default_message = _("This message was deleted.")


class InvalidThread(DomainError):
    code = "invalid_thread"
    default_message = _("Reply to a message of this room.")


class InvalidEmoji(DomainError):
    code = "invalid_emoji"
    default_message = _("Choose one of the offered emoji.")


class AlreadyOnChannel(DomainError):
    """The contact's channel already has the message: changing it here would not change theirs."""

    code = "already_on_channel"
    default_message = _(
        "This message was already sent to the customer's channel, which keeps it: it cannot be "
        "edited or deleted."
    )
