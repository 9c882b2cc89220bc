"""What a server process loads at start, so that its first request or task does not."""

import contextvars

from channels.layers import get_channel_layer
from django.conf import settings
from django.template.loader import get_template
from django.urls import get_resolver
from django.utils import translation

# The fragments the live publishers render (rooms.live, queues.live, teamchat.live).
LIVE_FRAGMENTS = (
    "rooms/room.html#message",
    "rooms/room.html#room-info",
    "queues/sidebar.html#queued-item",
    "teamchat/chat.html#message",
)


def warm_up() -> None:
    """Load the URLs, the live fragments, the installation's language and the channel layer.
    A task worker otherwise loaded them for the first event it published (the first
    `{% url %}` imports and indexes the whole URLconf): 0.2-0.3 s more for the first Messenger
    message after a start, which made the p99 of `bench fanout`'s Facebook path.

    It runs in a copy of the process's context. Indexing the URLs sets a context variable for
    each of the URLconf's resolvers (asgiref's Local, about 55 of them); set in the main context,
    every task Daphne starts (each request, each socket) inherited them all, and asgiref copied
    each one back into the task after every `sync_to_async` call: kilobytes held by every idle
    socket, and work on every request.
    """
    contextvars.copy_context().run(_load)


def _load() -> None:
    with translation.override(settings.LANGUAGE_CODE):
        # Imports every URL module and builds what `reverse` looks names up in (per language).
        get_resolver().reverse_dict  # noqa: B018
        for name in LIVE_FRAGMENTS:
            get_template(name)
    get_channel_layer()
