"""What ``ocelot load`` does once its options are parsed: check, run, report, judge."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import typer

from ocelot_cli.errors import ExitStatus, UsageProblem
from ocelot_cli.redact import mask_url


def _check_outputs(report_file: str | None, hgrm: str | None, plots: list[str] | None) -> None:
    """Refuse unusable output paths before the run, not after it."""
    from ocelot_cli.load import plots as plotting

    for path in plots or []:
        plotting.check_target(path)
    for option, path in (("--report", report_file), ("--hgrm", hgrm), *(("--plot", p) for p in plots or [])):
        if path and path != "-" and not Path(path).expanduser().resolve().parent.is_dir():
            raise UsageProblem(f"{option} {path}: the directory {Path(path).parent} does not exist")


def build_plan(state: Any, o: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The LoadPlan and the worker spec (URLs, token) from the command's options."""
    from ocelot_cli.durations import parse_duration
    from ocelot_cli.envelope.model import EnvelopeKind
    from ocelot_cli.load.plan import QUEUE_TYPES, LoadPlan, parse_mix, parse_rate

    settings = state.settings()
    state.warn_secrets_in_flags({"amqp_url": o["amqp_url"], "redis_url": o["redis_url"]})
    if o["queue_type"] not in QUEUE_TYPES:
        raise UsageProblem(f"--queue-type {o['queue_type']!r}: choose classic or quorum")
    if o["queue_type"] == "quorum" and not o["persistent"]:
        state.output.detail("quorum queues keep every message on disk: --transient makes no difference there")
    catalog = state.catalog(o["catalog_dirs"])
    ws_plan = None
    spec: dict[str, Any] = {"url": settings.get("amqp_url", o["amqp_url"]), "ca_file": o["ca_file"],
                            "catalog_dirs": [str(d) for d in settings.catalog_dirs(o["catalog_dirs"])]}  # fmt: skip
    if o["ws"] or o["channel"]:
        ws_plan, spec["ws_token"] = _ws_plan(state, o)
        kind = EnvelopeKind.REALTIME
        if o["size"]:
            raise UsageProblem("--size pads platform events; it does not apply to --ws runs")
    else:
        kind = EnvelopeKind.PLATFORM
    mix = parse_mix(o["mix"], catalog, kind)
    if ws_plan and not o["mix"]:
        from ocelot_cli.realtime import types_for_channel

        fitting = set(types_for_channel(catalog, ws_plan.channel))
        mix = [(name, weight) for name, weight in mix if name in fitting] or mix
    plan = LoadPlan(
        rate=parse_rate(o["rate"]),
        duration=parse_duration(o["duration"], option="--duration"),
        warmup=float(
            math.ceil(parse_duration(o["warmup"], option="--warmup"))
        ),  # whole seconds, like the report's buckets
        mix=mix,
        size=o["size"],
        publishers=o["publishers"],
        consumers=o["consumers"],
        window=o["window"],
        prefetch=o["prefetch"],
        persistent=o["persistent"],
        queue_type=o["queue_type"],
        queues=o["queues"],
        exchange=settings.get("exchange", o["exchange"]),
        routing_key=o["routing_key"] or "{type}",
        drain=parse_duration(o["drain"], option="--drain"),
        seed=o["seed"],
        ws=ws_plan,
    )
    if o["run_id"]:
        if not re.fullmatch(r"[A-Za-z0-9-]{1,32}", o["run_id"]):
            raise UsageProblem(f"--run-id {o['run_id']!r}: use 1 to 32 letters, digits or '-'")
        plan.run_id = o["run_id"]
    if plan.ws and not plan.consumers:
        raise UsageProblem("--consumers 0 publishes only; a --ws run needs its WebSocket clients")
    if plan.duration < 1:
        raise UsageProblem(f"--duration {o['duration']}: a load test measures at least 1s")
    spec["declare"] = o["declare"]
    spec["catalog"] = catalog
    spec["blocked_timeout"] = parse_duration(o["blocked_timeout"], option="--blocked-timeout")
    return plan, spec


