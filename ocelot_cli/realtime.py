"""The OttoAI real-time side: channel names, the 32 KB limit and pointer messages, channel fan-out.

A real-time event goes to every channel its catalog entry lists (``tenant:{tenant_id}:events``,
``lead:...:timeline``, ``user:...:tasks``). A message over 32 KB becomes a pointer: the same
envelope whose ``data`` keeps only the ids, ``_truncated: true`` and the original size, so a
client fetches the rest over REST; or it is refused, as the user chooses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from enum import StrEnum
from typing import Any

from ocelot_cli.envelope.catalog import Catalog
from ocelot_cli.envelope.model import EnvelopeKind, detect_kind, event_type_of
from ocelot_cli.errors import UsageProblem
from ocelot_cli.outgoing import OutgoingMessage, dump_compact

MAX_MESSAGE_BYTES = 32 * 1024
CHANNEL_PATTERN = re.compile(
    r"\A(?:tenant:[^:\s*?\[\]]+:events|user:[^:\s*?\[\]]+:tasks|lead:[^:\s*?\[\]]+:timeline)\Z"
)


class Oversize(StrEnum):
    """What to do with a message over 32 KB."""

    pointer = "pointer"
    refuse = "refuse"


def check_channel(name: str) -> str:
    """``name`` if it is an exact channel name; UsageProblem naming the three forms otherwise."""
    if not CHANNEL_PATTERN.match(name):
        raise UsageProblem(
            f"{name!r} is not a channel name",
            hint="channels are exact names, no wildcards: tenant:{id}:events, user:{id}:tasks, lead:{id}:timeline",
        )
    return name


def channel_owner(channel: str, claims: dict[str, Any]) -> dict[str, str | None]:
    """The tenant, user and lead that events on ``channel`` carry: the channel's own id, else the token's."""
    kind, ident, _suffix = channel.split(":")
    return {
        "tenant": ident if kind == "tenant" else claims.get("tenant_id"),
        "user": ident if kind == "user" else claims.get("sub"),
        "lead": ident if kind == "lead" else None,
    }


def types_for_channel(catalog: Catalog, channel: str) -> list[str]:
    """Real-time types the catalog delivers on channels of this kind (tenant, user or lead)."""
    kind = channel.split(":", 1)[0] + ":"
    return [t.name for t in catalog if t.envelope is EnvelopeKind.REALTIME and not t.name.startswith("system.")
            and any(c.startswith(kind) for c in t.channels)]  # fmt: skip


def pointer_for(event: dict[str, Any], size: int) -> dict[str, Any]:
    """The pointer form of an oversized event: ids only in ``data``, ``_truncated`` and the size."""
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    ids = {k: v for k, v in data.items() if (k == "id" or k.endswith("_id")) and isinstance(v, str | int)}
    return {**event, "data": {"_truncated": True, "original_size": size, **ids}}


def is_pointer(event: Any) -> bool:
    """True for a pointer message (``data._truncated``)."""
    return isinstance(event, dict) and isinstance(event.get("data"), dict) and event["data"].get("_truncated") is True


def fan_out(
    messages: Iterator[OutgoingMessage],
    catalog: Catalog,
    *,
    channels: list[str] | None = None,
    oversize: Oversize = Oversize.pointer,
    limit: int = MAX_MESSAGE_BYTES,
) -> Iterator[OutgoingMessage]:
    """One message per channel of each event (``channels`` overrides the catalog), with the size rule."""
    for message in messages:
        try:
            event = json.loads(message.body)
        except ValueError:
            raise UsageProblem(f"message {message.seq + 1} is not JSON: only events go to real-time channels") from None
        targets = list(channels) if channels else resolve_channels(event, catalog, message.seq)
        body = message.body
        if len(body) > limit:
            if oversize is Oversize.refuse:
                raise UsageProblem(
                    f"event {message.seq + 1} ({event_type_of(event)}) is {len(body):,} bytes, over the real-time "
                    f"limit of {limit:,} bytes",
                    hint="keep payloads small, or use --oversize pointer to send the spec's pointer message",
                )
            body = dump_compact(pointer_for(event, len(body)))
        for channel in targets:
            yield OutgoingMessage("", channel, body, message.properties, message.event_id, message.event_type,
                                  message.seq, due=message.due, channel=channel)  # fmt: skip


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


def bridge(body: bytes, catalog: Catalog) -> list[tuple[str, bytes]]:
    """Where an event from the platform exchange goes on real-time channels, and in what form.

    A platform event is converted with the envelope mapping (``model.platform_to_realtime``)
    and sent to its tenant's channel (and its lead's timeline when it names a lead); an OttoAI
    event found on the exchange keeps its envelope and the channels its catalog entry lists.
    Anything else is not bridged.
    """
    from ocelot_cli.envelope.model import PlatformEvent, platform_to_realtime

    try:
        event = json.loads(body)
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
