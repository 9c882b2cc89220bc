from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiChannelConfig(AppConfig):
    name = "integrations.apichannel"
    label = "apichannel"
    verbose_name = _("API channels")

    def ready(self) -> None:
        from integrations.apichannel import services
        from omnichannel import events

        events.subscribe(services.on_event)
