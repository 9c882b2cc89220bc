import zoneinfo
from functools import cache

from django import forms
from django.conf import settings
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


@cache
def _time_zone_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """IANA zones grouped by region: ("America", [("America/Bogota", "Bogota"), ...])."""
    regions: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(zoneinfo.available_timezones()):
        region, _slash, place = name.partition("/")
        if place and region not in {"Etc", "SystemV", "US", "Brazil", "Canada", "Chile", "Mexico"}:
            regions.setdefault(region, []).append((name, place.replace("_", " ")))
    return list(regions.items())


class PreferencesForm(forms.Form):
    """The signed-in user's own language and time zone."""

    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        help_text=_("Empty: the language your browser asks for."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        help_text=_("Dates and times show in this time zone."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Language names stay in their own language, so anyone can find theirs.
        self.fields["language"].choices = [
            ("", _("The browser's language")),
            *settings.LANGUAGES,
        ]
        self.fields["time_zone"].choices = [
            ("", _("The contact center's (%(zone)s)") % {"zone": settings.TIME_ZONE}),
            ("UTC", "UTC"),
            *_time_zone_choices(),
        ]
