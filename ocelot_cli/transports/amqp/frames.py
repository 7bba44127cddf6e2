"""Close to pika's internals, for speed and timing: FrameWriter, and precise waits on the socket."""

from __future__ import annotations

import contextlib
import gc
import select
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pika import frame as amqp_frame
from pika import spec as amqp_spec


class FrameWriter:
    """basic.publish with the constant method frame marshalled once per routing key.

    pika marshals a fresh Basic.Publish method frame for every message; for a stream of
    messages to a few routing keys that work is the same each time. Header and body frames
    still go through pika's own marshalling. If pika's internals ever differ, the plain
    ``channel.basic_publish`` is used instead (see benchmarks/bench_publish.py for the gain).
    """

    def __init__(self, connection: Any, channel: Any) -> None:
        self.channel = channel
        self.number = channel.channel_number
        self.emit = getattr(connection, "_output_marshaled_frames", None)
        self.body_max = getattr(connection, "_body_max_length", None)
        self.methods: dict[tuple[str, str], bytes] = {}

    @property
    def usable(self) -> bool:
        return callable(self.emit) and isinstance(self.body_max, int) and self.body_max > 0

    def publish(self, exchange: str, routing_key: str, body: bytes, properties: Any) -> None:
        method = self.methods.get((exchange, routing_key))
        if method is None:
            publish = amqp_spec.Basic.Publish(exchange=exchange, routing_key=routing_key, mandatory=True)
            method = self.methods[(exchange, routing_key)] = amqp_frame.Method(self.number, publish).marshal()
        frames = [method, amqp_frame.Header(self.number, len(body), properties).marshal()]
        limit = self.body_max
        for start in range(0, len(body), limit):
            frames.append(amqp_frame.Body(self.number, body[start : start + limit]).marshal())
        self.emit(frames)


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
