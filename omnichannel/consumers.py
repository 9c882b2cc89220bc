"""The live websockets: one per agent tab (/ws/live/), one per visitor widget."""

import asyncio
import hashlib
import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.http import Http404

from accounts import services as account_services
from accounts.selectors import departments_of, forget_roles, serves_queue
from directory.models import Channel, ContactIdentity
from omnichannel.realtime import (
    agent_group,
    queue_group,
    room_group,
    visitor_group,
)
from rooms.models import Room
from rooms.selectors import get_room_for
from teamchat.realtime import chat_group
from teamchat.selectors import can_watch as can_watch_chat

logger = logging.getLogger(__name__)

# A reload closes one socket and opens the next within a second or two; only a longer silence
# means the agent left.
PRESENCE_GRACE_SECONDS = getattr(settings, "PRESENCE_GRACE_SECONDS", 10)
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
# Where a live event's message keeps its frame, encoded by the first socket that sends it.
FRAME = "frame"


class LiveSocketMixin:
    async def dispatch(self, message: dict) -> None:
        # Channels closes stale database connections in a worker thread before every handler:
        # a thread round trip per socket for each event. With 1,000 sockets in a queue's group
        # that was a third of the process's time (bench fanout, py-spy). A live event's handler
        # reaches the database only through database_sync_to_async, which does the same check
        # in its own thread, so live events skip it.
        if message.get("type") == "live.event":
            await self.live_event(message)
        else:
            await super().dispatch(message)

    async def send_event(self, message: dict) -> None:
        """Send a live event as it was published. The Redis layer hands one message to every
        socket of the process it is for: its JSON is encoded once for all of them (with 1,000
        sockets in a queue's group, encoding was 7 % of the fan-out; bench fanout, py-spy)."""
        frame = message.get(FRAME)
        if frame is None:
            frame = message[FRAME] = json.dumps(message["event"])
        await self.send(text_data=frame)

    async def send_error(self, code: str, detail: str) -> None:
        logger.info("Live socket refused a frame: %s (%s)", code, detail)
        await self.send_json({"type": "error", "code": code, "detail": detail})

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data is None:
            await self.send_error("malformed", "Frames are JSON text.")
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.send_error("malformed", "Frames are JSON objects.")
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_error("malformed", "A frame is an object with a 'type'.")
            return
        await self.receive_json(content, **kwargs)


class LiveConsumer(LiveSocketMixin, AsyncJsonWebsocketConsumer):
    """An agent's tab: their own group, their queues while the switch is on, the open room."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            logger.warning("Refused an anonymous live socket")
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.queue_groups: set[str] = set()
        self.room_id: int | None = None
        self.chat_id: int | None = None
        await self.accept()
        await self.channel_layer.group_add(agent_group(user.pk), self.channel_name)
        await self.sync_queue_groups()
        await database_sync_to_async(account_services.agent_connected)(
            user, channel_name=self.channel_name
        )
        await self.send_json({"type": "hello", "user": user.pk})

    async def disconnect(self, code: int) -> None:
        user = getattr(self, "user", None)
        if user is None:
            return
        try:
            for group in [agent_group(user.pk), *self.queue_groups, *self.room_groups()]:
                await self.channel_layer.group_discard(group, self.channel_name)
        finally:
            # Presence must settle even when the layer failed: a leaked row shows the agent
            # online for good.
            await database_sync_to_async(account_services.agent_disconnected)(
                user, channel_name=self.channel_name
            )
        asyncio.get_running_loop().call_later(
            PRESENCE_GRACE_SECONDS,
            lambda: asyncio.ensure_future(
                database_sync_to_async(account_services.settle_presence)(user)
            ),
        )

    def room_groups(self) -> list[str]:
        """The watched customer room's group and the watched team chat's group."""
        groups = [room_group(self.room_id)] if self.room_id else []
        return groups + ([chat_group(self.chat_id)] if self.chat_id else [])

    async def sync_queue_groups(self) -> None:
        """Join exactly the queues the agent serves now (queue switch, role, departments)."""
        wanted = {queue_group(pk) for pk in await self.served_department_ids()}
        for group in self.queue_groups - wanted:
            await self.channel_layer.group_discard(group, self.channel_name)
        for group in wanted - self.queue_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.queue_groups = wanted

    @database_sync_to_async
    def served_department_ids(self) -> list[int]:
        self.user.refresh_from_db()
        forget_roles(self.user)
        if not serves_queue(self.user):
            return []
        return list(departments_of(self.user).values_list("pk", flat=True))

    @database_sync_to_async
    def visible_room(self, room_id: int) -> Room | None:
        try:
            return get_room_for(self.user, room_id)
        except Http404:
            return None

    async def receive_json(self, content: dict, **kwargs) -> None:
        kind = content["type"]
        if kind == "ping":
            await database_sync_to_async(account_services.agent_seen)(
                self.user, channel_name=self.channel_name
            )
            await self.send_json({"type": "pong"})
        elif kind == "watch":
            await self.watch(content.get("room"))
        elif kind == "unwatch":
            await self.unwatch()
        elif kind == "typing":
            await self.typing(content)
        elif kind == "watch.chat":
            await self.watch_chat(content.get("chat"))
        else:
            await self.send_error("unknown_type", f"Unknown frame type {kind!r}.")

    async def watch(self, room_id) -> None:
        if not isinstance(room_id, int) or isinstance(room_id, bool):
            await self.send_error("malformed", "'room' must be a room id.")
            return
        room = await self.visible_room(room_id)
        if room is None:
            logger.warning("User %s asked to watch room %s they may not see", self.user.pk, room_id)
            await self.send_error("not_found", "No such room.")
            return
        await self.unwatch()
        self.room_id = room.pk
        await self.channel_layer.group_add(room_group(room.pk), self.channel_name)
        await self.send_json({"type": "watching", "room": room.pk})

    async def unwatch(self) -> None:
        if self.room_id:
            await self.channel_layer.group_discard(room_group(self.room_id), self.channel_name)
            self.room_id = None

    async def watch_chat(self, chat_id) -> None:
        """Team chat: join one chat's group (replacing the last) once the user may see it."""
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            await self.send_error("malformed", "'chat' must be a chat id.")
            return
        if not await database_sync_to_async(can_watch_chat)(self.user, chat_id):
            await self.send_error("not_found", "No such chat.")
            return
        if self.chat_id:
            await self.channel_layer.group_discard(chat_group(self.chat_id), self.channel_name)
        self.chat_id = chat_id
        await self.channel_layer.group_add(chat_group(chat_id), self.channel_name)
        await self.send_json({"type": "watching.chat", "chat": chat_id})

    async def typing(self, content: dict) -> None:
        room = await self.visible_room(self.room_id) if self.room_id else None
        if room is None:
            await self.send_error("not_found", "Watch the room before typing in it.")
            return
        if room.status != Room.Status.TAKEN or room.agent_id != self.user.pk:
            await self.send_error("not_serving", "Only the serving agent types to the contact.")
            return
        event = {"type": "typing", "who": "agent", "active": bool(content.get("active"))}
        await self.channel_layer.group_send(
            visitor_group(room.contact_id), {"type": "live.event", "event": event}
        )

    async def live_event(self, message: dict) -> None:
        event = message["event"]
        if event.get("type") == "signed_out":
            await self.send_json(event)
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if event.get("type") == "subscriptions.changed":
            await self.sync_queue_groups()
        # Access may end with a state change (a chat moved to another department): check
        # again before staying subscribed.
        watched_room_changed = (
            event.get("type") == "room.changed" and event.get("room") == self.room_id
        )
        if watched_room_changed and await self.visible_room(self.room_id) is None:
            await self.unwatch()
        revoked = event.get("type") == "chat.revoked" and event.get("chat") == self.chat_id
        if revoked and not await database_sync_to_async(can_watch_chat)(self.user, self.chat_id):
            await self.channel_layer.group_discard(chat_group(self.chat_id), self.channel_name)
            self.chat_id = None
        await self.send_event(message)


