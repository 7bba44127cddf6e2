"""Publishing to OttoAI real-time channels: one message per channel of each event, with the size rule.

A platform event is converted to the OttoAI envelope with the documented mapping first, and goes
where the gateway's exchange bridge would send it (``envelope.channels.as_delivered``): never in a
shape the gateway drops as another tenant's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ocelot_cli.envelope.catalog import Catalog
from ocelot_cli.envelope.channels import MAX_MESSAGE_BYTES, Oversize, as_delivered, check_channel, pointer_for
from ocelot_cli.envelope.codec import dump_compact, parse_body
from ocelot_cli.envelope.model import EnvelopeKind, detect_kind, event_type_of
from ocelot_cli.errors import OcelotError, UsageProblem
from ocelot_cli.transports.messages import OutgoingMessage


def fan_out(
    messages: Iterator[OutgoingMessage],
    catalog: Catalog,
    *,
    channels: list[str] | None = None,
    oversize: Oversize = Oversize.pointer,
    limit: int = MAX_MESSAGE_BYTES,
) -> Iterator[OutgoingMessage]:
    """One message per channel of each event (``channels`` overrides the catalog), with the size rule; a
    refusal names the FILE:LINE the message came from, when it came from a file."""
    for message in messages:
        try:
            targets, body = _targets(message, catalog, channels, oversize, limit)
        except OcelotError as exc:
            exc.message = f"{message.where}: {exc.message}" if message.where else exc.message
            raise
        for channel in targets:
            yield OutgoingMessage("", channel, body, message.properties, message.event_id, message.event_type,
                                  message.seq, due=message.due, channel=channel, where=message.where)  # fmt: skip


def _targets(message: OutgoingMessage, catalog: Catalog, channels: list[str] | None, oversize: Oversize,
             limit: int) -> tuple[list[str], bytes]:  # fmt: skip
    """The channels one message goes to, and its body (in the delivered shape, or a pointer when too big)."""
    try:
        event = parse_body(message.body)
    except ValueError:
        raise UsageProblem(f"message {message.seq + 1} is not JSON: only events go to real-time channels") from None
    body = message.body
    if detect_kind(event) is EnvelopeKind.PLATFORM:  # in the shape, and to the place, the gateway expects
        event, delivered = as_delivered(event, catalog)
        body = dump_compact(event)
        if not delivered and not channels:
            raise UsageProblem(f"event {message.seq + 1} ({event_type_of(event)}) names no organization, so it "
                               "has no tenant channel", hint="give it an organizationId (--org), or --channel")
        targets = list(channels) if channels else delivered
    elif message.channel and not channels:  # a recording knows where it was seen
        targets = [message.channel]
    else:
        targets = list(channels) if channels else resolve_channels(event, catalog, message.seq)
    if len(body) > limit:
        if oversize is Oversize.refuse:
            raise UsageProblem(
                f"event {message.seq + 1} ({event_type_of(event)}) is {len(body):,} bytes, over the real-time "
                f"limit of {limit:,} bytes",
                hint="keep payloads small, or use --oversize pointer to send the spec's pointer message",
            )
        body = dump_compact(pointer_for(event, len(body)))
    return targets, body


def resolve_channels(event: Any, catalog: Catalog, seq: int = 0) -> list[str]:
    """The channels the catalog lists for a real-time event; UsageProblem when it has none."""
    name = event_type_of(event) if isinstance(event, dict) else None
    if detect_kind(event) is not EnvelopeKind.REALTIME:
        raise UsageProblem(
            f"event {seq + 1} ({name}) is not in the OttoAI real-time envelope",
            hint="real-time channels carry OttoAI events; publish platform events to the exchange, or give --channel",
        )
    entry = catalog.get(name)
    resolved = entry.resolve_channels(event)
    if not resolved:
        raise UsageProblem(
            f"{name} has no channel to go to (the spec sends it directly to one connection)",
            hint="give --channel NAME to publish it anyway",
        )
    return [check_channel(c) for c in resolved]
