"""Tailing exchanges: a private, bounded, self-deleting queue bound by pattern, never a real queue.

The tail declares a server-named queue that is exclusive and auto-delete (the broker removes
it when the tail exits or dies) and bounded by ``x-max-length``. When the tail falls behind,
the oldest messages are dropped and dead-lettered into a second private queue whose only
purpose is to count them, so the overflow is reported exactly. A lost connection is
re-established, the queues re-declared and re-bound, and the user told a gap is possible.
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

import pika
import pika.exceptions as pex

from ocelot_cli.tail import PolledSource, ReceivedMessage, TailStats, reopen
from ocelot_cli.transports.amqp import (
    CONNECTION_ERRORS,
    AmqpOptions,
    connection_parameters,
    exchange_missing,
    translate_close,
    translate_connect_error,
)

_PROPERTY_NAMES = (
    "content_type", "content_encoding", "headers", "delivery_mode", "priority", "correlation_id", "reply_to",
    "expiration", "message_id", "timestamp", "type", "user_id", "app_id", "cluster_id",
)  # fmt: skip


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


class AmqpTailSource(PolledSource):
    """Iterable of ReceivedMessage (None when idle) from one or more exchange/pattern bindings."""

    lost_errors = CONNECTION_ERRORS

    def __init__(
        self,
        options: AmqpOptions,
        bindings: list[tuple[str, str]],
        stats: TailStats,
        *,
        max_length: int = 10_000,
        prefetch: int = 1000,
        poll: float = 0.25,
        reconnect_for: float = 600.0,
        on_notice: Callable[[str], None] | None = None,
    ) -> None:
        self.options = options
        self.params = connection_parameters(options, purpose="ocelot tail")
        self.bindings = bindings
        self.stats = stats
        self.max_length = max_length
        self.prefetch = prefetch
        self.poll = poll
        self.reconnect_for = reconnect_for
        self.notice = on_notice or (lambda _m: None)
        self.queue: str | None = None
        self._connection: Any = None
        self._channel: Any = None
        self._pending: collections.deque[ReceivedMessage] = collections.deque()
        self._unacked = 0
        self._last_tag = 0
        self._overflow_warned = False

    # -- connection ----------------------------------------------------------------
    def open(self) -> None:
        """Connect, check the exchanges, declare and bind the private queues."""
        try:
            self._connection = pika.BlockingConnection(self.params)
        except CONNECTION_ERRORS as exc:
            raise translate_connect_error(exc, self.options) from None
        channel = self._connection.channel()
        for exchange in dict.fromkeys(exchange for exchange, _ in self.bindings):
            try:
                channel.exchange_declare(exchange, passive=True)
            except pex.ChannelClosedByBroker as exc:
                self.close()
                if exc.reply_code == 404:
                    raise exchange_missing(exchange, self.options, tailing=True) from None
                raise translate_close(exc, self.options, exchange) from None
        overflow = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
        arguments = {
            "x-max-length": self.max_length,
            "x-overflow": "drop-head",
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": overflow,
        }
        self.queue = channel.queue_declare("", exclusive=True, auto_delete=True, arguments=arguments).method.queue
        for exchange, pattern in self.bindings:
            channel.queue_bind(self.queue, exchange, routing_key=pattern)
        channel.basic_qos(prefetch_count=self.prefetch)
        channel.basic_consume(overflow, self._on_overflow, auto_ack=True)
        channel.basic_consume(self.queue, self._on_message, auto_ack=False)
        self._channel = channel
        self._unacked = 0

    def close(self) -> None:
        """Close the connection; the broker deletes the private queues with it."""
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            with contextlib.suppress(*CONNECTION_ERRORS):
                connection.close()

    def _on_message(self, _channel: Any, method: Any, properties: Any, body: bytes) -> None:
        self._pending.append(
            ReceivedMessage(
                body,
                time.time(),
                method.exchange,
                method.routing_key,
                redelivered=method.redelivered,
                raw_properties=properties,
                reader=properties_dict,
            )
        )
        self._last_tag = method.delivery_tag
        self._unacked += 1

    def _on_overflow(self, _channel: Any, _method: Any, _properties: Any, _body: bytes) -> None:
        self.stats.dropped += 1
        if not self._overflow_warned:
            self._overflow_warned = True
            self.notice(
                f"the tail fell behind: its queue is full ({self.max_length:,} messages) and the oldest are "
                "being dropped (counted in the summary); raise --max-queue or filter with patterns"
            )

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

    def _reconnect(self, error: BaseException) -> None:
        """Reconnect with backoff, re-declare and re-bind; raise when it cannot be done in time."""
        self._pending.clear()  # unacknowledged deliveries die with their queue
        self._connection = self._channel = None
        reopen(self.open, self.stats, self.notice, what=self.options.shown, reconnect_for=self.reconnect_for,
               error=error, final=("AUTH", "NOT_FOUND"))  # fmt: skip
        self.notice("reconnected and re-bound; messages published while disconnected were not seen (gap)")
