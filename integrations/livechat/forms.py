"""What a visitor posts from the website chat widget."""

from django import forms
from django.utils.translation import gettext_lazy as _


class VisitorMessageForm(forms.Form):
    """Shape only; the rules on text and files belong to rooms.services."""

    # No max_length on text: the service refuses long messages with the limit in its message.
    text = forms.CharField(label=_("Message"), required=False, strip=False)
    name = forms.CharField(label=_("Your name"), required=False, max_length=200)
    file = forms.FileField(label=_("Attach a file"), required=False, allow_empty_file=True)
    # Offered outside business hours, so an agent can answer a visitor who has left.
    email = forms.EmailField(label=_("Your e-mail"), required=False, max_length=254)
    # Made by the widget for each message; a retry with the same id stores nothing new.
    client_id = forms.RegexField(
        label=_("Message id"),
        required=False,
        regex=r"^[A-Za-z0-9-]{8,64}$",
        error_messages={"invalid": _("The message id must be 8 to 64 letters, digits or dashes.")},
    )