def _ws_plan(state: Any, o: dict[str, Any]) -> tuple[Any, str]:
    from ocelot_cli.commands.tail import gateway_access
    from ocelot_cli.load.plan import WsPlan

    if not (o["ws"] and o["channel"]):
        raise UsageProblem("WebSocket mode needs both --ws URL and --channel CHANNEL")
    if not o["ws"].lower().startswith(("ws://", "wss://")):
        raise UsageProblem(f"--ws {mask_url(o['ws'])}: give a ws:// or wss:// URL of the gateway")
    url, token, owner = gateway_access(state, o["ws"], o["channel"], o["token_file"], o["ca_file"])
    plan = WsPlan(url=url, channel=o["channel"], clients=o["clients"], ca_file=o["ca_file"],
                  redis_url=state.settings().get("redis_url", o["redis_url"]), **owner)  # fmt: skip
    return plan, token


def run(state: Any, o: dict[str, Any]) -> None:
    from ocelot_cli.durations import parse_duration
    from ocelot_cli.load import assertions

    thresholds = [assertions.parse(text) for text in o["asserts"] or []]
    _check_outputs(o["report_file"], o["hgrm"], o["plots"])
    wait = parse_duration(o["join_timeout"], option="--join-timeout")
    if o["join"]:
        from ocelot_cli.commands import load_control

        report = load_control.join(state, o, wait)
        where = "worker of a multi-machine run"
    else:
        plan, spec = build_plan(state, o)
        if o["workers"]:
            from ocelot_cli.commands import load_control

            report = load_control.lead(state, o, plan, spec, wait)
        else:
            report = run_local(state, plan, spec)
        where = _where(plan, spec)
    finish(state, report, where, thresholds, o["report_file"], o["hgrm"], o["plots"], o["as_json"])


def _where(plan: Any, spec: dict[str, Any]) -> str:
    if plan.ws:
        return f"redis {mask_url(plan.ws.redis_url)} -> gateway {mask_url(plan.ws.url)} channel {plan.ws.channel}"
    return f"exchange {plan.exchange!r} at {mask_url(spec['url'])}"


def run_local(state: Any, plan: Any, spec: dict[str, Any], *, start_at: Any = None, workers: int = 1) -> dict[str, Any]:
    """Run this machine's part; the report (partial after Ctrl-C)."""
    from ocelot_cli.envelope.catalog import load_catalog
    from ocelot_cli.load import report as reporting
    from ocelot_cli.load.coordinator import LocalRun
    from ocelot_cli.load.pool import MessagePool
    from ocelot_cli.render.load import Dashboard

    catalog = spec.get("catalog") or load_catalog(spec["catalog_dirs"])
    # Built (and validated) once, before any process starts: a bad --mix or --size fails here,
    # and the forked workers take this pool as it is.
    spec["pool"] = MessagePool(plan, catalog)
    spec["plan"] = plan.to_dict()
    if plan.ws:
        from ocelot_cli.transports import load_ws as transport
    else:
        from ocelot_cli.transports import load_amqp as transport  # type: ignore[no-redef]
    out = state.output
    target = "max" if plan.rate is None else f"{plan.local_rate:g}/s"
    out.status(f"load run {plan.run_id}: {target} for {plan.duration:g}s"
               + (f" after {plan.warmup:g}s warm-up" if plan.warmup else "") + f" to {_where(plan, spec)}")  # fmt: skip
    dashboard = Dashboard(out, target=target, total_time=plan.total_time)
    runner = LocalRun(plan, spec, prepare=lambda: transport.prepare(spec, plan.bindings(catalog)),
                      cleanup=lambda: transport.cleanup(spec), on_tick=dashboard.update, start_at=start_at,
                      on_notice=dashboard.notice)  # fmt: skip
    from ocelot_cli.load.coordinator import WorkerFailed

    try:
        result = runner.run()
    except WorkerFailed as exc:
        if state.debug and exc.trace:  # the worker's own traceback (secrets already scrubbed)
            out.error(exc.trace.rstrip())
        raise
    finally:
        dashboard.close()
    meta = {**result.meta, "duration": plan.duration, "warmup": plan.warmup, "workers": workers,
            "mode": "ws" if plan.ws else "amqp", "target_rate": plan.local_rate if plan.rate else "max",
            "plan": _plan_summary(plan), "notes": result.notes}  # fmt: skip
    report = reporting.build(result.aggregate, meta)
    _add_notes(report, plan)
    return report


