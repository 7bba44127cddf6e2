"""Publishing with publisher confirms, pipelined: a window of messages in flight, never one round trip each.

Every message goes out ``mandatory``; a returned message counts as unroutable, never as a
success. When the connection is lost the publisher reconnects with backoff and sends again
every message that was not confirmed (consumers may see duplicates and can tell them apart by
``message_id``, which is the event id). A stop request (Ctrl-C) stops sending and waits a
bounded time for the confirms still outstanding.
"""

from __future__ import annotations

import collections
import contextlib
import gc
import time
from collections.abc import Callable, Iterator
from typing import Any

import pika
import pika.exceptions as pex

from ocelot_cli.errors import OcelotError
from ocelot_cli.outgoing import SETTLED_ACK, SETTLED_NACK, SETTLED_RETURNED, OutgoingMessage, PublishReport
from ocelot_cli.transports.amqp import (
    AmqpOptions,
    connection_parameters,
    exchange_missing,
    is_recoverable,
    translate_close,
    translate_connect_error,
)
from ocelot_cli.transports.amqp_frames import FrameWriter, SendTiming, sleep_unless_readable

Notice = Callable[[str], None]


class ConfirmedPublisher:
    """Publishes a stream of messages on one connection, with confirms, returns and reconnects."""

    BATCH = 64  # messages published per turn of the I/O loop

    def __init__(
        self,
        options: AmqpOptions,
        messages: Iterator[OutgoingMessage],
        *,
        exchange: str,
        declare: bool = False,
        window: int = 512,
        rate: float | None = None,
        reconnect_for: float = 60.0,
        drain_timeout: float = 5.0,
        on_notice: Notice | None = None,
        on_progress: Callable[[PublishReport], None] | None = None,
        progress_interval: float = 0.25,
        origin: float | None = None,
        on_settled: Callable[[OutgoingMessage, int], None] | None = None,
    ) -> None:
        self.options = options
        self.params = connection_parameters(options, purpose="ocelot publish")
        self.messages = messages
        self.exchange = exchange
        self.declare = declare
        self.window = max(1, window)
        self.rate = rate
        self.reconnect_for = reconnect_for
        self.drain_timeout = drain_timeout
        self.notice = on_notice or (lambda _m: None)
        self.on_progress = on_progress
        self.progress_interval = progress_interval
        self.report = PublishReport()

        self._resend: collections.deque[OutgoingMessage] = collections.deque()
        self._outstanding: collections.OrderedDict[int, OutgoingMessage] = collections.OrderedDict()
        self._returned: set[int] = set()
        self._next_tag = 1
        self._input_done = False
        self._stop_requested = False
        self._closing = False
        self._finished = False
        self._fatal: OcelotError | None = None
        self._lost_reason: BaseException | None = None
        self._ever_connected = False
        self._connection: Any = None
        self._channel: Any = None
        self._wake_at: float | None = None
        self._started = 0.0
        self._rate_base: tuple[float, int] | None = None
        self._drain_deadline: float | None = None
        self._writer: FrameWriter | None = None
        self._ready: collections.deque[OutgoingMessage] = collections.deque()
        self._fill_scheduled = False
        self._origin = origin or 0.0  # time.monotonic() of due 0 (ocelot load shares it between processes)
        self.on_settled = on_settled  # called per message: SETTLED_ACK, SETTLED_NACK or SETTLED_RETURNED
        self.timing = SendTiming()  # ocelot load tightens it
        self._next_seq = 0  # input position after the last message taken (for --resume-from)

    # -- public ----------------------------------------------------------------------
    def request_stop(self) -> None:
        """Stop sending (safe to call from a signal handler); outstanding confirms are awaited."""
        self._stop_requested = True
        connection = self._connection
        if connection is not None:
            # The loop may already be closing; the flag alone then does the job.
            with contextlib.suppress(Exception):
                connection.ioloop.add_callback_threadsafe(self._pump)

    def run(self) -> PublishReport:
        """Publish everything (or until stopped); raises OcelotError on a fatal failure."""
        self._started = time.monotonic()
        give_up_at: float | None = None
        attempt = 0
        # Millions of short-lived dicts and no reference cycles: collect the young generation
        # less often (about 9% of the CPU time otherwise); restored afterwards.
        thresholds = gc.get_threshold()
        gc.freeze()
        gc.set_threshold(50_000, thresholds[1], thresholds[2])
        try:
            while True:
                self._connect_and_loop()
                if self._fatal is not None:
                    raise self._fatal
                if self._finished:
                    return self.report
                # The connection was lost: reconnect with backoff, then send again what was not confirmed.
                give_up_at = give_up_at or time.monotonic() + self.reconnect_for
                if self._stop_requested or time.monotonic() >= give_up_at:
                    raise translate_close(self._lost_reason or pex.StreamLostError(), self.options)
                delay = min(0.25 * 2**attempt, 5.0)
                attempt += 1
                self.notice(f"connection to {self.options.shown} lost; reconnecting in {delay:.2g}s")
                self._sleep(delay)
        finally:
            gc.set_threshold(*thresholds)
            gc.unfreeze()
            self.report.elapsed = time.monotonic() - self._started
            self.report.interrupted = self._stop_requested
            self._record_stop_position()

    # -- connection lifecycle --------------------------------------------------------------
    def _connect_and_loop(self) -> None:
        self._lost_reason = None
        self._wake_at = None  # timers died with the previous connection's loop
        self._fill_scheduled = False
        self._closing = False
        self._connection = pika.SelectConnection(
            self.params,
            on_open_callback=self._on_open,
            on_open_error_callback=self._on_open_error,
            on_close_callback=self._on_closed,
        )
        self._connection.add_on_connection_blocked_callback(self._on_blocked)
        self._connection.add_on_connection_unblocked_callback(self._on_unblocked)
        self._connection.ioloop.start()

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self._stop_requested and time.monotonic() < end:
            time.sleep(min(0.05, end - time.monotonic()))

    def _on_open_error(self, _connection: Any, error: BaseException) -> None:
        if not self._ever_connected:
            self._fatal = translate_connect_error(error, self.options)
        else:
            self._lost_reason = error
        _connection.ioloop.stop()

    def _on_open(self, connection: Any) -> None:
        if self._ever_connected:
            self.report.reconnects += 1
            self.notice(f"reconnected to {self.options.shown}; sending again {len(self._resend)} unconfirmed")
        self._ever_connected = True
        connection.channel(on_open_callback=self._on_channel_open)

    def _on_closed(self, connection: Any, reason: BaseException) -> None:
        self._channel = None
        if not self._closing and self._fatal is None and not self._finished:
            if is_recoverable(reason):
                self._lost_reason = reason
                self._requeue_outstanding()
            else:
                self._fatal = translate_close(reason, self.options, self.exchange)
        connection.ioloop.stop()

    def _on_blocked(self, _connection: Any, _frame: Any) -> None:
        self.notice(
            f"RabbitMQ blocked publishing (a memory or disk alarm); waiting up to {self.options.blocked_timeout:g}s"
        )

    def _on_unblocked(self, _connection: Any, _frame: Any) -> None:
        self.notice("RabbitMQ unblocked publishing")

    def _on_channel_open(self, channel: Any) -> None:
        self._channel = channel
        channel.add_on_close_callback(self._on_channel_closed)
        channel.add_on_return_callback(self._on_return)
        if self.declare:
            channel.exchange_declare(self.exchange, "topic", durable=True, callback=self._on_exchange_ok)
        else:
            channel.exchange_declare(self.exchange, passive=True, callback=self._on_exchange_ok)

    def _on_channel_closed(self, _channel: Any, reason: BaseException) -> None:
        if self._closing or self._finished or self._fatal is not None:
            return
        if isinstance(reason, pex.ChannelClosedByBroker) and reason.reply_code == 404:
            self._fatal = exchange_missing(self.exchange, self.options)
        elif isinstance(reason, pex.ChannelClosedByBroker):
            self._fatal = translate_close(reason, self.options, self.exchange)
        else:
            return  # the connection is closing; _on_closed decides
        self._close()

    def _on_exchange_ok(self, _frame: Any) -> None:
        self._channel.confirm_delivery(ack_nack_callback=self._on_confirm, callback=self._on_confirm_mode)

    def _on_confirm_mode(self, _frame: Any) -> None:
        if self._origin == 0.0:  # replay timing counts from the first moment we can send
            self._origin = time.monotonic()
        writer = FrameWriter(self._connection, self._channel)
        self._writer = writer if writer.usable else None
        self._next_tag = 1
        self._rate_base = None
        if self.on_progress:
            self._connection.ioloop.call_later(self.progress_interval, self._tick)
        self._pump()

    def _close(self) -> None:
        if self._closing:
            return
        self._closing = True
        connection = self._connection
        if connection is not None and connection.is_open:
            connection.close()
        elif connection is not None:
            connection.ioloop.stop()

    # -- sending -----------------------------------------------------------------------
    def _next_message(self) -> OutgoingMessage | None:
        if self._stop_requested:
            return None
        if self._resend:
            return self._resend.popleft()
        if self._ready:
            return self._ready.popleft()
        return self._take_input()

    def _take_input(self) -> OutgoingMessage | None:
        if self._input_done:
            return None
        try:
            message = next(self.messages)
        except StopIteration:
            self._input_done = True
            return None
        except OcelotError as exc:  # a message that cannot be built (too large, no route)
            self._fatal = exc
            self._input_done = True
            return None
        self.report.total += 1
        self._next_seq = message.seq + 1
        return message

    def _read_ahead(self) -> None:
        """Build upcoming messages while the broker works on the ones in flight.

        Runs between I/O turns, a small chunk at a time, so confirms are still read promptly:
        time otherwise spent waiting in poll() goes into preparing the next messages.
        """
        self._fill_scheduled = False
        if self._closing or self._stop_requested or self._fatal is not None:
            return
        for _ in range(self.BATCH // 2):
            if len(self._ready) >= self.window or self._input_done:
                return
            message = self._take_input()
            if message is None:
                return
            self._ready.append(message)
        self._schedule_read_ahead()

    def _schedule_read_ahead(self) -> None:
        if not self._fill_scheduled and not self._input_done and self.rate is None:
            self._fill_scheduled = True
            self._connection.ioloop.call_later(0, self._read_ahead)

    def _rate_delay(self) -> float:
        if not self.rate:
            return 0.0
        now = time.monotonic()
        if self._rate_base is None:
            self._rate_base = (now, self.report.published + self.report.republished)
        base_time, base_count = self._rate_base
        due = base_time + (self.report.published + self.report.republished - base_count) / self.rate
        return max(0.0, due - now)

    def _wake(self, delay: float) -> None:
        """Run _pump after ``delay`` seconds, unless a wake-up at least as early is already set."""
        at = time.monotonic() + delay
        if self._wake_at is not None and self._wake_at <= at:
            return
        self._wake_at = at
        self._connection.ioloop.call_later(delay, self._on_wake)

    def _on_wake(self) -> None:
        if self._wake_at is not None and time.monotonic() >= self._wake_at - 0.0005:
            self._wake_at = None
        self._pump(may_sleep=True)

    def _pump(self, may_sleep: bool = False) -> None:
        """Send what is due, up to the window. ``may_sleep``: called from a timer, right after the loop
        polled (what was published before is written), so a short precise sleep holds nothing back."""
        channel = self._channel
        if self._fatal is not None:
            self._close()
            return
        if channel is None or not channel.is_open or self._closing:
            return
        if self._stop_requested and self._drain_deadline is None:
            self._drain_deadline = time.monotonic() + self.drain_timeout
            self._connection.ioloop.call_later(self.drain_timeout, self._drain_expired)
        writer = self._writer
        timing = self.timing
        batch = 0
        while len(self._outstanding) < self.window:
            if batch == self.BATCH:
                # Give the loop a turn: pika writes the frames and reads confirms only between
                # callbacks, so small batches keep the broker busy while we build the next ones.
                self._wake(0)
                return
            batch += 1
            delay = self._rate_delay() if self.rate else 0.0
            if delay > 0:
                self._wake(delay)
                return
            message = self._next_message()
            if message is None:
                break
            slept = False
            if message.due is not None and not message.sends:
                wait = self._origin + message.due - time.monotonic()
                if timing.early < wait <= timing.precise_wait and may_sleep:
                    if not sleep_unless_readable(self._connection, wait):  # a confirm came in: read it first
                        self._ready.appendleft(message)
                        self._wake(0)
                        break
                    slept = True
                elif wait > timing.early:  # not due yet: hold it and come back on time
                    self._ready.appendleft(message)
                    self._wake(max(0.0, wait - timing.precise_wait))
                    break
            if timing.before_send is not None and not message.sends:
                timing.before_send(message)
            tag = self._next_tag
            self._next_tag += 1
            self._outstanding[tag] = message
            if message.sends:
                self.report.republished += 1
            else:
                self.report.published += 1
                message.sent_at = time.monotonic() - self._origin
            message.sends += 1
            properties = pika.BasicProperties(**message.properties)
            if writer is not None:
                writer.publish(message.exchange, message.routing_key, message.body, properties)
            else:
                channel.basic_publish(message.exchange, message.routing_key, message.body, properties, mandatory=True)
            if slept:  # let the loop write it out (and read confirms) now, not after a batch
                self._wake(0)
                return
        if len(self._outstanding) >= self.window:
            self._schedule_read_ahead()
        if self._fatal is not None:
            self._close()
        elif (
            not self._outstanding
            and not self._resend
            and not self._ready
            and (self._input_done or self._stop_requested)
        ):
            self._finished = True
            self._close()

    def _drain_expired(self) -> None:
        if not self._finished:
            self._finished = True
            self._close()

    def _on_return(self, _channel: Any, _method: Any, properties: Any, _body: bytes) -> None:
        # A return arrives just before the ack of the same message; match it by message id.
        message_id = getattr(properties, "message_id", None)
        for tag, message in self._outstanding.items():
            if tag not in self._returned and message.event_id == message_id:
                self._returned.add(tag)
                return
        if self._outstanding:  # no id to match on: the oldest unreturned message
            self._returned.add(next(t for t in self._outstanding if t not in self._returned))

    def _on_confirm(self, frame: Any) -> None:
        method = frame.method
        acked = isinstance(method, pika.spec.Basic.Ack)
        last = method.delivery_tag
        if method.multiple:
            tags = []
            for tag in self._outstanding:
                if tag > last:
                    break
                tags.append(tag)
        else:
            tags = [last] if last in self._outstanding else []
        report = self.report
        settled = self.on_settled
        for tag in tags:
            message = self._outstanding.pop(tag)
            if not acked:
                report.nacked += 1
                outcome = SETTLED_NACK
            elif tag in self._returned:
                self._returned.discard(tag)
                report.unroutable += 1
                outcome = SETTLED_RETURNED
                if len(report.unroutable_examples) < 5:
                    report.unroutable_examples.append(f"{message.routing_key} ({message.event_id})")
            else:
                report.confirmed += 1
                outcome = SETTLED_ACK
            if settled is not None:
                settled(message, outcome)
        self._pump()

    def _requeue_outstanding(self) -> None:
        unconfirmed = list(self._outstanding.values())
        self._outstanding.clear()
        self._returned.clear()
        self._resend.extendleft(reversed(unconfirmed))

    def _tick(self) -> None:
        if self.on_progress and not self._closing:
            self.report.elapsed = time.monotonic() - self._started
            self.on_progress(self.report)
            self._connection.ioloop.call_later(self.progress_interval, self._tick)

    def _record_stop_position(self) -> None:
        pending = [m.seq for m in self._outstanding.values()] + [m.seq for m in self._resend]
        pending += [m.seq for m in self._ready]
        if pending:
            self.report.stopped_at = min(pending)
        elif self._stop_requested:
            self.report.stopped_at = self._next_seq
