"""Validation speed: ocelot's validator vs a prebuilt jsonschema validator, same events, same run.

Target: at least 50,000 call.ended platform events/s in one process, and at least 10x the
jsonschema baseline. Runs alternate between the two so that machine noise hits both.

    .venv/bin/python benchmarks/bench_validate.py [--events 20000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import jsonschema

from ocelot_cli.envelope.catalog import load_catalog
from ocelot_cli.envelope.samples import SampleFactory, SampleOptions
from ocelot_cli.envelope.validate import EventValidator


def rate(func, events) -> float:
    start = time.perf_counter()
    for event in events:
        func(event)
    return len(events) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    catalog = load_catalog()
    factory = SampleFactory(catalog, SampleOptions(seed=1))
    events = [factory.make("call.ended") for _ in range(args.events)]

    ocelot = EventValidator(catalog)
    schema = catalog.event_schema("call.ended")
    baseline = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert all(ocelot.validate(e).ok for e in events) and all(baseline.is_valid(e) for e in events)

    ocelot_rates, baseline_rates = [], []
    for _ in range(args.rounds):
        ocelot_rates.append(rate(ocelot.validate, events))
        baseline_rates.append(rate(baseline.is_valid, events[: max(1000, args.events // 10)]))
    ours, theirs = statistics.median(ocelot_rates), statistics.median(baseline_rates)

    print(f"validation of call.ended platform events ({args.events} events, {args.rounds} alternating rounds; "
          "events/s: min, median)")  # fmt: skip
    print(f"  ocelot EventValidator.validate : {min(ocelot_rates):>12,.0f} {ours:>12,.0f}")
    print(f"  jsonschema (prebuilt, is_valid): {min(baseline_rates):>12,.0f} {theirs:>12,.0f}")
    print(f"  ratio ocelot / jsonschema      : min {min(ocelot_rates) / min(baseline_rates):.1f}x  "
          f"median {ours / theirs:.1f}x   (target >= 10x)")
    print(f"  target >= 50,000 events/s      : {'met' if ours >= 50_000 else 'NOT met'}")
    print(f"  target >= 10x jsonschema       : {'met' if ours / theirs >= 10 else 'NOT met'}")

if __name__ == "__main__":
    main()
