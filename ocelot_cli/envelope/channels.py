"""The OttoAI real-time channels: exact names, who owns a channel, the 32 KB limit and pointer messages.

A real-time event goes to every channel its catalog entry lists (``tenant:{tenant_id}:events``,
``lead:...:timeline``, ``user:...:tasks``). A message over 32 KB becomes a pointer: the same
envelope whose ``data`` keeps only the ids, ``_truncated: true`` and the original size, so a
client fetches the rest over REST; or it is refused, as the user chooses.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from ocelot_cli.envelope.catalog import Catalog
from ocelot_cli.envelope.model import EnvelopeKind
from ocelot_cli.errors import UsageProblem

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


def channel_owner(channel: str, tenant: str | None, user: str | None) -> dict[str, str | None]:
    """The tenant, user and lead that events on ``channel`` carry: the channel's own id, else the token's."""
    kind, ident, _suffix = channel.split(":")
    return {
        "tenant": ident if kind == "tenant" else tenant,
        "user": ident if kind == "user" else user,
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


def as_delivered(event: Any, catalog: Catalog) -> tuple[Any, list[str]]:
    """An event as the real-time channels carry it, and the channels it goes to.

    A platform event is converted with the envelope mapping (``model.platform_to_realtime``)
    and goes to its tenant's channel, and to its lead's timeline when it names a lead: the same
    shape and place whether ``ocelot publish --to redis://`` or the gateway's exchange bridge
    sends it. An OttoAI event keeps its envelope and the channels its catalog entry lists. No
    channel for anything else (or for an event the catalog does not know).
    """
    from ocelot_cli.envelope.model import PlatformEvent, detect_kind, event_type_of, platform_to_realtime

    kind = detect_kind(event)
    if kind is EnvelopeKind.PLATFORM:
        converted = platform_to_realtime(PlatformEvent.from_dict(event)).to_dict()
        tenant, lead = converted.get("tenant_id"), converted.get("lead_id")
        channels = [f"tenant:{tenant}:events"] if isinstance(tenant, str) and tenant else []
        if channels and isinstance(lead, str) and lead:
            channels.append(f"lead:{lead}:timeline")
        return converted, [c for c in channels if CHANNEL_PATTERN.match(c)]
    name = event_type_of(event) if kind is EnvelopeKind.REALTIME else None
    if name is None or name not in catalog:
        return event, []
    return event, catalog.get(name).resolve_channels(event)
