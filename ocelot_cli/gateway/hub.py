"""The real-time hub's rules, without any network: subscriptions, access, limits, delivery.

* A connection belongs to one tenant and one user (from its token). It may subscribe to its
  tenant's channel, its own user channel, and lead channels; whatever it subscribes to, it is
  never given an event whose ``tenant_id`` is not its own.
* Subscribe/unsubscribe operations are rate limited per connection (10 a minute by default).
* An event is encoded once for all its receivers. A connection that keeps up gets it at once; one
  that does not has a bounded buffer (100 by default); what does not fit is dropped and counted,
  and the connection is told with ``system.buffer_dropped`` (the server's ``outbox``).
* Messages over 32 KB are sent as the spec's pointer message.
"""

from __future__ import annotations

import collections
import datetime
import json
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ocelot_cli.envelope import formats
from ocelot_cli.envelope.channels import CHANNEL_PATTERN, MAX_MESSAGE_BYTES, pointer_for
from ocelot_cli.envelope.codec import parse_body


@dataclass
class Limits:
    """The hub's numbers; all configurable so that tests run fast."""

    ping_interval: float = 20.0
    stale_after: float = 40.0
    subscribe_ops: int = 10
    subscribe_window: float = 60.0
    buffer: int = 100
    max_message: int = MAX_MESSAGE_BYTES
    max_channel_length: int = 200  # characters of one channel name
    max_channels: int = 100  # channels one connection may hold
    max_channels_total: int = 100_000  # distinct channels all connections may hold together


def channel_kind(channel: str) -> str:
    """``tenant``, ``user`` or ``lead``: the metric label of a channel."""
    return channel.split(":", 1)[0]


@dataclass(slots=True)
class Client:
    """One WebSocket connection as the hub sees it (slots: a gateway holds thousands)."""

    tenant: str
    user: str
    send: Callable[[Any], bool]  # send (or buffer) one encoded message; False when the buffer is full
    limits: Limits
    channels: set[str] = field(default_factory=set)
    ops: list[float] = field(default_factory=list)  # times of the subscribe/unsubscribe operations in the window
    dropped: int = 0
    last_pong: float = field(default_factory=time.monotonic)
    next_ping: float = 0.0
    closing: bool = False  # being closed by the server (stale)
    connection_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def may_subscribe(self, channel: str) -> str | None:
        """Why this connection may not subscribe to ``channel``, or None when it may."""
        if len(channel) > self.limits.max_channel_length:
            return f"invalid channel: longer than {self.limits.max_channel_length} characters"
        if len(self.channels) >= self.limits.max_channels and channel not in self.channels:
            return f"too many channels: at most {self.limits.max_channels} a connection"
        if not CHANNEL_PATTERN.match(channel):
            return "invalid channel: use tenant:{id}:events, user:{id}:tasks or lead:{id}:timeline, no wildcards"
        kind, ident = channel.split(":")[:2]
        if kind == "tenant" and ident != self.tenant:
            return "forbidden: not your tenant"
        if kind == "user" and ident != self.user:
            return "forbidden: not your user"
        return None

    def take_op(self, now: float) -> float | None:
        """Count a subscribe/unsubscribe; None if allowed, else seconds to wait (rate limited)."""
        window, ops = self.limits.subscribe_window, self.ops
        expired = 0
        while expired < len(ops) and now - ops[expired] >= window:
            expired += 1
        del ops[:expired]
        if len(ops) >= self.limits.subscribe_ops:
            return round(window - (now - ops[0]), 3)
        ops.append(now)
        return None


