"""Replay: throughput against publish, peak memory on a huge file, and timing accuracy.

1. `ocelot publish -f` and `ocelot replay --no-delay` of an N-line recording vs `ocelot publish
   --count N` of fresh samples, alternating rounds (target: both at least 1.0x publish --count);
2. peak memory (max RSS) of `ocelot replay --no-delay` on a 1,000,000-line file
   (target: under 150 MB);
3. timing: a 60-event scenario replayed at recorded speed; how late each message left
   compared with its schedule (target: every one within 10 ms).

  .venv/bin/python benchmarks/bench_replay.py [--count 100000] [--big 1000000] [--skip-big]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pika

EXCHANGE = "ocelot.bench.replay"
QUEUE = "ocelot.bench.replay.sink"


def env(url: str) -> dict[str, str]:
    return {**os.environ, "OCELOT_AMQP_URL": url, "OCELOT_EXCHANGE": EXCHANGE}


def ocelot(url: str, *args: str, stdout=subprocess.DEVNULL) -> subprocess.CompletedProcess:  # noqa: ANN001
    return subprocess.run([sys.executable, "-m", "ocelot_cli", *args], env=env(url), stdout=stdout,
                          stderr=subprocess.PIPE, check=True)  # fmt: skip


def make_recording(url: str, path: Path, count: int) -> None:
    """A recording of `count` events, made the way users make them: tail --output while publishing."""
    tail = subprocess.Popen(
        [sys.executable, "-m", "ocelot_cli", "tail", "--count", str(count), "--output", str(path), "--max-queue",
         str(count + 10)],
        env=env(url), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert b"tailing" in tail.stderr.readline()
    ocelot(url, "-q", "publish", "call.ended", "--count", str(count))
    tail.wait(timeout=1200)


def timed(url: str, *args: str) -> tuple[float, float]:
    """(seconds for the whole command, messages/s of its publishing phase as it reports)."""
    start = time.perf_counter()
    result = ocelot(url, "-q", *args, "--json", stdout=subprocess.PIPE)
    report = json.loads(result.stdout)
    return time.perf_counter() - start, report["rate_per_s"]


def throughput(url: str, count: int, rounds: int) -> None:
    runs = {
        "publish --count": lambda: timed(url, "publish", "call.ended", "--count", str(count)),
        "publish -f": lambda: timed(url, "publish", "-f", str(recording)),
        "replay --no-delay": lambda: timed(url, "replay", str(recording), "--no-delay"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        recording = Path(tmp) / "recorded.jsonl"
        make_recording(url, recording, count)
        rates: dict[str, list[float]] = {name: [] for name in runs}
        phases: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(rounds):  # alternating: they share the noise
            for name, run in runs.items():
                seconds, phase = run()
                rates[name].append(count / seconds)
                phases[name].append(phase)
    base = rates["publish --count"]
    print(f"1. throughput, {count:,} events (a recording made by tail --output), {rounds} alternating rounds, msg/s "
          "of the whole command (its publishing phase as it reports)")  # fmt: skip
    print(f"   {'':20} {'min':>9} {'median':>9}   {'phase':>9}   ratio to publish --count: min, median")
    for name, values in rates.items():
        low, mid = min(values), statistics.median(values)
        ratio = "" if name == "publish --count" else (
            f"{low / min(base):.2f}x {mid / statistics.median(base):.2f}x  "
            f"(target >= 1.0x at the median: {'met' if mid >= statistics.median(base) else 'NOT met'})"
        )  # fmt: skip
        print(f"   {name:20} {low:>9,.0f} {mid:>9,.0f}   {statistics.median(phases[name]):>9,.0f}   {ratio}")
    print("   (publish -f and replay read and validate the whole file in worker processes before the first\n"
          "   message is sent (a bad file sends nothing); for a recording with its routing keys that check also\n"
          "   proves every message can be built. That pass is what the whole command pays on top.)")


def peak_memory(url: str, lines: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.jsonl"
        with big.open("wb") as out:
            subprocess.run([sys.executable, "-m", "ocelot_cli", "catalog", "sample", "call.ended", "--count",
                            str(lines)], stdout=out, check=True)  # fmt: skip
        size = big.stat().st_size
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "ocelot_cli", "-q", "replay", str(big), "--no-delay"],
                              env=env(url), stderr=subprocess.PIPE)  # fmt: skip
        elapsed = time.perf_counter() - start
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert proc.returncode == 0, proc.stderr
    peak = max(peak_kb, before) / 1024
    print(f"2. peak memory replaying {lines:,} lines ({size / 1e6:,.0f} MB) with --no-delay")
    print(f"   max RSS {peak:,.0f} MB in {elapsed:,.0f}s   (target < 150 MB: {'met' if peak < 150 else 'NOT met'})")
    if before > peak_kb * 0.9:
        print("   (an earlier child process may have set this maximum; run with --skip-throughput to isolate)")


def timing(url: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from ocelot_cli.envelope.catalog import load_catalog
    from ocelot_cli.publishing.publish import PublishTarget
    from ocelot_cli.publishing.replay import ReplayOptions, ReplayPlan
    from ocelot_cli.transports.base import Endpoint

    steps = "\n".join(
        f"  - {{after: {gap}ms, type: {kind}}}"
        for gap, kind in zip([0] + [50 + (i * 37) % 200 for i in range(59)],
                             ["call.started", "call.transcribed", "sentiment.analyzed", "call.ended"] * 15,
                             strict=True)
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / "sixty.yaml"
        scenario.write_text(f"steps:\n{steps}\n")
        plan = ReplayPlan([str(scenario)], load_catalog(), ReplayOptions(), exchange=EXCHANGE)
        sent = []

        def keep(messages):
            for message in messages:
                sent.append(message)
                yield message

        publisher = PublishTarget(Endpoint(url), exchange=EXCHANGE).publisher(keep(plan.messages()))
        report = publisher.run()
    assert report.confirmed == 60, report.to_dict()
    late = sorted((m.sent_at - m.due) * 1000 for m in sent)
    print(f"3. timing of a 60-event scenario at recorded speed ({sent[-1].due:.1f}s long): lateness in ms")
    print(f"   min {late[0]:.2f}  p50 {statistics.median(late):.2f}  p90 {late[53]:.2f}  p99 {late[-1]:.2f}  "
          f"max {late[-1]:.2f}")  # fmt: skip
    print(f"   every message within 10 ms: {'met' if max(abs(x) for x in late) <= 10 else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--url", default=os.environ.get("OCELOT_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F"))
    args = parser.parse_args()
    connection = pika.BlockingConnection(pika.URLParameters(args.url))
    channel = connection.channel()
    channel.exchange_declare(EXCHANGE, "topic", durable=True)
    channel.queue_declare(QUEUE, arguments={"x-max-length": 1000})  # routable, yet the broker keeps little
    channel.queue_bind(QUEUE, EXCHANGE, "#")
    try:
        timing(args.url)
        if not args.skip_throughput:
            throughput(args.url, args.count, args.rounds)
        if not args.skip_big:
            peak_memory(args.url, args.big)
    finally:
        channel.queue_delete(QUEUE)
        channel.exchange_delete(EXCHANGE)
        connection.close()


if __name__ == "__main__":
    main()
