"""The reference real-time gateway: WebSocket server (websockets) fed by Redis pub/sub.

Protocol, as the real-time spec gives it: ``Authorization: Bearer <JWT>`` on the upgrade
(refused with close code 1008 otherwise); the server sends ``welcome``; the client sends
``subscribe`` / ``unsubscribe`` and gets ``subscribe_result`` / ``unsubscribe_result`` or an
``error`` (``rate_limited`` with ``retry_after``); the server sends ``{"type": "ping"}`` every
ping interval and closes a connection that has not answered ``pong`` within the stale time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ocelot_cli.gateway.hub import Hub, Limits
from ocelot_cli.tokens import verify

CHANNEL_PATTERNS = ("tenant:*:events", "user:*:tasks", "lead:*:timeline")


@dataclass
class GatewayOptions:
    host: str = "127.0.0.1"
    port: int = 8765
    redis_url: str | None = "redis://127.0.0.1:6379/0"  # None: no Redis source
    amqp_url: str | None = None  # set: bridge platform events from the exchange
    exchange: str = "ocelot.events"
    secret: bytes = b""
    limits: Limits = field(default_factory=Limits)


class Gateway:
    """One running gateway: the hub, the Redis listener and the WebSocket server."""

    def __init__(self, options: GatewayOptions, on_notice: Callable[[str], None] | None = None) -> None:
        self.options = options
        self.hub = Hub(options.limits)
        self.notice = on_notice or (lambda _m: None)
        self.redis_ok = options.redis_url is None
        self.amqp_ok = options.amqp_url is None
        self.port: int | None = None
        self._stop = asyncio.Event()
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()
        self._stop.set()

    async def run(self, on_listening: Callable[[int], None] | None = None) -> None:
        from websockets.asyncio.server import serve

        sources = []
        if self.options.redis_url:
            sources.append(asyncio.create_task(self._listen_redis()))
        if self.options.amqp_url:
            sources.append(asyncio.create_task(asyncio.to_thread(self._bridge_amqp, asyncio.get_running_loop())))
        try:
            async with serve(self._handle, self.options.host, self.options.port, process_request=self._http,
                             ping_interval=None, max_size=64 * 1024, compression=None) as server:  # fmt: skip
                self.port = next(iter(server.sockets)).getsockname()[1]
                if on_listening:
                    on_listening(self.port)
                await self._stop.wait()
        finally:
            self._stopping.set()
            for task in sources:
                task.cancel()
            for task in sources:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    # -- sources ---------------------------------------------------------------------
    async def _listen_redis(self) -> None:
        import redis.asyncio as aioredis

        from ocelot_cli.redact import mask_url

        delay = 0.25
        while True:
            client = aioredis.Redis.from_url(self.options.redis_url)
            try:
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                await pubsub.psubscribe(*CHANNEL_PATTERNS)
                self.redis_ok = True
                delay = 0.25
                async for message in pubsub.listen():
                    if message.get("type") == "pmessage":
                        self.hub.publish(message["channel"].decode("utf-8", "replace"), message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a source failure must not stop the gateway
                self.redis_ok = False
                self.notice(f"Redis at {mask_url(self.options.redis_url)} unavailable ({type(exc).__name__}); "
                            f"retrying in {delay:g}s")  # fmt: skip
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()

    def _bridge_amqp(self, loop: asyncio.AbstractEventLoop) -> None:
        """Platform events from the exchange onto real-time channels (runs in a thread: pika is blocking).

        The tail's own source is reused: an exclusive, auto-delete, bounded queue bound with
        '#', reconnecting by itself when the broker connection drops.
        """
        from ocelot_cli.envelope.catalog import load_catalog
        from ocelot_cli.errors import OcelotError
        from ocelot_cli.realtime import bridge
        from ocelot_cli.tail import TailStats
        from ocelot_cli.transports.amqp import AmqpOptions
        from ocelot_cli.transports.amqp_tail import AmqpTailSource

        catalog = load_catalog()
        delay = 0.25
        while not self._stopping.is_set():
            source = AmqpTailSource(AmqpOptions(self.options.amqp_url), [(self.options.exchange, "#")], TailStats(),
                                    on_notice=lambda m: loop.call_soon_threadsafe(self.notice, m))  # fmt: skip
            try:
                source.open()
                self.amqp_ok = True
                delay = 0.25
                for message in source:
                    if self._stopping.is_set():
                        break
                    if message is None:
                        continue
                    for channel, payload in bridge(message.body, catalog):
                        loop.call_soon_threadsafe(self.hub.publish, channel, payload)
            except OcelotError as exc:
                self.amqp_ok = False
                loop.call_soon_threadsafe(self.notice, f"{exc.message}; retrying in {delay:g}s")
                self._stopping.wait(delay)
                delay = min(delay * 2, 5.0)
            finally:
                source.close()

    # -- HTTP ------------------------------------------------------------------------
    def _http(self, connection: Any, request: Any) -> Any:
        path = request.path.split("?", 1)[0]
        if path == "/ready":
            missing = [name for name, ok in (("Redis", self.redis_ok), ("RabbitMQ", self.amqp_ok)) if not ok]
            if missing:
                return connection.respond(503, f"not ready: {' and '.join(missing)} unreachable\n")
            return connection.respond(200, "ready\n")
        if path == "/metrics":
            response = connection.respond(200, self.hub.metrics.render(self.hub.clients))
            response.headers["Content-Type"] = "text/plain; version=0.0.4"
            return response
        if path != "/ws":
            return connection.respond(404, "not found: the WebSocket endpoint is /ws\n")
        return None

    # -- WebSocket -------------------------------------------------------------------
    async def _handle(self, connection: Any) -> None:
        header = connection.request.headers.get("Authorization", "")
        token = header[7:].strip() if header.startswith("Bearer ") else ""
        try:
            claims = verify(token, self.options.secret)
        except ValueError as exc:
            await connection.close(1008, f"unauthorized: {exc}"[:120])
            return
        limits = self.hub.limits
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=limits.buffer)

        def send(text: str) -> bool:
            try:
                queue.put_nowait(text)
                return True
            except asyncio.QueueFull:
                return False

        client = self.hub.join(claims["tenant_id"], claims["sub"], send)
        tasks = [asyncio.create_task(self._write(connection, client, queue)),
                 asyncio.create_task(self._heartbeat(connection, client))]  # fmt: skip
        try:
            await connection.send(json.dumps(self.hub.welcome(client)))
            async for raw in connection:
                try:
                    message = json.loads(raw)
                except ValueError:
                    message = None
                reply = self.hub.control(client, message)
                if reply is not None:
                    await connection.send(json.dumps(reply))
        except Exception:  # noqa: BLE001 - a closed connection ends its handler quietly
            pass
        finally:
            self.hub.leave(client)
            for task in tasks:
                task.cancel()

    async def _write(self, connection: Any, client: Any, queue: asyncio.Queue[str]) -> None:
        while True:
            text = await queue.get()
            await connection.send(text)
            notice = self.hub.dropped_notice(client)
            if notice:
                await connection.send(notice)

    async def _heartbeat(self, connection: Any, client: Any) -> None:
        limits = self.hub.limits
        tick = min(limits.ping_interval, limits.stale_after) / 4
        next_ping = time.monotonic() + limits.ping_interval
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            if now - client.last_pong > limits.stale_after:
                await connection.close(1001, f"stale: no pong for {limits.stale_after:g}s")
                return
            if now >= next_ping:
                next_ping = now + limits.ping_interval
                await connection.send('{"type":"ping"}')
