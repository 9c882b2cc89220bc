"""The Omnichannel part of the sidebar: Queued Chats and the agent's own chats."""

from django.http import HttpRequest

from queues.errors import MaxChatsReached
from queues.selectors import queue_sidebar_for
from rooms.selectors import open_rooms_of


def omnichannel_sidebar(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    sidebar = queue_sidebar_for(user)
    my_rooms = list(open_rooms_of(user))
    take_limit = ""
    # Said above Queued Chats, so an agent at their maximum knows why Take it! is refused.
    active = sum(1 for mine in my_rooms if mine.held_at is None)
    if sidebar["serves_queue"] and active >= user.max_chats:
        take_limit = MaxChatsReached.taking(user.max_chats).message
    return {**sidebar, "my_rooms": my_rooms, "take_limit": take_limit}
