"""Messages to publish, built from events: routing key, AMQP properties and body, plus the report.

Plain data: the transports turn ``OutgoingMessage`` into driver calls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ocelot_cli import __version__
from ocelot_cli.envelope import formats
from ocelot_cli.envelope.catalog import Catalog
from ocelot_cli.envelope.model import EnvelopeKind, detect_kind, event_type_of
from ocelot_cli.errors import UsageProblem

APP_ID = f"ocelot/{__version__}"
# What a publisher's on_settled callback is told about each message.
SETTLED_ACK, SETTLED_NACK, SETTLED_RETURNED = 0, 1, 2
# RabbitMQ's default max_message_size (3.8+): larger messages are refused by the broker.
BROKER_MAX_MESSAGE_BYTES = 128 * 1024 * 1024

try:  # orjson is several times faster than json for the hot path of publish and tail
    import orjson

    def dump_compact(value: Any) -> bytes:
        """Compact UTF-8 JSON bytes."""
        try:
            return orjson.dumps(value)
        except (TypeError, orjson.JSONEncodeError):  # ints beyond 64 bits, other oddities
            return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()

except ImportError:  # pragma: no cover - orjson is a dependency; this keeps a broken install usable

    def dump_compact(value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass
class OutgoingMessage:
    """One message for the exchange: where it goes, its properties, its body."""

    exchange: str
    routing_key: str
    body: bytes
    properties: dict[str, Any]
    event_id: str | None = None
    event_type: str | None = None
    seq: int = 0  # position in the input, for reports and --resume-from
    sends: int = 0  # how many times it was sent (more than once after a reconnect)
    due: float | None = None  # seconds after the start when it should leave (replay timing)
    sent_at: float | None = None  # seconds after the start when it first left
    channel: str | None = None  # a real-time channel (Redis pub/sub) instead of exchange/routing key

    def to_dict(self) -> dict[str, Any]:
        """What --dry-run prints: exactly what would be sent."""
        try:
            body: Any = json.loads(self.body)
            key = "event"
        except ValueError:
            body, key = self.body.decode("utf-8", "replace"), "body_text"
        if self.channel is not None:
            return {"channel": self.channel, key: body}
        return {"exchange": self.exchange, "routing_key": self.routing_key, "properties": self.properties, key: body}


def epoch_seconds(timestamp: Any) -> int | None:
    """AMQP timestamp (whole seconds) of an ISO 8601 time; naive times count as UTC."""
    moment = formats.epoch_of(timestamp)
    return None if moment is None else int(moment)


def amqp_properties(event: dict[str, Any]) -> dict[str, Any]:
    """The AMQP properties ocelot sets on every published event."""
    kind = EnvelopeKind.PLATFORM if "organizationId" in event else detect_kind(event)
    if kind is EnvelopeKind.REALTIME:
        event_id, org, time_field = event.get("key") or event.get("trace_id"), event.get("tenant_id"), "ts"
    else:
        event_id, org, time_field = event.get("id"), event.get("organizationId"), "timestamp"
    headers: dict[str, Any] = {}
    if isinstance(org, str):
        headers["organizationId"] = org
    if isinstance(event.get("source"), str):
        headers["source"] = event["source"]
    properties: dict[str, Any] = {
        "content_type": "application/json",
        "content_encoding": "utf-8",
        "delivery_mode": 2,
        "message_id": event_id if isinstance(event_id, str) else None,
        "timestamp": epoch_seconds(event.get(time_field)),
        "type": event_type_of(event),
        "app_id": APP_ID,
        "headers": headers,
    }
    return {k: v for k, v in properties.items() if v is not None}


def routing_key_for(event: dict[str, Any], catalog: Catalog, override: str | None = None) -> str:
    """``--routing-key`` if given, else the catalog's routing key for the event's type."""
    if override:
        return override
    name = event_type_of(event)
    entry = catalog.get(name) if name else None
    if entry is None or not entry.routing_key:
        raise UsageProblem(
            f"{name!r} has no routing key: it is an OttoAI real-time event delivered on WebSocket channels",
            hint="publish it to Redis with --to redis://... , or give --routing-key",
        )
    return entry.routing_key


def build_message(
    event: dict[str, Any],
    *,
    exchange: str,
    catalog: Catalog,
    routing_key: str | None = None,
    seq: int = 0,
    max_bytes: int = BROKER_MAX_MESSAGE_BYTES,
    for_channels: bool = False,
) -> OutgoingMessage:
    """The message for one event; refuses bodies over the broker's size limit before sending.

    ``for_channels``: real-time channels decide where it goes (see realtime.fan_out), not a routing key.
    """
    body = dump_compact(event)
    if len(body) > max_bytes:
        raise UsageProblem(
            f"event {seq + 1} is {len(body):,} bytes, over the broker's maximum of {max_bytes:,} bytes",
            hint="keep payloads small (send references, not whole objects), or raise max_message_size on the broker",
        )
    props = amqp_properties(event)
    return OutgoingMessage(
        exchange=exchange,
        routing_key="" if for_channels else routing_key_for(event, catalog, routing_key),
        body=body,
        properties=props,
        event_id=props.get("message_id"),
        event_type=props.get("type"),
        seq=seq,
    )


@dataclass
class PublishReport:
    """What happened to every message: the numbers ``publish``, ``replay`` and ``load`` report."""

    total: int = 0  # messages taken from the input
    published: int = 0  # sent at least once
    confirmed: int = 0  # acknowledged by the broker and routed to a queue
    unroutable: int = 0  # returned: no queue bound for the routing key
    nacked: int = 0  # refused by the broker
    republished: int = 0  # sent again after a reconnect (consumers may see duplicates)
    reconnects: int = 0
    elapsed: float = 0.0
    interrupted: bool = False
    unroutable_examples: list[str] = field(default_factory=list)
    stopped_at: int | None = None  # first input position not confirmed, for --resume-from

    @property
    def unconfirmed(self) -> int:
        """Messages taken but never confirmed (unsent, in flight at the end, unroutable or nacked)."""
        return self.total - self.confirmed

    @property
    def ok(self) -> bool:
        return self.unconfirmed == 0 and not self.interrupted

    @property
    def rate(self) -> float:
        return self.confirmed / self.elapsed if self.elapsed > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "total": self.total,
            "published": self.published,
            "confirmed": self.confirmed,
            "unroutable": self.unroutable,
            "nacked": self.nacked,
            "unconfirmed": self.unconfirmed,
            "republished": self.republished,
            "reconnects": self.reconnects,
            "elapsed_s": round(self.elapsed, 3),
            "rate_per_s": round(self.rate, 1),
            "interrupted": self.interrupted,
            "stopped_at": self.stopped_at,
            "unroutable_examples": self.unroutable_examples,
        }
