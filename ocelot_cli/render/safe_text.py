"""Make payload text safe for a terminal: control characters escaped, never interpreted.

Escaped: C0 controls except tab and newline, DEL, C1 controls (ESC and CSI among them), the
Unicode bidirectional overrides that can reorder what a reader sees, and lone surrogates.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Surrogates too: a lone one (a non-UTF-8 file name, a "\ud800" escape) cannot even be written as UTF-8.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSAFE_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")  # json.dumps escapes C0 already
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\x1b": "\\e"}


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def escape_control(text: str, *, one_line: bool = False) -> str:
    """``text`` with unsafe characters shown as escapes (``\\e``, ``\\x9b``); with one_line, tab/newline too."""
    pattern = _UNSAFE_ONE_LINE if one_line else _UNSAFE
    return pattern.sub(_escape, text)


def safe_json(value: Any, *, indent: int | None = None) -> str:
    """JSON text that is valid, lossless, and safe to print: DEL, C1 and bidi controls as \\u escapes."""
    separators = (",", ": ") if indent else (",", ":")
    text = json.dumps(value, ensure_ascii=False, indent=indent, separators=separators, default=str)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
