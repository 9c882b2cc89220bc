"""After-commit publishers of queue events: what appears in and leaves Queued Chats."""

from django.template.loader import render_to_string

from omnichannel.models import Event
from omnichannel.realtime import agent_group, publish, queue_group
from rooms.models import Room

ENTERS_QUEUE = {"room.queued", "room.returned"}
LEAVES_QUEUE = {"room.taken", "room.closed"}
SUBSCRIPTION_EVENTS = {"agent.queue_changed", "agent.departments_changed"}


def publish_queue_change(event: Event) -> None:
    room = Room.objects.select_related("contact", "department").filter(pk=event.room_id).first()
    if room is None:
        return
    group = queue_group(room.department_id)
    if event.name in ENTERS_QUEUE and room.status == Room.Status.QUEUED:
        html = render_to_string("queues/sidebar.html#queued-item", {"queued": room})
        publish([group], {"type": "queue.added", "room": room.pk, "html": html})
    elif event.name in LEAVES_QUEUE:
        taker = event.actor.display_name if event.actor and event.name == "room.taken" else None
        publish([group], {"type": "queue.removed", "room": room.pk, "taken_by": taker})


def publish_subscription_change(event: Event) -> None:
    agent_id = event.data.get("agent") or event.actor_id
    if agent_id:
        publish([agent_group(agent_id)], {"type": "subscriptions.changed"})


def on_event(event: Event) -> None:
    if event.name in ENTERS_QUEUE | LEAVES_QUEUE:
        publish_queue_change(event)
    elif event.name in SUBSCRIPTION_EVENTS:
        publish_subscription_change(event)
