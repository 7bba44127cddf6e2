"""Watching live traffic: filters, limits, recording and counts, whatever the transport.

A transport supplies ``ReceivedMessage`` items (or None when nothing arrived for a moment);
``TailSession`` decides what to show, renders through a renderer, records, and counts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from ocelot_cli.envelope.codec import parse_body
from ocelot_cli.envelope.validate import EventValidator, Violation
from ocelot_cli.tail.filters import TailFilter
from ocelot_cli.tail.history import SHOW, STOP, TimeWindow
from ocelot_cli.transports.messages import ReceivedMessage, TailStats


class Recorder(Protocol):
    """Where shown messages are recorded (``tail --output``)."""

    def write(self, message: ReceivedMessage, parsed: Any) -> None: ...

    def gap(self, reason: str) -> None: ...

    def flush(self) -> None: ...

    def sync(self) -> None: ...


FLUSH_INTERVAL = 1.0  # a recording is on disk at most this long after a message arrived


class Renderer(Protocol):
    def message(self, message: ReceivedMessage, event: Any, violations: list[Violation] | None) -> None: ...

    def flush(self) -> None: ...


@dataclass
class TailLimits:
    """When a tail stops by itself."""

    count: int | None = None  # events shown
    duration: float | None = None  # seconds
    idle: float | None = None  # seconds without any message


class TailSession:
    """Reads a message source until a limit is reached, showing and recording what matches."""

    def __init__(
        self,
        source: Iterable[ReceivedMessage | None],
        renderer: Renderer,
        *,
        tail_filter: TailFilter | None = None,
        validator: EventValidator | None = None,
        recorder: Recorder | None = None,
        limits: TailLimits | None = None,
        stats: TailStats | None = None,
        channel_of: Callable[[Any], str | None] | None = None,
        window: TimeWindow | None = None,
        on_written: Callable[[list[ReceivedMessage]], None] | None = None,
    ) -> None:
        self.source = source
        # --since/--until of a stream read; and who hears which shown messages are written (flushed, on
        # disk): a take acknowledges them then, so a message leaves its queue only once it is in the output.
        self.window = window
        self.on_written = on_written
        self._written: list[ReceivedMessage] = []
        self.channel_of = channel_of  # names the channel when the source cannot (a gateway of several)
        self.renderer = renderer
        self.filter = tail_filter or TailFilter()
        self.validator = validator
        self.recorder = recorder
        self.limits = limits or TailLimits()
        self.stats = stats or TailStats()
        self._gaps_seen = self.stats.gaps
        self._next_flush = 0.0
        self._offsets = False  # a stream read: where to go on from is kept (see run)

    def run(self) -> TailStats:
        """Consume until --count, --for or --idle-timeout says stop (or the source ends)."""
        limits, stats = self.limits, self.stats
        deadline = stats.started + limits.duration if limits.duration else None
        last_seen = time.monotonic()
        matches = self.filter.matches if self.filter.active else None
        # A source that says when it has nothing more read: the view is flushed then, before any wait, so a
        # line is out as soon as its message is and a burst is written in a few large writes.
        drained = _drained_of(self.source)
        take = self._take
        counts = stats.queue  # set by the source when it reads a stream: offsets to go on from are tracked
        self._offsets = counts is not None and counts.mode == "stream"
        try:
            for message in self.source:
                now = time.monotonic()
                if self.recorder is not None:
                    self._keep_recording(now)
                if message is None:
                    self._flush()
                    if self._idle_ends(now - last_seen):
                        break
                else:
                    last_seen = now
                    if take(message, matches):
                        break
                    if drained():
                        self._flush()
                if deadline is not None and now >= deadline:
                    stats.stop_reason = "duration"
                    break
            else:
                stats.stop_reason = stats.stop_reason or "source ended"
        finally:
            stats.ended = time.monotonic()
            self.renderer.flush()
            if self._written:  # what the view and the recording hold now, also when the tail is stopped
                self._commit()
        return stats

    def _take(self, message: ReceivedMessage, matches: Callable[[Any], bool] | None) -> bool:
        """Count, filter and show one message; True when a limit (--count, --until) ends the tail."""
        stats = self.stats
        try:
            event = parse_body(message.body)
            json_body = True
        except (ValueError, UnicodeDecodeError):
            event, json_body = None, False
        if self.window is not None:
            verdict = self.window.admit(message, event)
            if verdict != SHOW:  # before --since (not counted), or after --until
                stats.stop_reason = "until" if verdict == STOP else stats.stop_reason
                if verdict != STOP and self._offsets:
                    self._handled(message)
                return verdict == STOP
        stats.received += 1
        if self._offsets:
            self._handled(message)
        if not json_body:
            stats.not_json += 1
        if matches is None or matches(event):
            self._show(message, event)
            if self.limits.count is not None and stats.shown >= self.limits.count:
                stats.stop_reason = "count"
                return True
        return False

    def _handled(self, message: ReceivedMessage) -> None:
        """A stream read: the next offset to go on from is after this message (shown, filtered out or trimmed);
        what the source read ahead but the tail never handled (--count, --until, Ctrl-C) is not skipped."""
        offset = (message.properties.get("headers") or {}).get("x-stream-offset")
        if isinstance(offset, int) and not isinstance(offset, bool):
            self.stats.queue.next_offset = offset + 1  # type: ignore[union-attr]

    def _idle_ends(self, quiet: float) -> bool:
        """True when --idle-timeout has passed without a message, or --until with the stream caught up."""
        if self.limits.idle is not None and quiet >= self.limits.idle:
            self.stats.stop_reason = "idle"
            return True
        if self.window is not None and self.window.ends_when_idle():
            self.stats.stop_reason = "until"
            return True
        return False

    def _flush(self) -> None:
        """Write out what the view gathered; then tell who asks which messages are written."""
        self.renderer.flush()
        if self._written:
            self._commit()

    def _commit(self) -> None:
        """The recording flushed to the disk, then the messages shown since the last time are written."""
        assert self.on_written is not None
        if self.recorder is not None:
            self.recorder.flush()
            self.recorder.sync()
        written, self._written = self._written, []
        self.on_written(written)

    def _keep_recording(self, now: float) -> None:
        """Mark a reconnect's gap in the recording, and flush it at least every second."""
        assert self.recorder is not None
        if self.stats.gaps != self._gaps_seen:
            self._gaps_seen = self.stats.gaps
            self.recorder.gap("the tail reconnected: messages sent while it was disconnected were not seen")
        if now >= self._next_flush:
            self.recorder.flush()
            self._next_flush = now + FLUSH_INTERVAL

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
            elif result.warnings:  # the warnings 'ocelot validate' gives, such as a time without an offset
                violations = result.warnings
                self.stats.warned += 1
        self.stats.shown += 1
        if message.channel is None and self.channel_of is not None and event is not None:
            message.channel = self.channel_of(event)
        if self.recorder is not None:
            self.recorder.write(message, event)
        self.renderer.message(message, event, violations)
        if self.on_written is not None:
            self._written.append(message)


def _drained_of(source: Any) -> Callable[[], bool]:
    """True when ``source`` has yielded everything it has read (a PolledSource says so); never for others."""
    if isinstance(getattr(type(source), "has_pending", None), property):
        return lambda: not source.has_pending
    return lambda: False


def _is_pointer(event: Any) -> bool:
    # A pointer message (the real-time spec's form for events over 32 KB) is valid as such.
    return isinstance(event, dict) and isinstance(event.get("data"), dict) and event["data"].get("_truncated") is True
