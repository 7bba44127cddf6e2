"""Platform events from the exchange onto OttoAI real-time channels (``ocelot gateway --source amqp``)."""

from __future__ import annotations

from ocelot_cli.envelope.catalog import Catalog
from ocelot_cli.envelope.channels import CHANNEL_PATTERN
from ocelot_cli.envelope.codec import dump_compact, parse_body
from ocelot_cli.envelope.model import EnvelopeKind, PlatformEvent, detect_kind, event_type_of, platform_to_realtime


def bridge(body: bytes, catalog: Catalog) -> list[tuple[str, bytes]]:
    """Where an event from the platform exchange goes on real-time channels, and in what form.

    A platform event is converted with the envelope mapping (``model.platform_to_realtime``)
    and sent to its tenant's channel (and its lead's timeline when it names a lead); an OttoAI
    event found on the exchange keeps its envelope and the channels its catalog entry lists.
    Anything else is not bridged.
    """
    try:
        event = parse_body(body)
    except ValueError:
        return []
    kind = detect_kind(event)
    if kind is EnvelopeKind.PLATFORM:
        converted = platform_to_realtime(PlatformEvent.from_dict(event)).to_dict()
        tenant = converted.get("tenant_id")
        if not isinstance(tenant, str) or not tenant:
            return []
        channels = [f"tenant:{tenant}:events"]
        if isinstance(converted.get("lead_id"), str) and converted["lead_id"]:
            channels.append(f"lead:{converted['lead_id']}:timeline")
        payload = dump_compact(converted)
    elif kind is EnvelopeKind.REALTIME and event_type_of(event) in catalog:
        channels = catalog.get(event_type_of(event)).resolve_channels(event)
        payload = body
    else:
        return []
    return [(channel, payload) for channel in channels if CHANNEL_PATTERN.match(channel)]
