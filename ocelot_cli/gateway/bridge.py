"""Platform events from the exchange onto OttoAI real-time channels (``ocelot gateway --source amqp``)."""

from __future__ import annotations

from ocelot_cli.envelope.catalog import Catalog
from ocelot_cli.envelope.channels import CHANNEL_PATTERN, as_delivered
from ocelot_cli.envelope.codec import dump_compact, parse_body


def bridge(body: bytes, catalog: Catalog) -> list[tuple[str, bytes]]:
    """Where an event from the platform exchange goes on real-time channels, and in what form
    (``envelope.channels.as_delivered``); anything that is no event is not bridged."""
    try:
        event = parse_body(body)
    except ValueError:
        return []
    delivered, channels = as_delivered(event, catalog)
    payload = body if delivered is event else dump_compact(delivered)
    return [(channel, payload) for channel in channels if CHANNEL_PATTERN.match(channel)]
