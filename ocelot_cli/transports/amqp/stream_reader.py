"""Reading a RabbitMQ stream over AMQP 0-9-1 (RabbitMQ 3.9+): from a point, then live, taking nothing.

A consumer with a prefetch and manual acknowledgements, started at ``x-stream-offset`` (first, last,
next, an offset number, or a time: the broker starts at the chunk holding that second, so messages
a little earlier may come first; the tail trims them by their own time). Acknowledgements on a
stream only let the broker send more: nothing is removed. Each delivery carries its offset in the
``x-stream-offset`` header; a lost connection is taken up again after the last offset read, so a
reconnect loses nothing.

A name given as a stream is checked to be one before anything is consumed: a consumer on a classic
queue would take its messages. A stream refuses ``basic.get`` (see queues.py); a queue that answers
it is no stream, and the one message it may have handed over goes straight back.
"""

from __future__ import annotations

import collections
import shlex
import time
from collections.abc import Iterator
from typing import Any

import pika.exceptions as pex

from ocelot_cli.errors import ExitStatus, UsageProblem
from ocelot_cli.transports.amqp.connection import close_quietly, open_any, translate_close
from ocelot_cli.transports.amqp.consumer import AckedSource
from ocelot_cli.transports.amqp.queues import check_queue_name, is_stream_refusal, passive_declare, queue_refusal
from ocelot_cli.transports.base import Endpoint, TailTarget
from ocelot_cli.transports.messages import QueueCounts, ReceivedMessage, TailStats
from ocelot_cli.transports.retry import PolledSource, reopen

CAUGHT_UP_AFTER = 1.0  # seconds without a delivery after which a stream read counts as caught up


