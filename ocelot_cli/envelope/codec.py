"""JSON bytes in and out, the same way everywhere: compact UTF-8 out, tolerant parsing in.

orjson is several times faster than the standard library on the per-message paths of publish
and tail; what it refuses but JSON allows (integers beyond 64 bits) falls back to ``json``.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dump_compact(value: Any) -> bytes:
    """Compact UTF-8 JSON bytes (the form ocelot publishes and records)."""
    try:
        return orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):  # ints beyond 64 bits, other oddities
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def parse_body(body: bytes | str) -> Any:
    """Parsed JSON of a message body; raises ValueError when it is not JSON (or nests too deep to read)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        try:
            return json.loads(body)  # what orjson refuses but JSON allows, such as huge integers
        except RecursionError:  # deeper than orjson's 1024 levels: not an event anyone can use
            raise ValueError("JSON nested too deep") from None
