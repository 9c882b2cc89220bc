"""channels-redis's channel layer, with one reader of the process's inbox.

channels-redis already sends one copy of a group message to each process, naming every
socket of that process it is for. But the sockets take turns reading the inbox: each waiting
socket arms a lock and its own buffer with `asyncio.wait`, and a message for the thousand
sockets of a queue wakes, cancels and re-arms all of them, which cost more than the sending
itself (bench channel_layer). Here one task per event loop reads the inbox and hands each
message to the buffers it names; a socket only awaits its own buffer.

A group message costs two round trips to Redis, not four (see `group_send`).
"""

import asyncio
import logging
import time

from channels_redis.core import BoundedQueue, ChannelLock
from channels_redis.core import RedisChannelLayer as ListsChannelLayer

logger = logging.getLogger(__name__)

# For each inbox: drop its expired messages, then add the group message if the inbox has room.
# KEYS are the inboxes; ARGV their messages, their capacities, the time and the expiry.
GROUP_SEND_SCRIPT = """
local count = #KEYS
local now = ARGV[2 * count + 1]
local expiry = tonumber(ARGV[2 * count + 2])
local over_capacity = 0
for i = 1, count do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, math.floor(tonumber(now)) - expiry)
    if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[count + i]) then
        -- The time as sent, every digit kept: it orders the inbox.
        redis.call('ZADD', KEYS[i], now, ARGV[i])
        redis.call('EXPIRE', KEYS[i], expiry)
    else
        over_capacity = over_capacity + 1
    end
end
return over_capacity
"""


class _LoopInbox:
    """The sockets of one event loop (Daphne has one; tests start one per test), and the task
    that reads the process's inbox for them."""

    def __init__(self) -> None:
        self.buffers: dict[str, BoundedQueue] = {}
        self.reader: asyncio.Task | None = None


class RedisChannelLayer(ListsChannelLayer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._inboxes: dict[asyncio.AbstractEventLoop, _LoopInbox] = {}
        self._group_send_script = None

    async def group_send(self, group: str, message: dict) -> None:
        """As channels-redis sends it (same keys, same messages, same expiries and capacities),
        in two round trips where it takes four: the group's expired members dropped and the
        rest read in one pipeline, then each inbox's expired messages dropped and the message
        added in one script (run by its digest, its text sent only the first time). A live
        update's publish cost a task worker 1.4 ms of CPU, mostly those round trips."""
        self.require_valid_group_name(group)  # raises TypeError for a bad name
        key = self._group_key(group)
        connection = self.connection(self.consistent_hash(group))
        pipeline = connection.pipeline(transaction=False)
        pipeline.zremrangebyscore(key, min=0, max=int(time.time()) - self.group_expiry)
        pipeline.zrange(key, 0, -1)
        _expired, members = await pipeline.execute()
        channel_names = [member.decode("utf8") for member in members]
        keys_by_connection, messages, capacities = self._map_channel_keys_to_connection(
            channel_names, message
        )
        if self._group_send_script is None:
            self._group_send_script = connection.register_script(GROUP_SEND_SCRIPT)
        for index, keys in keys_by_connection.items():
            args = [messages[key] for key in keys] + [capacities[key] for key in keys]
            args += [time.time(), int(self.expiry)]
            over_capacity = await self._group_send_script(
                keys=keys, args=args, client=self.connection(index)
            )
            if over_capacity > 0:
                logger.info(
                    "%s of %s channels over capacity in group %s",
                    over_capacity,
                    len(channel_names),
                    group,
                )

    async def new_channel(self, prefix: str = "specific") -> str:
        channel = await super().new_channel(prefix)
        # Buffered from now on: what is sent before the socket first listens waits for it.
        self._inbox().buffers[channel] = BoundedQueue(self.capacity)
        return channel

    async def receive(self, channel: str) -> dict:
        if "!" not in channel:  # a channel any process may read: as channels-redis does
            return await super().receive(channel)
        name = self.non_local_name(channel)
        if not (
            self.require_valid_channel_name(channel) and name.endswith(self.client_prefix + "!")
        ):
            raise ValueError(f"{channel!r} is not a channel of this process")
        inbox = self._inbox()
        buffer = inbox.buffers.get(channel)
        if buffer is None:
            buffer = inbox.buffers[channel] = BoundedQueue(self.capacity)
        if inbox.reader is None or inbox.reader.done():
            inbox.reader = asyncio.create_task(self._read(inbox, name), name="layer-inbox-reader")
        try:
            message = await buffer.get()
        except asyncio.CancelledError:  # the socket is gone
            self._forget(inbox, channel)
            raise
        if isinstance(message, Exception):
            self._forget(inbox, channel)
            raise message
        return message

    def _inbox(self) -> _LoopInbox:
        loop = asyncio.get_running_loop()
        inbox = self._inboxes.get(loop)
        if inbox is None:
            stopped = [other for other in self._inboxes if not other.is_running()]
            for other in stopped:
                del self._inboxes[other]
            if stopped:
                # A reader stopped with its loop may hold the inbox's lock and leave cleaners,
                # which belong to that loop and cannot be awaited from this one.
                self.receive_clean_locks = ChannelLock()
                self.receive_cleaners[:] = [
                    cleaner for cleaner in self.receive_cleaners if cleaner.get_loop() is loop
                ]
            inbox = self._inboxes[loop] = _LoopInbox()
        return inbox

    async def _read(self, inbox: _LoopInbox, name: str) -> None:
        try:
            while inbox.buffers:
                channels, message = await self.receive_single(name)
                for channel in channels if isinstance(channels, list) else [channels]:
                    buffer = inbox.buffers.get(channel)
                    if buffer is not None:  # else that socket has closed meanwhile
                        buffer.put_nowait(message)
        except Exception as error:
            # Redis went away: every socket of the process fails, as each would have failed
            # reading the inbox itself, and its tab reconnects and fetches what it missed.
            for buffer in inbox.buffers.values():
                buffer.put_nowait(error)

    def _forget(self, inbox: _LoopInbox, channel: str) -> None:
        inbox.buffers.pop(channel, None)
        if not inbox.buffers and inbox.reader is not None:
            inbox.reader.cancel()  # nothing is lost: the message stays in Redis's backup queue
            inbox.reader = None
