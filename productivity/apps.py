from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProductivityConfig(AppConfig):
    name = "productivity"
    verbose_name = _("Agent productivity")

    def ready(self) -> None:
        from omnichannel import events
        from productivity import live, services

        events.subscribe(live.on_event)
        events.subscribe(services.schedule_transcript_on_close)
