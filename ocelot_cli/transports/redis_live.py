"""Redis pub/sub read on the caller's asyncio event loop: the gateway's Redis source.

The same subscription as ``RedisTailSource`` (channels and glob patterns, confirmations awaited, a
PING after a silence that must be answered within the connect timeout), read with redis-py's
asyncio client on the loop that also writes to the gateway's connections. A blocking source in a
thread hands each batch over to that loop: while the loop is busy fanning out, the thread waits
for the interpreter lock at every step, and under a full load events queued there for tens of
milliseconds before the hub saw them. Reconnecting is the caller's (the gateway's one backoff).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import redis.asyncio as aioredis
import redis.exceptions as rex
from redis.asyncio.retry import Retry

from ocelot_cli.config.redact import scrub
from ocelot_cli.errors import ConnectionLost
from ocelot_cli.transports.base import Endpoint, TailTarget
from ocelot_cli.transports.messages import ReceivedMessage, TailStats
from ocelot_cli.transports.redis_link import (
    SUBSCRIBED,
    LinkHealth,
    client_for,
    received,
    split_channels,
    translate_error,
)

DRAIN = 500  # messages taken at a time once one has arrived


class RedisLiveSource:
    """Batches of ReceivedMessage from Redis channels and glob patterns, awaited on the running loop."""

    def __init__(self, endpoint: Endpoint, target: TailTarget, stats: TailStats) -> None:
        self.endpoint = endpoint
        self.channels, self.patterns = split_channels(target.channels)
        self.stats = stats
        self.poll = target.poll
        self.purpose = target.purpose
        self.health = LinkHealth(endpoint.connect_timeout)
        self._client: Any = None
        self._pubsub: Any = None

    async def open(self) -> None:
        """Connect and subscribe; OcelotError when Redis cannot be reached or refuses."""
        client = client_for(self.endpoint, self.purpose, aioredis.Redis, Retry)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            async with asyncio.timeout(self.endpoint.connect_timeout):
                if self.channels:
                    await pubsub.subscribe(*self.channels)
                if self.patterns:
                    await pubsub.psubscribe(*self.patterns)
                expected = len(self.channels) + len(self.patterns)
                while expected:  # the confirmations: a refused password or a dead server fails here
                    reply = await pubsub.parse_response(block=True)
                    if isinstance(reply, list) and reply and reply[0] in SUBSCRIBED:
                        expected -= 1
        except TimeoutError:
            await _close(pubsub, client)
            raise translate_error(rex.TimeoutError("no subscribe confirmation"), self.endpoint) from None
        except (rex.RedisError, OSError) as exc:
            await _close(pubsub, client)
            raise translate_error(exc, self.endpoint) from None
        self._client, self._pubsub = client, pubsub
        self.health.heard()

    async def next_batch(self) -> list[ReceivedMessage]:
        """What arrived (waiting up to the poll interval for the first); OcelotError when the link is lost."""
        batch: list[ReceivedMessage] = []
        try:
            message = await self._pubsub.get_message(timeout=self.poll)
            if message is None:
                if self.health.ping_due():
                    await self._pubsub.ping()
                return batch
            self.health.heard()
            while message is not None:
                item = received(message)
                if item is not None:
                    batch.append(item)
                if len(batch) >= DRAIN:  # the rest waits for the next call (nothing fetched is left behind)
                    break
                message = await self._pubsub.get_message(timeout=0)
        except (rex.RedisError, OSError) as exc:  # the link was up: lost, not "cannot connect"
            detail = scrub(str(exc)) or type(exc).__name__
            raise ConnectionLost(f"the link was lost: {detail}") from None  # said after "Redis at URL" by its reader
        self.stats.received += len(batch)
        return batch

    async def close(self) -> None:
        pubsub, client, self._pubsub, self._client = self._pubsub, self._client, None, None
        if client is not None:
            await _close(pubsub, client)


async def _close(pubsub: Any, client: Any) -> None:
    for thing in (pubsub, client):
        with contextlib.suppress(Exception):  # closing a connection that may be gone
            await thing.aclose()
