"""Publish throughput with confirms: `ocelot publish --count N` vs raw pika, side by side in one run.

Baselines, on the same broker, exchange and queue, with persistent, mandatory messages:
  * a raw pika publisher script (raw_pika_publisher.py), run as its own process like the
    ocelot command: it builds each distinct event (uuid, timestamp, json.dumps, properties)
    and pipelines confirms through a window on SelectConnection. Like for like: the target
    is ocelot at least 1.0x this, whole process against whole process;
  * the same pipelined loop with bodies and properties built before the clock starts: pika's
    send cost alone, a lower bound no program that makes its events can reach;
  * BlockingConnection with confirm_delivery(): one round trip per message.
Rounds alternate to share the noise.

    .venv/bin/python benchmarks/bench_publish.py [--count 50000] [--rounds 3] [--url amqp://...]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pika

EXCHANGE = "ocelot.bench"
QUEUE = "ocelot.bench.publish"


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


def sample_bodies(count: int) -> list[tuple[bytes, pika.BasicProperties]]:
    command = [sys.executable, "-m", "ocelot_cli", "catalog", "sample", "call.ended", "--count", str(min(count, 1000))]
    out = subprocess.run([*command, "--lines"], capture_output=True, check=True).stdout.splitlines()
    messages = []
    for i in range(count):
        body = out[i % len(out)]
        event = json.loads(body)
        props = pika.BasicProperties(
            content_type="application/json", delivery_mode=2, message_id=event["id"], type=event["type"]
        )
        messages.append((body, props))
    return messages


def raw_pipelined(url: str, messages, window: int = 512) -> float:
    """SelectConnection, confirms pipelined with a window, like a careful pika user writes it."""
    state = {"next": 0, "tag": 0, "acked": 0, "outstanding": collections.OrderedDict()}
    start = time.perf_counter()

    def pump(channel):
        while len(state["outstanding"]) < window and state["next"] < len(messages):
            body, props = messages[state["next"]]
            state["next"] += 1
            state["tag"] += 1
            state["outstanding"][state["tag"]] = True
            channel.basic_publish(EXCHANGE, "comms.call.ended", body, props, mandatory=True)

    def on_confirm(frame):
        tag = frame.method.delivery_tag
        if frame.method.multiple:
            while state["outstanding"] and next(iter(state["outstanding"])) <= tag:
                state["outstanding"].popitem(last=False)
                state["acked"] += 1
        else:
            state["outstanding"].pop(tag, None)
            state["acked"] += 1
        if state["acked"] == len(messages):
            connection.close()
        else:
            pump(channel_holder[0])

    channel_holder = []

    def on_channel(channel):
        channel_holder.append(channel)
        channel.confirm_delivery(on_confirm, callback=lambda _f: pump(channel))

    connection = pika.SelectConnection(
        pika.URLParameters(url),
        on_open_callback=lambda c: c.channel(on_open_callback=on_channel),
        on_close_callback=lambda c, _e: c.ioloop.stop(),
    )
    connection.ioloop.start()
    assert state["acked"] == len(messages)
    return len(messages) / (time.perf_counter() - start)


def raw_per_message(url: str, messages) -> float:
    """BlockingConnection with confirm_delivery(): every publish waits for its confirm."""
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.confirm_delivery()
    start = time.perf_counter()
    for body, props in messages:
        channel.basic_publish(EXCHANGE, "comms.call.ended", body, props, mandatory=True)
    rate = len(messages) / (time.perf_counter() - start)
    connection.close()
    return rate


def raw_script(url: str, count: int, window: int = 512) -> float:
    """msg/s of the raw pika publisher script, whole process (start-up included)."""
    script = Path(__file__).resolve().parent / "raw_pika_publisher.py"
    start = time.perf_counter()
    result = subprocess.run([sys.executable, str(script), url, EXCHANGE, str(count), str(window)],
                            capture_output=True, text=True, check=True)  # fmt: skip
    wall = time.perf_counter() - start
    assert int(result.stdout.split()[0]) == count, result.stdout
    return count / wall


def ocelot_publish(url: str, count: int) -> tuple[float, float]:
    """(rate by wall clock of the whole command, rate the command reports for its publishing)."""
    env = {**os.environ, "OCELOT_AMQP_URL": url, "OCELOT_EXCHANGE": EXCHANGE}
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "ocelot_cli", "-q", "publish", "call.ended", "--count", str(count), "--json"],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    wall = time.perf_counter() - start
    report = json.loads(result.stdout)
    assert report["confirmed"] == count, report
    return count / wall, report["rate_per_s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--url", default=os.environ.get("OCELOT_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F"))
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    setup(args.url)
    try:
        messages = sample_bodies(args.count)
        few = messages[: max(1000, args.count // 25)]
        pipelined, per_message, ocelot_wall, ocelot_inner, scripts = [], [], [], [], []
        for _ in range(args.rounds):
            scripts.append(max(raw_script(args.url, args.count, window) for window in (512, 2048)))
            purge(args.url)
            pipelined.append(max(raw_pipelined(args.url, messages, window), 0) for window in (512, 2048))
            pipelined[-1] = max(pipelined[-1])
            purge(args.url)
            wall, inner = ocelot_publish(args.url, args.count)
            ocelot_wall.append(wall)
            ocelot_inner.append(inner)
            purge(args.url)
            per_message.append(raw_per_message(args.url, few))
            purge(args.url)
    finally:
        teardown(args.url)
    base = statistics.median(pipelined)
    script = statistics.median(scripts)
    wall = statistics.median(ocelot_wall)
    inner = statistics.median(ocelot_inner)
    slow = statistics.median(per_message)
    print(f"publish with confirms, {args.count:,} call.ended events, {args.rounds} rounds (median msg/s)")
    print(f"  A raw pika script, builds its events, pipelined (whole process) {script:>9,.0f}")
    print(f"  B raw pika loop, bodies prebuilt untimed, pipelined (send cost) {base:>9,.0f}")
    print(f"  C raw pika, confirm_delivery() per message                      {slow:>9,.0f}")
    print(f"  ocelot publish, whole command                                   {wall:>9,.0f}")
    print(f"  ocelot publish, publishing phase as reported                    {inner:>9,.0f}")
    verdict = "met" if wall / script >= 1.0 else "NOT met"
    print(f"  ocelot / A: {wall / script:.2f}x (target >= 1.0x: {verdict})")
    print(f"  ocelot / B: {wall / base:.2f}x whole command, {inner / base:.2f}x publishing phase")
    print(f"  ocelot / C: {wall / slow:.1f}x")


if __name__ == "__main__":
    main()
