"""Publishing with publisher confirms, pipelined: a window of messages in flight, never one round trip each.

Every message goes out ``mandatory``; a returned one counts as unroutable, never as a success. A lost connection
is reopened (to a cluster's next node, see nodes.py) and every unconfirmed message sent again: consumers may see
those twice (the report names them; ``message_id``, the event id, tells them apart). A stop request (Ctrl-C)
stops sending and waits a bounded time for the confirms still outstanding.
"""

from __future__ import annotations

import contextlib
import struct
import time
from collections.abc import Iterator
from typing import Any

import pika
import pika.exceptions as pex

from ocelot_cli.errors import OcelotError
from ocelot_cli.transports.amqp import frames
from ocelot_cli.transports.amqp.confirms import InFlight
from ocelot_cli.transports.amqp.connection import (
    check_names,
    exchange_missing,
    is_recoverable,
    translate_close,
    translate_connect_error,
)
from ocelot_cli.transports.amqp.intake import Intake
from ocelot_cli.transports.amqp.nodes import RESTART_NOTICE, NodeRing
from ocelot_cli.transports.amqp.session import probe_topic
from ocelot_cli.transports.base import Endpoint, PublishOptions
from ocelot_cli.transports.messages import OutgoingMessage, PublishReport
from ocelot_cli.transports.retry import Backoff

CLOSE_TIMEOUT = 1.0  # seconds to wait for the broker's answer to our close
# What pika raises for a message it cannot encode (a key over 255 bytes, a float header, an unknown property).
UNENCODABLE = (TypeError, ValueError, struct.error, pex.ShortStringTooLong, pex.UnsupportedAMQPFieldException)
STABLE = 10.0  # seconds a connection must last (or a message be confirmed) to count as recovered


