"""WebSocket: tail reading speed and gateway fan-out, each side by side with a baseline, in alternating rounds.

1. reading: `ocelot tail ws://... --json > /dev/null` vs a raw websocket-client loop (UTF-8 validation
   skipped, every message json.loads'd; benchmarks/raw_ws_reader.py, in its own process like ocelot),
   both reading the same N events that a server streams after the gateway protocol's welcome/subscribe.
   The server writes pre-encoded frames 64 KB at a time, so it outpaces either reader and the figure
   is the reader's own. Target: ocelot at least 0.9x the raw loop. Also the RSS of each reader while
   it reads (median of samples in the second half of its run).
2. fan-out: 200 connections on one tenant channel (a fresh tenant each round), M events published to
   Redis; deliveries per second through `ocelot gateway` vs a bare `websockets` broadcast server fed by
   the same Redis channel (target: at least 1.0x, with p50 and p99 delivery latency no worse), the
   server's CPU per 1,000 deliveries, and its RSS holding the connections after the round. The 200
   clients and the publisher share one process (as before): it is the bound on this machine (a core),
   and the publisher publishes each event after the previous one, in a thread that stamps it as it
   publishes. Latency: from that stamp to the client's parsing the event. Each round runs twice: a)
   saturated (each event published as soon as the previous one was): the rate figure; the clients'
   process is then the bound and its own queue most of the latency; b) paced at --pace events/s,
   under half of what either server and the clients take: the delivery latency figures (p50, p99).

Each part runs R rounds (default 5), alternating ocelot and baseline (ocelot first), each side in a
fresh process every round; for each side the min and median over the rounds, and the ratios of the
mins and of the medians. "others" is CPU used by processes not of this benchmark during a round (the
machine is shared): a round with much of it is disturbed.

  .venv/bin/python benchmarks/bench_ws.py [--events 200000] [--clients 200] [--messages 300] [--pace 100] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from ws_servers import (  # noqa: E402
    HERE,
    REDIS_URL,
    SECRET,
    BareServer,
    OcelotGateway,
    children_cpu_seconds,
    cpu_seconds,
    env_for_ocelot,
    machine_busy_seconds,
    rss_mb,
    spawn,
    stop,
)

from ocelot_cli.envelope.catalog import load_catalog  # noqa: E402
from ocelot_cli.envelope.samples import SampleFactory, SampleOptions  # noqa: E402
from ocelot_cli.gateway.auth import mint  # noqa: E402


def spread(values: list[float]) -> tuple[float, float]:
    return min(values), statistics.median(values)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


# -- 1. reading speed ----------------------------------------------------------------------
def text_frame(payload: bytes) -> bytes:
    """One unmasked text frame, as a server sends it."""
    size = len(payload)
    if size < 126:
        return bytes([0x81, size]) + payload
    if size < 65536:
        return bytes([0x81, 126]) + size.to_bytes(2, "big") + payload
    return bytes([0x81, 127]) + size.to_bytes(8, "big") + payload


def _stream_main(count: int, body: str, port_queue) -> None:  # noqa: ANN001
    async def handler(connection):
        await connection.send(json.dumps({"type": "welcome", "tenant_id": "t1", "user_id": "u1", "heartbeat_s": 20}))
        message = json.loads(await connection.recv())
        await connection.send(json.dumps({"type": "subscribe_result", "channel": message["channel"], "success": True}))
        frame = text_frame(body.encode())
        per_write = max(1, 65536 // len(frame))
        chunk, left = frame * per_write, count
        while left:  # the same bytes connection.send would write, without a Python call per message
            now = min(per_write, left)
            connection.transport.write(chunk if now == per_write else frame * now)
            left -= now
            await connection.drain()
        await connection.wait_closed()

    async def main():
        from websockets.asyncio.server import serve

        async with serve(handler, "127.0.0.1", 0, compression=None, max_size=None, ping_interval=None) as server:
            port_queue.put(next(iter(server.sockets)).getsockname()[1])
            await asyncio.sleep(3600)

    asyncio.run(main())


def raw_reader(port: int, count: int) -> tuple[float, float]:
    result = subprocess.run([sys.executable, str(HERE / "raw_ws_reader.py"), str(port), str(count)],
                            capture_output=True, check=True, text=True)  # fmt: skip
    rate, rss = (float(v) for v in result.stdout.split())
    return rate, rss


def ocelot_reader(port: int, count: int) -> tuple[float, float]:
    env = env_for_ocelot(OCELOT_WS_TOKEN=mint(SECRET.encode(), tenant="t1", user="u1"))
    with open(os.devnull, "wb") as devnull, tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "ocelot_cli", "tail", f"ws://127.0.0.1:{port}/ws", "--channel", "tenant:t1:events",
             "--json", "--count", str(count)], stdout=devnull, stderr=errors, env=env, cwd=HERE.parent,
        )  # fmt: skip
        samples = []
        while process.poll() is None:
            samples.append(rss_mb(process.pid))
            time.sleep(0.02)
        errors.seek(0)
        text = errors.read().decode()
    if process.returncode != 0:
        raise RuntimeError(f"ocelot tail failed ({process.returncode}): {text}")
    rate = float(re.search(r"\(([\d,.]+)/s\)", text).group(1).replace(",", ""))
    steady = [s for s in samples[len(samples) // 2:] if s == s]  # the second half: reading, past start-up
    return rate, statistics.median(steady) if steady else float("nan")


def reading(events: int, rounds: int) -> None:
    body = json.dumps(SampleFactory(load_catalog(), SampleOptions(seed=1, tenant="t1")).make("task.updated"))
    runs: dict[str, list[tuple[float, float, float]]] = {"ocelot": [], "raw": []}
    for _ in range(rounds):  # alternating: ocelot, raw, ocelot, raw ...
        for side, read in (("ocelot", ocelot_reader), ("raw", raw_reader)):
            port, server = spawn(_stream_main, events, body)
            busy, ours = machine_busy_seconds(), children_cpu_seconds()
            started = time.monotonic()
            try:
                rate, rss = read(port, events)
            finally:
                stop(server)
            elapsed = time.monotonic() - started
            used = children_cpu_seconds() - ours  # the reader, the stream server and this process
            others = max(0.0, machine_busy_seconds() - busy - used) / elapsed * 100
            runs[side].append((rate, rss, others))
    print(f"1. reading {events:,} events of {len(body)} bytes from one WebSocket, {rounds} alternating rounds")
    print("                                                      msg/s min   msg/s median   RSS MB (median)")
    rates = {}
    for side, label in (("raw", "raw websocket-client loop (no UTF-8 check, json.loads)"),
                        ("ocelot", "ocelot tail --json > /dev/null                      ")):  # fmt: skip
        rates[side] = [r[0] for r in runs[side]]
        low, mid = spread(rates[side])
        print(f"   {label} {low:>10,.0f}   {mid:>12,.0f}   {statistics.median(r[1] for r in runs[side]):>8.1f}")
        print(f"      rounds: {', '.join(f'{r[0]:,.0f} (others {r[2]:.0f}%)' for r in runs[side])}")
    low = min(rates["ocelot"]) / min(rates["raw"])
    mid = statistics.median(rates["ocelot"]) / statistics.median(rates["raw"])
    print(f"   ratio ocelot/raw: min {low:5.2f}x, median {mid:5.2f}x   (target >= 0.9x: min {verdict(low >= 0.9)}, "
          f"median {verdict(mid >= 0.9)})")  # fmt: skip


# -- 2. fan-out ----------------------------------------------------------------------------
async def fan_out_run(port: int, token: str, clients: int, messages: int, channel: str, tenant: str,
                      subscribe: bool, server_pid: int, pace: float | None = None) -> dict:  # fmt: skip
    from websockets.asyncio.client import connect

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
    template = SampleFactory(load_catalog(), SampleOptions(seed=2, tenant=tenant)).make("task.updated")
    pids = (server_pid, os.getpid(), int(publisher.info("server")["process_id"]))  # the server, clients, Redis
    cpu, busy = [cpu_seconds(pid) for pid in pids], machine_busy_seconds()

    def publish(n: int) -> None:
        # stamped by the publishing thread as it publishes: stamped before the hop to the thread, the latency
        # also counted the thread's wait for this busy process's GIL (up to its 5 ms switch interval)
        template["data"] = {**template["data"], "task_id": f"task-{n}", "sent_at": time.time()}
        publisher.publish(channel, json.dumps(template))

    start = time.perf_counter()
    for n in range(messages):
        if pace:  # a fixed rate below what either side (and these clients) can take: latency without queueing
            await asyncio.sleep(max(0.0, start + n / pace - time.perf_counter()))
        await asyncio.to_thread(publish, n)
    await asyncio.wait_for(done.wait(), timeout=300)
    elapsed = time.perf_counter() - start
    used = [cpu_seconds(pid) - before for pid, before in zip(pids, cpu, strict=True)]
    server_cpu = used[0]
    others = max(0.0, machine_busy_seconds() - busy - sum(used)) / elapsed * 100
    rss = rss_mb(server_pid)  # holding every connection, after the burst
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    publisher.close()
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000

    return {"rate": total / elapsed, "p50": pct(0.5), "p99": pct(0.99), "rss": rss,
            "cpu_per_1k": server_cpu / total * 1000 * 1000, "server_cpu": server_cpu / elapsed * 100,
            "clients_cpu": used[1] / elapsed * 100, "others": others}  # fmt: skip


def fan_out_round(side: str, clients: int, messages: int, pace: float | None = None) -> dict:
    tenant = f"speedws-{uuid.uuid4().hex[:10]}"
    channel = f"tenant:{tenant}:events"
    token = mint(SECRET.encode(), tenant=tenant, user="bench")
    server = OcelotGateway(messages + 10) if side == "ocelot" else BareServer(channel)
    try:
        return asyncio.run(fan_out_run(server.port, token, clients, messages, channel, tenant,
                                       subscribe=side == "ocelot", server_pid=server.pid, pace=pace))  # fmt: skip
    finally:
        server.stop()


LABELS = (("bare", "bare websockets broadcast server"), ("ocelot", "ocelot gateway                  "))


def _figures(runs: dict[str, list[dict]], keys: tuple[str, ...]) -> dict[str, dict[str, tuple[float, float]]]:
    return {side: {key: spread([r[key] for r in got]) for key in keys} for side, got in runs.items()}


def _print_rounds(got: list[dict]) -> None:
    print("      rounds: " + ", ".join(f"{r['rate']:,.0f}/s p50 {r['p50']:.1f} p99 {r['p99']:.1f} "
                                       f"(others {r['others']:.0f}%)" for r in got))  # fmt: skip


def fan_out(clients: int, messages: int, rounds: int, pace: float) -> None:
    saturated: dict[str, list[dict]] = {"ocelot": [], "bare": []}
    paced: dict[str, list[dict]] = {"ocelot": [], "bare": []}
    for _ in range(rounds):  # alternating: ocelot, bare, ocelot, bare ...
        for side in ("ocelot", "bare"):
            saturated[side].append(fan_out_round(side, clients, messages))
        for side in ("ocelot", "bare"):
            paced[side].append(fan_out_round(side, clients, messages, pace))
    print(f"2. fan-out: {clients} connections on one tenant channel, {messages} events a round, {rounds} alternating "
          "rounds (deliveries/s; latency ms; server CPU ms per 1,000 deliveries; server RSS MB after the round)")
    print("   a) saturated: each event published as soon as the previous one was (the rate figure)")
    print("                                      rate min   rate median   p50 min/med    p99 min/med   CPU/1k   RSS")
    figures = _figures(saturated, ("rate", "p50", "p99", "cpu_per_1k", "rss", "server_cpu", "clients_cpu"))
    for side, label in LABELS:
        f = figures[side]
        print(f"   {label} {f['rate'][0]:>9,.0f} {f['rate'][1]:>13,.0f}   {f['p50'][0]:5.1f}/{f['p50'][1]:5.1f}"
              f"    {f['p99'][0]:5.1f}/{f['p99'][1]:5.1f}   {f['cpu_per_1k'][1]:6.1f} {f['rss'][1]:6.1f}")
        _print_rounds(saturated[side])
    cpu = "; ".join(f"{side}: server {figures[side]['server_cpu'][1]:.0f}%, clients and publisher "
                    f"{figures[side]['clients_cpu'][1]:.0f}%" for side in ("bare", "ocelot"))  # fmt: skip
    print(f"   CPU % of a core (median round): {cpu} (one process each: the busier one is the bound)")
    print("   (saturated, the clients' process is the bound: latency there is mostly its own queue, the longer the\n"
          "   faster a server feeds it; delivery latency is judged in b), where nothing queues)")
    print(f"   b) paced: {pace:g} events/s ({pace * clients:,.0f} deliveries/s, under half of what either server "
          "and the clients take): the latency figures")  # fmt: skip
    print("                                                              p50 min/med    p99 min/med   CPU/1k")
    timed = _figures(paced, ("rate", "p50", "p99", "cpu_per_1k"))
    for side, label in LABELS:
        f = timed[side]
        print(f"   {label} {'':>9} {'':>13}   {f['p50'][0]:5.1f}/{f['p50'][1]:5.1f}"
              f"    {f['p99'][0]:5.1f}/{f['p99'][1]:5.1f}   {f['cpu_per_1k'][1]:6.1f}")
        _print_rounds(paced[side])
    ours, theirs = figures["ocelot"], figures["bare"]
    low, mid = ours["rate"][0] / theirs["rate"][0], ours["rate"][1] / theirs["rate"][1]
    p50, p99 = timed["ocelot"]["p50"][1], timed["ocelot"]["p99"][1]
    b50, b99 = timed["bare"]["p50"][1], timed["bare"]["p99"][1]
    print(f"   ratio ocelot/bare (saturated): min {low:5.2f}x, median {mid:5.2f}x   (target >= 1.0x: min "
          f"{verdict(low >= 1.0)}, median {verdict(mid >= 1.0)}); paced median p50 {p50:.2f} vs {b50:.2f} "
          f"({verdict(p50 <= b50)}), median p99 {p99:.2f} vs {b99:.2f} ({verdict(p99 <= b99)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--pace", type=float, default=100.0, help="events/s of the paced (latency) runs")
    parser.add_argument("--only", choices=("reading", "fan-out"), help="run one part only")
    args = parser.parse_args()
    if args.only != "fan-out":
        reading(args.events, args.rounds)
    if args.only != "reading":
        fan_out(args.clients, args.messages, args.rounds, args.pace)


if __name__ == "__main__":
    main()
