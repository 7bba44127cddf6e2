"""Start-up time: `ocelot --version`, `--help` and `publish call.ended --dry-run` vs `python -c "import typer"`.

Targets (median of the round medians, as a ratio to the bare typer import measured in the same run):
`ocelot --version` and `ocelot --help` within 1.3x, `ocelot publish call.ended --dry-run` within 2x;
and no broker driver (pika, websocket, redis, websockets) imported for --version or --help.

Whole processes, the venv's python (`python -m ocelot_cli ...`). 5 rounds; in each round every command
runs --runs times, interleaved, so a neighbour's load falls on all of them alike. Reported per command:
the min and the median of the 5 round medians, and each as a ratio to the typer import's.

Bytecode is cached as an installed package has it (PYTHONDONTWRITEBYTECODE is dropped and the .pyc
files go to a temporary PYTHONPYCACHEPREFIX, written by the warm-up run). --no-bytecode-cache sets
PYTHONDONTWRITEBYTECODE=1 instead: with an editable install, ocelot's own modules (which then have no
.pyc) are compiled from source on every run, a cost no installed copy pays. No user profile is read
(OCELOT_CONFIG names a missing file); a config file adds the YAML parser's import.

    .venv/bin/python benchmarks/bench_startup.py [--runs 10] [--rounds 5] [--no-bytecode-cache]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

DRIVERS = ("pika", "websocket", "redis", "websockets")
BASELINE = 'python -c "import typer"'
TARGETS = {"ocelot --version": 1.3, "ocelot --help": 1.3, "ocelot publish call.ended --dry-run": 2.0}


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)
    return time.perf_counter() - start


def modules_imported(args: list[str], env: dict[str, str]) -> set[str]:
    """Top-level names of every module ``ocelot ARGS`` imports (from -X importtime)."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "ocelot_cli", *args],
                            capture_output=True, text=True, check=True, env=env)  # fmt: skip
    return {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line}


def environment(bytecode_cache: bool, cache_dir: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("OCELOT_")}
    env["OCELOT_CONFIG"] = os.path.join(cache_dir, "no-config.yaml")  # no user profile in the measurement
    if bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = os.path.join(cache_dir, "pycache")
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def measure(commands: dict[str, list[str]], env: dict[str, str], rounds: int, runs: int) -> dict[str, list[float]]:
    """The median of each round, per command."""
    for cmd in commands.values():  # warm the OS caches (and write the .pyc files) once
        timed(cmd, env)
    medians: dict[str, list[float]] = {name: [] for name in commands}
    for number in range(1, rounds + 1):
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, cmd in commands.items():
                samples[name].append(timed(cmd, env))
        for name, values in samples.items():
            medians[name].append(statistics.median(values))
        print(f"  round {number}: " + "  ".join(f"{statistics.median(v) * 1000:6.1f}" for v in samples.values()))
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs of each command per round (default 10)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    parser.add_argument("--no-bytecode-cache", action="store_true", help="compile every module on every run")
    args = parser.parse_args()
    ocelot = [sys.executable, "-m", "ocelot_cli"]
    commands = {
        BASELINE: [sys.executable, "-c", "import typer"],
        "ocelot --version": [*ocelot, "--version"],
        "ocelot --help": [*ocelot, "--help"],
        "ocelot publish call.ended --dry-run": [*ocelot, "publish", "call.ended", "--dry-run"],
    }
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as cache_dir:
        env = environment(not args.no_bytecode_cache, cache_dir)
        cache = "no bytecode cache" if args.no_bytecode_cache else "bytecode cached"
        print(f"start-up time: {args.rounds} rounds of {args.runs} interleaved runs each ({cache}); "
              "the median of each round in ms")
        print("  columns: " + " | ".join(commands))
        medians = measure(commands, env, args.rounds, args.runs)
        drivers = {flag: sorted(modules_imported([flag], env) & set(DRIVERS)) for flag in ("--version", "--help")}
    base_min, base_median = min(medians[BASELINE]), statistics.median(medians[BASELINE])
    print(f"\n  {'':<37} {'min':>8} {'median':>8} {'min':>7} {'median':>7}")
    for name, values in medians.items():
        low, mid = min(values), statistics.median(values)
        print(f"  {name:<37} {low * 1000:6.1f}ms {mid * 1000:6.1f}ms {low / base_min:6.2f}x {mid / base_median:6.2f}x")
    print()
    for name, target in TARGETS.items():
        ratio = statistics.median(medians[name]) / base_median
        print(f"  {name:<37} {ratio:5.2f}x  {'met' if ratio <= target else 'NOT met'} (<= {target}x, median)")
    for flag, found in drivers.items():
        print(f"  ocelot {flag:<9} broker drivers imported: {', '.join(found) or 'none'}")


if __name__ == "__main__":
    main()
