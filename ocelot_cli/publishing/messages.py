"""Messages to publish, built from events: routing key, AMQP properties and body.

Plain data: the transports turn ``OutgoingMessage`` into driver calls.
"""

from __future__ import annotations

import functools
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
    # The usual form, "2025-09-20T10:30:02.783Z": events of the same second share one conversion.
    size = len(timestamp) if type(timestamp) is str else 0
    if (size == 20 or (size == 24 and timestamp[19] == "." and timestamp[20:23].isdigit())) and (
        timestamp[-1] == "Z" and timestamp >= "1970"
    ):
        return _epoch_of_second(timestamp[:19])
    moment = formats.epoch_of(timestamp)
    return None if moment is None else int(moment)


@functools.lru_cache(maxsize=64)
def _epoch_of_second(second: str) -> int | None:
    moment = formats.epoch_of(second + "Z")
    return None if moment is None else int(moment)


def amqp_properties(event: dict[str, Any]) -> dict[str, Any]:
    """The AMQP properties ocelot sets on every published event."""
    if "organizationId" in event or detect_kind(event) is not EnvelopeKind.REALTIME:
        event_id, org, stamp = event.get("id"), event.get("organizationId"), event.get("timestamp")
    else:
        event_id, org, stamp = event.get("key") or event.get("trace_id"), event.get("tenant_id"), event.get("ts")
    headers: dict[str, Any] = {}
    if type(org) is str:
        headers["organizationId"] = org
    source = event.get("source")
    if type(source) is str:
        headers["source"] = source
    properties: dict[str, Any] = {"content_type": "application/json", "content_encoding": "utf-8", "delivery_mode": 2}
    if type(event_id) is str:
        properties["message_id"] = event_id
    seconds = epoch_seconds(stamp)
    if seconds is not None and seconds >= 0:  # AMQP's timestamp holds no time before 1970: left out then
        properties["timestamp"] = seconds
    name = event_type_of(event)
    if name is not None:
        properties["type"] = name
    properties["app_id"] = APP_ID
    properties["headers"] = headers
    return properties


def routing_key_for(event: dict[str, Any], catalog: Catalog, override: str | None = None) -> str:
    """``--routing-key`` if given, else the catalog's routing key for the event's type."""
    if override:
        return override
    name = event_type_of(event)
    if not name:
        raise InvalidEvent("an event without a type has no routing key",
                           hint="give the event its 'type' (or 'event'), or publish with --routing-key")  # fmt: skip
    if name not in catalog:
        raise UsageProblem(f"unknown event type {name!r}: the catalog has no routing key for it",
                           hint="add the type to a catalog (--catalog), or publish with --routing-key")  # fmt: skip
    entry = catalog.get(name)
    if not entry.routing_key:
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


