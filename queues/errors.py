from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from omnichannel.errors import DomainError


class RoomAlreadyTaken(DomainError):
    code = "room_already_taken"
    default_message = _("Another agent took this chat first.")


class NotEligible(DomainError):
    code = "not_eligible"
    default_message = _("You cannot take chats from this queue.")


class NotInQueue(DomainError):
    code = "not_in_queue"
    default_message = _("This chat is not waiting in the queue.")


class RoomChanged(DomainError):
    code = "room_changed"
    default_message = _(
        "The chat changed meanwhile (someone took, moved or closed it). Nothing was done."
    )


class InvalidPriority(DomainError):
    code = "invalid_priority"
    default_message = _("Choose a priority: low, normal, high or urgent.")


class InvalidSla(DomainError):
    code = "invalid_sla"
    default_message = _("This is not a valid SLA policy.")


class InvalidRouting(DomainError):
    code = "invalid_routing"
    default_message = _("This is not a valid routing policy.")


class MaxChatsReached(NotEligible):
    """The agent serves their maximum of simultaneous chats (chats on hold left out). A
    maximum of 0 means no chats at all, as routing reads it."""

    code = "max_chats_reached"
    default_message = _("You serve your maximum of simultaneous chats.")

    @classmethod
    def taking(cls, max_chats: int) -> "MaxChatsReached":
        """Refusing one more chat from the queue."""
        if max_chats <= 0:
            return cls(
                gettext(
                    "Your maximum of simultaneous chats is 0: a LiveChat Manager must raise it "
                    "before you can take chats."
                )
            )
        return cls(
            ngettext(
                "You serve your maximum of %(max)s chat: close it or put it on hold to take "
                "another.",
                "You serve your maximum of %(max)s chats: close one or put one on hold to take "
                "another.",
                max_chats,
            )
            % {"max": max_chats}
        )

    @classmethod
    def resuming(cls, max_chats: int) -> "MaxChatsReached":
        """Refusing to make a chat on hold active again."""
        return cls(
            gettext(
                "You serve your maximum of %(max)s chats: close or hold one before resuming "
                "this one."
            )
            % {"max": max_chats}
        )
