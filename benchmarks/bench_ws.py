"""WebSocket: tail reading speed and gateway fan-out, each side by side with a baseline in one run.

1. `ocelot tail ws://... --json > /dev/null` vs a raw websocket-client loop (UTF-8
   validation skipped, every message JSON-parsed), both reading the same N events that a
   small server streams as fast as it can after the gateway protocol's welcome/subscribe
   (target: ocelot at least 0.8x the raw loop);
2. fan-out: 200 connections on one tenant channel, M events published to Redis; delivered
   messages per second through `ocelot gateway` vs a bare `websockets` broadcast server fed
   by the same Redis channel (target: at least 0.7x), with delivery latency p50/p99.

  .venv/bin/python benchmarks/bench_ws.py [--events 100000] [--clients 200] [--messages 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import redis
import websocket

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from ocelot_cli.envelope.catalog import load_catalog  # noqa: E402
from ocelot_cli.envelope.samples import SampleFactory, SampleOptions  # noqa: E402
from ocelot_cli.gateway.auth import mint  # noqa: E402

SECRET = "bench-secret-0123456789abcdef0123456789"
REDIS_URL = "redis://127.0.0.1:6379/0"


# -- 1. reading speed ----------------------------------------------------------------------
def _stream_main(count: int, body: str, port_queue) -> None:  # noqa: ANN001
    async def handler(connection):
        await connection.send(json.dumps({"type": "welcome", "tenant_id": "t1", "user_id": "u1", "heartbeat_s": 20}))
        message = json.loads(await connection.recv())
        await connection.send(json.dumps({"type": "subscribe_result", "channel": message["channel"], "success": True}))
        for _ in range(count):
            await connection.send(body)
        await connection.wait_closed()

    async def main():
        from websockets.asyncio.server import serve

        async with serve(handler, "127.0.0.1", 0, compression=None, max_size=None) as server:
            port_queue.put(next(iter(server.sockets)).getsockname()[1])
            await asyncio.sleep(3600)

    asyncio.run(main())


def stream_server(count: int, body: str):  # noqa: ANN201
    """A server process that speaks welcome/subscribe and then streams `count` copies of `body`."""
    context = multiprocessing.get_context("spawn")
    port_queue = context.Queue()
    process = context.Process(target=_stream_main, args=(count, body, port_queue), daemon=True)
    process.start()
    return port_queue.get(timeout=30), process


def raw_reader(port: int, count: int) -> float:
    ws = websocket.create_connection(f"ws://127.0.0.1:{port}/ws", skip_utf8_validation=True)
    start = time.perf_counter()
    ws.recv()
    ws.send(json.dumps({"type": "subscribe", "channel": "tenant:t1:events"}))
    ws.recv()
    for _ in range(count):
        json.loads(ws.recv())
    elapsed = time.perf_counter() - start
    ws.close()
    return count / elapsed


def ocelot_reader(port: int, count: int) -> float:
    env = {**os.environ, "OCELOT_WS_TOKEN": mint(SECRET.encode(), tenant="t1", user="u1")}
    with open(os.devnull, "wb") as devnull:
        result = subprocess.run(
            [sys.executable, "-m", "ocelot_cli", "tail", f"ws://127.0.0.1:{port}/ws", "--channel", "tenant:t1:events",
             "--json", "--count", str(count)],
            stdout=devnull, stderr=subprocess.PIPE, env=env, check=True, text=True,
        )  # fmt: skip
    rate = float(re.search(r"\(([\d,.]+)/s\)", result.stderr).group(1).replace(",", ""))
    return rate


def reading(events: int, rounds: int) -> None:
    body = json.dumps(SampleFactory(load_catalog(), SampleOptions(seed=1, tenant="t1")).make("task.updated"))
    ours, theirs = [], []
    for _ in range(rounds):
        port, server = stream_server(events, body)
        theirs.append(raw_reader(port, events))
        server.terminate()
        port, server = stream_server(events, body)
        ours.append(ocelot_reader(port, events))
        server.terminate()
    mine, base = statistics.median(ours), statistics.median(theirs)
    print(f"1. reading {events:,} events from one WebSocket, {rounds} rounds (median msg/s)")
    print(f"   raw websocket-client loop (no UTF-8 check, json.loads) {base:>10,.0f}")
    print(f"   ocelot tail --json > /dev/null                      {mine:>10,.0f}   {mine / base:5.2f}x "
          f"(target >= 0.8x: {'met' if mine / base >= 0.8 else 'NOT met'})")  # fmt: skip


# -- 2. fan-out ----------------------------------------------------------------------------
def _bare_main(channel: str, port_queue) -> None:  # noqa: ANN001
    async def main():
        import redis.asyncio as aioredis
        from websockets.asyncio.server import broadcast, serve

        clients = set()

        async def handler(connection):
            clients.add(connection)
            try:
                await connection.send('{"type":"welcome"}')
                await connection.wait_closed()
            finally:
                clients.discard(connection)

        async def pump():
            client = aioredis.Redis.from_url(REDIS_URL)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            await pubsub.subscribe(channel)
            async for message in pubsub.listen():
                broadcast(clients, message["data"].decode())

        async with serve(handler, "127.0.0.1", 0, compression=None) as server:
            port_queue.put(next(iter(server.sockets)).getsockname()[1])
            await pump()

    asyncio.run(main())


def bare_broadcast_server(channel: str):  # noqa: ANN201
    """A process with a bare websockets server broadcasting every message of one Redis channel."""
    context = multiprocessing.get_context("spawn")
    port_queue = context.Queue()
    process = context.Process(target=_bare_main, args=(channel, port_queue), daemon=True)
    process.start()
    return port_queue.get(timeout=30), process


async def fan_out_run(
    port: int, clients: int, messages: int, channel: str, subscribe: bool
) -> tuple[float, list[float]]:
    from websockets.asyncio.client import connect

    token = mint(SECRET.encode(), tenant="t1", user="u1")
    latencies: list[float] = []
    done = asyncio.Event()
    received = [0]
    total = clients * messages

    async def client():
        async with connect(f"ws://127.0.0.1:{port}/ws", additional_headers={"Authorization": f"Bearer {token}"},
                           compression=None, max_queue=None) as ws:  # fmt: skip
            await ws.recv()
            if subscribe:
                await ws.send(json.dumps({"type": "subscribe", "channel": channel}))
                await ws.recv()
            ready.release()
            async for raw in ws:
                event = json.loads(raw)
                if event.get("type") == "ping":
                    await ws.send('{"type":"pong"}')
                    continue
                latencies.append(time.time() - event["data"]["sent_at"])
                received[0] += 1
                if received[0] == total:
                    done.set()

    ready = asyncio.Semaphore(0)
    tasks = [asyncio.create_task(client()) for _ in range(clients)]
    for _ in range(clients):
        await ready.acquire()
    publisher = redis.Redis.from_url(REDIS_URL)
    template = SampleFactory(load_catalog(), SampleOptions(seed=2, tenant="t1")).make("task.updated")
    start = time.perf_counter()
    for n in range(messages):
        template["data"] = {**template["data"], "task_id": f"task-{n}", "sent_at": time.time()}
        await asyncio.to_thread(publisher.publish, channel, json.dumps(template))
    await asyncio.wait_for(done.wait(), timeout=300)
    elapsed = time.perf_counter() - start
    for task in tasks:
        task.cancel()
    publisher.close()
    return total / elapsed, latencies


def fan_out(clients: int, messages: int) -> None:
    channel = "tenant:t1:events"
    env = {**os.environ, "OCELOT_JWT_SECRET": SECRET}
    gateway = subprocess.Popen(
        [sys.executable, "-m", "ocelot_cli", "gateway", "--listen", "127.0.0.1:0", "--buffer", str(messages + 10)],
        stderr=subprocess.PIPE, env=env, text=True,
    )  # fmt: skip
    try:
        line = gateway.stderr.readline()
        port = int(re.search(r":(\d+)/ws", line).group(1))
        ours, our_latency = asyncio.run(fan_out_run(port, clients, messages, channel, subscribe=True))
    finally:
        gateway.terminate()
        gateway.wait(timeout=30)
    bare_port, bare = bare_broadcast_server(channel)
    try:
        theirs, their_latency = asyncio.run(fan_out_run(bare_port, clients, messages, channel, subscribe=False))
    finally:
        bare.terminate()

    def pct(values: list[float], p: float) -> float:
        return sorted(values)[min(len(values) - 1, int(len(values) * p))] * 1000

    print(f"2. fan-out: {clients} connections on {channel}, {messages} events (deliveries/s, latency ms)")
    print(f"   bare websockets broadcast server {theirs:>10,.0f}/s   p50 {pct(their_latency, .5):7.1f}   "
          f"p99 {pct(their_latency, .99):7.1f}")  # fmt: skip
    print(f"   ocelot gateway                   {ours:>10,.0f}/s   p50 {pct(our_latency, .5):7.1f}   "
          f"p99 {pct(our_latency, .99):7.1f}   {ours / theirs:5.2f}x "
          f"(target >= 0.7x: {'met' if ours / theirs >= 0.7 else 'NOT met'})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args()
    reading(args.events, args.rounds)
    fan_out(args.clients, args.messages)


if __name__ == "__main__":
    main()
