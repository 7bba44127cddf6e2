"""``ocelot load`` on RabbitMQ: the run's queue, the publisher and the consumer worker processes.

The run declares one queue per machine (``ocelot.load.<run>.<worker>``, classic or quorum,
with ``x-expires`` so that a killed run cannot leave it behind for long), binds it to the
routing keys of the mix, and deletes it at the end. Publishers pipeline confirms with
``ConfirmedPublisher`` on a shared schedule; consumers ack in batches under a prefetch.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pika
import pika.exceptions as pex

from ocelot_cli.load.ledger import Receipts, SendLedger, scheduled_messages
from ocelot_cli.load.plan import LoadPlan, marker
from ocelot_cli.load.pool import MessagePool
from ocelot_cli.load.workers import Reporter
from ocelot_cli.outgoing import OutgoingMessage
from ocelot_cli.transports.amqp import (
    CONNECTION_ERRORS,
    AmqpOptions,
    connection_parameters,
    exchange_missing,
    translate_close,
    translate_connect_error,
)
from ocelot_cli.transports.amqp_frames import SendTiming
from ocelot_cli.transports.amqp_publish import ConfirmedPublisher

PUBLISH_ONLY_MAX_LENGTH = 100_000
QUEUE_EXPIRES_MS = 120_000  # an abandoned run's queue disappears two minutes after its last consumer
RECONNECT_FOR = 60.0  # a consumer whose connection is lost tries again this long


def _options(spec: dict[str, Any]) -> AmqpOptions:
    return AmqpOptions(url=spec["url"], ca_file=spec.get("ca_file"), blocked_timeout=spec.get("blocked_timeout", 30.0))


def _connect(options: AmqpOptions, purpose: str) -> Any:
    try:
        return pika.BlockingConnection(connection_parameters(options, purpose=purpose))
    except CONNECTION_ERRORS as exc:
        raise translate_connect_error(exc, options) from None


def prepare(spec: dict[str, Any], routing_keys: list[list[str]]) -> None:
    """Check the exchange; declare the run's queues and bind each to its routing keys."""
    plan = LoadPlan.from_dict(spec["plan"])
    options = _options(spec)
    connection = _connect(options, "ocelot load")
    try:
        channel = connection.channel()
        try:
            if spec.get("declare"):
                channel.exchange_declare(plan.exchange, "topic", durable=True)
            else:
                channel.exchange_declare(plan.exchange, passive=True)
        except pex.ChannelClosedByBroker as exc:
            if exc.reply_code == 404:
                raise exchange_missing(plan.exchange, options) from None
            raise translate_close(exc, options, plan.exchange) from None
        arguments: dict[str, Any] = {"x-queue-type": plan.queue_type, "x-expires": QUEUE_EXPIRES_MS}
        if not plan.consumers:  # publish only: keep the queue (and the broker's memory) bounded
            arguments.update({"x-max-length": PUBLISH_ONLY_MAX_LENGTH, "x-overflow": "drop-head"})
        quorum = plan.queue_type == "quorum"
        for queue, keys in enumerate(routing_keys):
            channel.queue_declare(plan.queue_name(queue), durable=quorum or plan.persistent, arguments=arguments)
            for key in dict.fromkeys(keys):
                channel.queue_bind(plan.queue_name(queue), plan.exchange, routing_key=key)
    except pex.ChannelClosedByBroker as exc:
        raise translate_close(exc, options, plan.exchange) from None
    finally:
        with contextlib.suppress(Exception):
            connection.close()


def cleanup(spec: dict[str, Any]) -> int | None:
    """Delete the run's queues; how many messages were still in them (None if they could not be deleted)."""
    plan = LoadPlan.from_dict(spec["plan"])
    try:
        connection = _connect(_options(spec), "ocelot load cleanup")
    except Exception:  # noqa: BLE001 - x-expires removes it anyway
        return None
    try:
        channel = connection.channel()
        return sum(int(getattr(channel.queue_delete(plan.queue_name(q)).method, "message_count", 0))
                   for q in range(plan.queues))  # fmt: skip
    except Exception:  # noqa: BLE001
        return None
    finally:
        with contextlib.suppress(Exception):
            connection.close()


