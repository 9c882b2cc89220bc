from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from integrations.livechat import live as livechat_live
        from omnichannel import events

        events.subscribe(livechat_live.on_event)
