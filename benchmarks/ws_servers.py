"""The processes bench_ws.py and bench_memory.py measure: `ocelot gateway`, the bare websockets broadcast
server (their baseline), and how to read a process's CPU time and memory (Linux /proc)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import redis

SECRET = "bench-secret-0123456789abcdef0123456789"
REDIS_URL = "redis://127.0.0.1:6379/0"
HERE = Path(__file__).resolve().parent
TICK = os.sysconf("SC_CLK_TCK")


# -- measuring processes -------------------------------------------------------------------
def rss_mb(pid: int) -> float:
    """Resident set size of a process now, in MB (Linux /proc); NaN once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def machine_busy_seconds() -> float:
    """CPU time all processes of the machine have used so far, every core together (Linux /proc/stat)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in
                                                               Path("/proc/stat").read_text().split()[1:9])  # fmt: skip
    return (user + nice + system + irq + softirq + steal) / TICK


def children_cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (ended children are waited for)."""
    own, ended = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + ended.ru_utime + ended.ru_stime


def env_for_ocelot(**extra: str) -> dict[str, str]:
    """The environment of an ocelot process: none of the caller's OCELOT_* settings, no config file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCELOT_")}
    env.update(OCELOT_CONFIG="/nonexistent/ocelot.yaml", **extra)
    return env


def spawn(target, *args):  # noqa: ANN001, ANN201
    """A spawned process running ``target(*args, port_queue)``, and the port it reports."""
    context = multiprocessing.get_context("spawn")
    port_queue = context.Queue()
    process = context.Process(target=target, args=(*args, port_queue), daemon=True)
    process.start()
    return port_queue.get(timeout=30), process


def stop(process: multiprocessing.Process) -> None:
    process.terminate()
    process.join(timeout=10)


# -- the servers ---------------------------------------------------------------------------
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


class OcelotGateway:
    """`ocelot gateway` on a free port, its stderr in a file (a full pipe would stall it), ready to serve."""

    def __init__(self, buffer: int) -> None:
        self.log = tempfile.NamedTemporaryFile(prefix="bench-ws-gateway-", suffix=".log")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ocelot_cli", "gateway", "--listen", "127.0.0.1:0", "--buffer", str(buffer)],
            stdout=subprocess.DEVNULL, stderr=self.log, cwd=HERE.parent,
            env=env_for_ocelot(OCELOT_JWT_SECRET=SECRET, OCELOT_REDIS_URL=REDIS_URL),
        )  # fmt: skip
        self.pid = self.proc.pid
        deadline = time.monotonic() + 30
        while not (found := re.search(r"ws://127\.0\.0\.1:(\d+)/ws", Path(self.log.name).read_text())):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"the gateway did not start: {Path(self.log.name).read_text()}")
            time.sleep(0.05)
        self.port = int(found.group(1))
        self.url = f"ws://127.0.0.1:{self.port}/ws"
        while not self._ready():  # its Redis subscription is up: nothing published is missed
            if time.monotonic() > deadline:
                raise RuntimeError("the gateway did not become ready")
            time.sleep(0.05)

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/ready", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.log.close()


class BareServer:
    """The bare websockets broadcast server in a process of its own, subscribed to ``channel`` on Redis."""

    def __init__(self, channel: str) -> None:
        self.port, self.process = spawn(_bare_main, channel)
        self.pid = self.process.pid
        probe = redis.Redis.from_url(REDIS_URL)
        deadline = time.monotonic() + 30
        while not probe.pubsub_numsub(channel)[0][1]:  # its Redis subscription is up
            if time.monotonic() > deadline:
                raise RuntimeError("the bare server did not subscribe")
            time.sleep(0.05)
        probe.close()

    def stop(self) -> None:
        stop(self.process)
