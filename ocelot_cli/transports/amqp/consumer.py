"""Tailing exchanges: a private, bounded, self-deleting queue bound by pattern, never a real queue.

The tail declares a server-named queue that is exclusive and auto-delete (the broker removes
it when the tail exits or dies) and bounded by ``x-max-length``. When the tail falls behind,
the oldest messages are dropped and dead-lettered into a second private queue whose only
purpose is to count them, so the overflow is reported exactly. A lost connection is
re-established, the queues re-declared and re-bound, and the user told a gap is possible.

``QueueConsumer`` reads named queues that outlive it (a load run's), acking in batches.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import datetime as dt
import decimal
import time
from collections.abc import Callable
from typing import Any

import pika.exceptions as pex

from ocelot_cli.errors import ExitStatus, OcelotError
from ocelot_cli.transports.amqp.connection import (
    CONNECTION_ERRORS,
    check_names,
    close_quietly,
    exchange_missing,
    open_any,
    translate_close,
)
from ocelot_cli.transports.base import Endpoint, TailTarget
from ocelot_cli.transports.messages import ReceivedMessage, TailStats
from ocelot_cli.transports.retry import Backoff, PolledSource, reopen

_PROPERTY_NAMES = (
    "content_type", "content_encoding", "headers", "delivery_mode", "priority", "correlation_id", "reply_to",
    "expiration", "message_id", "timestamp", "type", "user_id", "app_id", "cluster_id",
)  # fmt: skip


def _exact_floats() -> None:
    """pika decodes AMQP float ('f') and double ('d') field values with ``long()``, so a header 0.75 sent by
    another client arrives as 0: shown, filtered and recorded wrong. Decode them as what they are."""
    import struct

    from pika import data

    if getattr(data.decode_value, "ocelot_exact_floats", False):
        return
    original = data.decode_value

    def decode_value(encoded: bytes, offset: int) -> tuple[Any, int]:
        kind = encoded[offset : offset + 1]
        if kind == b"f":
            return struct.unpack_from(">f", encoded, offset + 1)[0], offset + 5
        if kind == b"d":
            return struct.unpack_from(">d", encoded, offset + 1)[0], offset + 9
        return original(encoded, offset)

    decode_value.ocelot_exact_floats = True  # type: ignore[attr-defined]
    data.decode_value = decode_value


_exact_floats()


def _plain(value: Any) -> Any:
    """Header values as JSON-friendly plain data (bytes as base64, times as ISO 8601)."""
    if isinstance(value, bytes):
        return {"$base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def properties_dict(properties: Any) -> dict[str, Any]:
    """The set AMQP properties of a message as plain data."""
    out = {}
    for name in _PROPERTY_NAMES:
        value = getattr(properties, name, None)
        if value is not None:
            out[name] = _plain(value)
    return out


class AckedSource(PolledSource):
    """A consumer on one channel whose deliveries are acknowledged in batches: before each poll, and once 100
    wait (the tail's own queue; a stream read, where an ack only gives credit for more)."""

    lost_errors = CONNECTION_ERRORS
    poll: float
    _connection: Any
    _channel: Any
    _unacked: int
    _last_tag: int

    def _on_message(self, _channel: Any, method: Any, properties: Any, body: bytes) -> None:
        self._pending.append(ReceivedMessage(body, time.time(), method.exchange, method.routing_key,
                                             redelivered=method.redelivered, raw_properties=properties,
                                             reader=properties_dict))  # fmt: skip
        self._last_tag = method.delivery_tag
        self._unacked += 1

    def _ack(self) -> None:
        if self._unacked and self._channel is not None:
            self._channel.basic_ack(self._last_tag, multiple=True)
            self._unacked = 0

    # -- iteration (PolledSource) ----------------------------------------------------
    def _connected(self) -> bool:
        return self._connection is not None

    def _poll(self) -> None:
        self._ack()
        self._connection.process_data_events(time_limit=self.poll)

    def _drained(self) -> None:
        if self._unacked >= 100:
            self._ack()


class AmqpTailSource(AckedSource):
    """Iterable of ReceivedMessage (None when idle) from one or more exchange/pattern bindings."""

    def __init__(self, endpoint: Endpoint, target: TailTarget, stats: TailStats) -> None:
        self.endpoint = endpoint
        self.purpose = target.purpose
        self.bindings = target.bindings
        for exchange, pattern in self.bindings:
            check_names(exchange=exchange, pattern=pattern)
            if not exchange:
                from ocelot_cli.errors import UsageProblem

                raise UsageProblem("--exchange '': the default exchange takes no bindings, so it cannot be tailed",
                                   hint="name the exchange the messages are published to")  # fmt: skip
        if target.durable_queue is not None:
            check_names(queue=target.durable_queue)
        self.stats = stats
        self.max_length = target.max_queue
        self.prefetch = target.prefetch
        self.poll = target.poll
        self.reconnect_for = target.reconnect_for
        self.notice = target.on_notice or (lambda _m: None)
        self.durable_queue = target.durable_queue
        self.queue_type = target.queue_type
        self.node: Endpoint | None = None  # the node connected to (of a cluster's list)
        self._lost_node: Endpoint | None = None
        self.queue: str | None = None
        self._connection: Any = None
        self._channel: Any = None
        self._pending: collections.deque[ReceivedMessage] = collections.deque()
        self._unacked = 0
        self._last_tag = 0
        self._overflow_warned = False

    # -- connection ----------------------------------------------------------------
    def open(self) -> None:
        """Connect, check the exchanges, declare and bind the private queues (or the durable one)."""
        self._connection, self.node = open_any(self.endpoint, self.purpose, after=self._lost_node,
                                                notice=self.notice)
        channel = self._connection.channel()
        for exchange in dict.fromkeys(exchange for exchange, _ in self.bindings):
            try:
                channel.exchange_declare(exchange, passive=True)
            except pex.ChannelClosedByBroker as exc:
                self.close()
                if exc.reply_code == 404:
                    raise exchange_missing(exchange, self.node, tailing=True) from None
                raise translate_close(exc, self.node, exchange) from None
            self._warn_of_kind(exchange)
        if self.durable_queue:
            channel = self._declare_durable(channel)
        else:
            overflow = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
            arguments = {
                "x-max-length": self.max_length,
                "x-overflow": "drop-head",
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": overflow,
            }
            self.queue = channel.queue_declare("", exclusive=True, auto_delete=True, arguments=arguments).method.queue
            channel.basic_consume(overflow, self._on_overflow, auto_ack=True)
        for exchange, pattern in self.bindings:
            channel.queue_bind(self.queue, exchange, routing_key=pattern)
        channel.basic_qos(prefetch_count=self.prefetch)
        channel.basic_consume(self.queue, self._on_message, auto_ack=False)
        self._channel = channel
        self._unacked = 0

    def _declare_durable(self, channel: Any) -> Any:
        """The named durable queue (classic or quorum), made if missing and kept at exit; an existing
        queue of other arguments is refused with what differs, never redeclared."""
        name = self.durable_queue
        arguments = {"x-queue-type": self.queue_type, "x-max-length": self.max_length, "x-overflow": "drop-head"}
        try:
            channel.queue_declare(name, durable=True, arguments=arguments)
        except pex.ChannelClosedByBroker as exc:
            self.close()
            from ocelot_cli.errors import UsageProblem

            raise UsageProblem(f"--durable-queue {name!r} exists with other settings: ({exc.reply_code}) "
                               f"{exc.reply_text}",
                               hint="give the --queue-type and --max-queue it was made with, or another name "
                               "(a queue made by other means may differ in more than those)"
                               ) from None  # fmt: skip
        self.queue = name
        return channel

    def _warn_of_kind(self, exchange: str) -> None:
        """Binding patterns are topic syntax: say so when the exchange routes otherwise (it is still tailed)."""
        from ocelot_cli.transports.amqp.session import exchange_kind

        kind = exchange_kind(self._connection.channel, exchange)
        if kind in ("fanout", "headers"):
            self.notice(f"exchange {exchange!r} is a {kind} exchange, not topic: binding patterns are ignored "
                        "and every message it routes is shown")  # fmt: skip
        elif kind == "direct":
            self.notice(f"exchange {exchange!r} is a direct exchange, not topic: a binding pattern matches only "
                        "the routing key it spells (* and # are plain characters)")  # fmt: skip

    def close(self) -> None:
        """Close the connection; the broker deletes the private queues with it (a durable one stays)."""
        connection, self._connection, self._channel = self._connection, None, None
        close_quietly(connection)
        if self.durable_queue and self.queue and connection is not None:
            self.notice(f"the durable queue {self.queue!r} is kept, with its bindings (of earlier runs too): "
                        f"messages keep arriving in it until it is deleted (rabbitmqctl delete_queue {self.queue})")

    def _on_overflow(self, _channel: Any, _method: Any, _properties: Any, _body: bytes) -> None:
        self.stats.dropped += 1
        if not self._overflow_warned:
            self._overflow_warned = True
            self.notice(
                f"the tail fell behind: its queue is full ({self.max_length:,} messages) and the oldest are "
                "being dropped (counted in the summary); raise --max-queue or filter with patterns"
            )

    def _reconnect(self, error: BaseException) -> None:
        """Reconnect with backoff, re-declare and re-bind; raise when it cannot be done in time."""
        self._pending.clear()  # unacknowledged deliveries die with their queue (or come again from a durable one)
        self._connection = self._channel = None
        lost, self._lost_node = self.node, self.node
        what = lost.shown if lost is not None else self.endpoint.shown
        reopen(self.open, self.stats, self.notice, what=what, reconnect_for=self.reconnect_for,
               error=error, final=(ExitStatus.AUTH, ExitStatus.NOT_FOUND), gap=not self.durable_queue)  # fmt: skip
        moved = f" to {self.node.shown}" if self.node is not None and lost is not None and self.node != lost else ""
        if self.durable_queue:
            self.notice(f"reconnected{moved}; {self.durable_queue!r} kept what arrived meanwhile (unacknowledged "
                        "messages come again)")  # fmt: skip
        else:
            self.notice(f"reconnected{moved} and re-bound; messages published while disconnected were not seen (gap)")


class QueueConsumer:
    """Consumes named queues that outlive it (a load run's), acking in batches under a prefetch.

    A lost connection is re-opened with the one backoff policy; what was not acknowledged is
    delivered again (the caller counts it as a duplicate). ``on_delivery`` gets each message's
    correlation id and body.
    """

    def __init__(self, endpoint: Endpoint, queues: list[str], on_delivery: Callable[[str | None, bytes], None], *,
                 prefetch: int, purpose: str, reconnect_for: float = 60.0,
                 on_notice: Callable[[str], None] | None = None) -> None:  # fmt: skip
        self.endpoint = endpoint
        self.queues = queues
        self.on_delivery = on_delivery
        self.prefetch = prefetch
        self.purpose = purpose
        self.backoff = Backoff(reconnect_for, cap=1.0)  # short waits: the caller checks its stop flag between polls
        self.notice = on_notice or (lambda _m: None)
        self.ack_every = max(1, prefetch // 2)
        self._connection: Any = None
        self._channel: Any = None
        self._unacked = 0
        self.node: Endpoint | None = None
        self._lost_node: Endpoint | None = None

    def open(self) -> None:
        self._connection, self.node = open_any(self.endpoint, self.purpose, after=self._lost_node,
                                                notice=self.notice)
        self._channel = self._connection.channel()
        self._channel.basic_qos(prefetch_count=self.prefetch)
        for queue in self.queues:
            self._channel.basic_consume(queue, self._on_message)
        self._unacked = 0

    def _on_message(self, channel: Any, method: Any, properties: Any, body: bytes) -> None:
        self.on_delivery(properties.correlation_id, body)
        self._unacked += 1
        if self._unacked >= self.ack_every:
            channel.basic_ack(method.delivery_tag, multiple=True)
            self._unacked = 0

    def poll(self, time_limit: float) -> None:
        """Deliver what arrives within ``time_limit``; reconnect when the connection is lost."""
        try:
            if self._connection is None:
                self.open()
                self.backoff.reset()
                self.notice("reconnected; unacknowledged messages come again")
            self._connection.process_data_events(time_limit=time_limit)
        except (*CONNECTION_ERRORS, OcelotError) as exc:
            close_quietly(self._connection)
            self._connection = self._channel = None
            self._lost_node = self.node or self._lost_node
            delay = self.backoff.next_delay()
            if self.backoff.expired:
                raise exc if isinstance(exc, OcelotError) else translate_close(exc, self.endpoint) from None
            time.sleep(delay)

    def close(self) -> None:
        """Acknowledge what was delivered, then close."""
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.process_data_events(time_limit=0)
                self._channel.basic_ack(0, multiple=True)
        close_quietly(self._connection)
        self._connection = self._channel = None
