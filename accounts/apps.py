from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Agents and departments")

    def ready(self) -> None:
        from accounts import live
        from omnichannel import events

        events.subscribe(live.on_event)
