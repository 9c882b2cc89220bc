"""Forms of the agents' canned responses page: shape only, the rules live in services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rooms.formatting import MESSAGE_MAX_LENGTH


class CannedResponseForm(forms.Form):
    shortcut = forms.CharField(
        label=_("Shortcut"),
        max_length=51,
        help_text=_("Type ! and this in the composer, e.g. “hello” for !hello."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    text = forms.CharField(
        label=_("Text"),
        max_length=MESSAGE_MAX_LENGTH,
        help_text=_("{contact_name} and {agent_name} become the contact's name and yours."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
