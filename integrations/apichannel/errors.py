from django.utils.translation import gettext_lazy as _

from omnichannel.errors import DomainError


class DuplicateMessage(DomainError):
    code = "duplicate_message"
    default_message = _("A message with this id was already received on this channel.")

    def __init__(self, message_id: int, message: str | None = None) -> None:
        self.extra = {"message_id": message_id}
        super().__init__(message)


class InvalidChannel(DomainError):
    code = "invalid_channel"
    default_message = _("The API channel is not valid.")
