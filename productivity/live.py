"""After-commit publishers of productivity's events to agents' sockets."""

from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User
from omnichannel.models import Event
from omnichannel.realtime import agent_group, publish, room_group
from rooms.live import room_info_html
from rooms.models import Room


def publish_inactivity_warning(event: Event) -> None:
    """A notice to the serving agent, wherever they are: the chat closes soon."""
    agent_id = event.data.get("agent")
    if not agent_id or not event.room_id:
        return
    # In the agent's own language when their profile names one.
    agent = User.objects.filter(pk=agent_id).first()
    with translation.override(getattr(agent, "language", "") or None):
        text = _(
            "%(contact)s has not answered for %(minutes)s min: the chat closes automatically in "
            "%(left)s min."
        ) % {
            "contact": event.data.get("contact_name", ""),
            "minutes": event.data.get("minutes", ""),
            "left": event.data.get("left", ""),
        }
    publish(
        [agent_group(agent_id)],
        {"type": "notice", "event": event.name, "room": event.room_id, "text": text},
    )


def publish_survey_submitted(event: Event) -> None:
    """The room information shows the rating: whoever watches the room gets it fresh."""
    room = (
        Room.objects.select_related("contact", "department", "agent")
        .filter(pk=event.room_id)
        .first()
    )
    if room is None:
        return
    publish(
        [room_group(room.pk)],
        {
            "type": "room.changed",
            "event": event.name,
            "room": room.pk,
            "status": room.status,
            "agent": room.agent.display_name if room.agent else None,
            "agent_id": room.agent_id,
            "by": None,
            "by_id": None,
            "info_html": room_info_html(room),
        },
    )


def on_event(event: Event) -> None:
    if event.name == "room.inactivity_warned":
        publish_inactivity_warning(event)
    elif event.name == "survey.submitted":
        publish_survey_submitted(event)
