"""`ocelot load` side by side with plain pika, in one run.

1. Accuracy: `ocelot load --rate 5000 --duration 30s`: achieved rate against the target
   (target: within 1%) and the send-delay p99 (target: under 5 ms).
2. Ceiling: `ocelot load --rate max --publishers 2` against the best raw pika publisher
   (SelectConnection, confirms pipelined through a window, bodies and properties built before
   the clock starts: pika's send cost alone), one process, and two such processes at once.
   The raw messages carry the same AMQP properties as ocelot's (a platform publisher's: headers,
   app_id, timestamp...); a raw run with bare properties is shown too, since the broker's work
   per message depends on them.
   Every classic queue is one process inside the broker, and one queue caps the rate whatever
   feeds it, so ocelot's two publishers feed a queue each (--queues 2), as do the two raw
   processes; the one-queue figures are shown too.
   Targets: at least 1.0x the one process and 0.9x the sum of the two. Like for like, nobody
   consumes (`--consumers 0`; the raw publishers have no consumer either): each publishes to
   the same exchange into a bounded queue. The default run, with its consumer, is shown too.
3. Agreement: the end-to-end p50 ocelot reports at 1,000 msg/s against a separate raw pika
   measurement (a publisher putting time.monotonic_ns() in the body just before each publish,
   on the same schedule and with confirms like ocelot's; a consumer in another process, with a
   prefetch and batched acks like ocelot's, subtracting it). Target: within 20%.

    .venv/bin/python benchmarks/bench_load.py [--url amqp://...] [--quick]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pika

EXCHANGE = "ocelot.bench.load"
RAW_QUEUE = "ocelot.bench.load.raw"
OCELOT = str(Path(sys.executable).parent / "ocelot")


def setup(url: str) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.exchange_declare(EXCHANGE, "topic", durable=True)
    # The raw publishers' queue: bound like ocelot's, bounded so a run of minutes cannot fill memory.
    for n, key in enumerate(("comms.call.ended.raw", "comms.call.ended.raw1")):  # a second queue for a second process
        queue = RAW_QUEUE + (f".{n}" if n else "")
        channel.queue_declare(queue, arguments={"x-max-length": 200_000, "x-overflow": "drop-head"})
        channel.queue_bind(queue, EXCHANGE, key)
    connection.close()


def teardown(url: str) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.queue_delete(RAW_QUEUE)
    channel.queue_delete(RAW_QUEUE + ".1")
    channel.exchange_delete(EXCHANGE)
    connection.close()


# -- raw baselines (each runs as its own process) -------------------------------------------------
def raw_publisher(url: str, seconds: float, window: int, full: bool, routing_key: str) -> None:
    """Publish prebuilt bodies as fast as confirms allow for ``seconds``; print acked and elapsed.

    ``full``: the properties a platform publisher sets and ocelot sends (headers organizationId
    and source, app_id, timestamp, encoding, a correlation id); else the bare minimum.
    """
    sample = subprocess.run([OCELOT, "catalog", "sample", "call.ended", "--count", "256", "--lines"],
                            capture_output=True, check=True).stdout.splitlines()  # fmt: skip
    bodies = []
    for n, line in enumerate(sample):
        event = json.loads(line)
        extra = {}
        if full:
            extra = {"headers": {"organizationId": event["organizationId"], "source": event["source"]},
                     "app_id": "ocelot/0.1.0", "timestamp": int(time.time()), "content_encoding": "utf-8",
                     "correlation_id": f"abcd1234.0.0.{n}.{time.monotonic_ns()}"}  # fmt: skip
        props = pika.BasicProperties(content_type="application/json", delivery_mode=1, message_id=event["id"],
                                     type="call.ended", **extra)  # fmt: skip
        bodies.append((line, props))
    state = {"sent": 0, "tag": 0, "acked": 0, "outstanding": collections.OrderedDict(), "end": 0.0}
    holder = []

    def pump() -> None:
        channel = holder[0]
        if time.monotonic() >= state["end"]:
            if not state["outstanding"]:
                connection.close()
            return
        while len(state["outstanding"]) < window:
            body, props = bodies[state["sent"] % len(bodies)]
            state["sent"] += 1
            state["tag"] += 1
            state["outstanding"][state["tag"]] = True
            channel.basic_publish(EXCHANGE, routing_key, body, props, mandatory=True)

    def on_confirm(frame) -> None:  # noqa: ANN001
        tag = frame.method.delivery_tag
        if frame.method.multiple:
            while state["outstanding"] and next(iter(state["outstanding"])) <= tag:
                state["outstanding"].popitem(last=False)
                state["acked"] += 1
        elif state["outstanding"].pop(tag, None):
            state["acked"] += 1
        pump()

    def on_channel(channel) -> None:  # noqa: ANN001
        holder.append(channel)
        channel.confirm_delivery(on_confirm, callback=lambda _f: start())

    def start() -> None:
        state["start"] = time.monotonic()
        state["end"] = state["start"] + seconds
        pump()

    connection = pika.SelectConnection(
        pika.URLParameters(url),
        on_open_callback=lambda c: c.channel(on_open_callback=on_channel),
        on_close_callback=lambda c, _e: c.ioloop.stop(),
    )
    connection.ioloop.start()
    print(state["acked"], time.monotonic() - state["start"])


def raw_probe_consumer(url: str, count: int) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.basic_qos(prefetch_count=1000)  # as ocelot's consumer: prefetch, acks in batches
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, EXCHANGE, "probe.raw")
    latencies: list[int] = []
    print("ready", flush=True)
    for method, _props, body in channel.consume(queue, inactivity_timeout=10):
        if body is None:
            break
        latencies.append(time.monotonic_ns() - int(body.split(b"|", 1)[0]))
        if len(latencies) % 500 == 0:
            channel.basic_ack(method.delivery_tag, multiple=True)
        if len(latencies) >= count:
            break
    connection.close()
    print(statistics.median(latencies) / 1e6, len(latencies))


def raw_probe_publisher(url: str, rate: float, seconds: float) -> None:
    body_tail = subprocess.run([OCELOT, "catalog", "sample", "call.ended", "--lines"], capture_output=True,
                               check=True).stdout.strip()  # fmt: skip
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.confirm_delivery()  # as ocelot's publisher: the broker confirms every message
    origin = time.monotonic()
    for n in range(int(rate * seconds)):
        due = origin + n / rate
        while (now := time.monotonic()) < due:
            time.sleep(min(0.0005, due - now))
        channel.basic_publish(EXCHANGE, "probe.raw", str(time.monotonic_ns()).encode() + b"|" + body_tail)
    connection.close()


# -- the runs -------------------------------------------------------------------------------------------
def ocelot_load(url: str, *args: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "r.json"
        env = dict(os.environ, OCELOT_AMQP_URL=url)
        subprocess.run([OCELOT, "-q", "load", "--exchange", EXCHANGE, *args, "--report", str(report)], check=True,
                       env=env, stdout=subprocess.DEVNULL)  # fmt: skip
        return json.loads(report.read_text())


def raw_rates(url: str, processes: int, seconds: float, window: int, full: bool = True, queues: int = 1) -> float:
    args = [sys.executable, __file__, "--raw-publisher", url, str(seconds), str(window), "full" if full else "min"]
    procs = [subprocess.Popen([*args, f"comms.call.ended.raw{n % queues or ''}"], stdout=subprocess.PIPE)
             for n in range(processes)]  # fmt: skip
    total = 0.0
    for proc in procs:
        acked, elapsed = proc.communicate()[0].split()
        total += int(acked) / float(elapsed)
    return total


def raw_probe(url: str, rate: float, seconds: float) -> float:
    count = int(rate * seconds)
    consumer = subprocess.Popen([sys.executable, __file__, "--raw-consumer", url, str(count)], stdout=subprocess.PIPE)
    assert consumer.stdout.readline().strip() == b"ready"
    subprocess.run([sys.executable, __file__, "--raw-probe", url, str(rate), str(seconds)], check=True)
    p50, _n = consumer.communicate()[0].split()
    return float(p50)


def main() -> None:
    if sys.argv[1:2] == ["--raw-publisher"]:
        return raw_publisher(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "full", sys.argv[6])
    if sys.argv[1:2] == ["--raw-consumer"]:
        return raw_probe_consumer(sys.argv[2], int(sys.argv[3]))
    if sys.argv[1:2] == ["--raw-probe"]:
        return raw_probe_publisher(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=os.environ.get("OCELOT_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F"))
    parser.add_argument("--quick", action="store_true", help="shorter runs (10 s accuracy, 5 s ceiling)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of the ceiling runs")
    args = parser.parse_args()
    accuracy_s, ceiling_s = (10, 5) if args.quick else (30, 8)
    setup(args.url)
    try:
        print(f"1. accuracy: ocelot load --rate 5000 --duration {accuracy_s}s")
        report = ocelot_load(args.url, "--rate", "5000", "--duration", f"{accuracy_s}s", "--warmup", "2s")
        achieved, delay = report["published"]["rate"], report["latency"]["send_delay"]
        print(f"   achieved {achieved:.1f}/s ({100 * (achieved / 5000 - 1):+.2f}% of target; target within 1%)")
        print(f"   send delay p50 {delay['p50_ms']:.3f} ms, p99 {delay['p99_ms']:.3f} ms (target p99 < 5 ms), "
              f"max {delay['max_ms']:.1f} ms; end-to-end p99 {report['latency']['end_to_end']['p99_ms']:.2f} ms; "
              f"publisher CPU {report['cpu']['publishers']}")  # fmt: skip

        print(f"2. ceiling: {args.rounds} alternating rounds of {ceiling_s} s each (window 1024), medians")
        rates: dict[str, list[float]] = collections.defaultdict(list)
        cpu: list = []
        for _ in range(args.rounds):
            two_pubs = ocelot_load(args.url, "--rate", "max", "--publishers", "2", "--queues", "2",
                                   "--consumers", "0", "--duration", f"{ceiling_s}s")  # fmt: skip
            rates["ocelot2"].append(two_pubs["published"]["rate"])
            cpu.append(two_pubs["cpu"]["publishers"])
            rates["raw1"].append(raw_rates(args.url, 1, ceiling_s, 1024))
            rates["raw1min"].append(raw_rates(args.url, 1, ceiling_s, 1024, full=False))
            rates["raw2"].append(raw_rates(args.url, 2, ceiling_s, 1024))
            rates["raw2q"].append(raw_rates(args.url, 2, ceiling_s, 1024, queues=2))
            one_pub = ocelot_load(args.url, "--rate", "max", "--consumers", "0", "--duration", f"{ceiling_s}s")
            rates["ocelot1"].append(one_pub["published"]["rate"])
        med = {k: statistics.median(v) for k, v in rates.items()}
        print(f"   ocelot load --rate max --publishers 2 --queues 2 --consumers 0: {med['ocelot2']:,.0f}/s "
              f"(rounds {', '.join(f'{r:,.0f}' for r in rates['ocelot2'])}; publisher CPU % {cpu})")  # fmt: skip
        print(f"   raw pika, one process:    {med['raw1']:,.0f}/s  -> ocelot {med['ocelot2'] / med['raw1']:.2f}x "
              f"(target >= 1.0x; rounds {', '.join(f'{r:,.0f}' for r in rates['raw1'])})")  # fmt: skip
        print(f"   raw pika, two processes, a queue each: {med['raw2q']:,.0f}/s  -> ocelot "
              f"{med['ocelot2'] / med['raw2q']:.2f}x (target >= 0.9x; rounds "
              f"{', '.join(f'{r:,.0f}' for r in rates['raw2q'])})")  # fmt: skip
        rounds = ", ".join(f"{r:,.0f}" for r in rates["raw2"])
        print(f"   raw pika, two processes, one queue:    {med['raw2']:,.0f}/s  -> ocelot "
              f"{med['ocelot2'] / med['raw2']:.2f}x (rounds {rounds})")  # fmt: skip
        print(f"   raw pika, one process, bare properties (content type, id, type only): {med['raw1min']:,.0f}/s "
              f"-> ocelot {med['ocelot2'] / med['raw1min']:.2f}x")  # fmt: skip
        print(f"   one ocelot publisher (--publishers 1 --consumers 0): {med['ocelot1']:,.0f}/s "
              f"-> {med['ocelot1'] / med['raw1']:.2f}x one raw process")  # fmt: skip
        consuming = ocelot_load(args.url, "--rate", "max", "--publishers", "2", "--duration", f"{ceiling_s}s")
        print(f"   with its consumer reading everything back, as by default: {consuming['published']['rate']:,.0f}/s "
              f"published, {consuming['consumed']['rate']:,.0f}/s consumed, CPU {consuming['cpu']}")  # fmt: skip

        print("3. end-to-end p50 at 1000 msg/s, 10 s")
        mine_p50 = ocelot_load(args.url, "--rate", "1000", "--duration", "10s")["latency"]["end_to_end"]["p50_ms"]
        raw_p50 = raw_probe(args.url, 1000, 10)
        print(f"   ocelot reports {mine_p50:.3f} ms, raw timestamp-in-body probe {raw_p50:.3f} ms "
              f"-> {100 * (mine_p50 / raw_p50 - 1):+.1f}% (target within 20%)")  # fmt: skip
    finally:
        teardown(args.url)


if __name__ == "__main__":
    main()
