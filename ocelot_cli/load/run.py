"""One machine's part of a load run, and the judgement of a report: the use case behind ``ocelot load``.

``run_local`` builds the message pool once, runs the workers through the coordinator and
returns the report (partial after Ctrl-C). ``verdict`` says how a report ends the command:
interrupted, missing workers, a breached threshold, or messages not delivered. Nothing here
prints: progress and notices go to the hooks the command gives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ocelot_cli.envelope.catalog import Catalog
from ocelot_cli.errors import BrokerTimeout, DeliveryFailed, ExitStatus, Interrupted, OcelotError, ThresholdBreached
from ocelot_cli.load import assertions
from ocelot_cli.load import report as reporting
from ocelot_cli.load.coordinator import LocalRun
from ocelot_cli.load.drivers import WorkerSpec, driver_for
from ocelot_cli.load.pool import MessagePool
from ocelot_cli.load.stats import Aggregate


@dataclass
class RunHooks:
    """How a run shows itself: status lines, the per-second tick, notices from the workers."""

    on_status: Callable[[str], None]
    on_tick: Callable[[Aggregate, float, dict[str, Any]], None] | None = None
    on_notice: Callable[[str], None] | None = None


def where(spec: WorkerSpec) -> str:
    """What the run loads, for people (URLs masked)."""
    plan = spec.plan
    if plan.ws and spec.redis is not None and spec.gateways:
        shown = ", ".join(gateway.shown for gateway in spec.gateways)
        noun = "gateway" if len(spec.gateways) == 1 else f"{len(spec.gateways)} gateways"
        return f"redis {spec.redis.shown} -> {noun} {shown} channel {plan.ws.channel}"
    return f"exchange {plan.exchange!r} at {spec.broker.shown}"


def run_local(spec: WorkerSpec, catalog: Catalog, hooks: RunHooks, *,
              start_at: Callable[[], float] | None = None) -> dict[str, Any]:  # fmt: skip
    """Run this machine's part (one worker of a run); the report (partial after Ctrl-C)."""
    plan = spec.plan
    # Built (and validated) once, before any process starts: a bad --mix or --size fails here,
    # and the forked workers take this pool as it is.
    spec.pool = MessagePool(plan, catalog)
    driver = driver_for(spec)
    target = "max" if plan.rate is None else f"{plan.local_rate:g}/s"
    hooks.on_status(f"load run {plan.run_id}: {target} for {plan.duration:g}s"
                    + (f" after {plan.warmup:g}s warm-up" if plan.warmup else "") + f" to {where(spec)}")  # fmt: skip
    runner = LocalRun(plan, spec, prepare=lambda: driver.prepare(spec, plan.bindings(catalog)),
                      cleanup=lambda: driver.cleanup(spec), on_tick=hooks.on_tick, start_at=start_at,
                      on_notice=hooks.on_notice)  # fmt: skip
    result = runner.run()
    meta = {**result.meta, "duration": plan.duration, "warmup": plan.warmup, "workers": 1,
            "mode": spec.mode, "target_rate": plan.local_rate if plan.rate else "max",
            "plan": _plan_summary(spec), "notes": result.notes}  # fmt: skip
    report = reporting.build(result.aggregate, meta)
    _add_notes(report)
    return report


def _plan_summary(spec: WorkerSpec) -> dict[str, Any]:
    summary = spec.plan.to_dict()
    if summary.get("ws"):
        shown = [gateway.shown for gateway in spec.gateways]  # passwords masked
        summary["ws"] = {"url": shown[0] if shown else None, "urls": shown,
                         **{k: v for k, v in summary["ws"].items() if k in ("channel", "clients")}}  # fmt: skip
    return summary


def _add_notes(report: dict[str, Any]) -> None:
    notes = report["notes"]
    busy = [v for v in report["cpu"].get("publishers", []) if v is not None and v >= 90]
    if busy:
        notes.append(f"a publisher process used {max(busy):.0f}% of a core: the client may have been the "
                     "bottleneck; add --publishers")  # fmt: skip
    busy = [v for v in report["cpu"].get("consumers", []) if v is not None and v >= 90]
    if busy:
        notes.append(f"a consumer process used {max(busy):.0f}% of a core: add --consumers")
    target = report.get("target_rate")
    if isinstance(target, int | float) and not report["interrupted"] and report["published"]["rate"] < 0.99 * target:
        notes.append(f"achieved {report['published']['rate']:.1f}/s, below the target {target:g}/s")
    if report["lost"]:
        notes.append(f"{report['lost']} message(s) confirmed by the broker never reached a consumer")


def judge(report: dict[str, Any], thresholds: list[Any]) -> None:
    """Check the thresholds; the results go into the report (``assertions``)."""
    report["assertions"] = assertions.check_all(thresholds, report)


def verdict(report: dict[str, Any]) -> OcelotError | None:
    """How a judged report ends the command: None for success, else the failure (with its exit status)."""
    if report["interrupted"]:
        return Interrupted("interrupted", status=report.get("stopped_by") or ExitStatus.INTERRUPTED, reported=True)
    if report.get("missing_workers"):
        return BrokerTimeout(f"no report from worker(s) {report['missing_workers']} of run {report.get('run_id')}")
    failed = [r for r in report.get("assertions", []) if not r["ok"]]
    if failed:
        return ThresholdBreached(
            "threshold breached: " + ", ".join(f"{r['assert']} (actual {r['actual']})" for r in failed)
        )
    published = report["published"]
    undelivered = {"unroutable": published["returned"], "nacked": published["nacked"], "lost": report["lost"] or 0}
    if any(undelivered.values()):  # a load test that loses messages has failed, whatever its speed
        return DeliveryFailed("not delivered: " + ", ".join(f"{n} {what}" for what, n in undelivered.items() if n))
    return None
