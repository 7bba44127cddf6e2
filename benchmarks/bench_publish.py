"""Publish throughput with confirms: `ocelot publish --count N` vs node amqplib and raw pika, in one run.

Whole processes publish N fresh, distinct call.ended events (a new id, timestamp and JSON body
each) to the same exchange and queue, persistent and mandatory, with confirms pipelined through a
window of 1000:
  * node_amqplib_publisher.js: amqplib's ConfirmChannel, the fastest client on this machine
    (amqplib is installed with npm into a scratch folder when missing);
  * raw_pika_publisher.py: pika's SelectConnection, as a careful pika user writes it;
  * `ocelot publish call.ended --count N --json`: its report must say every event was confirmed.
The baselines run twice: sending the same messages as ocelot ("same": its eight properties and a
transcript that fits the outcome, the like-for-like job the targets are about), and "minimal"
messages (four properties, no transcript: about 5% less work for the broker, which is the
bottleneck here; the strongest baseline, reported beside).
Each is timed from its start to its exit (start-up and connection included), rounds alternate
so they share the noise, and the queue is purged between runs. Printed: msg/s min and median over
the rounds, and ocelot's ratios. Targets: at 60,000 events ocelot >= 1.0x node and >= 1.3x raw
pika; at 20,000 >= 1.0x raw pika.

    .venv/bin/python benchmarks/bench_publish.py [--counts 60000,20000] [--rounds 5] [--url amqp://...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pika

HERE = Path(__file__).resolve().parent
EXCHANGE = "ocelot.bench"
QUEUE = "ocelot.bench.publish"
WINDOW = 1000
NODE_DIR = Path(os.environ.get("OCELOT_BENCH_NODE_DIR", Path(tempfile.gettempdir()) / "ocelot-bench-node"))


def setup(url: str) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.exchange_declare(EXCHANGE, "topic", durable=True)
    channel.queue_declare(QUEUE, arguments={"x-max-length": 200_000})
    channel.queue_bind(QUEUE, EXCHANGE, "comms.#")
    channel.queue_purge(QUEUE)
    connection.close()


def teardown(url: str) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.queue_delete(QUEUE)
    channel.exchange_delete(EXCHANGE)
    connection.close()


def purge(url: str) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    connection.channel().queue_purge(QUEUE)
    connection.close()


def node_modules() -> Path:
    """The scratch folder's node_modules with amqplib, installed from the npm registry when missing."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        sys.exit("bench_publish: node and npm are needed for the amqplib baseline (install Node.js)")
    modules = NODE_DIR / "node_modules"
    if not (modules / "amqplib" / "package.json").exists():
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        print(f"installing amqplib into {NODE_DIR} ...", file=sys.stderr)
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(NODE_DIR), "amqplib"],
                       check=True)  # fmt: skip
    return modules


def node_url(url: str) -> str:
    """amqplib takes the vhost as the path like pika, but "%2F" must stay encoded and "/" means the default."""
    parts = urlsplit(url)
    vhost = unquote(parts.path[1:]) if parts.path not in ("", "/") else "/"
    return url if vhost != "/" else f"{parts.scheme}://{parts.netloc}"


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"bench_publish: {command[0]} {command[1]} failed ({result.returncode}): {result.stderr[-2000:]}")
    return wall, result.stdout


def run_node(url: str, count: int, modules: Path, shape: str) -> float:
    env = {**os.environ, "NODE_PATH": str(modules)}
    wall, out = timed(["node", str(HERE / "node_amqplib_publisher.js"), node_url(url), EXCHANGE, str(count),
                       str(WINDOW), shape], env)  # fmt: skip
    acked = int(out.split()[0])
    assert acked == count, out
    return count / wall


def run_pika(url: str, count: int, shape: str) -> float:
    wall, out = timed([sys.executable, str(HERE / "raw_pika_publisher.py"), url, EXCHANGE, str(count), str(WINDOW),
                       shape])  # fmt: skip
    assert int(out.split()[0]) == count, out
    return count / wall


def run_ocelot(url: str, count: int) -> float:
    env = {**os.environ, "OCELOT_AMQP_URL": url, "OCELOT_EXCHANGE": EXCHANGE}
    command = [sys.executable, "-m", "ocelot_cli", "-q", "publish", "call.ended", "--count", str(count), "--json",
               "--window", str(WINDOW)]  # fmt: skip
    wall, out = timed(command, env)
    report = json.loads(out)
    assert report["confirmed"] == count, report
    return count / wall


SIDES = {
    "node": ("node amqplib, same messages", lambda url, n, m: run_node(url, n, m, "same")),
    "pika": ("raw pika, same messages", lambda url, n, m: run_pika(url, n, "same")),
    "ocelot": ("ocelot publish", lambda url, n, m: run_ocelot(url, n)),
    "node-min": ("node amqplib, minimal messages", lambda url, n, m: run_node(url, n, m, "minimal")),
    "pika-min": ("raw pika, minimal messages", lambda url, n, m: run_pika(url, n, "minimal")),
}


def measure(url: str, count: int, rounds: int, modules: Path) -> dict[str, list[float]]:
    rates: dict[str, list[float]] = {key: [] for key in SIDES}
    for _ in range(rounds):
        for key, (_label, run) in SIDES.items():
            rates[key].append(run(url, count, modules))
            purge(url)
    return rates


def report(count: int, rounds: int, rates: dict[str, list[float]]) -> None:
    print(f"publish with confirms, {count:,} fresh call.ended events, window {WINDOW}, whole processes, "
          f"{rounds} alternating rounds (msg/s)")  # fmt: skip
    print(f"  {'':34} {'min':>9} {'median':>9}")
    for key, (label, _run) in SIDES.items():
        print(f"  {label:34} {min(rates[key]):>9,.0f} {statistics.median(rates[key]):>9,.0f}")
    targets = {"node": 1.0 if count >= 60_000 else None, "pika": 1.3 if count >= 60_000 else 1.0}
    for base in ("node", "pika", "node-min", "pika-min"):
        low = min(rates["ocelot"]) / min(rates[base])
        mid = statistics.median(rates["ocelot"]) / statistics.median(rates[base])
        target = targets.get(base)
        verdict = ""
        if target is not None:
            verdict = f"  (target >= {target}x at the median: {'met' if mid >= target else 'NOT met'})"
        print(f"  ocelot / {SIDES[base][0]:30} min {low:.2f}x  median {mid:.2f}x{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="60000,20000", help="comma-separated event counts")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--url", default=os.environ.get("OCELOT_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F"))
    args = parser.parse_args()
    modules = node_modules()
    setup(args.url)
    try:
        for count in (int(c) for c in args.counts.split(",")):
            report(count, args.rounds, measure(args.url, count, args.rounds, modules))
    finally:
        teardown(args.url)


if __name__ == "__main__":
    main()
