"""Runs the worker processes of one machine and adds up what they measured.

Order: prepare the queue, start consumers and publishers (each its own process), wait until
all are ready, set one origin a moment ahead and let them go. When every publisher is done,
wait until the consumers have received every confirmed message (or ``--drain`` is over),
stop them, compute what was lost from their bitmaps, and clean up. Ctrl-C stops publishing
and still ends with the partial report.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import queue as queue_mod
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ocelot_cli.errors import INTERRUPTS, BrokerTimeout, ExitStatus, OcelotError, interrupt_status
from ocelot_cli.load.drivers import WorkerSpec
from ocelot_cli.load.ledger import unpack
from ocelot_cli.load.link import CONSUMER, PUBLISHER, Flag, Link
from ocelot_cli.load.plan import LoadPlan
from ocelot_cli.load.stats import Aggregate
from ocelot_cli.load.workers import child_main

READY_TIMEOUT = 60.0
START_MARGIN = 0.3  # seconds between "go" and the origin, so that every worker starts on time


class WorkerFailed(OcelotError):
    """A worker process ended with an error; ``trace`` is its traceback (secrets scrubbed), if any."""

    def __init__(self, message: str, status: int, trace: str | None = None) -> None:
        super().__init__(message, status=ExitStatus(status))
        self.trace = trace


@dataclass
class RunResult:
    aggregate: Aggregate
    meta: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def count_lost(states: dict[int, bytearray], groups: list[list[dict[int, bytearray]]]) -> int:
    """Messages confirmed by the broker (state 1) missing from a group of receivers.

    A group is what together should have received every message: all the competing
    consumers of the run's queue, or one WebSocket connection (each gets every message).
    """
    ack_only = bytes([0, 1]) + bytes(254)  # 1 (acked) -> 1, everything else -> 0
    lost = 0
    for pub, array in states.items():
        acked = int.from_bytes(bytes(array).translate(ack_only), "little")
        for group in groups:
            got = 0
            for seen in group:
                other = seen.get(pub)
                if other is not None:
                    got |= int.from_bytes(bytes(other[: len(array)]), "little")
            lost += (acked & ~got).bit_count()
    return lost


Seen = dict[int, bytearray]  # what one receiver got: a bitmap per publisher
Connection = tuple[dict[str, Any], list[Seen]]  # a WebSocket connection: what it says of itself, its group


def receiver_groups(consumers: list[dict[str, Any]]) -> tuple[list[list[Seen]], list[Connection]]:
    """The receiver groups in the consumers' reports (see ``count_lost``), and apart, each WebSocket
    connection's group with what the connection said of itself (its gateway, its counts)."""
    shared = [{int(p): unpack(a) for p, a in r["seen"].items()} for r in consumers if "seen" in r]
    connections = [(c, [{int(p): unpack(a) for p, a in g.items()}]) for r in consumers  # one group per connection
                   for c, g in zip(r.get("connections", []), r.get("groups", []), strict=True)]  # fmt: skip
    return ([shared] if shared else []) + [group for _c, group in connections], connections


def per_gateway(
    shown: list[str],
    connections: list[Connection],
    states: dict[int, bytearray] | None,
) -> list[dict[str, Any]]:
    """What each gateway of a WebSocket run delivered: its clients, received, duplicates and (given the
    publishers' ``states``, i.e. a complete run) lost, counted per connection as for the whole run."""
    rows = [{"url": url, "clients": 0, "received": 0, "duplicates": 0, "lost": None} for url in shown]
    groups: list[list[list[Seen]]] = [[] for _ in shown]
    for connection, group in connections:
        index = int(connection.get("gateway", 0))
        row = rows[index]
        row["clients"] += 1
        row["received"] += int(connection.get("received", 0))
        row["duplicates"] += int(connection.get("duplicates", 0))
        groups[index].append(group)
    if states is not None:
        for row, group_list in zip(rows, groups, strict=True):
            row["lost"] = count_lost(states, group_list)
    return rows


