"""One connection's outgoing events: written at once while it keeps up, buffered (bounded) while it does not.

The hub encodes an event once into a WebSocket text frame (``text_frame``) and hands the same bytes
to every connection it goes to. ``Outbox.send`` writes them to the connection's transport at once,
as ``websockets.broadcast`` does, while nothing is waiting before them and the transport is under
its high-water mark; no task wakes up and nothing is encoded again per connection. Otherwise the
frame waits in the connection's buffer (``--buffer`` frames, the spec's per-connection queue), and
a writer started for the occasion sends what waits as the transport drains, then tells the
connection how many did not fit (``system.buffer_dropped``) and ends.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable
from typing import Any

from websockets.frames import Frame, Opcode
from websockets.protocol import OPEN


def text_frame(data: bytes) -> bytes:
    """``data`` (UTF-8) as one unmasked text frame, as a server sends it (no extension: no compression)."""
    return Frame(Opcode.TEXT, data).serialize(mask=False)


class Outbox:
    """The events on their way to one connection (of ``websockets.asyncio``, without extensions)."""

    __slots__ = ("connection", "limit", "backlog", "notice", "_protocol", "_transport", "_writer")

    def __init__(self, connection: Any, limit: int, notice: Callable[[], str | None] | None = None) -> None:
        if connection.protocol.extensions:  # a frame written as it is must be what the connection expects
            raise ValueError("frames are written as they are: the connection must have no extension")
        self.connection = connection
        self.limit = limit  # frames waiting, at most
        self.backlog: collections.deque[bytes] | None = None  # made when first needed: most connections never do
        self.notice = notice or (lambda: None)  # the system.buffer_dropped event owed, if any
        self._protocol = connection.protocol
        self._transport = connection.transport
        self._writer: asyncio.Task[None] | None = None

    def send(self, frame: bytes) -> bool:
        """Send or buffer one frame; False when the buffer is full (the frame is dropped)."""
        backlog = self.backlog
        if backlog or self.connection.paused:
            if backlog is None:
                backlog = self.backlog = collections.deque()
            elif len(backlog) >= self.limit:
                return False
            backlog.append(frame)
            if self._writer is None:
                self._writer = asyncio.get_running_loop().create_task(self._drain())
            return True
        if self._protocol.state is OPEN:  # a closing connection takes nothing more
            self._transport.write(frame)
        return True

    async def _drain(self) -> None:
        """Write what waits, as fast as the connection takes it; then the notice of what was dropped."""
        connection, backlog = self.connection, self.backlog
        assert backlog is not None
        try:
            while backlog:
                if connection.paused:  # over the transport's high-water mark: wait until it is under the low one
                    await connection.drain()
                if self._protocol.state is not OPEN:
                    backlog.clear()
                    return
                self._transport.write(backlog.popleft())
                notice = self.notice()
                if notice is not None:
                    self._transport.write(text_frame(notice.encode()))
        except Exception:  # noqa: BLE001 - the connection went away while it waited: nothing more to write
            backlog.clear()
        finally:
            self._writer = None
            if self.backlog is backlog and not backlog:
                self.backlog = None  # its memory too is only for a connection that falls behind

    def close(self) -> None:
        """Drop what waits and stop the writer (the connection has ended)."""
        self.backlog = None
        if self._writer is not None:
            self._writer.cancel()
            self._writer = None