class StreamReader(AckedSource):
    """Iterable of ReceivedMessage (None when idle) from a stream, from ``offset`` on.

    ``look``: the iteration ends once caught up (a look at a stream through ``tail --queue``);
    otherwise it follows live. ``caught_up`` says that nothing arrived for ``CAUGHT_UP_AFTER``.
    """

    def __init__(self, endpoint: Endpoint, target: TailTarget, stats: TailStats, *, offset: Any = None,
                 look: bool = False, checked: bool = False) -> None:  # fmt: skip
        read = target.read
        assert read is not None
        check_queue_name(read.name, "--stream" if read.stream else "--queue")
        self.endpoint = endpoint
        self.purpose = target.purpose
        self.name = read.name
        self.management = read.management
        self.offset = read.offset if offset is None else offset
        self.look = look
        self.prefetch = target.prefetch
        self.poll = target.poll
        self.reconnect_for = target.reconnect_for
        self.notice = target.on_notice or (lambda _m: None)
        self.stats = stats
        self.counts = QueueCounts(read.name, "stream")
        stats.queue = self.counts
        self.node: Endpoint | None = None
        self._lost_node: Endpoint | None = None
        self._checked = checked
        self._connection: Any = None
        self._channel: Any = None
        self._pending: collections.deque[ReceivedMessage] = collections.deque()
        self._unacked = 0
        self._last_tag = 0
        self._last_heard = time.monotonic()

    @property
    def caught_up(self) -> bool:
        """Nothing arrived for a while and nothing read waits to be shown."""
        return not self._pending and time.monotonic() - self._last_heard >= CAUGHT_UP_AFTER

    def __iter__(self) -> Iterator[ReceivedMessage | None]:
        inner = PolledSource.__iter__(self)
        try:
            for message in inner:
                if message is None and self.look and self.caught_up:
                    self.counts.ending = "caught up with the stream"
                    return
                yield message
        finally:
            inner.close()

    # -- connection ----------------------------------------------------------------
    def open(self) -> None:
        """Check (once) that the name is a stream, then consume it from the offset (or after the last read)."""
        if not self._checked:
            self._check_is_stream()
            self._checked = True
        self._connection, self.node = open_any(self.endpoint, self.purpose, after=self._lost_node,
                                                notice=self.notice)  # fmt: skip
        try:
            channel = self._connection.channel()
            passive_declare(channel, self.name, self.node, stream=True)
            channel.basic_qos(prefetch_count=self.prefetch)
            last = self.counts.last_offset
            offset = self.offset if last is None else last + 1
            channel.basic_consume(self.name, self._on_message, auto_ack=False, arguments={"x-stream-offset": offset})
        except pex.ChannelClosedByBroker as exc:
            self.close()
            raise queue_refusal(exc, self.name, self.node) from None
        except BaseException:
            self.close()
            raise
        self._channel = channel
        self._unacked = 0
        self._last_heard = time.monotonic()

    def _check_is_stream(self) -> None:
        """Asked of the management API when it can answer (nothing touched); else over AMQP, where the only
        question is a basic.get: a classic or quorum queue then gives its first message, which goes straight
        back (redelivered; on a quorum queue, one delivery attempt more)."""
        from ocelot_cli.transports.amqp.management import queue_type

        kind, problem = queue_type(self.management, self.endpoint, self.name)
        if kind == "stream":
            return
        if kind is not None:
            raise _not_a_stream(self.name, f"a {kind} queue")
        if problem is not None:  # it answered, but not with the type: said, since a message may now be touched
            self.notice(f"{problem.message}; telling whether {self.name!r} is a stream over AMQP instead: "
                        "on a classic or quorum queue, the one message that check fetches goes back "
                        "redelivered")  # fmt: skip
        connection, node = open_any(self.endpoint, self.purpose, notice=self.notice)
        try:
            channel = connection.channel()
            passive_declare(channel, self.name, node, stream=True)
            try:
                method, _properties, _body = channel.basic_get(self.name, auto_ack=False)
            except pex.ConnectionClosedByBroker as exc:
                if is_stream_refusal(exc):
                    return  # the broker's answer for a stream: nothing was taken
                raise translate_close(exc, node) from None
            except pex.ChannelClosedByBroker as exc:
                raise queue_refusal(exc, self.name, node) from None
            if method is not None:  # the message the check fetched goes straight back
                channel.basic_nack(method.delivery_tag, requeue=True)
                raise _not_a_stream(self.name, "a classic or quorum queue: the one message the check fetched went "
                                    "back, marked redelivered")  # fmt: skip
            raise _not_a_stream(self.name, "a classic or quorum queue, empty now")
        finally:
            close_quietly(connection)

    def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        close_quietly(connection)

    def _on_message(self, channel: Any, method: Any, properties: Any, body: bytes) -> None:
        offset = (properties.headers or {}).get("x-stream-offset")
        if isinstance(offset, int):
            if self.counts.first_offset is None:
                self.counts.first_offset = offset
            self.counts.last_offset = offset
        super()._on_message(channel, method, properties, body)
        self._last_heard = time.monotonic()

    def _reconnect(self, error: BaseException) -> None:
        """Reconnect with backoff and read on after the last offset read."""
        self._connection = self._channel = None
        lost, self._lost_node = self.node, self.node
        what = lost.shown if lost is not None else self.endpoint.shown
        last = self.counts.last_offset
        gap = last is None and self.offset in ("next", "last")  # nothing read yet to go on from
        reopen(self.open, self.stats, self.notice, what=what, reconnect_for=self.reconnect_for,
               error=error, final=(ExitStatus.AUTH, ExitStatus.NOT_FOUND), gap=gap)  # fmt: skip
        if last is not None:
            self.notice(f"reconnected; reading on from offset {last + 1:,} of stream {self.name!r} (nothing missed)")
        else:
            self.notice(f"reconnected; reading stream {self.name!r} from its start point again"
                        + (" (messages that arrived meanwhile were not seen: a gap)" if gap else ""))


def _not_a_stream(name: str, why: str) -> UsageProblem:
    return UsageProblem(f"--stream {name!r}: {name!r} is not a stream ({why})",
                        hint=f"look at a queue with --queue {shlex.quote(name)}; make a stream with "
                        "'ocelot record --stream NAME [PATTERN]... --max-age 7d'")  # fmt: skip
