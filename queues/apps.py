from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QueuesConfig(AppConfig):
    name = "queues"
    verbose_name = _("Queues")

    def ready(self) -> None:
        from omnichannel import events
        from queues import live

        events.subscribe(live.on_event)
