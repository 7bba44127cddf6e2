"""The one reconnect policy, and the iteration every tail source shares.

``Backoff`` is how every command waits between attempts to reach a lost broker or server:
0.25 s, doubling, at most 5 s between attempts, for at most a given window. Publishers, tail
sources, load consumers and the gateway's sources all use it, so they behave alike.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable, Iterator

from ocelot_cli.errors import ExitStatus, OcelotError
from ocelot_cli.transports.messages import ReceivedMessage, TailStats


class Backoff:
    """Delays between reconnect attempts: ``first``, doubling up to ``cap``, within ``window`` seconds.

    The window starts at the first call of ``next_delay`` after a ``reset``, that is, when the
    connection was found lost; ``expired`` says the window is over.
    """

    def __init__(self, window: float, *, first: float = 0.25, cap: float = 5.0) -> None:
        self.window = window
        self.first = first
        self.cap = cap
        self.attempts = 0
        self._give_up_at: float | None = None

    def reset(self) -> None:
        """The connection is back: the next loss starts a new window."""
        self.attempts = 0
        self._give_up_at = None

    @property
    def expired(self) -> bool:
        return self._give_up_at is not None and time.monotonic() >= self._give_up_at

    def next_delay(self) -> float:
        """The wait before the next attempt (starts the window on the first call)."""
        if self._give_up_at is None:
            self._give_up_at = time.monotonic() + self.window
        delay = min(self.first * 2**self.attempts, self.cap)
        self.attempts += 1
        return delay

    def would_expire(self, delay: float) -> bool:
        """True when waiting ``delay`` more seconds passes the end of the window."""
        return self._give_up_at is not None and time.monotonic() + delay > self._give_up_at


def reopen(open_source: Callable[[], None], stats: TailStats, notice: Callable[[str], None], *, what: str,
           reconnect_for: float, error: BaseException,
           final: tuple[ExitStatus, ...] = (ExitStatus.AUTH,), gap: bool = True) -> None:  # fmt: skip
    """Re-open a lost source with backoff; count the gap; raise when it cannot.

    ``final``: exit statuses (of the OcelotError ``open_source`` raises) not worth retrying;
    ``gap``: messages sent meanwhile are lost to this source (not so for a durable queue).
    """
    notice(f"connection to {what} lost ({type(error).__name__}); reconnecting")
    backoff = Backoff(reconnect_for)
    while True:
        delay = backoff.next_delay()
        time.sleep(delay)
        try:
            open_source()
        except OcelotError as exc:
            if backoff.would_expire(delay) or exc.exit_status in final:
                raise
            continue
        stats.reconnects += 1
        stats.gaps += 1 if gap else 0
        return


class PolledSource:
    """The iteration every tail source shares: yield what arrived, poll, reconnect when lost.

    A subclass sets ``_pending`` (a deque) and ``lost_errors``, and provides ``_connected``,
    ``open``, ``close``, ``_poll`` (wait up to one poll interval, appending to ``_pending``) and
    ``_reconnect``; ``_drained`` runs each time the messages read so far have all been yielded.
    Iteration yields None when a poll brought nothing, so the session can check its limits.
    """

    lost_errors: tuple[type[BaseException], ...] = ()
    _pending: collections.deque[ReceivedMessage]
    queue: str | None = None  # the broker queue a source reads, when it has one of its own

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

    @property
    def has_pending(self) -> bool:
        """True while messages already read are still to be yielded."""
        return bool(self._pending)

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
