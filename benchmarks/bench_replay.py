"""Replay: throughput against publish, peak memory on a huge file, and timing accuracy.

1. `ocelot publish -f` and `ocelot replay --no-delay` of an N-line recording vs `ocelot publish
   --count N` of fresh samples, alternating rounds (target: both at least 1.0x publish --count), with
   the CPU seconds of ocelot and of the broker; beside them the check alone (`ocelot validate`) and
   the bound of any publisher of those messages (benchmarks/raw_pika_stream.py: their frames
   marshalled before the clock starts, then streamed with confirms);
2. peak memory (max RSS) of `ocelot replay --no-delay` on a 1,000,000-line file
   (target: under 150 MB);
3. timing: a 60-event scenario replayed at recorded speed; how late each message left
   compared with its schedule (target: every one within 10 ms).

  .venv/bin/python benchmarks/bench_replay.py [--count 100000] [--big 1000000] [--skip-big]
"""

from __future__ import annotations

import argparse
import contextlib
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


def broker_pid() -> int | None:
    """The RabbitMQ node's process on this machine (its CPU is counted), if there is one."""
    found = subprocess.run(["pgrep", "-f", "beam.smp"], capture_output=True, text=True).stdout.split()
    return int(found[0]) if found else None


def cpu_of(pid: int | None) -> float:
    if pid is None:
        return 0.0
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(url: str, *args: str) -> dict[str, float]:
    """Seconds of the whole command, msg/s of its publishing phase as it reports, CPU seconds of ocelot
    (its worker processes included) and of the broker meanwhile."""
    broker, before = broker_pid(), children_cpu()
    broker_before, start = cpu_of(broker), time.perf_counter()
    result = ocelot(url, "-q", *args, "--json", stdout=subprocess.PIPE)
    seconds = time.perf_counter() - start
    report = json.loads(result.stdout) if args[0] != "validate" else {}
    return {"seconds": seconds, "phase": report.get("rate_per_s", 0.0), "cpu": children_cpu() - before,
            "broker": cpu_of(broker) - broker_before}  # fmt: skip


def streamed(url: str, recording: Path) -> dict[str, float]:
    """The bound: raw pika streaming the recording's messages, marshalled before the clock starts."""
    broker = broker_pid()
    script = str(Path(__file__).resolve().parent / "raw_pika_stream.py")
    process = subprocess.Popen([sys.executable, script, url, EXCHANGE, str(recording)], stdout=subprocess.PIPE)
    # the broker's CPU is counted over the whole run: it is idle while the script marshals
    broker_before = cpu_of(broker)
    out, _ = process.communicate(timeout=1200)
    assert process.returncode == 0
    figures = json.loads(out)
    return {"seconds": figures["seconds"], "phase": figures["messages"] / figures["seconds"],
            "cpu": figures["cpu"], "broker": cpu_of(broker) - broker_before}  # fmt: skip


def throughput(url: str, count: int, rounds: int) -> None:
    runs = {
        "publish --count": lambda: timed(url, "publish", "call.ended", "--count", str(count)),
        "publish -f": lambda: timed(url, "publish", "-f", str(recording)),
        "replay --no-delay": lambda: timed(url, "replay", str(recording), "--no-delay"),
        "validate (the check)": lambda: timed(url, "validate", str(recording)),
        "raw pika stream": lambda: streamed(url, recording),
    }
    with tempfile.TemporaryDirectory() as tmp:
        recording = Path(tmp) / "recorded.jsonl"
        make_recording(url, recording, count)
        got: dict[str, list[dict[str, float]]] = {name: [] for name in runs}
        for _ in range(rounds):  # alternating: they share the noise
            for name, run in runs.items():
                got[name].append(run())
    med = {name: {key: statistics.median(r[key] for r in values) for key in values[0]} for name, values in got.items()}
    base = [count / r["seconds"] for r in got["publish --count"]]
    print(f"1. throughput, {count:,} events (a recording made by tail --output), {rounds} alternating rounds, msg/s "
          "of the whole command (its publishing phase as it reports); CPU seconds, medians")  # fmt: skip
    print(f"   {'':21} {'min':>9} {'median':>9}   {'phase':>9}   {'ocelot':>6} {'broker':>6}   "
          "ratio to publish --count: min, median")  # fmt: skip
    for name in ("publish --count", "publish -f", "replay --no-delay"):
        rates = [count / r["seconds"] for r in got[name]]
        low, mid = min(rates), statistics.median(rates)
        ratio = "" if name == "publish --count" else (
            f"{low / min(base):.2f}x {mid / statistics.median(base):.2f}x  "
            f"(target >= 1.0x at the median: {'met' if mid >= statistics.median(base) else 'NOT met'})"
        )  # fmt: skip
        print(f"   {name:21} {low:>9,.0f} {mid:>9,.0f}   {med[name]['phase']:>9,.0f}   {med[name]['cpu']:>6.2f} "
              f"{med[name]['broker']:>6.2f}   {ratio}")  # fmt: skip
    check, stream = med["validate (the check)"], med["raw pika stream"]
    print(f"   {'validate (the check)':21} {'':>9} {'':>9}   {'':>9}   {check['cpu']:>6.2f} {'':>6}   "
          f"{check['seconds']:.2f}s, start-up included")  # fmt: skip
    print(f"   {'raw pika stream':21} {'':>9} {stream['phase']:>9,.0f}   {'':>9}   {stream['cpu']:>6.2f} "
          f"{stream['broker']:>6.2f}   {stream['seconds']:.2f}s: frames marshalled before the clock")  # fmt: skip
    bound = check["seconds"] + stream["seconds"]
    print(f"   the least publish -f can take while it checks the whole file first: the check ({check['seconds']:.2f}s)"
          f" + the stream ({stream['seconds']:.2f}s) = {bound:.2f}s; publish --count takes "
          f"{med['publish --count']['seconds']:.2f}s ({med['publish --count']['seconds'] / bound:.2f}x of that bound)")
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
