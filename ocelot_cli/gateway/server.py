"""The reference real-time gateway: a WebSocket server (websockets) fed by its sources.

Its sources are the transports' live sources: Redis pub/sub (the hub's channel patterns), read on
the event loop itself (Capability.LIVE: nothing waits between the socket and the hub), and, when
asked, the platform exchange bridged onto real-time channels, read in a thread (pika is blocking)
that hands the loop a few messages at a time.

Protocol, as the real-time spec gives it and the OttoAI hub sends it: ``Authorization: Bearer
<JWT>`` on the upgrade (refused with HTTP 403 before it, or with ``--auth-failure close1008`` by a
1008 close after it); the server sends ``welcome``; the client sends ``subscribe`` /
``unsubscribe`` and gets ``subscribe_result`` / ``unsubscribe_result`` or an ``error``
(``rate_limited`` with ``retry_after``); the server sends ``{"type": "ping", "ts": ...}`` every
ping interval and closes a connection that has not answered ``pong`` within the stale time.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ocelot_cli.envelope.codec import parse_body
from ocelot_cli.errors import OcelotError
from ocelot_cli.gateway.auth import Verifier, bearer_token
from ocelot_cli.gateway.heartbeat import Heartbeat, close
from ocelot_cli.gateway.hub import Hub, Limits
from ocelot_cli.gateway.outbox import Outbox, text_frame
from ocelot_cli.transports.base import Capability, Endpoint, TailTarget, Transport, transport_for
from ocelot_cli.transports.messages import ReceivedMessage, TailStats
from ocelot_cli.transports.retry import Backoff

CHANNEL_PATTERNS = ("tenant:*:events", "user:*:tasks", "lead:*:timeline")
HOP_BATCH = 16  # messages handed from a source's thread to the event loop at a time


def _as_published(message: ReceivedMessage) -> list[tuple[str, bytes]]:
    """A message from the hub's Redis channels goes to the channel it was published on."""
    return [(message.channel or "", message.body)]


@dataclass
class GatewayOptions:
    host: str = "127.0.0.1"
    port: int = 8765
    redis: Endpoint | None = None  # the Redis pub/sub source (None: none)
    amqp: Endpoint | None = None  # set: bridge platform events from the exchange
    exchange: str = "ocelot.events"
    verifier: Verifier = field(default_factory=Verifier)  # the shared secret and/or a JWKS
    auth_failure: str = "http403"  # a bad token: HTTP 403 before the upgrade (as the hub), or close1008 after it
    limits: Limits = field(default_factory=Limits)
    metrics_port: int | None = None  # a separate listener for /metrics (no token asked there)
    metrics_tenant_labels: bool = False  # tenant ids as labels of ws_connections