def visitor_token_digest(token) -> str | None:
    if not isinstance(token, str) or not 32 <= len(token) <= 128:
        return None
    return hashlib.sha256(token.encode("ascii", "ignore")).hexdigest()


class VisitorConsumer(LiveSocketMixin, AsyncJsonWebsocketConsumer):
    """A website visitor's widget: joins only its own conversation after proving its token."""

    async def connect(self) -> None:
        self.contact_id: int | None = None
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.contact_id:
            await self.channel_layer.group_discard(
                visitor_group(self.contact_id), self.channel_name
            )

    @database_sync_to_async
    def contact_for(self, digest: str) -> int | None:
        return (
            ContactIdentity.objects.filter(channel=Channel.LIVECHAT, external_id=digest)
            .values_list("contact_id", flat=True)
            .first()
        )

    @database_sync_to_async
    def open_room_id(self) -> int | None:
        return (
            Room.objects.filter(contact_id=self.contact_id, channel=Channel.LIVECHAT)
            .exclude(status=Room.Status.CLOSED)
            .values_list("pk", flat=True)
            .first()
        )

    async def receive_json(self, content: dict, **kwargs) -> None:
        kind = content["type"]
        if kind == "hello":
            await self.hello(content.get("token"))
        elif self.contact_id is None:
            await self.send_error("unauthenticated", "Say hello with your visitor token first.")
        elif kind == "typing":
            room_id = await self.open_room_id()
            if room_id:
                publish_typing = {
                    "type": "typing",
                    "who": "contact",
                    "room": room_id,
                    "active": bool(content.get("active")),
                }
                await self.channel_layer.group_send(
                    room_group(room_id), {"type": "live.event", "event": publish_typing}
                )
        elif kind == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_error("unknown_type", f"Unknown frame type {kind!r}.")

    async def hello(self, token) -> None:
        digest = visitor_token_digest(token)
        contact_id = await self.contact_for(digest) if digest else None
        if contact_id is None:
            logger.warning("Refused a visitor socket with an unknown token")
            await self.send_error("unknown_visitor", "This visitor token is not known.")
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if self.contact_id and self.contact_id != contact_id:
            await self.send_error("forbidden", "A socket serves one visitor.")
            return
        self.contact_id = contact_id
        await self.channel_layer.group_add(visitor_group(contact_id), self.channel_name)
        await self.send_json({"type": "hello"})

    async def live_event(self, message: dict) -> None:
        await self.send_event(message)
