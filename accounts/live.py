"""After-commit publishers of agent events: presence shown next to the agent's name."""

from omnichannel.models import Event
from omnichannel.realtime import agent_group, publish


def on_event(event: Event) -> None:
    if event.name == "agent.signed_out":
        publish([agent_group(event.data["agent"])], {"type": "signed_out"})
    elif event.name == "agent.status_changed" and event.actor_id:
        publish(
            [agent_group(event.actor_id)],
            {"type": "presence.changed", "status": event.data.get("status")},
        )
