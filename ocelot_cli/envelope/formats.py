"""String formats the catalog uses: ISO 8601 times, E.164 numbers, BCP-47 tags, UUIDs.

The regular expressions are exported into the catalog's JSON Schemas as ``pattern`` so
that any standard validator agrees with ours.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

E164_PATTERN = r"^\+[1-9][0-9]{1,14}$"

# RFC 5646 language tag, without the grandfathered irregular tags:
# language[-script][-region]*(-variant)*(-extension)*[-privateuse], or privateuse alone.
BCP47_PATTERN = (
    r"^(?:(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"
    r"(?:-[A-Za-z]{4})?"
    r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
    r"(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*"
    r"(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?"
    r"|[Xx](?:-[A-Za-z0-9]{1,8})+)$"
)

# W3C trace-context trace-id (32 hex) or a whole traceparent header, or a UUID.
TRACE_ID_PATTERN = (
    r"^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[0-9a-f]{32}"
    r"|[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2})$"
)

SEMVER_PATTERN = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$"

_DATETIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$")
_E164_RE = re.compile(E164_PATTERN)
_BCP47_RE = re.compile(BCP47_PATTERN)


def parse_iso_datetime(text: str) -> datetime | None:
    """Parse an RFC 3339 / ISO 8601 date-time; naive values come back naive. None if not one."""
    match = _DATETIME_RE.match(text)
    if not match:
        return None
    normalised = text.replace("t", "T").replace(" ", "T", 1).replace("z", "Z")
    if normalised.endswith("Z"):
        normalised = normalised[:-1] + "+00:00"
    frac = match.group(7)
    if frac and len(frac) > 7:  # fromisoformat takes at most microseconds
        normalised = normalised.replace(frac, frac[:7], 1)
    try:
        return datetime.fromisoformat(normalised)
    except ValueError:
        return None


def is_naive_datetime(text: str) -> bool:
    """True when ``text`` is a valid ISO 8601 date-time that has no UTC offset."""
    parsed = parse_iso_datetime(text)
    return parsed is not None and parsed.tzinfo is None


def as_utc_text(text: str) -> str:
    """Mark a naive ISO 8601 date-time as UTC by appending ``Z``; other text is returned as is."""
    return text + "Z" if is_naive_datetime(text) else text


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 UTC text with millisecond precision and a ``Z``, as both specs show."""
    if moment.tzinfo is not UTC:
        moment = (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).astimezone(UTC)
    return moment.isoformat(timespec="milliseconds")[:23] + "Z"  # the C formatter: truncates, never rounds


def is_e164(text: str) -> bool:
    """True for an E.164 phone number such as ``+14155550123``."""
    return bool(_E164_RE.match(text))


def is_bcp47(text: str) -> bool:
    """True for a well-formed BCP-47 language tag such as ``en-US``."""
    return bool(_BCP47_RE.match(text))


def is_uuid(text: str) -> bool:
    """True for a hyphenated UUID."""
    try:
        return len(text) == 36 and str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False


def epoch_of(text: object) -> float | None:
    """Epoch seconds of an ISO 8601 time (naive times count as UTC); None if it is not one."""
    if not isinstance(text, str):
        return None
    try:  # the C parser takes the usual "2025-09-20T10:30:02.783Z" directly
        parsed: datetime | None = datetime.fromisoformat(text)
    except ValueError:
        parsed = parse_iso_datetime(text)
    if parsed is None:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def utc_from_epoch(seconds: float) -> datetime:
    """The UTC moment of epoch seconds."""
    return datetime.fromtimestamp(seconds, UTC)
