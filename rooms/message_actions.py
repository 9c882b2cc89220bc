"""What message actions share in every kind of room (customer rooms and team chats): the emoji
offered, the edit window, who may still change a message, and reaction summaries."""

import functools
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone

# The emoji offered to react with; nothing else is accepted.
REACTIONS = (
    "\U0001f44d",  # thumbs up
    "\U0001f44e",  # thumbs down
    "\U0001f604",  # smile
    "\U0001f389",  # party
    "\U0001f615",  # confused
    "\u2764\ufe0f",  # heart
    "\U0001f680",  # rocket
    "\U0001f440",  # eyes
    "\u2705",  # check mark
    "\U0001f64f",  # thanks
)


def message_url(name: str, parent_id: int, message_id: int) -> str:
    """`reverse(name, args=[parent_id, message_id])` for the dozens of messages a page shows.

    Reversing walks the URL resolver on every call, six times a message; the address's shape
    cannot change while the process runs, so it is reversed once and then filled in.
    """
    head, middle, tail = _url_shape(name, get_script_prefix(), get_urlconf())
    return f"{head}{int(parent_id)}{middle}{int(message_id)}{tail}"


def message_urls(
    names: dict[str, str], actions: Iterable[str], parent_id: int, message_id: int
) -> dict[str, str]:
    """`message_url` of several actions of one message (`names`: action -> URL name), the
    script prefix and URLconf read once: each is a context-local lookup, a fifth of the time
    a room page spent building its messages' toolbars."""
    prefix, urlconf = get_script_prefix(), get_urlconf()
    urls = {}
    for action in actions:
        head, middle, tail = _url_shape(names[action], prefix, urlconf)
        urls[action] = f"{head}{int(parent_id)}{middle}{int(message_id)}{tail}"
    return urls


# Ids no address contains elsewhere, to find where a URL pattern puts its two arguments.
_PARENT_MARK, _MESSAGE_MARK = 918273645, 546372819


@functools.cache
def _url_shape(name: str, script_prefix: str, urlconf: str | None) -> tuple[str, str, str]:
    url = reverse(name, urlconf=urlconf, args=[_PARENT_MARK, _MESSAGE_MARK])
    head, rest = url.split(str(_PARENT_MARK))
    middle, tail = rest.split(str(_MESSAGE_MARK))
    return head, middle, tail


def edit_window() -> timedelta:
    """How long after sending its author may edit or delete a message (one setting for all)."""
    return timedelta(minutes=getattr(settings, "TEAMCHAT_EDIT_WINDOW_MINUTES", 15))


def within_edit_window(
    *,
    author_id: int | None,
    user_id: int | None,
    created_at: datetime,
    deleted_at: datetime | None,
    now: datetime | None = None,
) -> bool:
    """The user's own message, not deleted, within the edit window."""
    return (
        author_id is not None
        and author_id == user_id
        and deleted_at is None
        and (now or timezone.now()) < created_at + edit_window()
    )


def summarise_reactions(messages: Iterable) -> None:
    """Give each message `reaction_summary`: (emoji, count, user ids, names) per emoji, from its
    `reaction_list` (its reactions with their `user`, prefetched by the selectors' with_details)."""
    for message in messages:
        grouped: dict[str, list] = {}
        for reaction in message.reaction_list:
            grouped.setdefault(reaction.emoji, []).append(reaction.user)
        message.reaction_summary = [
            {
                "emoji": emoji,
                "count": len(users),
                "user_ids": " ".join(str(u.pk) for u in users),
                "names": ", ".join(u.display_name for u in users),
            }
            for emoji, users in grouped.items()
        ]
