from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FacebookConfig(AppConfig):
    name = "integrations.facebook"
    label = "facebook"
    verbose_name = _("Facebook Messenger")

    def ready(self) -> None:
        from integrations.facebook import subscribers
        from omnichannel import events

        events.subscribe(subscribers.on_event)
