from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TeamchatConfig(AppConfig):
    name = "teamchat"
    verbose_name = _("Team chat")

    def ready(self) -> None:
        from omnichannel import events
        from teamchat import live

        events.subscribe(live.on_event)