class Metrics:
    """Counters in Prometheus text format, with the spec's metric names."""

    def __init__(self) -> None:
        self.sent: collections.Counter[str] = collections.Counter()
        self.dropped: collections.Counter[str] = collections.Counter()
        self.subscriptions: collections.Counter[str] = collections.Counter()

    def render(self, clients: list[Client], *, tenant_labels: bool = False) -> str:
        """Prometheus text; connections per tenant only when asked (tenant ids are not for everyone)."""
        lines = ["# TYPE ws_connections gauge"]
        if tenant_labels:
            per_tenant = collections.Counter(c.tenant for c in clients)
            lines += [f'ws_connections{{tenant_id="{_label(t)}"}} {n}' for t, n in sorted(per_tenant.items())]
        else:
            lines.append(f"ws_connections {len(clients)}")
        for name, counter, label in (
            ("ws_messages_sent_total", self.sent, "channel"),
            ("ws_messages_dropped_total", self.dropped, "reason"),
            ("ws_subscriptions_total", self.subscriptions, "channel"),
        ):
            lines.append(f"# TYPE {name} counter")
            lines += [f'{name}{{{label}="{_label(k)}"}} {v}' for k, v in sorted(counter.items())]
        return "\n".join(lines) + "\n"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Hub:
    """Connections, their channels, and the delivery of published messages."""

    def __init__(self, limits: Limits | None = None, encode: Callable[[bytes], Any] | None = None) -> None:
        """``encode`` turns a message into what every client's ``send`` takes, once per message whatever the
        number of receivers (the server: a WebSocket frame, written as it is to each connection)."""
        self.limits = limits or Limits()
        self.encode = encode or (lambda data: data)
        self.clients: list[Client] = []
        # channel -> tenant -> the connections of that tenant on it: a message goes to its own tenant's
        # connections without looking at any other, and a channel nobody listens on is forgotten
        self.by_channel: dict[str, dict[str, dict[int, Client]]] = {}
        self.metrics = Metrics()

    def join(self, tenant: str, user: str, send: Callable[[Any], bool]) -> Client:
        client = Client(tenant, user, send, self.limits)
        self.clients.append(client)
        return client

    def leave(self, client: Client) -> None:
        for channel in client.channels:
            self._unlist(channel, client)
        client.channels.clear()
        self.clients = [c for c in self.clients if c is not client]

    def _list(self, channel: str, client: Client) -> None:
        self.by_channel.setdefault(channel, {}).setdefault(client.tenant, {})[id(client)] = client

    def _unlist(self, channel: str, client: Client) -> None:
        """Forget that ``client`` listens on ``channel``; a channel nobody listens on is forgotten too."""
        tenants = self.by_channel.get(channel)
        listeners = tenants.get(client.tenant) if tenants is not None else None
        if listeners is not None:
            listeners.pop(id(client), None)
            if not listeners:
                del tenants[client.tenant]
                if not tenants:
                    del self.by_channel[channel]

    def welcome(self, client: Client) -> dict[str, Any]:
        return frame("welcome", connection_id=client.connection_id, tenant_id=client.tenant, user_id=client.user,
                     heartbeat_s=self.limits.ping_interval, max_message_bytes=self.limits.max_message)  # fmt: skip

    def control(self, client: Client, message: Any, now: float | None = None) -> dict[str, Any] | None:
        """Handle one client message; the reply to send, if any."""
        now = time.monotonic() if now is None else now
        if not isinstance(message, dict):
            return _error("invalid_json", "bad_message", "send JSON objects with a 'type'")
        kind = message.get("type")
        if kind == "pong":
            client.last_pong = now
            return None
        if kind == "ping":  # a client checking on us
            return frame("pong")
        if kind not in ("subscribe", "unsubscribe"):
            return _error("unknown_type", "unknown_type", f"unknown message type {kind!r}")
        channel = message.get("channel")
        if not isinstance(channel, str):
            return frame(f"{kind}_result", channel=channel, success=False, reason="missing channel")
        wait = client.take_op(now)
        if wait is not None:  # whole seconds, as hubs send it; ocelot's exact wait beside it
            return _error("rate_limited", "rate_limited", f"at most {self.limits.subscribe_ops} subscribe/unsubscribe "
                          f"per {self.limits.subscribe_window:g}s", retry_after=math.ceil(wait), retry_after_s=wait)
        if kind == "unsubscribe":
            if channel in client.channels:
                client.channels.discard(channel)
                self._unlist(channel, client)
            return frame("unsubscribe_result", channel=channel[: self.limits.max_channel_length], success=True)
        reason = client.may_subscribe(channel)
        if reason is None and channel not in self.by_channel and len(self.by_channel) >= self.limits.max_channels_total:
            reason = "the gateway holds as many channels as it may; try again later"
        if reason:  # a refused name is not echoed back whole
            shown = channel[: self.limits.max_channel_length]
            return frame("subscribe_result", channel=shown, success=False, reason=reason)
        if channel not in client.channels:
            client.channels.add(channel)
            self._list(channel, client)
            self.metrics.subscriptions[channel_kind(channel)] += 1
        return frame("subscribe_result", channel=channel, success=True)

    def publish(self, channel: str, payload: bytes | str) -> int:
        """Deliver a message published on ``channel`` to its subscribers of the same tenant; how many got it."""
        tenants = self.by_channel.get(channel)
        if not tenants:
            return 0
        parsed = _parsed(payload)
        if parsed is None:  # not JSON, or nested past any reader: counted and dropped, nothing else
            self.metrics.dropped["not_json"] += 1
            return 0
        data, event = parsed
        tenant = event.get("tenant_id") if isinstance(event, dict) else None
        listeners = tenants.get(tenant) if isinstance(tenant, str) else None
        others = sum(len(group) for owner, group in tenants.items() if owner != tenant)
        if others:  # isolation, whatever the subscription says
            self.metrics.dropped["tenant_mismatch"] += others
        if not listeners:
            return 0
        if len(data) > self.limits.max_message:
            data = json.dumps(pointer_for(event, len(data)), separators=(",", ":")).encode()
        wire = self.encode(data)  # once, whatever the number of receivers
        delivered = 0
        for client in listeners.values():
            if client.send(wire):
                delivered += 1
            else:
                client.dropped += 1
        if delivered:
            self.metrics.sent[channel_kind(channel)] += delivered
        if delivered < len(listeners):
            self.metrics.dropped["buffer_overflow"] += len(listeners) - delivered
        return delivered

    def dropped_notice(self, client: Client) -> str | None:
        """The ``system.buffer_dropped`` event for a connection that lost messages (and reset the count)."""
        if not client.dropped:
            return None
        count, client.dropped = client.dropped, 0
        event = {
            "version": "1",
            "event": "system.buffer_dropped",
            "ts": formats.format_timestamp(formats.utc_from_epoch(time.time())),
            "severity": "warn",
            "tenant_id": client.tenant,
            "user_id": client.user,
            "data": {"reason": "Queue overflow", "max_size": self.limits.buffer, "dropped_count": count},
        }
        return json.dumps(event, separators=(",", ":"))


