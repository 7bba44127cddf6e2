"""Reading an existing queue (``tail --queue``): a look that takes nothing, or a take that removes what it wrote.

Messages are fetched one ``basic.get`` at a time without acknowledgement, so the read ends exactly
where the backlog it saw ends (``get-empty``), holds no more than its bound, and never has a
returned message delivered back to itself (which a consumer would have). A look returns every
message it fetched with ``basic.nack(multiple, requeue)`` on every way out; closing the channel
returns them too, so nothing is lost whatever happens. The broker marks returned messages
redelivered and may put them back out of order relative to other consumers; a quorum queue counts
each return as a delivery attempt. A take acknowledges a message only once the tail has written it
(``written``): what was not written, or filtered out, goes back to the queue.

A stream is read as a stream (``StreamReader``, from its first message until caught up), found out
by its refusal of ``basic.get``, which takes nothing from it.
"""

from __future__ import annotations

import collections
import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pika.exceptions as pex

from ocelot_cli.errors import ConnectionLost, UsageProblem
from ocelot_cli.transports.amqp.connection import CONNECTION_ERRORS, close_quietly, open_any
from ocelot_cli.transports.amqp.consumer import properties_dict
from ocelot_cli.transports.amqp.queues import (
    IsAStream,
    check_queue_name,
    is_stream_refusal,
    passive_declare,
    queue_refusal,
)
from ocelot_cli.transports.amqp.stream_reader import StreamReader
from ocelot_cli.transports.base import Endpoint, TailTarget
from ocelot_cli.transports.messages import QueueCounts, ReceivedMessage, TailStats
from ocelot_cli.transports.retry import PolledSource

FETCH_BATCH = 100  # messages fetched before the tail shows (and a take acknowledges) them


class ExistingQueueSource:
    """The tail source of ``tail --queue`` and ``tail --stream``: a look or take of a classic or quorum
    queue, or a stream read; ``ready`` and ``consumers`` as the queue's declaration said when opened."""

    queue: str | None = None  # not a queue of its own

    def __init__(self, endpoint: Endpoint, target: TailTarget, stats: TailStats) -> None:
        read = target.read
        assert read is not None
        check_queue_name(read.name, "--stream" if read.stream else "--queue")
        self.endpoint, self.target, self.stats = endpoint, target, stats
        self.read = read
        self.source: Any = StreamReader(endpoint, target, stats) if read.stream else GetReader(endpoint, target, stats)

    @property
    def has_pending(self) -> bool:
        return self.source.has_pending

    @property
    def ready(self) -> int | None:
        return getattr(self.source, "ready", None)

    @property
    def consumers(self) -> int | None:
        return getattr(self.source, "consumers", None)

    @property
    def caught_up(self) -> bool:
        return bool(getattr(self.source, "caught_up", False))

    def open(self) -> None:
        self.source.open()

    def __iter__(self) -> Iterator[ReceivedMessage | None]:
        try:
            yield from self.source
        except IsAStream:
            if self.read.take:
                raise UsageProblem(f"queue {self.read.name!r} is a stream: a stream keeps its messages, so nothing "
                                   "can be taken from it (nothing was)",
                                   hint=f"read it without --consume, or from a point: --stream {self.read.name} "
                                   "--since 1h") from None  # fmt: skip
            self.source.close()  # the broker closed its connection with that answer
            self.source = StreamReader(self.endpoint, self.target, self.stats, offset="first", look=True,
                                       checked=True)  # fmt: skip
            notice = self.target.on_notice or (lambda _m: None)
            notice(f"queue {self.read.name!r} is a stream: reading it from its first message until caught up, "
                   f"taking nothing (--stream {self.read.name} --since ... reads from a point and follows live)")
            yield from self.source

    def written(self, messages: list[ReceivedMessage]) -> None:
        """These messages were written (view flushed, recording on disk): a take acknowledges them."""
        self.source.written(messages)

    def close(self) -> None:
        self.source.close()


