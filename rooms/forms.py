from django import forms
from django.utils.translation import gettext_lazy as _

from rooms.formatting import MESSAGE_MAX_LENGTH


class MessageForm(forms.Form):
    text = forms.CharField(
        label=_("Message"),
        max_length=MESSAGE_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("Type a message")}),
        error_messages={"required": _("Write a message before sending.")},
    )


class CloseRoomForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write a comment before closing the conversation.")},
    )
    tags = forms.CharField(label=_("Tags"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.data:
            # Tag chips post one `tags` value each; a plain field may hold several, comma-separated.
            values = self.data.getlist("tags") if hasattr(self.data, "getlist") else []
            self.tag_list = [t for value in values for t in value.split(",")]
        else:
            self.tag_list = []
