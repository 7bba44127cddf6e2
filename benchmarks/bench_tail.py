"""Tail drain speed: `ocelot tail --json > /dev/null` vs a raw pika consumer, same events, same run.

Both queues are filled with the same N events at once (the tail's own queue and a plain
queue bound to the same exchange; the tail is paused with SIGSTOP while they fill). Then:
  * ocelot: the paused tail is resumed; timed until it exits after --count N;
  * raw pika: BlockingConnection, prefetch 1000, acks with multiple=True every 100,
    json.loads of every body, output discarded.
Target: ocelot at least 0.9x the raw consumer.

    .venv/bin/python benchmarks/bench_tail.py [--count 100000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time

import pika

EXCHANGE = "ocelot.bench.tail"
QUEUE = "ocelot.bench.tail.raw"


def channel_for(url: str):  # noqa: ANN201
    connection = pika.BlockingConnection(pika.URLParameters(url))
    return connection, connection.channel()


def fill(url: str, count: int) -> None:
    env = {**os.environ, "OCELOT_AMQP_URL": url, "OCELOT_EXCHANGE": EXCHANGE}
    subprocess.run(
        [sys.executable, "-m", "ocelot_cli", "-q", "publish", "call.ended", "--count", str(count)], env=env, check=True
    )


def raw_consume(url: str, count: int) -> float:
    connection, channel = channel_for(url)
    channel.basic_qos(prefetch_count=1000)
    state = {"n": 0}
    start = time.perf_counter()

    def on_message(ch, method, _props, body):
        json.loads(body)
        state["n"] += 1
        if state["n"] % 100 == 0 or state["n"] == count:
            ch.basic_ack(method.delivery_tag, multiple=True)
        if state["n"] == count:
            ch.stop_consuming()

    channel.basic_consume(QUEUE, on_message)
    channel.start_consuming()
    elapsed = time.perf_counter() - start
    connection.close()
    return count / elapsed


def ocelot_tail(url: str, count: int) -> float:
    env = {**os.environ, "OCELOT_AMQP_URL": url, "OCELOT_EXCHANGE": EXCHANGE}
    with open(os.devnull, "wb") as devnull:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ocelot_cli", "tail", "--json", "--count", str(count), "--max-queue",
             str(count * 2)],
            stdout=devnull, stderr=subprocess.PIPE, env=env,
        )  # fmt: skip
        line = proc.stderr.readline()
        assert b"tailing" in line, line
        os.kill(proc.pid, signal.SIGSTOP)
        fill(url, count)
        start = time.perf_counter()
        os.kill(proc.pid, signal.SIGCONT)
        proc.wait(timeout=600)
        elapsed = time.perf_counter() - start
        summary = proc.stderr.read().decode()
    assert proc.returncode == 0 and f"shown {count:,}" in summary, summary
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--url", default=os.environ.get("OCELOT_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F"))
    args = parser.parse_args()
    connection, channel = channel_for(args.url)
    channel.exchange_declare(EXCHANGE, "topic", durable=True)
    channel.queue_declare(QUEUE, arguments={"x-max-length": args.count * 2})
    channel.queue_bind(QUEUE, EXCHANGE, "#")
    channel.queue_purge(QUEUE)
    ours, theirs = [], []
    try:
        for _ in range(args.rounds):
            ours.append(ocelot_tail(args.url, args.count))  # fills the raw queue too
            theirs.append(raw_consume(args.url, args.count))
    finally:
        channel.queue_delete(QUEUE)
        channel.exchange_delete(EXCHANGE)
        connection.close()
    mine, base = statistics.median(ours), statistics.median(theirs)
    print(f"draining {args.count:,} queued call.ended events, {args.rounds} alternating rounds (msg/s: min, median)")
    print(f"  raw pika consumer (prefetch 1000, multiple acks, json.loads) {min(theirs):>10,.0f} {base:>10,.0f}")
    print(f"  ocelot tail --json > /dev/null                            {min(ours):>10,.0f} {mine:>10,.0f}")
    print(f"  ocelot / raw: min {min(ours) / min(theirs):.2f}x  median {mine / base:.2f}x  "
          f"(target >= 0.9x at the median: {'met' if mine / base >= 0.9 else 'NOT met'})")

if __name__ == "__main__":
    main()