class ConfirmedPublisher:
    """Publishes a stream of messages on one connection, with confirms, returns and reconnects."""

    BATCH = 64  # messages published per turn of the I/O loop

    def __init__(self, endpoint: Endpoint, messages: Iterator[OutgoingMessage], options: PublishOptions) -> None:
        self.endpoint = endpoint
        check_names(exchange=options.exchange)
        self.ring = NodeRing(endpoint, "ocelot publish", window=options.reconnect_for)  # a lost node: the next
        self.options = options
        self.exchange = options.exchange
        self.window = max(1, options.window)
        self.rate = options.rate
        self.notice = options.on_notice or (lambda _m: None)
        self.report = PublishReport()
        self.inflight = InFlight(self.report, options.on_settled)
        self.intake = Intake(messages, self.report)
        self.backoff = Backoff(options.reconnect_for)
        self._stop_requested = False
        self._closing = False
        self._finished = False
        self._fatal: OcelotError | None = None
        self._kind_known = False
        self._lost_reason: BaseException | None = None
        self._ever_connected = False
        self._settling = False  # after a failover, until the first ack: nacks are sent again, not counted
        self._restarting = self._restarted = False
        self._opened_at: float | None = None  # when the current connection opened
        self._settled_at_open = 0
        self._connection: Any = None
        self._channel: Any = None
        self._wake_at: float | None = None
        self._started = 0.0
        self.pace = frames.RatePace(self.rate)
        self._drain_deadline: float | None = None
        self._writer: frames.FrameWriter | None = None
        self._fill_scheduled = False
        self._origin = options.origin or 0.0  # time.monotonic() of due 0 (ocelot load shares it between processes)
        self.timing = frames.SendTiming(options.send_early, options.precise_wait, options.before_send)
        timed = bool(self.rate or options.origin or options.precise_wait or options.before_send)
        self.refill = frames.refill_size(self.window, self.BATCH, timed)

    def request_stop(self) -> None:
        """Stop sending (safe to call from a signal handler); outstanding confirms are awaited."""
        self._stop_requested = True
        connection = self._connection
        if connection is not None:
            # The loop may already be closing; the flag alone then does the job.
            with contextlib.suppress(Exception):
                connection.ioloop.add_callback_threadsafe(self._on_stop_request)

    def _on_stop_request(self) -> None:
        connection = self._connection
        if self._opened_at is None and connection is not None:
            # Still connecting (a broker slow to answer): give up this attempt now, not at the connect timeout.
            with contextlib.suppress(Exception):
                connection.close()
            connection.ioloop.stop()
            return
        self._pump()

    def run(self) -> PublishReport:
        """Publish everything (or until stopped); raises OcelotError on a fatal failure."""
        self._started = time.monotonic()
        try:
            while True:
                with frames.few_collections():
                    self._connect_and_loop()
                if self._fatal is not None:
                    raise self._fatal
                if self._finished:
                    if self.intake.error is not None:  # a message that cannot be built or encoded
                        raise self.intake.error
                    return self.report
                # The connection was lost: reconnect (the next node first, then with backoff),
                # then send again what was not confirmed.
                if self._stop_requested:  # stopped while (or before) reconnecting: end with what was done
                    return self.report
                if self._recovered():  # a new loss, not the same one again: a fresh --reconnect-for window
                    self.backoff.reset()
                paced, self._restarted = self._restarted, False
                delay = self.ring.next_delay(self.backoff, self._lost_reason or pex.StreamLostError(), paced=paced)
                if not delay:  # another node of the cluster, at once
                    continue
                self.notice(self.ring.waiting(delay))
                frames.sleep_until(delay, lambda: self._stop_requested)
                if self._stop_requested:
                    return self.report
        finally:
            self.report.elapsed = time.monotonic() - self._started
            self.report.interrupted = self._stop_requested
            self._record_stop_position()

    def _connect_and_loop(self) -> None:
        self._lost_reason = None
        self._opened_at = None
        self._wake_at = None  # timers died with the previous connection's loop
        self._fill_scheduled = False
        self._closing = False
        self._connection = pika.SelectConnection(
            self.ring.current_params,
            on_open_callback=self._on_open,
            on_open_error_callback=self._on_open_error,
            on_close_callback=self._on_closed,
        )
        blocked = f"RabbitMQ blocked publishing (a resource alarm); waiting up to {self.endpoint.blocked_timeout:g}s"
        self._connection.add_on_connection_blocked_callback(lambda *_: self.notice(blocked))
        self._connection.add_on_connection_unblocked_callback(lambda *_: self.notice("RabbitMQ unblocked publishing"))
        self._connection.ioloop.start()

    def _recovered(self) -> bool:
        """The last connection confirmed something or lasted (a broker that closes at once is no progress)."""
        opened = self._opened_at  # None: this attempt never opened
        lasted = opened is not None and time.monotonic() - opened >= STABLE
        return opened is not None and (self.report.settled > self._settled_at_open or lasted)

    def _on_open_error(self, _connection: Any, error: BaseException) -> None:
        if not self._ever_connected and not self._stop_requested:  # not a given-up attempt: a real error
            failed = translate_connect_error(error, self.ring.current)
            self._fatal = self.ring.first_connection_failed(failed)
            if self._fatal is None:
                self.notice(f"{failed.message}; trying the next node")
        else:
            self._lost_reason = error
        _connection.ioloop.stop()

    def _on_open(self, connection: Any) -> None:
        said = self.ring.opened(self.report, again=self._restarting, resend=len(self.inflight.resend))
        self._settling, self._restarting = said is not None, False
        if said:
            self.notice(said)  # and until the first ack, within --reconnect-for of the loss:
            connection.ioloop.call_later(max(0.0, self.ring.settle_left()), self._settle_expired)
        self._ever_connected = True
        self._opened_at = time.monotonic()
        self._settled_at_open = self.report.settled
        connection.channel(on_open_callback=self._on_channel_open)

    def _on_closed(self, connection: Any, reason: BaseException) -> None:
        self._channel = None
        if not self._closing and self._fatal is None and not self._finished:
            if is_recoverable(reason) or self._restarting:
                self._lost_reason = reason
                if self._opened_at is not None:  # an open connection was lost (not a failed attempt)
                    self.ring.lost()
                self.inflight.requeue()
            else:
                self._fatal = translate_close(reason, self.ring.current, self.exchange)
        connection.ioloop.stop()

    def _on_channel_open(self, channel: Any) -> None:
        self._channel = channel
        channel.add_on_close_callback(self._on_channel_closed)
        channel.add_on_return_callback(self._on_return)
        if not self.exchange and self.options.any_exchange:  # the default exchange: always there, never declared
            return self._on_exchange_ok(None)
        passive = not self.options.declare  # a passive declare: does it exist (its type is looked at next)?
        channel.exchange_declare(self.exchange, "topic", durable=True, passive=passive, callback=self._on_exchange_ok)

    def _on_channel_closed(self, _channel: Any, reason: BaseException) -> None:
        if self._closing or self._finished or self._fatal is not None:
            return
        if isinstance(reason, pex.ChannelClosedByBroker) and reason.reply_code == 404:
            self._fail(exchange_missing(self.exchange, self.ring.current))
        elif isinstance(reason, pex.ChannelClosedByBroker):  # else the connection is closing: _on_closed decides
            self._fail(translate_close(reason, self.ring.current, self.exchange))

    def _on_exchange_ok(self, _frame: Any) -> None:
        if self.options.declare or self._kind_known or self.options.any_exchange:  # topic, or not asked (--raw)
            self._channel.confirm_delivery(ack_nack_callback=self._on_confirm, callback=self._on_confirm_mode)
            return
        self._kind_known = True  # a fanout would deliver to every queue: refused before anything goes

        probe_topic(self._connection, self.exchange, lambda: self._on_exchange_ok(None), self._fail)

    def _fail(self, error: OcelotError) -> None:
        self._fatal = error
        self._close()

    def _on_confirm_mode(self, _frame: Any) -> None:
        if self._origin == 0.0:  # replay timing counts from the first moment we can send
            self._origin = time.monotonic()
        writer = frames.FrameWriter(self._connection, self._channel)
        self._writer = writer if writer.usable else None
        self.inflight.new_channel()
        self.pace.reset()
        if self.options.on_progress:
            self._connection.ioloop.call_later(self.options.progress_interval, self._tick)
        self._pump()

    def _close(self) -> None:
        if self._closing:
            return
        self._closing = True
        connection = self._connection
        if connection is not None and connection.is_open:
            connection.close()
            # A broker that stalls never answers the close either: stop waiting for it after a moment.
            connection.ioloop.call_later(CLOSE_TIMEOUT, connection.ioloop.stop)
        elif connection is not None:
            connection.ioloop.stop()

    def _next_message(self) -> OutgoingMessage | None:
        if self._stop_requested:
            return None
        if self.inflight.resend:
            return self.inflight.resend.popleft()
        return self.intake.next()

    def _read_ahead(self) -> None:
        """Build upcoming messages while the broker works on the ones in flight, a small chunk between
        I/O turns, so confirms are still read promptly (time otherwise spent in poll())."""
        self._fill_scheduled = False
        if self._closing or self._stop_requested or self._fatal is not None:
            return
        if self.intake.read_ahead(self.BATCH // 2, self.window):
            self._schedule_read_ahead()

    def _schedule_read_ahead(self) -> None:
        if not self._fill_scheduled and not self.intake.done and self.rate is None:
            self._fill_scheduled = True
            self._connection.ioloop.call_later(0, self._read_ahead)

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
        """Send what is due, up to the window, written in one piece. ``may_sleep``: see SendTiming.when_due."""
        try:
            self._pump_batch(may_sleep)
        finally:
            if self._writer is not None and self._channel is not None:
                self._writer.flush()

    def _pump_batch(self, may_sleep: bool) -> None:
        channel = self._channel
        if self._fatal is not None:
            self._close()
            return
        if channel is None or not channel.is_open or self._closing:
            return
        if self._stop_requested and self._drain_deadline is None:
            self._drain_deadline = time.monotonic() + self.options.drain_timeout
            self._connection.ioloop.call_later(self.options.drain_timeout, self._drain_expired)
        batch = 0
        inflight = self.inflight
        while len(inflight) < self.window:
            if batch == self.BATCH:
                # Give the loop a turn: pika writes the frames and reads confirms only between
                # callbacks, so small batches keep the broker busy while we build the next ones.
                self._wake(0)
                return
            batch += 1
            delay = self.pace.delay(self.report.published + self.report.republished) if self.rate else 0.0
            if delay > 0:
                self._wake(delay)
                return
            message = self._next_message()
            if message is None:
                break
            when = self._when_due(message, may_sleep) if message.due is not None and not message.sends else frames.NOW
            if when is frames.HELD:
                break
            self._send(channel, message)
            if when is frames.SLEPT:  # let the loop write it out (and read confirms) now, not after a batch
                self._wake(0)
                return
        self._after_pump()

    def _when_due(self, message: OutgoingMessage, may_sleep: bool) -> object:
        """NOW when ``message`` may leave, SLEPT after a precise wait for it, HELD when it waits for later."""
        wait = self._origin + message.due - time.monotonic()  # type: ignore[operator]
        when, wake = self.timing.when_due(wait, may_sleep, self._connection)
        if when is frames.HELD:
            self.intake.hold(message)
            self._wake(wake)
        return when

    def _send(self, channel: Any, message: OutgoingMessage) -> None:
        before_send = self.timing.before_send
        if before_send is not None and not message.sends:
            before_send(message)
        try:  # every frame is marshalled before any is written: a failure leaves nothing half-sent
            if self._writer is not None:
                self._writer.publish(message.exchange, message.routing_key, message.body, message.properties)
            else:
                properties = pika.BasicProperties(**message.properties)
                channel.basic_publish(message.exchange, message.routing_key, message.body, properties, mandatory=True)
        except UNENCODABLE as exc:  # checked at the input; one that still slips through is never sent
            self.intake.refuse(message, exc)
            return
        self.inflight.sent(message, time.monotonic() - self._origin)

    def _after_pump(self) -> None:
        """Read ahead while the window is full; finish when everything was sent and settled."""
        inflight = self.inflight
        if len(inflight) >= self.window:
            self._schedule_read_ahead()
        if self._fatal is not None:
            self._close()
        elif not inflight.outstanding and (
            self._stop_requested or (self.intake.exhausted and not inflight.resend)
        ):  # stopped: what is still to send (held for its time, or to send again) is not sent
            self._finished = True
            self._close()

    def _drain_expired(self) -> None:
        if not self._finished:
            self._finished = True
            self._close()

    def _on_return(self, _channel: Any, _method: Any, properties: Any, _body: bytes) -> None:
        self.inflight.returned(getattr(properties, "message_id", None))

    def _on_confirm(self, frame: Any) -> None:
        acked = isinstance(frame.method, pika.spec.Basic.Ack)
        if self._settling:
            if not acked and self.ring.settle_left() > 0:  # refused while the cluster settles: not an answer yet
                self._restart_after_failover()
                return
            self._settling = False  # the first ack on the new node: the failover is over
            self.ring.settled(self.report)
        self.inflight.confirmed(frame.method, acked)
        if self.window - len(self.inflight) >= self.refill or not self.inflight.outstanding:
            self._pump()

    def _restart_after_failover(self) -> None:
        """Nacks right after a failover (see NodeRing): reconnect and send again, within --reconnect-for."""
        if self._restarting or self._closing:
            return
        self._restarting = self._restarted = True
        self.notice(RESTART_NOTICE)
        self._connection.close()

    def _settle_expired(self) -> None:
        if self._settling and not self._closing and (self.inflight.outstanding or self.inflight.resend):
            self._fail(self.ring.not_settled())  # sent, and nothing confirmed since the loss
        elif self._settling:  # nothing was due meanwhile (a replay's pause): the failover is over
            self._settling = False
            self.ring.settled(self.report)

    def _tick(self) -> None:
        if self.options.on_progress and not self._closing:
            self.report.elapsed = time.monotonic() - self._started
            self.options.on_progress(self.report)
            self._connection.ioloop.call_later(self.options.progress_interval, self._tick)

    def _record_stop_position(self) -> None:
        self.report.stopped_at = self.intake.stop_position(self.inflight.pending_positions(), self._stop_requested)
