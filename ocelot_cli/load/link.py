"""How a load run's worker processes talk to the coordinator: shared flags, a results queue, a reporter.

Each publisher and each consumer is its own process with its own connection, so the Python
generator is not the bottleneck of the measurement. A worker announces ``ready``, waits for
the shared origin (a ``time.monotonic()`` value: the clock is the same for every process of
the machine), works, sends deltas of its per-second buckets a few times a second, and ends
with ``done`` (its delivery bitmap and its CPU time) or ``error``.
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass
from typing import Any

from ocelot_cli.load.stats import Buckets

PUBLISHER, CONSUMER = "publisher", "consumer"
FLUSH_INTERVAL = 0.25


class Flag:
    """A one-way switch shared by processes (a shared byte, polled).

    Not multiprocessing.Event: a process that ends while a thread of it waits on an Event
    leaves the Event's condition counting a sleeper that never wakes, and the next set() hangs.
    """

    def __init__(self, ctx: Any) -> None:
        self._value = ctx.RawValue("b", 0)

    def set(self) -> None:
        self._value.value = 1

    def is_set(self) -> bool:
        return bool(self._value.value)

    def wait(self, timeout: float | None = None) -> bool:
        end = None if timeout is None else time.monotonic() + timeout
        while not self._value.value:
            if end is not None and time.monotonic() >= end:
                return False
            time.sleep(0.01)
        return True


@dataclass
class Link:
    """The multiprocessing objects a worker shares with the coordinator (picklable for spawn)."""

    results: Any  # Queue of (kind, role, index, payload)
    start: Flag  # the origin is set, go
    stop_publishing: Flag  # Ctrl-C: stop sending
    stop_consuming: Flag  # everything was received (or the drain time is over)
    origin: Any  # RawValue('d'): time.monotonic() of intended time 0


class Reporter:
    """A worker's side of the link."""

    def __init__(self, link: Link, role: str, index: int) -> None:
        self.link = link
        self.role = role
        self.index = index
        self.buckets = Buckets()
        self._cpu0 = 0.0
        self._wall0 = 0.0
        self._next_flush = 0.0

    def send(self, kind: str, payload: Any = None) -> None:
        self.link.results.put((kind, self.role, self.index, payload))

    def wait_start(self) -> float:
        """Say ready, wait for the go; the origin (monotonic seconds)."""
        self.send("ready")
        while not self.link.start.wait(0.5):
            if self.link.stop_publishing.is_set():
                break
        usage = resource.getrusage(resource.RUSAGE_SELF)
        self._cpu0, self._wall0 = usage.ru_utime + usage.ru_stime, time.monotonic()
        self._next_flush = self._wall0 + FLUSH_INTERVAL
        return float(self.link.origin.value)

    def maybe_flush(self, extra: dict[str, Any] | None = None) -> None:
        now = time.monotonic()
        if now >= self._next_flush:
            self._next_flush = now + FLUSH_INTERVAL
            self.flush(extra)

    def flush(self, extra: dict[str, Any] | None = None) -> None:
        deltas = self.buckets.flush()
        if deltas or extra:
            self.send("delta", {"deltas": deltas, **(extra or {})})

    def stop_on_request(self, publisher: Any) -> None:
        """Ask ``publisher`` to stop when the coordinator says so (Ctrl-C), from a watching thread."""
        import threading

        def watch() -> None:
            self.link.stop_publishing.wait()
            publisher.request_stop()

        threading.Thread(target=watch, daemon=True).start()

    def done(self, payload: dict[str, Any]) -> None:
        self.flush()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        wall = max(1e-9, time.monotonic() - self._wall0)
        payload["cpu_percent"] = round(100.0 * (usage.ru_utime + usage.ru_stime - self._cpu0) / wall, 1)
        self.send("done", payload)
