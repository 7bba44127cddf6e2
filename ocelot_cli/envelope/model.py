"""The two envelopes as plain data: the Ocelot platform event and the OttoAI real-time event.

Field mapping used by ``platform_to_realtime`` / ``realtime_to_platform``:

=====================  ======================  ==========================================
Ocelot platform        OttoAI real-time        notes
=====================  ======================  ==========================================
``id``                 ``key``                 the event id doubles as the dedup key
``type``               ``event``
``timestamp``          ``ts``
``organizationId``     ``tenant_id``
``userId``             ``user_id``
``data``               ``data``                unchanged
``metadata.trace_id``  ``trace_id``            else the event id
``metadata.severity``  ``severity``            else ``info``
``metadata.lead_id``   ``lead_id``             else ``data.lead_id``, else None
``source``             (none)                  realtime -> platform: ``ottoai``
``metadata.version``   (none)                  realtime -> platform: ``1.0.0``
``metadata.module``    (none)                  realtime -> platform: ``ottoai-realtime``
(none)                 ``version``             always ``"1"``
=====================  ======================  ==========================================

Realtime -> platform keeps ``trace_id``, ``severity``, ``lead_id`` and a non-UUID ``key``
in ``metadata`` so that converting back gives the same real-time event.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from ocelot_cli.envelope import formats


class EnvelopeKind(StrEnum):
    """Which of the two envelopes an event uses."""

    PLATFORM = "platform"
    REALTIME = "realtime"

    @property
    def title(self) -> str:
        return "Ocelot platform" if self is EnvelopeKind.PLATFORM else "OttoAI real-time"

    @property
    def type_field(self) -> str:
        return "type" if self is EnvelopeKind.PLATFORM else "event"


PLATFORM_FIELDS = ("id", "type", "source", "timestamp", "organizationId", "userId", "data", "metadata")
REALTIME_FIELDS = ("version", "event", "ts", "severity", "trace_id", "tenant_id", "user_id", "lead_id", "key", "data")
_REALTIME_OPTIONAL = ("trace_id", "user_id", "lead_id", "key")
SEVERITIES = ("info", "warn", "error")
REALTIME_VERSION = "1"
DEFAULT_SOURCE = "communications"
DEFAULT_MODULE = "cc-lite"
DEFAULT_METADATA_VERSION = "1.0.0"
REALTIME_SOURCE = "ottoai"
REALTIME_MODULE = "ottoai-realtime"

_EVENT_NAME_PATTERN = r"^[a-z][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$"
_ID_STRING = {"type": "string", "minLength": 1}
_NULLABLE_ID = {"type": ["string", "null"], "minLength": 1}

PLATFORM_ENVELOPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": list(PLATFORM_FIELDS),
    "properties": {
        "id": {"type": "string", "format": "uuid", "description": "unique event identifier"},
        "type": {"type": "string", "pattern": _EVENT_NAME_PATTERN, "description": "event type, e.g. call.ended"},
        "source": {"type": "string", "minLength": 1, "description": "publishing module, e.g. communications"},
        "timestamp": {"type": "string", "format": "date-time", "description": "ISO 8601 time (UTC)"},
        "organizationId": {**_ID_STRING, "description": "organization, for data isolation"},
        "userId": {**_NULLABLE_ID, "description": "who triggered the event"},
        "data": {"type": "object"},
        "metadata": {
            "type": "object",
            "required": ["version", "module"],
            "properties": {
                "version": {"type": "string", "pattern": formats.SEMVER_PATTERN},
                "module": {"type": "string", "minLength": 1},
            },
        },
    },
}

REALTIME_ENVELOPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["version", "event", "ts", "severity", "tenant_id", "data"],
    "properties": {
        "version": {"const": REALTIME_VERSION, "description": "envelope version"},
        "event": {"type": "string", "pattern": _EVENT_NAME_PATTERN, "description": "event name"},
        "ts": {"type": "string", "format": "date-time", "description": "ISO 8601 time"},
        "severity": {"enum": list(SEVERITIES)},
        "trace_id": {"type": ["string", "null"], "pattern": formats.TRACE_ID_PATTERN},
        "tenant_id": {**_ID_STRING, "description": "tenant identifier"},
        "user_id": _NULLABLE_ID,
        "lead_id": _NULLABLE_ID,
        "key": {"type": ["string", "null"], "minLength": 1, "description": "optional deduplication key"},
        "data": {"type": "object"},
    },
}


def envelope_schema(kind: EnvelopeKind) -> dict[str, Any]:
    """The JSON Schema of an envelope, with ``data`` left open."""
    return PLATFORM_ENVELOPE_SCHEMA if kind is EnvelopeKind.PLATFORM else REALTIME_ENVELOPE_SCHEMA


def detect_kind(obj: Any) -> EnvelopeKind | None:
    """Which envelope a parsed JSON object uses, or None when it looks like neither."""
    if not isinstance(obj, dict):
        return None
    platform = "type" in obj and ("organizationId" in obj or "metadata" in obj or "source" in obj)
    realtime = "event" in obj and ("ts" in obj or "tenant_id" in obj or "version" in obj)
    if platform == realtime:
        if "type" in obj and "event" not in obj:
            return EnvelopeKind.PLATFORM
        if "event" in obj and "type" not in obj:
            return EnvelopeKind.REALTIME
        return None
    return EnvelopeKind.PLATFORM if platform else EnvelopeKind.REALTIME


def event_type_of(obj: dict[str, Any]) -> str | None:
    """The event type named by either envelope, if it is a string."""
    value = obj.get("type") if "type" in obj else obj.get("event")
    return value if isinstance(value, str) else None


def new_event_id() -> str:
    """A fresh random event id (UUID 4)."""
    return str(uuid.uuid4())


def utc_now_text() -> str:
    """The current time as ISO 8601 UTC text."""
    return formats.format_timestamp(datetime.now(UTC))


@dataclass
class PlatformEvent:
    """An Ocelot platform event, as published to the ``ocelot.events`` topic exchange."""

    type: str
    organization_id: str
    data: dict[str, Any]
    user_id: str | None = None
    id: str = field(default_factory=new_event_id)
    source: str = DEFAULT_SOURCE
    timestamp: str = field(default_factory=utc_now_text)
    metadata: dict[str, Any] = field(
        default_factory=lambda: {"version": DEFAULT_METADATA_VERSION, "module": DEFAULT_MODULE}
    )
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The wire form, with the spec's field names and order."""
        return {
            "id": self.id,
            "type": self.type,
            "source": self.source,
            "timestamp": self.timestamp,
            "organizationId": self.organization_id,
            "userId": self.user_id,
            "data": self.data,
            "metadata": self.metadata,
            **self.extra,
        }

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> PlatformEvent:
        """Build from the wire form; unknown top-level fields are kept in ``extra``."""
        return cls(
            id=obj.get("id"),
            type=obj.get("type"),
            source=obj.get("source"),
            timestamp=obj.get("timestamp"),
            organization_id=obj.get("organizationId"),
            user_id=obj.get("userId"),
            data=obj.get("data"),
            metadata=obj.get("metadata"),
            extra={k: v for k, v in obj.items() if k not in PLATFORM_FIELDS},
        )