class Gateway:
    """One running gateway: the hub, its sources (each a transport's tail source) and the WebSocket server."""

    def __init__(self, options: GatewayOptions, on_notice: Callable[[str], None] | None = None,
                 on_detail: Callable[[str], None] | None = None) -> None:  # fmt: skip
        self.options = options
        self.hub = Hub(options.limits, encode=text_frame)  # an event is framed once, whatever its receivers
        self.heartbeat = Heartbeat(self.hub)
        self._verified: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()  # upgrade -> identity
        self.notice = on_notice or (lambda _m: None)
        self.detail = on_detail or (lambda _m: None)  # connections opened, refused, closed (-v)
        self.ready = {"Redis": options.redis is None, "RabbitMQ": options.amqp is None}
        self.port: int | None = None
        self.metrics_port: int | None = None  # the separate metrics listener's port, once listening
        self._stop = asyncio.Event()
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()
        self._stop.set()

    async def run(self, on_listening: Callable[[int], None] | None = None) -> None:
        from websockets.asyncio.server import serve

        loop = asyncio.get_running_loop()
        self.options.verifier.load()
        sources = []
        live: list[asyncio.Task[None]] = []  # sources read on this loop (no thread between them and the hub)
        if self.options.redis is not None:
            target = TailTarget(channels=list(CHANNEL_PATTERNS), reconnect_for=0.0, purpose="ocelot gateway")
            transport = transport_for(self.options.redis, need=Capability.TAIL)
            if Capability.LIVE in transport.capabilities:
                live.append(asyncio.create_task(self._live("Redis", transport, target, _as_published)))
            else:
                sources.append(self._source("Redis", self.options.redis, target, _as_published, loop))
        if self.options.amqp is not None:
            from ocelot_cli.envelope.catalog import load_catalog
            from ocelot_cli.gateway.bridge import bridge

            catalog = load_catalog()
            target = TailTarget(bindings=[(self.options.exchange, "#")], reconnect_for=0.0, purpose="ocelot gateway")
            sources.append(self._source("RabbitMQ", self.options.amqp, target,
                                        lambda message: bridge(message.body, catalog), loop))  # fmt: skip
        tasks = [asyncio.create_task(asyncio.to_thread(source)) for source in sources]
        heartbeat = asyncio.create_task(self.heartbeat.run())
        try:
            async with contextlib.AsyncExitStack() as stack:
                server = await stack.enter_async_context(
                    serve(self._handle, self.options.host, self.options.port, process_request=self._http,
                          ping_interval=None, max_size=64 * 1024, compression=None)
                )  # fmt: skip
                self.port = next(iter(server.sockets)).getsockname()[1]
                if self.options.metrics_port is not None:
                    metrics = await stack.enter_async_context(
                        serve(self._handle, self.options.host, self.options.metrics_port,
                              process_request=self._metrics_only)
                    )  # fmt: skip
                    self.metrics_port = next(iter(metrics.sockets)).getsockname()[1]
                # What start-up made lives as long as the gateway: out of the collector's full passes, which
                # otherwise walk it all (tens of ms: a delivery-latency spike) every so often.
                gc.freeze()
                if on_listening:
                    on_listening(self.port)
                await self._stop.wait()
                server.close(close_connections=False)  # no new connections; each open one gets 1001, bounded:
                await asyncio.gather(*(close(c, 1001, "server shutting down") for c in server.connections))
        finally:
            self._stopping.set()
            heartbeat.cancel()
            for task in live:  # it may be waiting out a backoff
                task.cancel()
            for task in [*tasks, *live]:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    # -- sources ---------------------------------------------------------------------
    def _source(self, name: str, endpoint: Endpoint, target: TailTarget,
                route: Callable[[ReceivedMessage], list[tuple[str, bytes]]],
                loop: asyncio.AbstractEventLoop) -> Callable[[], None]:  # fmt: skip
        """A source's loop (run in a thread: the transports are blocking): read it, hand every message to
        the hub, and when it fails, mark it not ready and open it again with the one backoff policy."""
        transport = transport_for(endpoint, need=Capability.TAIL)
        target.on_notice = lambda message: loop.call_soon_threadsafe(self.notice, message)

        def deliver(batch: list[tuple[str, bytes]]) -> None:
            for channel, payload in batch:
                self.hub.publish(channel, payload)

        def feed() -> None:
            backoff = Backoff(float("inf"))
            while not self._stopping.is_set():
                source = transport.tail_source(target, TailStats())
                batch: list[tuple[str, bytes]] = []
                try:
                    source.open()
                    self.ready[name] = True
                    backoff.reset()
                    for message in source:
                        if self._stopping.is_set():
                            break
                        if message is not None:
                            batch.extend(self._routed(name, route, message, loop))
                        # A few messages per hop to the loop: fewer hops than one each, and the loop is never
                        # held up for long by one big burst (its writers send between batches).
                        if batch and (len(batch) >= HOP_BATCH or not source.has_pending):
                            loop.call_soon_threadsafe(deliver, batch)
                            batch = []
                except Exception as exc:  # noqa: BLE001 - a source never dies: it is marked down and retried
                    delay, said = self._down(name, endpoint, exc, backoff)
                    loop.call_soon_threadsafe(self.notice, said)
                    self._stopping.wait(delay)
                finally:
                    source.close()

        return feed

    async def _live(self, name: str, transport: Transport, target: TailTarget,
                    route: Callable[[ReceivedMessage], list[tuple[str, bytes]]]) -> None:  # fmt: skip
        """A source read on this loop (its transport has Capability.LIVE): every message to the hub as it
        is read; when the link fails, the source is marked not ready and opened again with the one backoff
        policy, as ``_source`` does in a thread."""
        endpoint = transport.endpoint
        loop = asyncio.get_running_loop()
        backoff = Backoff(float("inf"))
        opened_before = False
        while not self._stopping.is_set():
            source = transport.live_source(target, TailStats())
            try:
                await source.open()
                self.ready[name] = True
                backoff.reset()
                if opened_before:
                    self.notice(f"{name} at {endpoint.shown}: reconnected and re-subscribed; messages published "
                                "while disconnected were not seen (gap)")  # fmt: skip
                opened_before = True
                while not self._stopping.is_set():
                    for message in await source.next_batch():
                        for channel, payload in self._routed(name, route, message, loop):
                            self.hub.publish(channel, payload)
            except Exception as exc:  # noqa: BLE001 - a source never dies: it is marked down and retried
                delay, said = self._down(name, endpoint, exc, backoff)
                self.notice(said)
                await asyncio.sleep(delay)
            finally:
                await source.close()

    def _down(self, name: str, endpoint: Endpoint, error: Exception, backoff: Backoff) -> tuple[float, str]:
        """A failed source: marked not ready; how long until it is opened again, and the notice saying so."""
        self.ready[name] = False
        delay = backoff.next_delay()
        reason = error.message if isinstance(error, OcelotError) else f"{type(error).__name__}: {error}"
        return delay, f"{name} at {endpoint.shown} unavailable ({reason}); retrying in {delay:g}s"

    def _routed(self, name: str, route: Callable[[ReceivedMessage], list[tuple[str, bytes]]],
                message: ReceivedMessage, loop: asyncio.AbstractEventLoop) -> list[tuple[str, bytes]]:  # fmt: skip
        """Where a source's message goes; one that cannot be routed is counted and dropped, never fatal."""
        try:
            return route(message)
        except Exception as exc:  # noqa: BLE001 - one bad message must not take the source down
            loop.call_soon_threadsafe(self._unroutable, name, exc)
            return []

    def _unroutable(self, name: str, error: Exception) -> None:
        dropped = self.hub.metrics.dropped
        dropped["unroutable"] += 1
        if dropped["unroutable"] in (1, 10, 100, 1000) or dropped["unroutable"] % 10_000 == 0:
            self.notice(f"{name} source: dropped a message that cannot be bridged ({type(error).__name__}: "
                        f"{str(error)[:200]}); {dropped['unroutable']} so far (ws_messages_dropped_total)")  # fmt: skip

    # -- HTTP ------------------------------------------------------------------------
    async def _http(self, connection: Any, request: Any) -> Any:
        path = request.path.split("?", 1)[0]
        if path == "/ready":
            missing = [name for name, ok in self.ready.items() if not ok]
            if missing:
                return connection.respond(503, f"not ready: {' and '.join(missing)} unreachable\n")
            return connection.respond(200, "ready\n")
        if path == "/metrics":
            if self.options.metrics_port is not None:
                return connection.respond(404, "not found: metrics are served on their own address\n")
            if not await self._authorized(request):
                return connection.respond(401, "unauthorized: /metrics needs a Bearer token of this gateway\n")
            return self._metrics(connection)
        if path != "/ws":
            return connection.respond(404, "not found: the WebSocket endpoint is /ws\n")
        if self.options.auth_failure == "http403":  # as the hub does: a bad token never gets the upgrade
            token = bearer_token(request.headers.get("Authorization", ""))
            try:  # verified once: the handler takes the identity from here
                self._verified[connection] = await self._identity(token)
            except ValueError as exc:
                self.detail(f"{_peer(connection)}: refused before the upgrade: {exc}")
                return connection.respond(403, f"unauthorized: {exc}\n")
        return None

    async def _identity(self, token: str) -> Any:
        """The token's identity, verified in a thread when a key set is used (one from a URL must not stall
        the loop); ValueError for any token that cannot be verified, whatever the reason."""
        verifier = self.options.verifier
        try:
            if verifier.keys is None:  # the shared secret alone: an HMAC, no I/O; a thread would cost more
                return verifier.verify(token)
            return await asyncio.to_thread(verifier.verify, token)
        except ValueError:
            raise
        except Exception as exc:  # noqa: BLE001 - a token no verifier can read is refused, never a 500
            raise ValueError(f"the token cannot be verified ({type(exc).__name__})") from None

    async def _authorized(self, request: Any) -> bool:
        header = request.headers.get("Authorization", "")
        try:  # in a thread: a key set being fetched never stalls the loop
            await self._identity(bearer_token(header))
        except ValueError:
            return False
        return True

    def _metrics(self, connection: Any) -> Any:
        text = self.hub.metrics.render(self.hub.clients, tenant_labels=self.options.metrics_tenant_labels)
        response = connection.respond(200, text)
        response.headers["Content-Type"] = "text/plain; version=0.0.4"
        return response

    def _metrics_only(self, connection: Any, request: Any) -> Any:
        """The separate metrics listener: /metrics, and nothing else (no WebSocket)."""
        if request.path.split("?", 1)[0] == "/metrics":
            return self._metrics(connection)
        return connection.respond(404, "not found: this address serves /metrics only\n")

    # -- WebSocket -------------------------------------------------------------------
    async def _handle(self, connection: Any) -> None:
        header = connection.request.headers.get("Authorization", "")
        token = bearer_token(header)
        peer = _peer(connection)
        try:
            identity = self._verified.pop(connection, None) or await self._identity(token)
        except ValueError as exc:
            self.detail(f"{peer}: refused: {exc}")
            await connection.close(1008, _close_reason(f"unauthorized: {exc}"))
            return
        self.detail(f"{peer}: connected as tenant {identity.tenant!r}, user {identity.user!r}")
        outbox = Outbox(connection, self.hub.limits.buffer)
        client = self.hub.join(identity.tenant, identity.user, outbox.send)
        outbox.notice = lambda: self.hub.dropped_notice(client)
        self.heartbeat.watch(client, connection, identity.claims.get("exp"))
        del identity, token, header  # the token and its claims are not kept for the life of the connection
        try:
            await connection.send(json.dumps(self.hub.welcome(client)))
            async for raw in connection:
                try:
                    message = parse_body(raw)
                except ValueError:  # not JSON, or nested deeper than anyone reads: answered with an error frame
                    message = None
                reply = self.hub.control(client, message)
                if reply is not None:
                    await connection.send(json.dumps(reply))
        except Exception:  # noqa: BLE001 - a closed connection ends its handler quietly
            pass
        finally:
            self.hub.leave(client)
            self.heartbeat.forget(client)
            outbox.close()
            self.detail(f"{peer}: closed ({getattr(connection, 'close_code', None) or 'no code'}"
                        f"{': ' + connection.close_reason if getattr(connection, 'close_reason', None) else ''})")


def _peer(connection: Any) -> str:
    address = getattr(connection, "remote_address", None)
    return f"{address[0]}:{address[1]}" if isinstance(address, tuple) and len(address) >= 2 else "client"


def _close_reason(text: str) -> str:
    """A close reason within the 123 bytes a close frame has room for, cut on a character."""
    return text.encode("utf-8")[:120].decode("utf-8", "ignore")
