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
from collections.abc import Callable
from typing import Any

from ocelot_cli.errors import BrokerTimeout, UsageProblem
from ocelot_cli.load import report as reporting
from ocelot_cli.load.control import Control
from ocelot_cli.load.plan import LoadPlan
from ocelot_cli.transports.base import Endpoint

START_DELAY = 3.0  # seconds between the start message and the start, for every worker to be ready
# Runs this machine's part of a plan (the command shows it), starting at the origin given.
RunHere = Callable[[LoadPlan, Callable[[], float]], dict[str, Any]]


def _origin_of(start_at: float) -> float:
    """The local monotonic time of a wall-clock instant."""
    return time.monotonic() + (start_at - time.time())


def lead(plan: LoadPlan, control_at: Endpoint, workers: int, wait: float, run_here: RunHere,
         on_status: Callable[[str], None], *, join_command: str) -> dict[str, Any]:  # fmt: skip
    """Wait for ``workers`` machines, start everyone at one wall-clock time, merge every report."""
    if plan.ws:
        raise UsageProblem("multi-machine runs (--workers) drive the exchange; --ws-url runs are one machine only")
    expected = workers
    plan.workers = expected + 1
    control = Control(control_at, plan.run_id, lead=True)
    lifetime = wait + plan.total_time + plan.drain + 600
    try:
        control.listen_as_leader(lifetime)
        on_status(f"load run {plan.run_id}: waiting up to {wait:g}s for {expected} worker(s); on each, run:")
        on_status(f"  {join_command}")
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
                on_status(f"worker {len(joined)} joined: {message.get('host')} (pid {message.get('pid')})")
        start_at = time.time() + START_DELAY
        for index, worker in enumerate(joined, start=1):
            control.send_to(worker["reply_to"], {"type": "start", "plan": {**plan.to_dict(), "worker": index},
                                                 "start_at": start_at})  # fmt: skip
    except BaseException:
        control.delete_leader_queue()  # and with it the control exchange (auto-delete)
        raise
    finally:
        control.close()  # not kept open during the run: it would miss its heartbeats
    local = run_here(plan, lambda: _origin_of(start_at))
    reports: dict[int, dict[str, Any]] = {0: local}
    control = Control(control_at, plan.run_id)
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


def join(run_id: str, control_at: Endpoint, wait: float, run_here: RunHere,
         on_status: Callable[[str], None]) -> dict[str, Any]:  # fmt: skip
    """Join a run started elsewhere: announce, wait for the plan and the start, run, send the report."""
    control = Control(control_at, run_id)
    try:
        reply_to = control.listen_as_worker()
        control.send_to_leader({"type": "join", "host": socket.gethostname(), "pid": os.getpid(), "reply_to": reply_to})
        on_status(f"joined load run {run_id}; waiting for the start")
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
    start_at = float(message["start_at"])
    report = run_here(plan, lambda: _origin_of(start_at))
    control = Control(control_at, run_id)
    try:
        control.send_to_leader({"type": "report", "worker": plan.worker, "report": report})
        on_status(f"report sent to the leader of run {run_id}")
    finally:
        control.close()
    return report
