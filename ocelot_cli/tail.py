"""Watching live traffic: filters, limits, recording and counts, whatever the transport.

A transport supplies ``ReceivedMessage`` items (or None when nothing arrived for a moment);
``TailSession`` decides what to show, renders through a renderer, records, and counts.
"""

from __future__ import annotations

import collections
import fnmatch
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from ocelot_cli.envelope import formats
from ocelot_cli.envelope.catalog import lookup_path
from ocelot_cli.envelope.model import event_type_of
from ocelot_cli.envelope.validate import EventValidator, Violation
from ocelot_cli.errors import UsageProblem

try:
    import orjson

    def parse_body(body: bytes) -> Any:
        """Parsed JSON of a body; raises ValueError when it is not JSON."""
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            return json.loads(body)  # what orjson refuses but JSON allows, such as huge integers

except ImportError:  # pragma: no cover

    def parse_body(body: bytes) -> Any:
        return json.loads(body)


class ReceivedMessage:
    """One message as it arrived: body bytes and where it came from.

    Transport properties are converted to plain data only when asked for (recordings
    need them; showing a message does not), which keeps the per-message path short.
    """

    __slots__ = ("body", "received_at", "exchange", "routing_key", "channel", "redelivered", "_properties",
                 "_raw", "_reader")  # fmt: skip

    def __init__(
        self,
        body: bytes,
        received_at: float,
        exchange: str | None = None,
        routing_key: str | None = None,
        channel: str | None = None,
        properties: dict[str, Any] | None = None,
        redelivered: bool = False,
        raw_properties: Any = None,
        reader: Callable[[Any], dict[str, Any]] | None = None,
    ) -> None:
        self.body = body
        self.received_at = received_at
        self.exchange = exchange
        self.routing_key = routing_key
        self.channel = channel
        self.redelivered = redelivered
        self._properties = properties
        self._raw = raw_properties
        self._reader = reader

    @property
    def properties(self) -> dict[str, Any]:
        if self._properties is None:
            self._properties = self._reader(self._raw) if self._reader is not None else {}
        return self._properties

    @property
    def received_text(self) -> str:
        return formats.format_timestamp(formats.utc_from_epoch(self.received_at))


_OPS = ("!=", ">=", "<=", "~=", "=", ">", "<")
_CONDITION = re.compile(r"^([^!<>=~]+?)\s*(!=|>=|<=|~=|=|>|<)\s*(.*)$")


