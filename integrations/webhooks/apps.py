from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "integrations.webhooks"
    label = "webhooks"
    verbose_name = _("Outbound webhooks")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from integrations.webhooks import services
        from integrations.webhooks.models import Subscription
        from omnichannel import events

        events.subscribe(services.fan_out)
        # Saved or deleted anywhere (services, admin, shell): every process reads them again.
        post_save.connect(_subscriptions_changed, sender=Subscription, dispatch_uid="webhooks-save")
        post_delete.connect(
            _subscriptions_changed, sender=Subscription, dispatch_uid="webhooks-delete"
        )


def _subscriptions_changed(**kwargs) -> None:
    from integrations.webhooks.services import subscriptions_changed

    subscriptions_changed()
