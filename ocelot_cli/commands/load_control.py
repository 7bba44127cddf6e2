"""Load runs across machines: the leader (``--workers N``) and its workers (``--join RUN_ID``).

The leader waits for N workers on the control exchange, gives each its index, the plan and
one wall-clock start time (a few seconds ahead), runs its own share as worker 0, collects
the workers' reports and merges them losslessly. Clocks of the machines should be in sync
(NTP) for the start to be simultaneous; latencies are measured by each machine on its own
clock (its publishers and consumers are local), so clock offsets do not distort them.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from ocelot_cli.errors import BrokerTimeout, UsageProblem
from ocelot_cli.redact import mask_url

START_DELAY = 3.0  # seconds between the start message and the start, for every worker to be ready


def _control(state: Any, o: dict[str, Any], run_id: str, *, lead: bool = False) -> Any:
    from ocelot_cli.transports.amqp import AmqpOptions
    from ocelot_cli.transports.load_control import Control

    state.warn_secrets_in_flags({"amqp_url": o["workers_from"]})
    url = o["workers_from"] or state.settings().get("amqp_url", o["amqp_url"])
    return Control(AmqpOptions(url=url, ca_file=o["ca_file"]), run_id, lead=lead)


def _origin_of(start_at: float) -> float:
    """The local monotonic time of a wall-clock instant."""
    return time.monotonic() + (start_at - time.time())


def lead(state: Any, o: dict[str, Any], plan: Any, spec: dict[str, Any], wait: float) -> dict[str, Any]:
    from ocelot_cli.commands.load_run import run_local
    from ocelot_cli.load import report as reporting

    if plan.ws:
        raise UsageProblem("multi-machine runs (--workers) drive the exchange; --ws runs are one machine only")
    out = state.output
    expected = o["workers"]
    plan.workers = expected + 1
    if not o["routing_key"]:
        plan.routing_key = "{type}.{run}.{worker}"  # each machine's queue gets only its own messages
    control = _control(state, o, plan.run_id, lead=True)
    lifetime = wait + plan.total_time + plan.drain + 600
    try:
        control.listen_as_leader(lifetime)
        out.status(f"load run {plan.run_id}: waiting up to {wait:g}s for {expected} worker(s); on each, run:")
        out.status(f"  ocelot load --join {plan.run_id}" + (f" --workers-from {mask_url(o['workers_from'])}"
                                                              if o["workers_from"] else ""))  # fmt: skip
        joined: list[dict[str, Any]] = []
        deadline = time.monotonic() + wait
        while len(joined) < expected:
            message = control.receive(max(0.0, deadline - time.monotonic()))
            if message is None:
                raise BrokerTimeout(
                    f"{len(joined)} of {expected} worker(s) joined run {plan.run_id} within {wait:g}s",
                    hint="start them with 'ocelot load --join RUN_ID', or raise --join-timeout",
                )
            if message.get("type") == "join" and isinstance(message.get("reply_to"), str):
                joined.append(message)
                out.status(f"worker {len(joined)} joined: {message.get('host')} (pid {message.get('pid')})")
        start_at = time.time() + START_DELAY
        for index, worker in enumerate(joined, start=1):
            control.send_to(worker["reply_to"], {"type": "start", "plan": {**plan.to_dict(), "worker": index},
                                                 "start_at": start_at})  # fmt: skip
    except BaseException:
        control.delete_leader_queue()  # and with it the control exchange (auto-delete)
        raise
    finally:
        control.close()  # not kept open during the run: it would miss its heartbeats
    local = run_local(state, plan, spec, start_at=lambda: _origin_of(start_at))
    reports: dict[int, dict[str, Any]] = {0: local}
    control = _control(state, o, plan.run_id)
    try:
        control.queue = control.leader_queue  # declared before the run; still there
        deadline = time.monotonic() + max(60.0, plan.drain + 30.0)
        while len(reports) < expected + 1:
            message = control.receive(max(0.0, deadline - time.monotonic()))
            if message is None:
                break
            if message.get("type") == "report" and isinstance(message.get("report"), dict):
                reports[int(message.get("worker", -1))] = message["report"]
        control.delete_leader_queue()
    finally:
        control.close()
    merged = reporting.merge([(f"worker {i}", r) for i, r in sorted(reports.items())])
    missing = sorted(set(range(expected + 1)) - set(reports))
    if missing:
        merged["missing_workers"] = missing
        merged["notes"].append(f"no report from worker(s) {', '.join(map(str, missing))}: the figures are partial")
    return merged


def join(state: Any, o: dict[str, Any], wait: float) -> dict[str, Any]:
    from ocelot_cli.commands.load_run import run_local
    from ocelot_cli.durations import parse_duration
    from ocelot_cli.load.plan import LoadPlan

    out = state.output
    run_id = o["join"].strip()
    control = _control(state, o, run_id)
    try:
        reply_to = control.listen_as_worker()
        control.send_to_leader({"type": "join", "host": socket.gethostname(), "pid": os.getpid(), "reply_to": reply_to})
        out.status(f"joined load run {run_id}; waiting for the start")
        deadline = time.monotonic() + wait
        while True:
            message = control.receive(max(0.0, deadline - time.monotonic()))
            if message is None:
                raise BrokerTimeout(f"the leader of run {run_id} did not start it within {wait:g}s")
            if message.get("type") == "start":
                break
    finally:
        control.close()
    plan = LoadPlan.from_dict(message["plan"])
    settings = state.settings()
    spec = {"url": settings.get("amqp_url", o["amqp_url"]), "ca_file": o["ca_file"], "declare": False,
            "blocked_timeout": parse_duration(o["blocked_timeout"], option="--blocked-timeout"),
            "catalog_dirs": [str(d) for d in settings.catalog_dirs(o["catalog_dirs"])]}  # fmt: skip
    start_at = float(message["start_at"])
    report = run_local(state, plan, spec, start_at=lambda: _origin_of(start_at))
    control = _control(state, o, run_id)
    try:
        control.send_to_leader({"type": "report", "worker": plan.worker, "report": report})
        out.status(f"report sent to the leader of run {run_id}")
    finally:
        control.close()
    return report
