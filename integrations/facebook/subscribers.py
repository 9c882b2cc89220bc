"""After-commit channel delivery: which committed events owe Facebook a send."""

from omnichannel.models import Event


def on_event(event: Event) -> None:
    from integrations.facebook.services import outbound

    data = event.data or {}
    if event.name == "message.created":
        # A reply sent from the page's own inbox is already on Facebook: never send it back.
        if data.get("kind") == "agent" and not data.get("outside"):
            outbound.schedule_reply(event)
    elif event.name == "message.status_changed":
        if data.get("retry"):
            outbound.schedule_retry(event)
    elif event.name == "room.closed":
        outbound.schedule_closing(event)