@dataclass
class RealtimeEvent:
    """An OttoAI real-time event, as delivered on WebSocket channels."""

    event: str
    tenant_id: str
    data: dict[str, Any]
    user_id: str | None = None
    lead_id: str | None = None
    severity: str = "info"
    ts: str = field(default_factory=utc_now_text)
    trace_id: str | None = field(default_factory=new_event_id)
    key: str | None = None
    version: str = REALTIME_VERSION
    extra: dict[str, Any] = field(default_factory=dict)
    # Optional fields the parsed event did not have at all: left out again when still None,
    # so parse -> serialise gives back the same JSON.
    absent: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The wire form, with the spec's field names and order."""
        wire = {
            "version": self.version,
            "event": self.event,
            "ts": self.ts,
            "severity": self.severity,
            "trace_id": self.trace_id,
            "tenant_id": self.tenant_id,
            "user_id": self.user_id,
            "lead_id": self.lead_id,
            "key": self.key,
            "data": self.data,
        }
        for name in self.absent:
            if wire.get(name) is None:
                del wire[name]
        return {**wire, **self.extra}

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> RealtimeEvent:
        """Build from the wire form; unknown top-level fields are kept in ``extra``."""
        return cls(
            version=obj.get("version"),
            event=obj.get("event"),
            ts=obj.get("ts"),
            severity=obj.get("severity"),
            trace_id=obj.get("trace_id"),
            tenant_id=obj.get("tenant_id"),
            user_id=obj.get("user_id"),
            lead_id=obj.get("lead_id"),
            key=obj.get("key"),
            data=obj.get("data"),
            extra={k: v for k, v in obj.items() if k not in REALTIME_FIELDS},
            absent=frozenset(name for name in _REALTIME_OPTIONAL if name not in obj),
        )


