"""The Omnichannel part of the sidebar: Queued Chats and the agent's own chats."""

from django.http import HttpRequest

from queues.selectors import queue_sidebar_for
from rooms.selectors import open_rooms_of


def omnichannel_sidebar(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {**queue_sidebar_for(user), "my_rooms": list(open_rooms_of(user))}