def _parsed(payload: bytes | str) -> tuple[bytes, Any] | None:
    """The message as UTF-8 bytes and its parsed JSON; None when it is not JSON. Bytes that are not
    UTF-8 throughout are read with U+FFFD in place of what cannot be decoded, as a text frame must be."""
    try:
        data = payload.encode() if isinstance(payload, str) else payload
        return data, parse_body(data)
    except (ValueError, UnicodeError):  # a str with a lone surrogate cannot be encoded: no JSON either
        if isinstance(payload, str):
            return None
    try:
        payload.decode()
        return None  # UTF-8, and not JSON
    except UnicodeDecodeError:
        text = payload.decode("utf-8", "replace")
    try:
        return text.encode(), parse_body(text)
    except ValueError:
        return None


def frame(kind: str, **fields: Any) -> dict[str, Any]:
    """A control frame: its type, its fields, and ``ts`` (UTC, ISO 8601), as the hub's frames carry."""
    now = datetime.datetime.now(datetime.UTC)
    return {"type": kind, **fields, "ts": now.isoformat(timespec="milliseconds").replace("+00:00", "Z")}


def _error(name: str, code: str, message: str, **fields: Any) -> dict[str, Any]:
    """An error frame readable by both dialects: ``error`` (the hub's name) and ocelot's ``code``/``message``."""
    return frame("error", error=name, code=code, message=message, **fields)
