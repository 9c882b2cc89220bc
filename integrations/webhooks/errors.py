from django.utils.translation import gettext_lazy as _

from omnichannel.errors import DomainError


class TargetNotAllowed(DomainError):
    code = "target_not_allowed"
    default_message = _(
        "This URL points at a private, loopback or link-local address; webhooks are never sent "
        "there (server-side request forgery)."
    )


class InvalidSubscription(DomainError):
    code = "invalid_subscription"
    default_message = _("The subscription is not valid.")
