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
import threading
import time
from typing import Any

import orjson

from ocelot_cli.envelope.catalog import load_catalog
from ocelot_cli.errors import AuthenticationFailed, BrokerUnreachable
from ocelot_cli.load import stats
from ocelot_cli.load.plan import LoadPlan, parse_marker
from ocelot_cli.load.pool import MessagePool
from ocelot_cli.load.workers import Reporter, mark, pack
from ocelot_cli.outgoing import OutgoingMessage
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
    pool = MessagePool(plan, load_catalog(spec.get("catalog_dirs") or []))
    states = bytearray(plan.count_for(pub) or 1024)
    buckets = reporter.buckets
    origin = reporter.wait_start()
    origin_ns = round(origin * 1e9)

    def messages() -> Any:
        count = plan.count_for(pub)
        seq = 0
        end = origin + plan.total_time
        while (seq < count) if count is not None else time.monotonic() < end:
            intended = plan.intended(pub, seq) if count is not None else None
            message = pool.message(pub, seq, intended, origin_ns)
            if intended is None:
                message.due = (time.monotonic_ns() - origin_ns) / 1e9
            yield message
            seq += 1
            reporter.maybe_flush()

    def settled(message: OutgoingMessage, outcome: int) -> None:
        now_ns = time.monotonic_ns() - origin_ns
        due = message.due or 0.0
        sent = message.sent_at if message.sent_at is not None else due
        bucket = buckets.at(int(due))
        stats.record_ns(bucket.hist("send_delay"), round((sent - due) * 1e9))
        buckets.at(int(sent)).counts["sent"] += 1
        if outcome == 0:
            bucket.counts["acked"] += 1
            stats.record_ns(bucket.hist("confirm"), now_ns - round(due * 1e9))
        else:
            bucket.counts["returned"] += 1
        mark(states, message.seq, outcome + 1)

    publisher = RedisPublisher(plan.ws.redis_url, messages(), origin=origin, on_settled=settled)

    def watch_stop() -> None:
        reporter.link.stop_publishing.wait()
        publisher.request_stop()

    threading.Thread(target=watch_stop, daemon=True).start()
    publisher.run()
    reporter.done({"states": pack(states), "unsettled": 0})


def clients_of(plan: LoadPlan, index: int) -> int:
    assert plan.ws is not None
    share, extra = divmod(plan.ws.clients, plan.consumers)
    return share + (1 if index < extra else 0)


class _Client:
    def __init__(self) -> None:
        self.seen: dict[int, bytearray] = {}
        self.received = 0


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


async def _receive(ws: Any, client: _Client, plan: LoadPlan, reporter: Reporter, origin_ns: int) -> None:
    prefix = plan.marker_prefix()
    buckets = reporter.buckets
    with contextlib.suppress(Exception):
        async for text in ws:
            now_ns = time.monotonic_ns() - origin_ns
            try:
                message = orjson.loads(text)
            except orjson.JSONDecodeError:
                continue
            if message.get("type") == "ping":
                await ws.send('{"type":"pong"}')
                continue
            key = message.get("key")
            parsed = parse_marker(key, prefix) if isinstance(key, str) else None
            if parsed is None:
                buckets.at(max(0, now_ns // 1_000_000_000)).counts["foreign"] += 1
                continue
            pub, seq, intended_ns = parsed
            array = client.seen.get(pub)
            if array is None:
                array = client.seen[pub] = bytearray(plan.count_for(pub) or 1024)
            if mark(array, seq, 1):
                buckets.at(intended_ns // 1_000_000_000).counts["duplicates"] += 1
                continue
            client.received += 1
            stats.record_ns(buckets.at(intended_ns // 1_000_000_000).hist("end_to_end"), now_ns - intended_ns)
            buckets.at(now_ns // 1_000_000_000).counts["received"] += 1


async def _consume(spec: dict[str, Any], index: int, reporter: Reporter) -> None:
    plan = LoadPlan.from_dict(spec["plan"])
    assert plan.ws is not None
    ssl_context = None
    if plan.ws.url.startswith("wss://"):
        ssl_context = ssl.create_default_context(cafile=plan.ws.ca_file)
    count = clients_of(plan, index)
    sockets = [await _open(plan, spec["ws_token"], ssl_context) for _ in range(count)]
    clients = [_Client() for _ in sockets]
    loop = asyncio.get_running_loop()
    origin = await loop.run_in_executor(None, reporter.wait_start)
    origin_ns = round(origin * 1e9)
    tasks = [
        asyncio.create_task(_receive(ws, c, plan, reporter, origin_ns)) for ws, c in zip(sockets, clients, strict=True)
    ]
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
    reporter.done({"groups": [{pub: pack(a) for pub, a in c.seen.items()} for c in clients]})


def run_consumer(spec: dict[str, Any], index: int, reporter: Reporter) -> None:
    asyncio.run(_consume(spec, index, reporter))
