"""Memory per idle connection: `ocelot gateway` vs the bare websockets broadcast server, side by side.

Each round starts the server fresh, reads its RSS with no connection, opens N connections (default
1,000) and reads its RSS again once they are all open and idle: for the gateway each connection is
authenticated (a Bearer token) and subscribed to its tenant channel; the bare server (the baseline of
bench_ws.py's fan-out, fed by Redis) only accepts them. MB per connection = (RSS with N - RSS with 0)
/ N. R rounds (default 5), alternating gateway and bare server; min and median of each side, and the
ratio of the medians. (bench_ws.py reports the RSS of `ocelot tail` while it reads and of the gateway
holding its fan-out connections.)

  .venv/bin/python benchmarks/bench_memory.py [--connections 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from ws_servers import SECRET, BareServer, OcelotGateway, rss_mb  # noqa: E402

from ocelot_cli.gateway.auth import mint  # noqa: E402

SETTLE = 1.0  # seconds to let a server finish what connecting started (handshakes, tasks, buffers)


async def hold(port: int, count: int, token: str, channel: str | None, measure) -> float:  # noqa: ANN001
    """Open ``count`` connections (subscribed to ``channel`` if given), call ``measure`` while they are
    all open and idle, close them; what ``measure`` returned."""
    from websockets.asyncio.client import connect

    opened, release = asyncio.Semaphore(0), asyncio.Event()

    async def client() -> None:
        async with connect(f"ws://127.0.0.1:{port}/ws", additional_headers={"Authorization": f"Bearer {token}"},
                           compression=None, open_timeout=60) as ws:  # fmt: skip
            await ws.recv()  # welcome
            if channel is not None:
                await ws.send(json.dumps({"type": "subscribe", "channel": channel}))
                reply = json.loads(await ws.recv())
                if not reply.get("success"):
                    raise RuntimeError(f"subscribe refused: {reply}")
            opened.release()
            await release.wait()

    tasks = []
    for start in range(0, count, 50):  # 50 at a time: within the servers' listen backlog
        tasks += [asyncio.create_task(client()) for _ in range(start, min(count, start + 50))]
        for _ in range(start, min(count, start + 50)):
            await opened.acquire()
    await asyncio.sleep(SETTLE)
    result = measure()
    release.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return result


def one_round(side: str, count: int) -> tuple[float, float]:
    """RSS (MB) of a fresh server with no connection and with ``count`` idle ones."""
    tenant = f"speedws-mem-{uuid.uuid4().hex[:8]}"
    channel = f"tenant:{tenant}:events"
    server = OcelotGateway(100) if side == "ocelot" else BareServer(channel)
    try:
        time.sleep(SETTLE)
        empty = rss_mb(server.pid)
        token = mint(SECRET.encode(), tenant=tenant, user="mem")
        held = asyncio.run(hold(server.port, count, token, channel if side == "ocelot" else None,
                                lambda: rss_mb(server.pid)))  # fmt: skip
    finally:
        server.stop()
    return empty, held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    runs: dict[str, list[tuple[float, float]]] = {"ocelot": [], "bare": []}
    for _ in range(args.rounds):  # alternating: gateway, bare, gateway, bare ...
        for side in ("ocelot", "bare"):
            runs[side].append(one_round(side, args.connections))
    n = args.connections
    print(f"memory: {n:,} idle connections, {args.rounds} alternating rounds (RSS MB; KB per connection)")
    print("                                      RSS empty (med)   RSS with N (med)   KB/conn min   KB/conn median")
    per = {}
    for side, label in (("bare", "bare websockets broadcast server"), ("ocelot", "ocelot gateway (auth+subscribed)")):
        got = runs[side]
        per[side] = [(held - empty) / n * 1024 for empty, held in got]
        print(f"   {label} {statistics.median(e for e, _ in got):>12.1f} {statistics.median(h for _, h in got):>18.1f}"
              f" {min(per[side]):>13.1f} {statistics.median(per[side]):>16.1f}")
        print("      rounds: " + ", ".join(f"{e:.1f} -> {h:.1f} MB" for e, h in got))
    ours, theirs = statistics.median(per["ocelot"]), statistics.median(per["bare"])
    print(f"   per connection: ocelot {ours / 1024:.4f} MB, bare {theirs / 1024:.4f} MB; "
          f"ratio ocelot/bare (medians) {ours / theirs:5.2f}x")


if __name__ == "__main__":
    main()