@dataclass(frozen=True)
class Condition:
    """``--where PATH OP VALUE``: =, !=, >, >=, <, <= (numbers compared as numbers), ~= (regex)."""

    path: str
    op: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Condition:
        match = _CONDITION.match(text)
        if not match:
            raise UsageProblem(
                f"--where {text!r} is not a condition",
                hint="write PATH OP VALUE, e.g. data.outcome=callback_requested or data.score<-0.5 "
                f"(operators: {' '.join(_OPS)})",
            )
        path, op, value = match.group(1).strip(), match.group(2), match.group(3).strip()
        if op == "~=":
            try:
                re.compile(value)
            except re.error as exc:
                raise UsageProblem(f"--where {text!r}: bad regular expression: {exc}") from None
        return cls(path, op, value)

    def holds(self, event: Any) -> bool:
        actual = lookup_path(event, self.path)
        if self.op == "~=":
            return actual is not None and re.search(self.value, _text(actual)) is not None
        if self.op in ("=", "!="):
            equal = _text(actual) == self.value or _numbers_equal(actual, self.value)
            return equal if self.op == "=" else not equal
        left, right = _number(actual), _number(self.value)
        if left is None or right is None:
            return False
        return {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[self.op]


def _text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _numbers_equal(left: Any, right: str) -> bool:
    a, b = _number(left), _number(right)
    return a is not None and b is not None and a == b


@dataclass
class TailFilter:
    """Which events to show: type globs, organization/tenant, conditions (all must hold)."""

    types: list[str] = field(default_factory=list)
    org: str | None = None
    conditions: list[Condition] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return bool(self.types or self.org or self.conditions)

    def matches(self, event: Any) -> bool:
        if not isinstance(event, dict):
            return not self.active
        if self.types:
            name = event_type_of(event) or ""
            if not any(fnmatch.fnmatchcase(name, pattern) for pattern in self.types):
                return False
        if self.org is not None and self.org not in (event.get("organizationId"), event.get("tenant_id")):
            return False
        return all(condition.holds(event) for condition in self.conditions)


class Renderer(Protocol):
    def message(self, message: ReceivedMessage, event: Any, violations: list[Violation] | None) -> None: ...

    def flush(self) -> None: ...


@dataclass
class TailLimits:
    """When a tail stops by itself."""

    count: int | None = None  # events shown
    duration: float | None = None  # seconds
    idle: float | None = None  # seconds without any message


@dataclass
class TailStats:
    """Counts for the summary line."""

    received: int = 0
    shown: int = 0
    invalid: int = 0
    not_json: int = 0
    dropped: int = 0  # overflowed out of the tail's own bounded queue
    reconnects: int = 0
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    stop_reason: str = ""

    @property
    def elapsed(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    def to_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "shown": self.shown,
            "invalid": self.invalid,
            "not_json": self.not_json,
            "dropped": self.dropped,
            "reconnects": self.reconnects,
            "elapsed_s": round(self.elapsed, 3),
            "stop_reason": self.stop_reason,
        }


class TailSession:
    """Reads a message source until a limit is reached, showing and recording what matches."""

    def __init__(
        self,
        source: Iterable[ReceivedMessage | None],
        renderer: Renderer,
        *,
        tail_filter: TailFilter | None = None,
        validator: EventValidator | None = None,
        recorder: Callable[[ReceivedMessage, Any], None] | None = None,
        limits: TailLimits | None = None,
        stats: TailStats | None = None,
    ) -> None:
        self.source = source
        self.renderer = renderer
        self.filter = tail_filter or TailFilter()
        self.validator = validator
        self.recorder = recorder
        self.limits = limits or TailLimits()
        self.stats = stats or TailStats()

    def run(self) -> TailStats:
        """Consume until --count, --for or --idle-timeout says stop (or the source ends)."""
        limits, stats = self.limits, self.stats
        deadline = stats.started + limits.duration if limits.duration else None
        last_seen = time.monotonic()
        matches = self.filter.matches if self.filter.active else None
        try:
            for message in self.source:
                now = time.monotonic()
                if message is None:
                    self.renderer.flush()
                    if limits.idle is not None and now - last_seen >= limits.idle:
                        stats.stop_reason = "idle"
                        break
                else:
                    last_seen = now
                    stats.received += 1
                    try:
                        event = parse_body(message.body)
                    except (ValueError, UnicodeDecodeError):
                        event = None
                        stats.not_json += 1
                    if matches is None or matches(event):
                        self._show(message, event)
                        if limits.count is not None and stats.shown >= limits.count:
                            stats.stop_reason = "count"
                            break
                if deadline is not None and now >= deadline:
                    stats.stop_reason = "duration"
                    break
            else:
                stats.stop_reason = stats.stop_reason or "source ended"
        finally:
            stats.ended = time.monotonic()
            self.renderer.flush()
        return stats

    def _show(self, message: ReceivedMessage, event: Any) -> None:
        violations = None
        if isinstance(event, dict) and event.get("event") == "system.buffer_dropped":
            count = (event.get("data") or {}).get("dropped_count")
            self.stats.dropped += count if isinstance(count, int) else 0
        if self.validator is not None and event is not None and not _is_pointer(event):
            result = self.validator.validate(event)
            if not result.ok:
                violations = result.errors
                self.stats.invalid += 1
        self.stats.shown += 1
        if self.recorder is not None:
            self.recorder(message, event)
        self.renderer.message(message, event, violations)


def _is_pointer(event: Any) -> bool:
    # A pointer message (the real-time spec's form for events over 32 KB) is valid as such.
    return isinstance(event, dict) and isinstance(event.get("data"), dict) and event["data"].get("_truncated") is True


class PolledSource:
    """The iteration every tail source shares: yield what arrived, poll, reconnect when lost.

    A subclass sets ``_pending`` (a deque) and ``lost_errors``, and provides ``_connected``,
    ``open``, ``close``, ``_poll`` (wait up to one poll interval, appending to ``_pending``) and
    ``_reconnect``; ``_drained`` runs each time the messages read so far have all been yielded.
    Iteration yields None when a poll brought nothing, so the session can check its limits.
    """

    lost_errors: tuple[type[BaseException], ...] = ()
    _pending: collections.deque[ReceivedMessage]

    def __iter__(self) -> Iterator[ReceivedMessage | None]:
        if not self._connected():
            self.open()
        pending = self._pending
        try:
            while True:
                if pending:
                    yield pending.popleft()
                    if not pending:
                        self._drained()
                    continue
                try:
                    self._poll()
                except self.lost_errors as exc:
                    self._reconnect(exc)
                    continue
                if not pending:
                    yield None
        finally:
            self.close()

    def _drained(self) -> None:
        """Hook: everything read so far was yielded."""

    def _connected(self) -> bool:
        raise NotImplementedError

    def open(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _poll(self) -> None:
        raise NotImplementedError

    def _reconnect(self, error: BaseException) -> None:
        raise NotImplementedError


def reopen(open_source: Callable[[], None], stats: TailStats, notice: Callable[[str], None], *, what: str,
           reconnect_for: float, error: BaseException, final: tuple[str, ...] = ("AUTH",)) -> None:  # fmt: skip
    """Re-open a lost tail source with backoff; warn that a gap is possible; raise when it cannot.

    ``final`` names exit statuses (of the OcelotError ``open_source`` raises) not worth retrying.
    """
    from ocelot_cli.errors import OcelotError

    notice(f"connection to {what} lost ({type(error).__name__}); reconnecting")
    give_up = time.monotonic() + reconnect_for
    delay = 0.25
    while True:
        time.sleep(delay)
        try:
            open_source()
        except OcelotError as exc:
            if time.monotonic() + delay > give_up or exc.exit_status.name in final:
                raise
            delay = min(delay * 2, 5.0)
            continue
        stats.reconnects += 1
        return
