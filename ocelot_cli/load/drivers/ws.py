"""``ocelot load --ws-url``: publish real-time events to Redis, receive them through the gateway.

Publishers PUBLISH on the channel (the hub's Redis pub/sub source); each consumer process
holds its share of ``--clients`` gateway connections, each authenticated and subscribed
(through the one gateway client, rate limits and refusals included) before the start, and
reads them all in one loop. Every connection should get every message, so delivery is counted
per connection; the timing marker travels in the event's ``key``.

With several gateways (``--ws-url URL1,URL2``), client ``i`` of the run connects to gateway
``i % n``; consumer process ``c`` holds clients ``c``, ``c + consumers``, ... and says which
gateway each of its connections used, so the report counts every gateway on its own.
"""

from __future__ import annotations

import contextlib
import select
from typing import Any

from ocelot_cli.envelope.codec import parse_body
from ocelot_cli.load.drivers import WorkerSpec
from ocelot_cli.load.ledger import Receipts, SendLedger, scheduled_messages
from ocelot_cli.load.link import Reporter
from ocelot_cli.load.plan import LoadPlan
from ocelot_cli.transports.base import Capability, PublishOptions, transport_for


def prepare(spec: WorkerSpec, _routing_keys: list[list[str]]) -> None:
    """Check that Redis answers before any worker starts."""
    assert spec.redis is not None
    transport_for(spec.redis, need=Capability.PUBLISH).probe("ocelot load")


def cleanup(_spec: WorkerSpec) -> int | None:
    """Nothing to remove: pub/sub channels keep nothing."""
    return None


def run_publisher(spec: WorkerSpec, pub: int, reporter: Reporter) -> None:
    plan, pool = spec.plan, spec.pool
    assert spec.redis is not None and pool is not None
    ledger = SendLedger(plan, pub, reporter.buckets)
    origin = reporter.wait_start()
    ledger.origin_ns = round(origin * 1e9)
    messages = scheduled_messages(plan, pool, pub, origin, each=reporter.maybe_flush)
    options = PublishOptions(origin=origin, on_settled=ledger.settled)
    publisher = transport_for(spec.redis, need=Capability.PUBLISH).publisher(messages, options)
    reporter.stop_on_request(publisher)
    publisher.run()
    reporter.done(ledger.payload(publisher.report))


def clients_of(plan: LoadPlan, index: int) -> range:
    """The run's clients that consumer process ``index`` holds (every consumers-th, from ``index``)."""
    assert plan.ws is not None
    return range(index, plan.ws.clients, plan.consumers)


def _key_of(body: bytes) -> Any:
    try:
        event = parse_body(body)
    except ValueError:
        return None
    return event.get("key") if isinstance(event, dict) else None


def run_consumer(spec: WorkerSpec, index: int, reporter: Reporter) -> None:
    plan = spec.plan
    assert plan.ws is not None and spec.gateways
    gateways = [transport_for(endpoint, need=Capability.TAIL) for endpoint in spec.gateways]
    used = [plan.ws.gateway_of(client) for client in clients_of(plan, index)]  # the gateway of each connection
    clients = []
    try:
        for gateway in used:
            client = gateways[gateway].client(poll=0.05, on_notice=lambda text: reporter.send("notice", text))
            clients.append(client)
            client.connect()
            client.subscribe(plan.ws.channel)
        receipts = [Receipts(plan, reporter.buckets) for _ in clients]  # one per connection: each gets every message
        origin_ns = round(reporter.wait_start() * 1e9)
        for each in receipts:
            each.origin_ns = origin_ns
        _receive(clients, receipts, reporter)
    finally:
        for client in clients:
            with contextlib.suppress(Exception):
                client.close()
    received = sum(r.received for r in receipts)
    reporter.flush({"received_total": received})
    connections = [{"gateway": gateway, "received": each.received, "duplicates": each.duplicates}
                   for gateway, each in zip(used, receipts, strict=True)]  # fmt: skip
    reporter.done({"groups": [r.packed() for r in receipts], "connections": connections})


def _receive(clients: list[Any], receipts: list[Receipts], reporter: Reporter) -> None:
    """Read every connection until the coordinator says stop; a connection that fails stops counting."""
    live = dict(zip(clients, receipts, strict=True))
    stop = reporter.link.stop_consuming
    for client, each in live.items():  # events that came with the subscribe replies
        while client.events:
            each.take(_key_of(client.events.popleft()))
    while not stop.is_set() and live:
        ready = [c for c in live if c.buffered()] or select.select(list(live), [], [], 0.05)[0]
        for client in ready:
            each = live[client]
            try:
                client.read()
            except Exception:  # noqa: BLE001 - a lost connection receives nothing more (counted as lost)
                del live[client]
                continue
            events = client.events
            while events:
                each.take(_key_of(events.popleft()))
        reporter.maybe_flush({"received_total": sum(r.received for r in receipts)})
