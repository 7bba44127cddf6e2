"""One sentence per change: why it breaks whom, in the words of producers and consumers."""

from __future__ import annotations

import json
from typing import Any

from ocelot_cli.contract.changes import Direction

_WHO = {
    Direction.BACKWARD: ("producers on OLD may send", "consumers on NEW"),
    Direction.FORWARD: ("producers on NEW may send", "consumers still on OLD"),
}


def _text(value: Any, limit: int = 60) -> str:
    shown = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def _values(left: Any, right: Any) -> str:
    """The values of list ``left`` missing from list ``right``, as JSON."""
    right_keys = {json.dumps(v, sort_keys=True, default=str) for v in right or []}
    return ", ".join(_text(v) for v in left or [] if json.dumps(v, sort_keys=True, default=str) not in right_keys)


def _field_what(kind: str, field: str, direction: Direction, old: Any, new: Any) -> str | None:
    back = direction is Direction.BACKWARD
    texts = {
        "field-removed": (f"events carrying '{field}' with values NEW no longer allows" if back else
                          f"events whose '{field}' OLD would refuse, now that NEW no longer checks it"),
        "field-added": (f"'{field}' (an unknown field to OLD, so any value) with values NEW's new field refuses"
                        if back else f"events carrying '{field}', which OLD does not allow"),
        "additional-properties-changed": ("events with fields NEW does not list, which OLD allowed" if back else
                                          "events with fields OLD does not list, which NEW allows"),
        "required-added": f"events without '{field}'",
        "required-removed": f"events without '{field}'",
    }
    return texts.get(kind)


def _keyword_what(kind: str, keyword: str, direction: Direction, old: Any, new: Any) -> str:
    back = direction is Direction.BACKWARD
    refusing, other, other_side = ("NEW", old, "OLD") if back else ("OLD", new, "NEW")
    base = kind.rsplit("-", 1)[0]
    if kind == "enum-values-added":
        return f"the added values {_values(new, old)}"
    if kind == "enum-values-removed":
        return f"the removed values {_values(old, new)}"
    if base == "type":
        return f"values of a type {refusing}'s type {_text(new if back else old)} excludes"
    if base in ("enum", "const"):
        return f"values {refusing}'s {keyword} {_text(new if back else old)} does not allow"
    if base == "bounds":
        bound = f"{other_side}'s is {_text(other)}" if other is not None else f"{other_side} has none"
        return f"values {refusing}'s {keyword} {_text(new if back else old)} refuses ({bound})"
    if base in ("pattern", "format"):
        return f"strings that do not meet {refusing}'s {keyword} {_text(new if back else old)}"
    return f"values {refusing}'s {keyword} refuses"


def why(kind: str, breaks: frozenset[Direction], unproven: frozenset[Direction], *, field: str | None = None,
        keyword: str | None = None, old: Any = None, new: Any = None) -> str:  # fmt: skip
    """The sentence for a change of a data schema (``kind`` as keywords.py and schema_diff.py name them)."""
    if not breaks:
        return "breaks nothing: every event valid under one side stays valid under the other"
    clauses = []
    for direction in sorted(breaks):
        producers, consumers = _WHO[direction]
        what = _field_what(kind, field or "?", direction, old, new) or _keyword_what(
            kind, keyword or "schema", direction, old, new)  # fmt: skip
        reject = "may reject" if direction in unproven else "reject"
        clauses.append(f"{direction.value}: {producers} {what}; {consumers} {reject} them")
    sentence = "; ".join(clauses)
    if unproven:
        sentence = f"cannot prove compatible ({keyword} is beyond what ocelot analyses); {sentence}"
    return sentence


def why_route(kind: str, event_type: str, old: Any, new: Any) -> str:
    """The sentence for a change of where a type is delivered, of its envelope, or of the type itself."""
    if kind == "routing-key-changed":
        return (f"BACKWARD: consumers bound to {new} get no {event_type} from producers still on OLD; FORWARD: "
                f"consumers still bound to {old} stop receiving {event_type} from producers on NEW")
    if kind == "channels-changed":
        removed = [c for c in old if c not in new]
        added = [c for c in new if c not in old]
        parts = []
        if added and removed:
            parts.append(f"BACKWARD: subscribers of {', '.join(added)} get no {event_type} from producers still on OLD")
        if removed:
            parts.append(f"FORWARD: subscribers of {', '.join(removed)} stop receiving {event_type} from producers "
                         "on NEW")
        return "; ".join(parts) or f"breaks nothing: {event_type} is also delivered on {', '.join(added)}"
    if kind == "envelope-changed":
        return (f"BACKWARD and FORWARD: a {old} event and a {new} event have different envelopes, so each side "
                f"rejects the other's {event_type} events")
    if kind == "type-removed":
        return (f"BACKWARD: consumers on NEW reject {event_type} events (an unknown type) that producers on OLD "
                "still send; its consumers get nothing once producers move to NEW")
    return (f"breaks nothing: a new type; consumers on OLD do not subscribe to it (one bound to a wildcard that "
            f"validates against OLD would report {event_type} as an unknown type)")
