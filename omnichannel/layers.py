"""channels-redis's channel layer, with one reader of the process's inbox.

channels-redis already sends one copy of a group message to each process, naming every
socket of that process it is for. But the sockets take turns reading the inbox: each waiting
socket arms a lock and its own buffer with `asyncio.wait`, and a message for the thousand
sockets of a queue wakes, cancels and re-arms all of them, which cost more than the sending
itself (bench fanout). Here one task per process reads the inbox and hands each message to the
buffers it names; a socket only awaits its own buffer.
"""

import asyncio

from channels_redis.core import BoundedQueue
from channels_redis.core import RedisChannelLayer as ListsChannelLayer


class RedisChannelLayer(ListsChannelLayer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._buffers: dict[str, BoundedQueue] = {}
        self._reader: asyncio.Task | None = None

    async def new_channel(self, prefix: str = "specific") -> str:
        channel = await super().new_channel(prefix)
        # Buffered from now on: what is sent before the socket first listens waits for it.
        self._buffers[channel] = BoundedQueue(self.capacity)
        return channel

    async def receive(self, channel: str) -> dict:
        if "!" not in channel:  # a channel any process may read: as channels-redis does
            return await super().receive(channel)
        inbox = self.non_local_name(channel)
        if not (
            self.require_valid_channel_name(channel) and inbox.endswith(self.client_prefix + "!")
        ):
            raise ValueError(f"{channel!r} is not a channel of this process")
        buffer = self._buffers.get(channel)
        if buffer is None:
            buffer = self._buffers[channel] = BoundedQueue(self.capacity)
        self._start_reader(inbox)
        try:
            message = await buffer.get()
        except asyncio.CancelledError:  # the socket is gone
            self._forget(channel)
            raise
        if isinstance(message, Exception):
            self._forget(channel)
            raise message
        return message

    def _start_reader(self, inbox: str) -> None:
        loop = asyncio.get_running_loop()
        reader = self._reader
        if reader is not None and not reader.done():
            if reader.get_loop() is loop:
                return
            if not reader.get_loop().is_closed():
                raise RuntimeError("Two event loops are trying to receive() on one channel layer")
        self._reader = loop.create_task(self._read(inbox), name="channel-layer-reader")

    async def _read(self, inbox: str) -> None:
        try:
            while self._buffers:
                names, message = await self.receive_single(inbox)
                for name in names if isinstance(names, list) else [names]:
                    buffer = self._buffers.get(name)
                    if buffer is not None:  # else that socket has closed meanwhile
                        buffer.put_nowait(message)
        except Exception as error:
            # Redis went away: every socket of the process fails, as each would have failed
            # reading the inbox itself, and its tab reconnects and fetches what it missed.
            for buffer in self._buffers.values():
                buffer.put_nowait(error)

    def _forget(self, channel: str) -> None:
        self._buffers.pop(channel, None)
        if not self._buffers and self._reader is not None:
            self._reader.cancel()  # nothing is lost: the message stays in Redis's backup queue
            self._reader = None