class GetReader(PolledSource):
    """A look or take of a classic or quorum queue by ``basic.get``; ends when the queue has no more
    ready, at the bound, or when the tail stops."""

    lost_errors = CONNECTION_ERRORS

    def __init__(self, endpoint: Endpoint, target: TailTarget, stats: TailStats) -> None:
        read = target.read
        assert read is not None
        self.endpoint = endpoint
        self.purpose = target.purpose
        self.read = read
        self.counts = QueueCounts(read.name, "take" if read.take else "look")
        stats.queue = self.counts
        self.ready: int | None = None
        self.consumers: int | None = None
        self.node: Endpoint | None = None
        self._connection: Any = None
        self._channel: Any = None
        self._pending: collections.deque[ReceivedMessage] = collections.deque()
        self._done = False
        self._lost: BaseException | None = None

    def open(self) -> None:
        self._connection, self.node = open_any(self.endpoint, self.purpose)
        try:
            channel = self._connection.channel()
            ok = passive_declare(channel, self.read.name, self.node)
        except BaseException:
            self.close()
            raise
        self.ready, self.consumers = ok.message_count, ok.consumer_count
        self._channel = channel

    def __iter__(self) -> Iterator[ReceivedMessage | None]:
        # Unlike other sources, the end of the iteration does not close: a take still acknowledges what the
        # tail writes while it stops (its last flush), and the tail closes the source after that.
        if not self._connected():
            self.open()
        pending = self._pending
        while True:
            if pending:
                yield pending.popleft()
                continue
            try:
                self._poll()
            except self.lost_errors as exc:
                self._reconnect(exc)
            if not pending:
                if self._done:
                    return
                yield None

    def _connected(self) -> bool:
        return self._connection is not None

    def _poll(self) -> None:
        if self._lost is not None:  # an acknowledgement found the connection gone
            raise self._lost
        if self._done:
            return
        room = self.read.bound - self.counts.read
        if room <= 0:
            self._finish(f"read the most one {self.counts.mode} reads (--max-queue {self.read.bound:,})")
            return
        for _ in range(min(1 if self.read.one_at_a_time else FETCH_BATCH, room)):
            method, properties, body = self._get()
            if method is None:
                self._finish("the queue had no more messages ready")
                return
            self.counts.read += 1
            self._pending.append(ReceivedMessage(body, time.time(), method.exchange, method.routing_key,
                                                 redelivered=method.redelivered, raw_properties=properties,
                                                 reader=properties_dict, tag=method.delivery_tag))  # fmt: skip

    def _get(self) -> tuple[Any, Any, bytes]:
        try:
            return self._channel.basic_get(self.read.name, auto_ack=False)
        except pex.ConnectionClosedByBroker as exc:
            if is_stream_refusal(exc):
                raise IsAStream from None
            raise
        except pex.ChannelClosedByBroker as exc:
            raise queue_refusal(exc, self.read.name, self.node or self.endpoint) from None

    def _finish(self, why: str) -> None:
        self._done = True
        self.counts.ending = why

    def written(self, messages: list[ReceivedMessage]) -> None:
        """A take acknowledges what was written; a look, nothing. A connection found gone is reported by
        the next poll (never from here, which may run while the tail is being stopped)."""
        if not self.read.take or not messages or self._channel is None:
            return
        try:
            for message in messages:
                self._channel.basic_ack(message.tag)
        except CONNECTION_ERRORS as exc:
            self._lost = exc
            self._channel = None
            return
        self.counts.taken += len(messages)

    def close(self) -> None:
        """Return every message not acknowledged (closing the channel would too), then close."""
        channel, connection = self._channel, self._connection
        self._channel = self._connection = None
        if channel is not None and self.counts.returned:
            with contextlib.suppress(Exception):  # the connection's end returns them as well
                channel.basic_nack(0, multiple=True, requeue=True)
        close_quietly(connection)

    def _reconnect(self, error: BaseException) -> None:
        """A look or take is not taken up again: what it held went back to the queue when the connection went."""
        self._connection = self._channel = None
        where = (self.node or self.endpoint).shown
        took = f"{self.counts.taken:,} taken before it; " if self.read.take else ""
        raise ConnectionLost(f"the connection to {where} was lost during the {self.counts.mode} of queue "
                             f"{self.read.name!r} ({type(error).__name__}): {took}every message it held went back "
                             "to the queue, marked redelivered; nothing was lost",
                             hint="run it again" + ("; messages written but not yet acknowledged are read again"
                                                    if self.read.take else ""))  # fmt: skip
