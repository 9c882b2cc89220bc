"""What people type into team chat's forms; validation of meaning is the services' job."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from rooms.formatting import MESSAGE_MAX_LENGTH
from teamchat.models import NAME_MAX_LENGTH, DisplayPreference
from teamchat.selectors import users_by_username

_SEPARATORS = re.compile(r"[\s,;]+")


class MembersField(forms.CharField):
    """User names separated by commas or spaces (a leading @ is fine): the active users."""

    def clean(self, value):
        value = super().clean(value)
        names = [name.lstrip("@") for name in _SEPARATORS.split(value or "") if name.strip("@")]
        if not names:
            return []
        users, unknown = users_by_username(names[:100])
        if unknown:
            raise forms.ValidationError(
                _("Nobody is called %(names)s.") % {"names": ", ".join(unknown)}
            )
        return users


def members_field(required: bool = False) -> MembersField:
    return MembersField(
        label=_("Members"),
        required=required,
        help_text=_("User names, separated by commas."),
        widget=forms.TextInput(attrs={"list": "teamchat-users", "autocomplete": "off"}),
    )


class ChatForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX_LENGTH)
    private = forms.BooleanField(
        label=_("Private"),
        required=False,
        help_text=_("Only invited members see a private group."),
    )
    members = members_field()


class TeamForm(ChatForm):
    private = forms.BooleanField(
        label=_("Private"), required=False, help_text=_("Only members see a private team.")
    )


class DirectForm(forms.Form):
    members = members_field(required=True)


class RenameForm(forms.Form):
    name = forms.CharField(label=_("New name"), max_length=NAME_MAX_LENGTH)


class InviteForm(forms.Form):
    members = members_field(required=True)


class MessageForm(forms.Form):
    text = forms.CharField(
        label=_("Message"), max_length=MESSAGE_MAX_LENGTH, strip=True, required=False
    )
    thread = forms.IntegerField(required=False, min_value=1)


class DisplayForm(forms.Form):
    sort = forms.ChoiceField(label=_("Sort by"), choices=DisplayPreference.Sort.choices)
    unread_on_top = forms.BooleanField(label=_("Unread on top"), required=False)
    group_by_type = forms.BooleanField(label=_("Group by type"), required=False)
    show_avatars = forms.BooleanField(label=_("Avatars"), required=False)
