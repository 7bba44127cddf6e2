"""Start-up time: `ocelot --version` and `ocelot --help` vs `python -c "import typer"`, same run.

Target: within 1.5x of the bare typer import, and no pika, websocket or redis module
imported. Commands run interleaved, many times each; medians are compared.

    .venv/bin/python benchmarks/bench_startup.py [--runs 30]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

DRIVERS = ("pika", "websocket", "redis", "websockets")


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def drivers_imported(args: list[str]) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ocelot_cli", *args], capture_output=True, text=True, check=True
    )
    names = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line}
    return sorted(names & set(DRIVERS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    commands = {
        'python -c "import typer"': [sys.executable, "-c", "import typer"],
        "ocelot --version": [sys.executable, "-m", "ocelot_cli", "--version"],
        "ocelot --help": [sys.executable, "-m", "ocelot_cli", "--help"],
    }
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for cmd in commands.values():  # warm the OS caches once
        timed(cmd)
    for _ in range(args.runs):
        for name, cmd in commands.items():
            samples[name].append(timed(cmd))
    base = statistics.median(samples['python -c "import typer"'])
    print(f"start-up time ({args.runs} interleaved runs each, median)")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"  {name:<26} {median * 1000:7.1f} ms   {median / base:5.2f}x")
    for flag in ("--version", "--help"):
        ratio = statistics.median(samples[f"ocelot {flag}"]) / base
        found = drivers_imported([flag])
        print(
            f"  ocelot {flag:<9}: {'met' if ratio <= 1.5 else 'NOT met'} (<= 1.5x); "
            f"broker drivers imported: {', '.join(found) or 'none'}"
        )


if __name__ == "__main__":
    main()
