"""Durations as users write them: ``250ms``, ``30s``, ``5m``, ``1h``, ``1.5s`` or plain seconds."""

from __future__ import annotations

import re

from ocelot_cli.errors import UsageProblem

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(text: str, *, option: str = "duration", positive: bool = False) -> float:
    """Seconds in ``text``; raises UsageProblem naming the option on anything else (and on zero,
    when ``positive``)."""
    match = _DURATION.match(text)
    if not match:
        raise UsageProblem(f"{option} {text!r} is not a duration", hint="write e.g. 250ms, 30s, 5m or 1h")
    seconds = float(match.group(1)) * _UNIT[match.group(2)]
    if positive and seconds <= 0:
        raise UsageProblem(f"{option} {text}: give a time above zero", hint="write e.g. 250ms, 30s, 5m or 1h")
    return seconds
