"""Messages to publish, built from events: routing key, AMQP properties and body.

Plain data: the transports turn ``OutgoingMessage`` into driver calls.
"""

from __future__ import annotations

from typing import Any

from ocelot_cli import __version__
from ocelot_cli.envelope import formats
from ocelot_cli.envelope.catalog import Catalog
from ocelot_cli.envelope.codec import dump_compact
from ocelot_cli.envelope.model import EnvelopeKind, detect_kind, event_type_of
from ocelot_cli.errors import InvalidEvent, UsageProblem
from ocelot_cli.transports.limits import amqp_problem
from ocelot_cli.transports.messages import OutgoingMessage

APP_ID = f"ocelot/{__version__}"
# RabbitMQ's default max_message_size (3.8+): larger messages are refused by the broker.
BROKER_MAX_MESSAGE_BYTES = 128 * 1024 * 1024

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
    if not name:
        raise InvalidEvent("an event without a type has no routing key",
                           hint="give the event its 'type' (or 'event'), or publish with --routing-key")  # fmt: skip
    entry = catalog.get(name) if name in catalog else None
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

    ``for_channels``: real-time channels decide where it goes (see publishing.channels.fan_out), not a routing key.
    """
    body = dump_compact(event)
    if len(body) > max_bytes:
        raise UsageProblem(
            f"event {seq + 1} is {len(body):,} bytes, over the broker's maximum of {max_bytes:,} bytes",
            hint="keep payloads small (send references, not whole objects), or raise max_message_size on the broker",
        )
    props = amqp_properties(event)
    routing = "" if for_channels else routing_key_for(event, catalog, routing_key)
    # Text of at most 63 characters is at most 252 bytes: only longer ids and keys need measuring.
    if not for_channels and max(len(routing), len(props.get("message_id") or ""), len(props.get("type") or "")) > 63:
        problem = amqp_problem(exchange, routing, props)
        if problem:
            raise InvalidEvent(f"event {seq + 1} cannot be sent over AMQP: {problem}",
                               hint="shorten the event's id or type, or the --routing-key")  # fmt: skip
    return OutgoingMessage(
        exchange=exchange,
        routing_key=routing,
        body=body,
        properties=props,
        event_id=props.get("message_id"),
        event_type=props.get("type"),
        seq=seq,
    )


