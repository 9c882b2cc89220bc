"""The home page's counters. Later apps add theirs here (the composition root may import all)."""

from accounts.models import User


def home_counters(user: User) -> dict:
    return {"open_chats_count": 0, "queued_chats_count": 0}
