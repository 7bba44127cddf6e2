"""``ocelot load`` on RabbitMQ: the run's queues, the publisher and the consumer worker processes.

The run declares its queues (``ocelot.load.<run>.<worker>``, classic or quorum, with
``x-expires`` so that a killed run cannot leave them behind for long), binds them to the
routing keys of the mix, and deletes them at the end. Publishers pipeline confirms on a shared
schedule; consumers ack in batches under a prefetch and reconnect when their connection is lost.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from ocelot_cli.load.drivers import WorkerSpec
from ocelot_cli.load.ledger import Receipts, SendLedger, scheduled_messages
from ocelot_cli.load.link import Reporter
from ocelot_cli.load.plan import marker
from ocelot_cli.transports.base import Capability, PublishOptions, transport_for
from ocelot_cli.transports.messages import OutgoingMessage

PUBLISH_ONLY_MAX_LENGTH = 100_000
QUEUE_EXPIRES_MS = 120_000  # an abandoned run's queue disappears two minutes after its last consumer


def _broker(spec: WorkerSpec) -> Any:
    return transport_for(spec.broker, need=Capability.LOAD)


def prepare(spec: WorkerSpec, routing_keys: list[list[str]]) -> None:
    """Check the exchange; declare the run's queues and bind each to its routing keys."""
    plan = spec.plan
    with _broker(spec).session("ocelot load") as session:
        if spec.declare:
            session.declare_exchange(plan.exchange)
        session.exchange_type(plan.exchange)  # missing or not a topic exchange: exit 7 before anything
        arguments: dict[str, Any] = {"x-queue-type": plan.queue_type, "x-expires": QUEUE_EXPIRES_MS}
        if not plan.consumers:  # publish only: keep the queue (and the broker's memory) bounded
            arguments.update({"x-max-length": PUBLISH_ONLY_MAX_LENGTH, "x-overflow": "drop-head"})
        durable = plan.queue_type == "quorum" or plan.persistent
        for queue, keys in enumerate(routing_keys):
            session.declare_queue(plan.queue_name(queue), durable=durable, arguments=arguments,
                                  bind_to=plan.exchange, routing_keys=keys)  # fmt: skip


def cleanup(spec: WorkerSpec) -> int | None:
    """Delete the run's queues; how many messages were still in them (None if they could not be deleted)."""
    plan = spec.plan
    try:
        with _broker(spec).session("ocelot load cleanup") as session:
            return sum(session.delete_queue(plan.queue_name(q)) for q in range(plan.queues))
    except Exception:  # noqa: BLE001 - x-expires removes them anyway
        return None


def run_publisher(spec: WorkerSpec, pub: int, reporter: Reporter) -> None:
    plan, pool = spec.plan, spec.pool
    assert pool is not None
    ledger = SendLedger(plan, pub, reporter.buckets)
    origin = reporter.wait_start()
    ledger.origin_ns = origin_ns = round(origin * 1e9)
    stamp = None
    if plan.rate is None:  # no schedule: time each message from the moment it really leaves
        prefix = plan.marker_prefix()

        def stamp(message: OutgoingMessage) -> None:
            now_ns = time.monotonic_ns() - origin_ns
            message.due = now_ns / 1e9
            message.properties["correlation_id"] = marker(prefix, pub, message.seq, now_ns)

    options = PublishOptions(
        exchange=plan.exchange, window=plan.window, drain_timeout=5.0, origin=origin, progress_interval=0.1,
        on_settled=ledger.settled, on_progress=lambda _report: reporter.maybe_flush(),
        on_notice=lambda text: reporter.send("notice", f"publisher {pub}: {text}"),
        send_early=0.0, precise_wait=0.0015, before_send=stamp,
    )  # fmt: skip
    publisher = _broker(spec).publisher(scheduled_messages(plan, pool, pub, origin), options)
    reporter.stop_on_request(publisher)
    if not reporter.link.stop_publishing.is_set():
        publisher.run()
    reporter.done(ledger.payload(publisher.report))


def run_consumer(spec: WorkerSpec, index: int, reporter: Reporter) -> None:
    plan = spec.plan
    receipts = Receipts(plan, reporter.buckets)
    queues = [plan.queue_name(q) for q in plan.queues_of_consumer(index)]
    consumer = _broker(spec).queue_consumer(
        queues, lambda correlation_id, _body: receipts.take(correlation_id), prefetch=plan.prefetch,
        purpose=f"ocelot load consumer {index}",
        on_notice=lambda text: reporter.send("notice", f"consumer {index} {text}"),
    )  # fmt: skip
    consumer.open()
    receipts.origin_ns = round(reporter.wait_start() * 1e9)
    stop = reporter.link.stop_consuming
    try:
        while not stop.is_set():
            consumer.poll(0.05)
            reporter.maybe_flush({"received_total": receipts.received})
    finally:
        with contextlib.suppress(Exception):
            consumer.close()
    reporter.flush({"received_total": receipts.received})
    reporter.done({"seen": receipts.packed()})
