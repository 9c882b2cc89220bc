from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QueuesConfig(AppConfig):
    name = "queues"
    verbose_name = _("Queues")

    def ready(self) -> None:
        from omnichannel import events
        from queues import live, routing, selectors
        from rooms import services as room_services

        events.subscribe(live.on_event)
        # After every other subscriber: a routed chat's events follow its arrival's.
        events.subscribe(routing.on_event, reacts=True)
        room_services.provide_room_defaults(selectors.new_room_defaults)
