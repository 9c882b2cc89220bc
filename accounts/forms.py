from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class SignInForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("Wrong user name or password. Please try again."),
        "inactive": _("This account is disabled. Ask a LiveChat Manager to enable it."),
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            # Say "disabled" only to someone who proved the password, so names do not leak.
            username = self.cleaned_data.get("username")
            password = self.cleaned_data.get("password")
            user = get_user_model().objects.filter(username=username, is_active=False).first()
            if user is not None and password and user.check_password(password):
                raise forms.ValidationError(
                    self.error_messages["inactive"], code="inactive"
                ) from None
            raise


class QueueSwitchForm(forms.Form):
    enabled = forms.BooleanField(required=False)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=User.Status.choices)
