"""``ocelot load --ws``: publish real-time events to Redis, receive them through the gateway.

Publishers PUBLISH on the channel (the hub's Redis pub/sub source); each consumer process
holds its share of ``--clients`` WebSocket connections (asyncio, websockets), each
authenticated and subscribed before the start. Every connection should get every message,
so delivery is counted per connection; the timing marker travels in the event's ``key``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from typing import Any

import orjson

from ocelot_cli.errors import AuthenticationFailed, BrokerUnreachable
from ocelot_cli.load.ledger import Receipts, SendLedger, scheduled_messages
from ocelot_cli.load.plan import LoadPlan
from ocelot_cli.load.pool import MessagePool
from ocelot_cli.load.workers import Reporter
from ocelot_cli.redact import mask_url
from ocelot_cli.transports.redis_pubsub import RedisPublisher


def prepare(spec: dict[str, Any], _routing_keys: list[str]) -> None:
    """Check that Redis answers before any worker starts."""
    from ocelot_cli.transports.redis_pubsub import ping

    plan = LoadPlan.from_dict(spec["plan"])
    assert plan.ws is not None
    ping(plan.ws.redis_url)


def cleanup(_spec: dict[str, Any]) -> int | None:
    """Nothing to remove: pub/sub channels keep nothing."""
    return None


def run_publisher(spec: dict[str, Any], pub: int, reporter: Reporter) -> None:
    plan = LoadPlan.from_dict(spec["plan"])
    assert plan.ws is not None
    pool: MessagePool = spec["pool"]  # built by the coordinator before the fork
    ledger = SendLedger(plan, pub, reporter.buckets)
    origin = reporter.wait_start()
    ledger.origin_ns = round(origin * 1e9)
    messages = scheduled_messages(plan, pool, pub, origin, each=reporter.maybe_flush)
    publisher = RedisPublisher(plan.ws.redis_url, messages, origin=origin, on_settled=ledger.settled)
    reporter.stop_on_request(publisher)
    publisher.run()
    reporter.done(ledger.payload(publisher.report))


def clients_of(plan: LoadPlan, index: int) -> int:
    assert plan.ws is not None
    share, extra = divmod(plan.ws.clients, plan.consumers)
    return share + (1 if index < extra else 0)


async def _open(plan: LoadPlan, token: str, ssl_context: Any) -> Any:
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus, WebSocketException

    assert plan.ws is not None
    url = plan.ws.url
    try:
        ws = await connect(url, additional_headers={"Authorization": f"Bearer {token}"}, ssl=ssl_context,
                           open_timeout=10, max_size=2**22, ping_interval=None)  # fmt: skip
    except InvalidStatus as exc:
        raise AuthenticationFailed(f"the gateway at {mask_url(url)} refused the connection ({exc})") from None
    except (OSError, WebSocketException, TimeoutError) as exc:
        raise BrokerUnreachable(f"cannot connect to the gateway at {mask_url(url)}: {exc}") from None
    try:
        welcome = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
        if welcome.get("type") != "welcome":
            raise BrokerUnreachable(f"the gateway at {mask_url(url)} did not say welcome: {welcome}")
        await ws.send(orjson.dumps({"type": "subscribe", "channel": plan.ws.channel}).decode())
        while True:
            answer = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
            if answer.get("type") == "subscribe_result":
                break
        if not answer.get("success"):
            raise AuthenticationFailed(
                f"the gateway refused channel {plan.ws.channel!r}: {answer.get('reason')}",
                hint="the token's tenant or user must own the channel (see 'ocelot token')",
            )
    except WebSocketException as exc:
        code = getattr(getattr(exc, "rcvd", None), "code", None)
        if code == 1008:
            raise AuthenticationFailed(f"the gateway at {mask_url(url)} refused the token (close 1008)") from None
        raise BrokerUnreachable(f"the gateway at {mask_url(url)} closed the connection: {exc}") from None
    return ws


async def _receive(ws: Any, receipts: Receipts) -> None:
    with contextlib.suppress(Exception):
        async for text in ws:
            try:
                message = orjson.loads(text)
            except orjson.JSONDecodeError:
                continue
            if message.get("type") == "ping":
                await ws.send('{"type":"pong"}')
                continue
            receipts.take(message.get("key"))


async def _consume(spec: dict[str, Any], index: int, reporter: Reporter) -> None:
    plan = LoadPlan.from_dict(spec["plan"])
    assert plan.ws is not None
    ssl_context = None
    if plan.ws.url.startswith("wss://"):
        ssl_context = ssl.create_default_context(cafile=plan.ws.ca_file)
    count = clients_of(plan, index)
    sockets = [await _open(plan, spec["ws_token"], ssl_context) for _ in range(count)]
    clients = [Receipts(plan, reporter.buckets) for _ in sockets]  # one per connection: each gets every message
    origin = await asyncio.get_running_loop().run_in_executor(None, reporter.wait_start)
    for receipts in clients:
        receipts.origin_ns = round(origin * 1e9)
    tasks = [asyncio.create_task(_receive(ws, c)) for ws, c in zip(sockets, clients, strict=True)]
    stop = reporter.link.stop_consuming
    while not stop.is_set():
        await asyncio.sleep(0.05)
        reporter.maybe_flush({"received_total": sum(c.received for c in clients)})
    for ws in sockets:
        with contextlib.suppress(Exception):
            await ws.close()
    for task in tasks:
        task.cancel()
    reporter.flush({"received_total": sum(c.received for c in clients)})
    reporter.done({"groups": [c.packed() for c in clients]})


def run_consumer(spec: dict[str, Any], index: int, reporter: Reporter) -> None:
    asyncio.run(_consume(spec, index, reporter))
