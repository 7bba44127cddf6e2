"""Gateway scale-out: fan-out deliveries per second with one and with two `ocelot gateway` processes.

200 WebSocket connections on one tenant channel, M events published to Redis; the time runs
from the first publish to the last delivery to the last connection. One gateway process holds
every connection, or two gateway processes on the same Redis hold half each (client i on
gateway i % 2, as `ocelot load --ws-url URL1,URL2` spreads them). The two set-ups alternate,
round after round, in one run: min and median deliveries/s of each, the ratio two/one, and the
CPU each part used (gateways, client processes, Redis), which says what limits the figure on
this machine.

The clients live in two processes of their own (100 connections each, asyncio websockets,
only the first connection of each process parsing JSON, for the latency sample), the same in
both set-ups. Every run gets a fresh tenant; each gateway buffers every message (no drops).

  .venv/bin/python benchmarks/bench_gateway_scale.py [--clients 200] [--messages 500] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from ws_servers import REDIS_URL, SECRET, OcelotGateway, cpu_seconds, machine_busy_seconds  # noqa: E402

from ocelot_cli.envelope.catalog import load_catalog  # noqa: E402
from ocelot_cli.envelope.samples import SampleFactory, SampleOptions  # noqa: E402
from ocelot_cli.gateway.auth import mint  # noqa: E402

CLIENT_PROCESSES = 2
DISTURBED = 20  # CPU % of a core used by other processes during a round above which its figures are disturbed
PARTS = ("gateways", "clients", "publisher", "redis", "others")  # where the machine's CPU went during a round


# -- client processes ------------------------------------------------------------------------
def _clients_main(urls: list[str], first: int, count: int, token: str, channel: str, messages: int,
                  to_parent, go) -> None:  # noqa: ANN001  # fmt: skip
    asyncio.run(_clients(urls, first, count, token, channel, messages, to_parent, go))


async def _clients(urls: list[str], first: int, count: int, token: str, channel: str, messages: int,
                   to_parent, go) -> None:  # noqa: ANN001  # fmt: skip
    from websockets.asyncio.client import connect

    received = [0]
    total = count * messages
    done = asyncio.Event()
    latencies: list[float] = []
    connected = asyncio.Semaphore(0)

    async def client(index: int) -> None:
        url = urls[index % len(urls)]  # client i on gateway i % n, like ocelot load
        sample = index == first
        async with connect(url, additional_headers={"Authorization": f"Bearer {token}"}, compression=None,
                           max_queue=None) as ws:  # fmt: skip
            await ws.recv()  # welcome
            await ws.send(json.dumps({"type": "subscribe", "channel": channel}))
            reply = json.loads(await ws.recv())
            if not reply.get("success"):
                raise RuntimeError(f"subscribe refused: {reply}")
            connected.release()
            async for raw in ws:
                if raw.startswith('{"type":"ping"'):
                    await ws.send('{"type":"pong"}')
                    continue
                if sample:
                    latencies.append(time.time() - json.loads(raw)["data"]["sent_at"])
                received[0] += 1
                if received[0] == total:
                    done.set()

    tasks = [asyncio.create_task(client(i)) for i in range(first, first + count)]
    for _ in range(count):
        await connected.acquire()
    to_parent.put(("ready", first))
    await asyncio.to_thread(go.wait)
    await asyncio.wait_for(done.wait(), timeout=300)
    to_parent.put(("done", time.monotonic(), latencies))
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


# -- one round -------------------------------------------------------------------------------
def one_round(gateway_count: int, clients: int, messages: int) -> dict:
    """Start `gateway_count` gateways and the client processes, publish, time every delivery, stop all."""
    tenant = f"bench-{uuid.uuid4().hex[:10]}"
    channel = f"tenant:{tenant}:events"
    token = mint(SECRET.encode(), tenant=tenant, user="bench")
    gateways = [OcelotGateway(messages + 10) for _ in range(gateway_count)]
    context = multiprocessing.get_context("spawn")
    to_parent, go = context.Queue(), context.Event()
    share = clients // CLIENT_PROCESSES
    workers = [context.Process(target=_clients_main, daemon=True,
                               args=([g.url for g in gateways], n * share,
                                     share if n < CLIENT_PROCESSES - 1 else clients - n * share,
                                     token, channel, messages, to_parent, go))
               for n in range(CLIENT_PROCESSES)]  # fmt: skip
    publisher = redis.Redis.from_url(REDIS_URL)
    redis_pid = int(publisher.info("server")["process_id"])
    try:
        for worker in workers:
            worker.start()
        for _ in workers:
            kind, *_rest = to_parent.get(timeout=120)
            assert kind == "ready", kind
        template = SampleFactory(load_catalog(), SampleOptions(seed=2, tenant=tenant)).make("task.updated")
        pids = {"gateways": [g.proc.pid for g in gateways], "clients": [w.pid for w in workers],
                "publisher": [os.getpid()], "redis": [redis_pid]}  # fmt: skip
        cpu_before = {part: [cpu_seconds(pid) for pid in group] for part, group in pids.items()}
        machine_before = machine_busy_seconds()
        go.set()
        start = time.monotonic()
        for n in range(messages):
            template["data"] = {**template["data"], "task_id": f"task-{n}", "sent_at": time.time()}
            publisher.publish(channel, json.dumps(template))
        ends, latencies = [], []
        for _ in workers:
            kind, end, sample = to_parent.get(timeout=300)
            ends.append(end)
            latencies += sample
        elapsed = max(ends) - start
        cpu = {part: sum(cpu_seconds(pid) for pid in group) - sum(cpu_before[part])
               for part, group in pids.items()}  # fmt: skip
        cpu["others"] = max(0.0, machine_busy_seconds() - machine_before - sum(cpu.values()))  # not this benchmark
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()
        for gateway in gateways:
            gateway.stop()
        publisher.close()
    return {"rate": clients * messages / elapsed, "elapsed": elapsed, "latencies": sorted(latencies),
            "cpu": {part: used / elapsed * 100 for part, used in cpu.items()}}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    runs: dict[int, list[dict]] = {1: [], 2: []}
    for _ in range(args.rounds):  # alternating: one, two, one, two ...
        for count in (1, 2):
            runs[count].append(one_round(count, args.clients, args.messages))

    def pct(values: list[float], p: float) -> float:
        return values[min(len(values) - 1, int(len(values) * p))] * 1000 if values else float("nan")

    print(f"gateway scale-out: {args.clients} connections on one tenant channel, {args.messages} events a round, "
          f"{args.rounds} alternating rounds; this machine has os.cpu_count() = {os.cpu_count()}")  # fmt: skip
    print("deliveries/s (min, median), latency of a sample connection (ms, median round), CPU % of one core "
          "(median round; 100 = one core busy; others = processes not of this benchmark)")  # fmt: skip
    medians, cpus = {}, {}
    for count, label in ((1, "one gateway process "), (2, "two gateway processes")):
        rates = [r["rate"] for r in runs[count]]
        medians[count] = statistics.median(rates)
        middle = sorted(runs[count], key=lambda r: r["rate"])[len(rates) // 2]
        cpu = cpus[count] = {part: statistics.median(r["cpu"][part] for r in runs[count]) for part in PARTS}
        print(f"  {label}  min {min(rates):>9,.0f}/s  median {medians[count]:>9,.0f}/s   "
              f"p50 {pct(middle['latencies'], .5):6.1f}  p99 {pct(middle['latencies'], .99):6.1f}")
        print("      cpu: " + "  ".join(f"{part} {cpu[part]:3.0f}%" for part in PARTS)
              + f"  = {sum(cpu.values()):3.0f}% of {(os.cpu_count() or 1) * 100}%")  # fmt: skip
        rounds = [f"{r['rate']:,.0f}/s (others {r['cpu']['others']:.0f}%)" for r in runs[count]]
        print("      rounds: " + ", ".join(rounds))
    ratio = medians[2] / medians[1]
    print(f"  ratio two/one (medians) {ratio:5.2f}x")
    quiet = {count: [r["rate"] for r in runs[count] if r["cpu"]["others"] <= DISTURBED] for count in runs}
    disturbed = sum(len(runs[count]) - len(quiet[count]) for count in runs)
    if disturbed:
        print(f"  note: in {disturbed} round(s) other processes used over {DISTURBED}% of a core: disturbed figures")
        if quiet[1] and quiet[2]:
            one, two = statistics.median(quiet[1]), statistics.median(quiet[2])
            print(f"  undisturbed rounds only ({len(quiet[1])} and {len(quiet[2])}): median {one:,.0f}/s and "
                  f"{two:,.0f}/s, ratio two/one {two / one:5.2f}x")  # fmt: skip
    for line in limits(cpus):
        print(line)


def limits(cpus: dict[int, dict[str, float]]) -> list[str]:
    """What bounds each set-up on this machine, read from where the CPU went."""
    cores = os.cpu_count() or 1
    one, two = cpus[1], cpus[2]
    return [
        f"  what limits it, on {cores} core(s) = {cores * 100}% of CPU for everything:",
        f"    one gateway: the gateway process used {one['gateways']:.0f}% of a core; one process is one asyncio "
        "loop, one core at most" + (" and it was the bound" if one["gateways"] >= 85 else ""),
        f"    two gateways: {sum(two.values()):.0f}% of {cores * 100}% busy, the gateways {two['gateways']:.0f}% "
        f"and the client processes {two['clients']:.0f}% on the same cores; a second gateway process adds "
        "only what the first left idle, so the gain here is bounded by the cores, not by the gateways "
        "(with the clients on other machines, each gateway process brings up to one more core)",
    ]


if __name__ == "__main__":
    main()
