from django.utils.translation import gettext_lazy as _

from omnichannel.errors import DomainError


class InvalidContact(DomainError):
    code = "invalid_contact"
    default_message = _("The contact details are not valid.")