def parse_event(obj: dict[str, Any]) -> PlatformEvent | RealtimeEvent:
    """Parse a wire-form event of either kind; raises ValueError when it is neither."""
    kind = detect_kind(obj)
    if kind is EnvelopeKind.PLATFORM:
        return PlatformEvent.from_dict(obj)
    if kind is EnvelopeKind.REALTIME:
        return RealtimeEvent.from_dict(obj)
    raise ValueError("neither an Ocelot platform event nor an OttoAI real-time event")


def serialise(event: PlatformEvent | RealtimeEvent | dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, the form published on the wire."""
    obj = event if isinstance(event, dict) else event.to_dict()
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


_CONVERSION_NAMESPACE = uuid.UUID("8c3e0c4e-7b53-4d5e-9a43-0c5e1f0e0a11")


def platform_to_realtime(event: PlatformEvent) -> RealtimeEvent:
    """Convert a platform event into the real-time envelope (see the module's mapping table)."""
    meta = dict(event.metadata or {})
    data = event.data if isinstance(event.data, dict) else {}
    lead = meta.get("lead_id", data.get("lead_id"))
    return RealtimeEvent(
        event=event.type,
        ts=event.timestamp,
        severity=meta.get("severity", "info"),
        trace_id=meta.get("trace_id", event.id),
        tenant_id=event.organization_id,
        user_id=event.user_id,
        lead_id=lead if isinstance(lead, str) else None,
        key=meta.get("key", event.id),
        data=event.data,
    )


def realtime_to_platform(event: RealtimeEvent) -> PlatformEvent:
    """Convert a real-time event into the platform envelope (see the module's mapping table).

    The platform id is the ``key`` when that is a UUID, else a UUID 5 derived from the
    event, so converting the same event twice gives the same id.
    """
    key = event.key
    if isinstance(key, str) and formats.is_uuid(key):
        event_id, keep_key = key, False
    else:
        event_id = str(uuid.uuid5(_CONVERSION_NAMESPACE, serialise(event).decode()))
        keep_key = True
    metadata: dict[str, Any] = {
        "version": DEFAULT_METADATA_VERSION,
        "module": REALTIME_MODULE,
        "severity": event.severity,
        "trace_id": event.trace_id,
        "lead_id": event.lead_id,
    }
    if keep_key:
        metadata["key"] = key
    return PlatformEvent(
        id=event_id,
        type=event.event,
        source=REALTIME_SOURCE,
        timestamp=event.ts,
        organization_id=event.tenant_id,
        user_id=event.user_id,
        data=event.data,
        metadata=metadata,
    )
