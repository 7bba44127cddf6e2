"""Time travel on a RabbitMQ stream: where a read starts (``--since``), where it stops (``--until``),
and how long the stream keeps what it holds (``record --max-age``, ``--max-bytes``).

A message's own time is the event's ``timestamp`` (platform) or ``ts`` (real-time), to the
millisecond, else its AMQP ``timestamp`` property (whole seconds): the time the broker stored a
message is not given to AMQP 0-9-1 consumers. The broker starts a read from a time at the chunk
that holds that second, so the messages a little before ``--since`` that come first are trimmed
here, by their own time, until the first one at or after it; from there on, everything the stream
holds is shown in its order (an old event replayed later is not dropped).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ocelot_cli.envelope import formats
from ocelot_cli.errors import UsageProblem

POSITIONS = ("first", "last", "next")
_AGO = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_AGO_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
SINCE_FORMS = "first, last, next, offset:N, a time ago (90s, 10m, 2h, 1d) or a time (2026-11-27T10:00Z)"


@dataclass(frozen=True)
class StreamStart:
    """Where a stream read starts: the ``x-stream-offset`` to ask for, and the moment when a time was given."""

    offset: Any  # "first" | "last" | "next" | an offset number | an aware datetime (whole seconds)
    moment: float | None = None  # epoch seconds of --since when it is a time (trimmed exactly here)

    def describe(self) -> str:
        if self.moment is not None:
            return formats.format_timestamp(formats.utc_from_epoch(self.moment))
        if isinstance(self.offset, int):
            return f"offset {self.offset:,}"
        return {"first": "its first message", "last": "its last chunk", "next": "the next message"}[self.offset]


def parse_since(text: str, now: float | None = None) -> StreamStart:
    """``--since``: first, last, next, offset:N, a time ago (10m) or a time (ISO 8601; local when no offset)."""
    word = text.strip().lower()
    if word in POSITIONS:
        return StreamStart(word)
    if word.startswith("offset:"):
        number = word.removeprefix("offset:").strip()
        if not number.isdigit():
            raise UsageProblem(f"--since {text!r}: an offset is a whole number from 0, e.g. offset:1200")
        return StreamStart(int(number))
    moment = parse_moment(text, "--since", now)
    # The broker takes whole seconds: the second that holds --since, the rest is trimmed by message time.
    return StreamStart(datetime.fromtimestamp(int(moment), UTC), moment)


def parse_moment(text: str, option: str, now: float | None = None) -> float:
    """Epoch seconds of a time ago (``10m``, ``2h``, ``1d``) or an ISO 8601 time (local when it has no offset)."""
    ago = _AGO.match(text)
    try:
        if ago:
            moment = (time.time() if now is None else now) - float(ago[1]) * _AGO_SECONDS[ago[2]]
        else:
            parsed = datetime.fromisoformat(text.strip())  # 2026-11-27T10:00Z, 2026-11-27 10:00:00+02:00, 2026-11-27
            moment = (parsed if parsed.tzinfo else parsed.astimezone()).timestamp()
        if moment < 0:  # AMQP times are unsigned seconds since 1970
            raise ValueError("before 1970")
        datetime.fromtimestamp(moment, UTC)  # a time Python can show and the broker can take
    except (ValueError, OverflowError, OSError):
        raise UsageProblem(f"{option} {text!r} is neither a time ago nor a time from 1970 to 9999",
                           hint=f"give {SINCE_FORMS if option == '--since' else _UNTIL_FORMS}") from None  # fmt: skip
    return moment


_UNTIL_FORMS = "a time ago (10m, 2h, 1d) or a time (2026-11-27T10:00Z)"


def message_time(message: Any, event: Any) -> tuple[float | None, bool]:
    """The message's own time in epoch seconds, and whether it is to the millisecond (the event's
    timestamp/ts) rather than to the second (the AMQP timestamp property); (None, False) when it has none."""
    if isinstance(event, dict):
        stamp = event.get("timestamp", event.get("ts"))
        moment = formats.epoch_of(stamp) if isinstance(stamp, str) else None
        if moment is not None:
            return moment, True
    seconds = message.properties.get("timestamp")
    if isinstance(seconds, int) and not isinstance(seconds, bool):
        return float(seconds), False
    return None, False


SKIP, SHOW, STOP = "skip", "show", "stop"


@dataclass
class TimeWindow:
    """``--since`` (trims the head of a stream read) and ``--until`` (ends it), by the messages' own time.

    ``caught_up`` says the source has read everything the stream held (a second without a delivery);
    ``reason`` says why the window ended the read.
    """

    since: float | None = None
    until: float | None = None
    caught_up: Callable[[], bool] = lambda: False
    skipped: int = 0  # before --since, at the head of the read
    reason: str = ""
    _trimming: bool = True

    def admit(self, message: Any, event: Any) -> str:
        """SHOW, SKIP (before --since, at the head of the read) or STOP (after --until)."""
        moment, precise = message_time(message, event)
        if moment is None:
            return SHOW
        if self._trimming and self.since is not None:
            if (moment < self.since) if precise else (moment + 1 <= self.since):  # a whole second: all before
                self.skipped += 1
                return SKIP
            self._trimming = False  # from here on the stream's order: everything is shown
        if self.until is not None and moment > self.until:
            self.reason = f"a message from after --until {_text(self.until)} arrived (not shown)"
            return STOP
        return SHOW

    def ends_when_idle(self) -> bool:
        """True when the read is caught up and --until has passed: nothing more can belong to it."""
        if self.until is None or time.time() < self.until or not self.caught_up():
            return False
        self.reason = f"caught up with the stream after --until {_text(self.until)}"
        return True


def _text(moment: float) -> str:
    return formats.format_timestamp(formats.utc_from_epoch(moment))


# -- retention (ocelot record) -------------------------------------------------------------
_AGE = re.compile(r"^\s*(\d+)\s*([smhdwDYM]|[yY])\s*$")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
               "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}  # fmt: skip


def parse_max_age(text: str) -> str:
    """``--max-age`` in RabbitMQ's syntax (a whole number and one of Y M D h m s): 7d -> 7D, 2w -> 14D."""
    found = _AGE.match(text)
    if not found or int(found[1]) == 0:
        raise UsageProblem(f"--max-age {text!r}: give a whole number and a unit, above zero",
                           hint="s, m (minutes), h, d, w, M (months), y: e.g. 7d, 12h, 30m")  # fmt: skip
    number, unit = int(found[1]), found[2]
    if unit == "w":
        return f"{number * 7}D"
    unit = {"d": "D", "y": "Y"}.get(unit, unit)
    return f"{number}{unit}"


def parse_size(text: str) -> int:
    """``--max-bytes``: bytes, or KB MB GB TB (powers of 1000) and KiB MiB GiB TiB (of 1024): 5GB -> 5000000000."""
    found = _SIZE.match(text)
    # Decimal, not float: a plain byte count up to 2**63 - 1 is kept exactly
    size = int(Decimal(found[1]) * _SIZE_UNITS[(found[2] or "b").lower()]) if found else 0
    if size >= 2**63:  # an AMQP long long: the most a queue argument can carry
        raise UsageProblem(f"--max-bytes {text!r}: at most {2**63 - 1:,} bytes (about 9.2 EB)",
                           hint="e.g. 5GB, 500MB or 2GiB (or plain bytes)")  # fmt: skip
    if size <= 0:
        raise UsageProblem(f"--max-bytes {text!r}: give a size above zero",
                           hint="e.g. 5GB, 500MB or 2GiB (or plain bytes)")  # fmt: skip
    return size
