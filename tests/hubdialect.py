"""A small real-time hub that speaks the dialect of the public OttoAI hub, for compatibility tests.

Written from the documented facts (issue "Work with the real OttoAI stack"), not from the hub's
code: Clerk-shaped RS256 tokens verified with a public key, tenant from ``org_id`` or
``organization_id``, user from ``sub`` or ``user_id``; HTTP 403 before the upgrade for a bad or
missing token; ``welcome`` with ``connection_id``, ``tenant_id``, ``user_id``, ``ts``;
``subscribe_result``/``unsubscribe_result`` with ``channel``, ``success``, ``ts`` and no reason;
errors as ``{"type": "error", "error": NAME, "ts"}`` with an integer ``retry_after``; pings
``{type, ts}``; events from Redis pub/sub to the subscribers of their channel and tenant.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import threading
import uuid
from typing import Any

import jwt
from websockets.asyncio.server import serve

PING_EVERY = 0.5  # seconds: fast, so that the clients' pong handling is exercised in short tests
SUBSCRIBE_LIMIT = 100


def _ts() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class HubDialect:
    """Start with ``start()``; ``url`` is its WebSocket address; ``stop()`` ends it."""

    def __init__(self, public_key: Any, redis_url: str) -> None:
        self.public_key = public_key
        self.redis_url = redis_url
        self.clients: dict[str, tuple[Any, str, str, set[str]]] = {}  # connection_id -> (ws, tenant, user, channels)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self) -> HubDialect:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the hub did not start")
        return self

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    # -- the server --------------------------------------------------------------------
    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())

    async def _main(self) -> None:
        import redis.asyncio as redis

        self._stop = asyncio.Event()
        pubsub = redis.Redis.from_url(self.redis_url).pubsub()
        await pubsub.psubscribe("tenant:*:events", "user:*:tasks", "lead:*:timeline")
        forward = asyncio.create_task(self._forward(pubsub))
        async with serve(self._client, "127.0.0.1", 0, process_request=self._authorize) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stop.wait()
        forward.cancel()
        await pubsub.aclose()

    def _identity(self, request: Any) -> tuple[str, str] | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        try:
            claims = jwt.decode(token.strip(), self.public_key, algorithms=["RS256"],
                                options={"require": ["exp"], "verify_aud": False})
        except jwt.PyJWTError:
            return None
        tenant = claims.get("org_id") or claims.get("organization_id")
        user = claims.get("sub") or claims.get("user_id")
        return (tenant, user) if isinstance(tenant, str) and isinstance(user, str) else None

    def _authorize(self, connection: Any, request: Any) -> Any:
        if self._identity(request) is None:
            return connection.respond(403, "Forbidden\n")
        return None

    async def _client(self, ws: Any) -> None:
        tenant, user = self._identity(ws.request)
        connection_id = uuid.uuid4().hex
        channels: set[str] = set()
        self.clients[connection_id] = (ws, tenant, user, channels)
        pinger = asyncio.create_task(self._ping(ws))
        try:
            await ws.send(json.dumps({"type": "welcome", "connection_id": connection_id, "tenant_id": tenant,
                                      "user_id": user, "ts": _ts()}))  # fmt: skip
            operations = 0
            async for raw in ws:
                try:
                    message = json.loads(raw)
                except ValueError:
                    await ws.send(json.dumps({"type": "error", "error": "invalid_json", "ts": _ts()}))
                    continue
                kind = message.get("type") if isinstance(message, dict) else None
                if kind in ("subscribe", "unsubscribe"):
                    operations += 1
                    if operations > SUBSCRIBE_LIMIT:
                        await ws.send(json.dumps({"type": "error", "error": "rate_limited", "retry_after": 1,
                                                  "ts": _ts()}))  # fmt: skip
                        continue
                    channel = message.get("channel")
                    allowed = isinstance(channel, str) and self._may(channel, tenant, user)
                    if kind == "subscribe" and allowed:
                        channels.add(channel)
                    elif kind == "unsubscribe":
                        channels.discard(channel)
                    await ws.send(json.dumps({"type": f"{kind}_result", "channel": channel,
                                              "success": allowed or kind == "unsubscribe", "ts": _ts()}))  # fmt: skip
                elif kind == "ping":
                    await ws.send(json.dumps({"type": "pong", "ts": _ts()}))
                elif kind != "pong":
                    await ws.send(json.dumps({"type": "error", "error": "unknown_message_type", "ts": _ts()}))
        except Exception:  # noqa: BLE001, S110 - a closed connection ends its handler
            pass
        finally:
            pinger.cancel()
            self.clients.pop(connection_id, None)

    @staticmethod
    def _may(channel: str, tenant: str, user: str) -> bool:
        parts = channel.split(":")
        if len(parts) != 3:
            return False
        kind, ident, suffix = parts
        return (kind, suffix) in (("tenant", "events"), ("user", "tasks"), ("lead", "timeline")) and (
            kind == "lead" or ident == (tenant if kind == "tenant" else user)
        )

    async def _ping(self, ws: Any) -> None:
        while True:
            await asyncio.sleep(PING_EVERY)
            await ws.send(json.dumps({"type": "ping", "ts": _ts()}))

    async def _forward(self, pubsub: Any) -> None:
        async for item in pubsub.listen():
            if item.get("type") != "pmessage":
                continue
            channel = item["channel"].decode()
            data = item["data"].decode("utf-8", "replace")
            try:
                event_tenant = json.loads(data).get("tenant_id")
            except (ValueError, AttributeError):
                continue
            for ws, tenant, _user, channels in list(self.clients.values()):
                if channel in channels and event_tenant == tenant:
                    await ws.send(data)
