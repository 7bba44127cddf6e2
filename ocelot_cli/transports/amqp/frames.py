"""Close to pika's internals, for speed and timing: FrameWriter, and precise waits on the socket."""

from __future__ import annotations

import contextlib
import gc
import select
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ocelot_cli.transports.amqp import wire


class FrameWriter:
    """basic.publish through wire.MessageEncoder, the frames of many messages written in one piece.

    ``publish`` marshals a message (raising what pika raises for one it cannot encode, before
    anything of it is queued) and keeps its bytes; ``flush`` hands everything kept to pika's
    transport as one write: one send() per batch instead of three per message. If pika's
    internals ever differ, the plain ``channel.basic_publish`` is used instead (``usable``).
    """

    def __init__(self, connection: Any, channel: Any) -> None:
        self.channel = channel
        self.emit = getattr(connection, "_output_marshaled_frames", None)
        body_max = getattr(connection, "_body_max_length", None)
        self.encoder = wire.MessageEncoder(channel.channel_number, body_max if isinstance(body_max, int) else 0)
        self.pending: list[bytes] = []

    @property
    def usable(self) -> bool:
        return callable(self.emit) and self.encoder.body_max > 0

    def publish(self, exchange: str, routing_key: str, body: bytes, properties: dict[str, Any]) -> None:
        self.pending.append(self.encoder.encode(exchange, routing_key, body, properties))

    def flush(self) -> None:
        """Write what ``publish`` kept (nothing is sent before this)."""
        if self.pending:
            data = self.pending[0] if len(self.pending) == 1 else b"".join(self.pending)
            self.pending.clear()
            self.emit([data])  # type: ignore[misc]


SPIN = 0.00015  # the last part of a precise wait is spent spinning, not sleeping (kernel timer slack ~50 us)


@dataclass
class SendTiming:
    """How precisely a publisher sends messages that have a due time (ocelot load tightens it).

    ``early``: how early a due message may leave (a timer that fired a hair early); 0 for load
    tests, where a message sent before its intended time would make its latency look shorter.
    ``precise_wait``: waits shorter than this are slept precisely instead of left to the I/O
    loop's timer, whose poll timeout has millisecond granularity (always rounded up).
    ``before_send``: called on each message's first send (load --rate max stamps its time).
    """

    early: float = 0.0005
    precise_wait: float = 0.0
    before_send: Callable[[Any], None] | None = None

    def when_due(self, wait: float, may_sleep: bool, connection: Any) -> tuple[object, float]:
        """Of a message due in ``wait`` seconds: (NOW, 0) it may leave; (SLEPT, 0) it may leave after a precise
        wait done here; (HELD, seconds) it waits for later, the publisher comes back in that many seconds.
        ``may_sleep``: the I/O loop just polled, so a short precise sleep holds nothing back."""
        if self.early < wait <= self.precise_wait and may_sleep:
            if sleep_unless_readable(connection, wait):
                return SLEPT, 0.0
            return HELD, 0.0  # a confirm came in: read it first
        if wait > self.early:  # not due yet: come back on time
            return HELD, max(0.0, wait - self.precise_wait)
        return NOW, 0.0


NOW, SLEPT, HELD = object(), object(), object()  # what SendTiming.when_due says of a message with a due time


def refill_size(window: int, batch: int, timed: bool) -> int:
    """How many places confirms must free in the window before more is sent. Confirms free it a few at a time:
    refilled in batches, writes are fewer and larger; when sends keep a schedule (--rate, load), at once."""
    return 1 if timed else max(1, min(batch, window // 8))


def sleep_unless_readable(connection: Any, seconds: float) -> bool:
    """Sleep ``seconds``, unless the broker sends something first (then False, at once)."""
    end = time.monotonic() + seconds
    sock = getattr(getattr(connection, "_transport", None), "_sock", None)
    coarse = seconds - SPIN
    if sock is None:  # pika's internals differ: a plain sleep (confirms wait a little)
        if coarse > 0:
            time.sleep(coarse)
    elif coarse > 0 and select.select([sock], [], [], coarse)[0]:
        return False
    while time.monotonic() < end:
        pass
    return True


@contextlib.contextmanager
def few_collections() -> Iterator[None]:
    """Publishing makes millions of short-lived dicts and no reference cycles: collect the young
    generation less often (about 9% of the CPU time otherwise); restored afterwards."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, thresholds[1], thresholds[2])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def sleep_until(seconds: float, stop: Callable[[], bool]) -> None:
    """Sleep ``seconds`` in short steps, ending early once ``stop()`` is true (a Ctrl-C while waiting)."""
    end = time.monotonic() + seconds
    while not stop() and time.monotonic() < end:
        time.sleep(min(0.05, end - time.monotonic()))


class RatePace:
    """``--rate``: how long to wait before the next send so that sends keep the rate, counted
    from the first send on the current channel (a reconnect starts a new count)."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self._base: tuple[float, int] | None = None

    def reset(self) -> None:
        self._base = None

    def delay(self, sends: int) -> float:
        """Seconds to wait, given how many messages were sent so far (first sends and repeats)."""
        if not self.rate:
            return 0.0
        now = time.monotonic()
        if self._base is None:
            self._base = (now, sends)
        base_time, base_count = self._base
        return max(0.0, base_time + (sends - base_count) / self.rate - now)