def _plan_summary(plan: Any) -> dict[str, Any]:
    summary = plan.to_dict()
    if summary.get("ws"):
        summary["ws"] = {k: v for k, v in summary["ws"].items() if k in ("url", "channel", "clients")}
        summary["ws"]["url"] = mask_url(summary["ws"]["url"])
    return summary


def _add_notes(report: dict[str, Any], plan: Any) -> None:
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


def finish(state: Any, report: dict[str, Any], where: str, thresholds: list[Any], report_file: str | None,
           hgrm: str | None, plots: list[str] | None, as_json: bool) -> None:  # fmt: skip
    """Judge, write the outputs, print the summary, exit with the right status."""
    from ocelot_cli.load import assertions, stats
    from ocelot_cli.render.load import summary_text

    out = state.output
    report["assertions"] = assertions.check_all(thresholds, report)
    lines = summary_text(report, where)
    if report_file:
        text = json.dumps(report, indent=1) + "\n"
        if report_file == "-":
            out.raw(text)
        else:
            Path(report_file).expanduser().write_text(text, encoding="utf-8")
            out.status(f"report written to {report_file}")
    if hgrm:
        for name, encoded in report.get("histograms", {}).items():
            hist = stats.new_histogram()
            stats.decode_into(hist, encoded)
            path = Path(f"{hgrm}.{name}.hgrm").expanduser()
            path.write_text(stats.percentile_distribution(hist), encoding="ascii")
            out.status(f"percentile distribution written to {path}")
    for target in plots or []:
        from ocelot_cli.load import plots as plotting

        plotting.write(report, target, lines)
        out.status(f"pictures written to {target}")
    if as_json:
        out.json(
            {k: v for k, v in report.items() if k != "series"}
            | {"series": [{k: v for k, v in row.items() if k != "hists"} for row in report["series"]]}
        )
    else:
        for line in lines:
            out.data(line)
    if report["interrupted"]:
        raise typer.Exit(int(ExitStatus.INTERRUPTED))
    if report.get("missing_workers"):
        out.error(f"no report from worker(s) {report['missing_workers']} of run {report.get('run_id')}")
        raise typer.Exit(int(ExitStatus.TIMEOUT))
    failed = [r for r in report["assertions"] if not r["ok"]]
    if failed:
        out.error("threshold breached: " + ", ".join(f"{r['assert']} (actual {r['actual']})" for r in failed))
        raise typer.Exit(int(ExitStatus.THRESHOLD))
    pub = report["published"]
    undelivered = {"unroutable": pub["returned"], "nacked": pub["nacked"], "lost": report["lost"] or 0}
    if any(undelivered.values()):  # a load test that loses messages has failed, whatever its speed
        out.error("not delivered: " + ", ".join(f"{n} {what}" for what, n in undelivered.items() if n))
        raise typer.Exit(int(ExitStatus.DELIVERY))


def merge(state: Any, files: list[str], asserts: list[str] | None, report_file: str | None, hgrm: str | None,
          plots: list[str] | None, as_json: bool) -> None:  # fmt: skip
    from ocelot_cli.errors import InputError
    from ocelot_cli.load import assertions
    from ocelot_cli.load import report as reporting

    thresholds = [assertions.parse(text) for text in asserts or []]
    _check_outputs(report_file, hgrm, plots)
    reports = []
    for name in files:
        try:
            data = json.loads(Path(name).read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(f"{name}: cannot read it: {exc.strerror}") from None
        except ValueError as exc:
            raise InputError(f"{name}: not JSON ({exc})", hint="give files written by 'ocelot load --report'") from None
        reports.append((name, data))
    merged = reporting.merge(reports)
    state.output.status(f"merged {len(files)} report(s): {merged['workers']} worker(s)")
    finish(state, merged, f"merged from {len(files)} report(s)", thresholds, report_file, hgrm, plots, as_json)
