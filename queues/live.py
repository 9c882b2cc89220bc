"""After-commit publishers of queue events: what appears in and leaves Queued Chats, and the
agent who was just given a chat."""

from django.template.loader import render_to_string
from django.urls import reverse

from omnichannel.models import Event
from omnichannel.realtime import agent_group, publish, queue_group
from rooms.live import event_room
from rooms.models import Room

ENTERS_QUEUE = {"room.queued", "room.returned"}
LEAVES_QUEUE = {"room.taken", "room.closed"}
MOVES = {"room.transferred"}
# The room keeps its place in the list but its order or marks changed.
REORDERS = {"room.service_level_changed"}
SUBSCRIPTION_EVENTS = {"agent.queue_changed", "agent.departments_changed"}


def publish_queue_change(event: Event) -> None:
    room = event_room(event)
    if room is None:
        return
    group = queue_group(room.department_id)
    removed = {"type": "queue.removed", "room": room.pk, "taken_by": None}
    if event.name in MOVES:
        # Leaves the queue it was in (if any), enters the new department's if it waits there.
        previous = event.data.get("previous_department") or room.department_id
        publish([queue_group(previous)], removed)
    if event.name in ENTERS_QUEUE | MOVES | REORDERS and room.status == Room.Status.QUEUED:
        html = render_to_string("queues/sidebar.html#queued-item", {"queued": room})
        publish([group], {"type": "queue.added", "room": room.pk, "html": html})
    elif event.name in LEAVES_QUEUE:
        if event.name == "room.taken" and room.agent:
            removed["taken_by"] = room.agent.display_name
        publish([group], removed)


def publish_chat_given(event: Event) -> None:
    """Tell the agent who was given a chat (by routing, a transfer or a manager), live."""
    room = event_room(event)
    agent_id = event.data.get("agent")
    if room is None or not agent_id or room.agent_id != agent_id:
        return
    publish(
        [agent_group(agent_id)],
        {
            "type": "room.assigned",
            "room": room.pk,
            "contact": room.contact.display_name,
            "by": event.actor.display_name if event.actor else None,
            "routed": bool(event.data.get("routed")),
            "comment": event.data.get("comment", ""),
            "url": reverse("room", args=[room.pk]),
        },
    )


def publish_subscription_change(event: Event) -> None:
    agent_id = event.data.get("agent") or event.actor_id
    if agent_id:
        publish([agent_group(agent_id)], {"type": "subscriptions.changed"})


def on_event(event: Event) -> None:
    if event.name in ENTERS_QUEUE | LEAVES_QUEUE | MOVES | REORDERS:
        publish_queue_change(event)
    elif event.name in SUBSCRIPTION_EVENTS:
        publish_subscription_change(event)
    given = event.data.get("routed") or event.data.get("assigned")
    if event.name in {"room.taken", "room.transferred"} and given:
        publish_chat_given(event)
