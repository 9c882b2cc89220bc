"""The home page's counters (the composition root may read every app)."""

from accounts.models import User
from queues.selectors import queued_rooms_for
from rooms.selectors import open_rooms_of


def home_counters(user: User) -> dict:
    return {
        "open_chats_count": open_rooms_of(user).count(),
        "queued_chats_count": queued_rooms_for(user).count(),
    }
