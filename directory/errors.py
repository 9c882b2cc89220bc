from django.utils.translation import gettext_lazy as _

from omnichannel.errors import DomainError


class InvalidContact(DomainError):
    code = "invalid_contact"
    default_message = _("The contact details are not valid.")


class InvalidContactDetails(DomainError):
    """One or more edited values are not valid; `errors` maps each field to its messages."""

    code = "invalid_contact_details"
    default_message = _("Some contact details are not valid.")

    def __init__(self, errors: dict[str, list[str]], message: str | None = None) -> None:
        self.errors = errors
        super().__init__(message)


class MergeNotAllowed(DomainError):
    code = "merge_not_allowed"
    default_message = _("Only a LiveChat Manager can merge contacts.")


class MergeConflict(DomainError):
    code = "merge_conflict"
    default_message = _("These contacts cannot be merged.")


class InvalidCall(DomainError):
    """A call record that cannot be stored; `errors` maps each input field to its messages."""

    code = "invalid_call"
    default_message = _("The call record is not valid.")

    def __init__(self, errors: dict[str, list[str]], message: str | None = None) -> None:
        self.errors = errors
        super().__init__(message)


class CallNotAllowed(DomainError):
    code = "call_not_allowed"
    default_message = _("You may not record calls.")


class IdentityTaken(DomainError):
    code = "identity_taken"
    default_message = _("Another contact already has this channel identity.")
