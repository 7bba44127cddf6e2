"""Every connection's heartbeat and token expiry: one task for all the connections, one timer each.

Every tick (a quarter of the shorter of the ping interval and the stale time) the task pings the
connections whose ping is due and closes those that did not answer within the stale time, even
one whose sends are blocked because it stopped reading: a ping is written at once, never queued
behind its events, and a close that the connection does not take is cut. A connection is closed
(1008) when its token expires, by a timer of its own. One task, not two per connection, is what
keeps an idle connection cheap (bench_memory.py).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from websockets.protocol import OPEN

from ocelot_cli.gateway.hub import Client, Hub, frame
from ocelot_cli.gateway.outbox import text_frame

WRITE_BACKLOG = 256 * 1024  # bytes waiting to be written: a connection this far behind is not reading


class Heartbeat:
    """Pings, stale closes and expiry closes of the hub's connections."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._watched: dict[int, tuple[Any, asyncio.TimerHandle | None]] = {}  # id(client) -> (connection, expiry)
        self._closing: set[asyncio.Task[None]] = set()  # closes under way (a task must be held while it runs)

    def watch(self, client: Client, connection: Any, expires: Any) -> None:
        """Heartbeat a new connection, and close it when its token expires (``expires``: epoch seconds)."""
        client.next_ping = time.monotonic() + self.hub.limits.ping_interval
        timer = None
        if isinstance(expires, int | float) and not isinstance(expires, bool):
            delay = max(0.0, expires - time.time())
            timer = asyncio.get_running_loop().call_later(delay, self.close, connection, 1008, "token expired")
        self._watched[id(client)] = (connection, timer)

    def forget(self, client: Client) -> None:
        """The connection has ended."""
        _connection, timer = self._watched.pop(id(client), (None, None))
        if timer is not None:
            timer.cancel()

    def close(self, connection: Any, code: int, reason: str) -> None:
        """Close a connection (in a task of its own: a close can take a while)."""
        task = asyncio.get_running_loop().create_task(close(connection, code, reason))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def run(self) -> None:
        limits = self.hub.limits
        tick = min(limits.ping_interval, limits.stale_after) / 4
        stale = f"stale: no pong for {limits.stale_after:g}s"
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            ping = None  # one frame for every connection pinged in this tick
            for client in self.hub.clients:
                connection = self._watched.get(id(client), (None, None))[0]
                if connection is None or client.closing:
                    continue
                if now - client.last_pong > limits.stale_after:
                    client.closing = True
                    self.close(connection, 1001, stale)
                elif now >= client.next_ping and _writable(connection):
                    client.next_ping = now + limits.ping_interval
                    ping = ping or text_frame(json.dumps(frame("ping")).encode())
                    if connection.protocol.state is OPEN:
                        connection.transport.write(ping)


def _writable(connection: Any) -> bool:
    transport = getattr(connection, "transport", None)
    return transport is None or transport.get_write_buffer_size() < WRITE_BACKLOG


async def close(connection: Any, code: int, reason: str) -> None:
    """Close with a code and a reason; a connection that does not take the close frame is cut."""
    try:
        await asyncio.wait_for(connection.close(code, reason), 2.0)
    except (TimeoutError, Exception):  # noqa: BLE001 - whatever happens, it ends here
        transport = getattr(connection, "transport", None)
        if transport is not None:
            transport.abort()