class LocalRun:
    """One machine's part of a load run."""

    def __init__(
        self,
        plan: LoadPlan,
        spec: WorkerSpec,
        *,
        prepare: Callable[[], None],
        cleanup: Callable[[], int | None],
        on_tick: Callable[[Aggregate, float, dict[str, Any]], None] | None = None,
        start_at: Callable[[], float] | None = None,
        on_notice: Callable[[str], None] | None = None,
    ) -> None:
        self.plan = plan
        self.spec = spec
        self.prepare = prepare
        self.cleanup = cleanup
        self.on_tick = on_tick
        self.start_at = start_at  # monotonic origin chosen elsewhere (multi-machine runs)
        self.notice = on_notice or (lambda _m: None)
        self.aggregate = Aggregate(plan.warmup)
        self.interrupted = False
        self.stopped_by = 0  # the exit status of the signal that stopped the run
        self.live: dict[str, Any] = {"received_total": {}, "phase": "starting"}
        self.origin: float | None = None  # time.monotonic() of intended time 0, once started
        self.stopped_after = 0.0  # seconds after the origin when Ctrl-C came
        # every connection gets every message in WebSocket mode; the consumers share one queue otherwise
        self.receiver_groups = plan.ws.clients if plan.ws else 1 if plan.consumers else 0

    def run(self) -> RunResult:
        # fork: quick, and no re-import of the user's main module; the coordinator has no
        # connection or thread of its own at this point (spawn where fork does not exist)
        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        link = Link(ctx.Queue(), Flag(ctx), Flag(ctx), Flag(ctx), ctx.RawValue("d", 0.0))
        started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        self.prepare()
        processes: list[Any] = []
        roles = [(CONSUMER, i) for i in range(self.plan.consumers)] + [
            (PUBLISHER, i) for i in range(self.plan.publishers)
        ]
        results: dict[tuple[str, int], dict[str, Any]] = {}
        notes: list[str] = []
        try:
            processes = self._start(ctx, link, roles)
            self._wait_ready(link, results, len(roles))
            self.origin = link.origin.value = self.start_at() if self.start_at else time.monotonic() + START_MARGIN
            link.start.set()
            self.live["phase"] = "warm-up" if self.plan.warmup else "measuring"
            self._run_to_end(link, results)
        except INTERRUPTS as exc:
            self.interrupted = True
            self.stopped_by = int(interrupt_status(exc))
            self.stopped_after = time.monotonic() - self.origin if self.origin is not None else 0.0
            link.stop_publishing.set()
            link.stop_consuming.set()
            self._drain_quietly(link, results, len(roles))
        finally:
            link.stop_publishing.set()
            link.stop_consuming.set()
            for process in processes:
                process.join(timeout=10)
                if process.is_alive():
                    process.kill()
            left = self.cleanup()
            if left and self.plan.consumers:
                notes.append(f"{left} message(s) were still in the run's queue when it was deleted")
        return RunResult(self.aggregate, self._meta(results, started_at), notes)

    def _start(self, ctx: Any, link: Link, roles: list[tuple[str, int]]) -> list[Any]:
        # Workers ignore SIGINT from birth (an ignored signal stays ignored across exec):
        # Ctrl-C is the coordinator's, which then stops them in order.
        processes = []
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            for role, index in roles:
                process = ctx.Process(target=child_main, args=(role, index, self.spec, link), daemon=True,
                                      name=f"ocelot-load-{role}-{index}")  # fmt: skip
                process.start()
                processes.append(process)
        finally:
            signal.signal(signal.SIGINT, previous)
        return processes

    def _meta(self, results: dict[tuple[str, int], dict[str, Any]], started_at: str) -> dict[str, Any]:
        """Count what was lost and unsettled; the report's facts about the run."""
        plan = self.plan
        states = {i: unpack(r["states"]) for (role, i), r in results.items() if role == PUBLISHER and "states" in r}
        consumers = [r for (role, _i), r in results.items() if role == CONSUMER]
        groups, connections = receiver_groups(consumers)
        complete = plan.consumers and not self.interrupted and len(consumers) == plan.consumers
        if complete:
            self.aggregate.counts["lost"] = count_lost(states, groups or [[]])
        self.aggregate.counts["unsettled"] = sum(r.get("unsettled", 0) for (role, _i), r in results.items()
                                                 if role == PUBLISHER)  # fmt: skip

        def cpu(role: str, count: int) -> list[Any]:
            return [results[(role, i)].get("cpu_percent") for i in range(count) if (role, i) in results]

        meta = {"run_id": plan.run_id, "started_at": started_at, "interrupted": self.interrupted,
                "cpu": {"publishers": cpu(PUBLISHER, plan.publishers), "consumers": cpu(CONSUMER, plan.consumers)},
                "consumed": plan.consumers > 0,
                "failovers": [f for (role, _i), r in results.items() if role == PUBLISHER
                              for f in r.get("failovers", [])]}  # fmt: skip
        if plan.ws:
            meta["gateways"] = per_gateway([g.shown for g in self.spec.gateways], connections,
                                           states if complete else None)  # fmt: skip
        if self.interrupted:  # rates over the measured time that really passed
            meta["stopped_by"] = self.stopped_by
            meta["measured_s"] = min(plan.duration, max(0.001, self.stopped_after - plan.warmup))
        return meta

    # -- the coordinator's loop ----------------------------------------------------------------
    def _wait_ready(self, link: Link, results: dict[tuple[str, int], dict[str, Any]], count: int) -> None:
        """Before the start: wait until ``count`` workers said they are ready."""
        ready = 0
        deadline = time.monotonic() + READY_TIMEOUT
        while ready < count:
            if time.monotonic() > deadline:
                raise BrokerTimeout(f"the load workers were not ready within {READY_TIMEOUT:g}s")
            ready += self._take(link, results) == "ready"

    def _run_to_end(self, link: Link, results: dict[tuple[str, int], dict[str, Any]]) -> None:
        """After the start: take what the workers send, tick each second, stop consuming when all is in."""
        publishers_done_at: float | None = None
        next_tick = time.monotonic() + 1.0
        while len(results) < self.plan.publishers + self.plan.consumers:
            now = time.monotonic()
            publishers_done = sum(1 for (role, _i) in results if role == PUBLISHER) == self.plan.publishers
            if publishers_done and publishers_done_at is None:
                publishers_done_at = now
                self.live["phase"] = "draining"
            if publishers_done_at is not None and not link.stop_consuming.is_set() and (
                self._all_received() or now - publishers_done_at > self.plan.drain
            ):
                link.stop_consuming.set()
            if now >= next_tick:
                next_tick += 1.0
                self._tick()
            self._take(link, results)
        self._tick(force=True)

    def _all_received(self) -> bool:
        received = sum(self.live["received_total"].values())
        return received >= self.aggregate.counts["acked"] * self.receiver_groups

    def _take(self, link: Link, results: dict[tuple[str, int], dict[str, Any]]) -> str | None:
        """Handle one message from a worker (waiting up to 0.1 s); its kind, or None when none came."""
        try:
            kind, role, index, payload = link.results.get(timeout=0.1)
        except queue_mod.Empty:
            return None
        if kind == "delta":
            for delta in payload.get("deltas", []):
                self.aggregate.add_delta(delta)
            if "received_total" in payload:
                self.live["received_total"][index] = payload["received_total"]
        elif kind == "done":
            results[(role, index)] = payload
        elif kind == "notice":
            self.notice(str(payload))
        elif kind == "error":
            raise WorkerFailed(payload["message"], payload.get("exit_status", 70), payload.get("traceback"))
        return kind

    def _drain_quietly(self, link: Link, results: dict[tuple[str, int], dict[str, Any]], expected: int) -> None:
        """After Ctrl-C: take what the workers still send, for a few seconds."""
        deadline = time.monotonic() + 8.0
        while len(results) < expected and time.monotonic() < deadline:
            try:
                kind, role, index, payload = link.results.get(timeout=0.1)
            except queue_mod.Empty:
                continue
            except INTERRUPTS:  # a second Ctrl-C: report what arrived so far, now
                break
            if kind == "delta":
                for delta in payload.get("deltas", []):
                    self.aggregate.add_delta(delta)
            elif kind == "done":
                results[(role, index)] = payload

    def _tick(self, *, force: bool = False) -> None:
        if self.on_tick is not None:
            elapsed = time.monotonic() - self.origin if self.origin is not None else 0.0
            if elapsed >= self.plan.warmup and self.live["phase"] == "warm-up":
                self.live["phase"] = "measuring"
            self.on_tick(self.aggregate, elapsed, self.live)