def run_publisher(spec: dict[str, Any], pub: int, reporter: Reporter) -> None:
    plan = LoadPlan.from_dict(spec["plan"])
    pool: MessagePool = spec["pool"]  # built by the coordinator before the fork
    ledger = SendLedger(plan, pub, reporter.buckets)
    origin = reporter.wait_start()
    ledger.origin_ns = origin_ns = round(origin * 1e9)
    publisher = ConfirmedPublisher(
        _options(spec),
        scheduled_messages(plan, pool, pub, origin),
        exchange=plan.exchange,
        window=plan.window,
        drain_timeout=5.0,
        origin=origin,
        on_settled=ledger.settled,
        on_progress=lambda _report: reporter.maybe_flush(),
        on_notice=lambda text: reporter.send("notice", f"publisher {pub}: {text}"),
        progress_interval=0.1,
    )
    publisher.timing = SendTiming(early=0.0, precise_wait=0.0015)
    if plan.rate is None:  # no schedule: time each message from the moment it really leaves
        prefix = plan.marker_prefix()

        def stamp(message: OutgoingMessage) -> None:
            now_ns = time.monotonic_ns() - origin_ns
            message.due = now_ns / 1e9
            message.properties["correlation_id"] = marker(prefix, pub, message.seq, now_ns)

        publisher.timing.before_send = stamp
    reporter.stop_on_request(publisher)
    if not reporter.link.stop_publishing.is_set():
        publisher.run()
    reporter.done(ledger.payload(publisher.report))


def run_consumer(spec: dict[str, Any], index: int, reporter: Reporter) -> None:
    plan = LoadPlan.from_dict(spec["plan"])
    options = _options(spec)
    receipts = Receipts(plan, reporter.buckets)
    ack_every = max(1, plan.prefetch // 2)
    unacked = 0

    def on_message(ch: Any, method: Any, properties: Any, _body: bytes) -> None:
        nonlocal unacked
        receipts.take(properties.correlation_id)
        unacked += 1
        if unacked >= ack_every:
            ch.basic_ack(method.delivery_tag, multiple=True)
            unacked = 0

    def open_consumer() -> Any:
        nonlocal unacked
        connection = _connect(options, f"ocelot load consumer {index}")
        channel = connection.channel()
        channel.basic_qos(prefetch_count=plan.prefetch)
        for queue in plan.queues_of_consumer(index):
            channel.basic_consume(plan.queue_name(queue), on_message)
        unacked = 0
        return connection, channel

    connection, channel = open_consumer()
    receipts.origin_ns = round(reporter.wait_start() * 1e9)
    stop = reporter.link.stop_consuming
    lost_at: float | None = None
    while not stop.is_set():
        try:
            if connection is None:
                connection, channel = open_consumer()
                reporter.send("notice", f"consumer {index} reconnected; unacknowledged messages come again")
                lost_at = None
            connection.process_data_events(time_limit=0.05)
        except CONNECTION_ERRORS as exc:
            # The run's queue outlives the connection: reconnect and go on (what was not acked
            # is delivered again and counted as duplicates), for up to a minute.
            with contextlib.suppress(Exception):
                connection.close()
            connection, lost_at = None, lost_at or time.monotonic()
            if time.monotonic() - lost_at > RECONNECT_FOR:
                raise translate_close(exc, options) from None
            time.sleep(0.25)
        reporter.maybe_flush({"received_total": receipts.received})
    if connection is not None:
        with contextlib.suppress(Exception):
            connection.process_data_events(time_limit=0)
            channel.basic_ack(0, multiple=True)
        with contextlib.suppress(Exception):
            connection.close()
    reporter.flush({"received_total": receipts.received})
    reporter.done({"seen": receipts.packed()})
