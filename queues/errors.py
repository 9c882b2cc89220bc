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
