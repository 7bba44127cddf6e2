"""JSON bytes in and out, the same way everywhere: compact UTF-8 out, tolerant parsing in.

orjson is several times faster than the standard library on the per-message paths of publish
and tail; what it refuses but JSON allows (integers beyond 64 bits) falls back to ``json``.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson


def dump_compact(value: Any) -> bytes:
    """Compact UTF-8 JSON bytes (the form ocelot publishes and records)."""
    try:
        return orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):  # ints beyond 64 bits, other oddities
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode()
    except UnicodeEncodeError:  # a lone surrogate: bytes that were not UTF-8 (an argument, a file)
        from ocelot_cli.errors import InvalidEvent

        raise InvalidEvent("the event holds text that is not valid UTF-8 (bytes of another encoding)",
                           hint="give the text as UTF-8 (check the terminal's or the file's encoding)") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"{text} is beyond a double")
    return number


# The standard decoder, as strict as JSON: no NaN or Infinity, no number that overflows a double.
STRICT_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite)


def parse_body(body: bytes | str) -> Any:
    """Parsed JSON of a message body; ValueError when it is not JSON that every reader can use
    (NaN, Infinity, a lone surrogate escape, nesting deeper than any decoder reads)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "surrogate" in str(exc):  # "\ud800" alone is no character: nothing downstream could print it
            raise ValueError(f"not JSON: {exc}") from None
    try:  # what orjson refuses but JSON allows, such as integers beyond 64 bits
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        return STRICT_DECODER.decode(text)
    except RecursionError:  # deeper than orjson's 1024 levels: not an event anyone can use
        raise ValueError("JSON nested too deep") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8: {exc}") from None
