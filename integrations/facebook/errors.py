from django.utils.translation import gettext_lazy as _

from omnichannel.errors import DomainError


class InvalidPage(DomainError):
    code = "invalid_facebook_page"
    default_message = _("The Facebook page settings are not valid.")


class PageExists(DomainError):
    code = "facebook_page_exists"
    default_message = _("This Facebook page is already configured.")


class UnknownPage(DomainError):
    code = "unknown_facebook_page"
    default_message = _("No Facebook page with this id is configured.")


class UnknownDepartment(DomainError):
    code = "unknown_department"
    default_message = _("No department has this name.")
