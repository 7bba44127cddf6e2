"""Named checks with outcomes, for ``ocelot smoke`` and ``ocelot doctor`` (no network here).

A check passes, fails (with the exit status of its kind of failure, a message and what to
do), or is skipped because a check it needs failed. The report's exit status is that of the
first failure, so a CI job can tell "unreachable" from "unroutable" from "timed out".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ocelot_cli.errors import ExitStatus, OcelotError

PASSED, FAILED, SKIPPED, WARNED = "passed", "failed", "skipped", "warning"


@dataclass
class CheckResult:
    name: str
    outcome: str = PASSED
    message: str = ""
    hint: str | None = None
    status: ExitStatus = ExitStatus.OK
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome in (PASSED, WARNED)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "outcome": self.outcome, "ok": self.ok, "message": self.message,
                               "seconds": round(self.seconds, 4)}  # fmt: skip
        if self.hint:
            out["hint"] = self.hint
        if self.outcome == FAILED:
            out["exit_status"] = int(self.status)
        if self.details:
            out["details"] = self.details
        return out


@dataclass
class Report:
    title: str
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok or c.outcome == SKIPPED for c in self.checks) and not self.failed_names()

    def failed_names(self) -> list[str]:
        return [c.name for c in self.checks if c.outcome == FAILED]

    @property
    def exit_status(self) -> ExitStatus:
        for check in self.checks:
            if check.outcome == FAILED:
                return check.status
        return ExitStatus.OK

    def passed(self, name: str) -> bool:
        return any(c.name == name and c.ok for c in self.checks)

    def skip(self, name: str, because: str) -> None:
        self.checks.append(CheckResult(name, SKIPPED, f"skipped: {because}"))

    @contextmanager
    def check(self, name: str) -> Iterator[CheckResult]:
        """Run the body as check ``name``: an OcelotError (CheckFailed included) fails it, with its status."""
        result = CheckResult(name)
        started = time.monotonic()
        try:
            yield result
        except OcelotError as exc:
            result.outcome, result.message, result.status, result.hint = FAILED, exc.message, exc.exit_status, exc.hint
        finally:
            result.seconds = time.monotonic() - started
            self.checks.append(result)

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "ok": self.ok, "exit_status": int(self.exit_status),
                "checks": [c.to_dict() for c in self.checks]}  # fmt: skip


def run_in_order(report: Report, steps: list[tuple[str, list[str], Callable[[CheckResult], None]]]) -> None:
    """Each step: (name, names it needs, body). A step whose needs did not pass is skipped."""
    for name, needs, body in steps:
        missing = [n for n in needs if not report.passed(n)]
        if missing:
            report.skip(name, f"needs {', '.join(missing)}")
            continue
        with report.check(name) as result:
            body(result)


def judge_nodes(result: CheckResult, found: list[dict[str, Any]], used: str | None) -> None:
    """The broker check of a cluster's node list: which nodes answered, that they are one cluster,
    and which node the other checks use; a warning when some node did not answer."""
    answered = [node for node in found if node["answered"]]
    result.details["nodes"] = found
    result.details["used"] = used
    clusters = sorted({node["cluster"] for node in answered})
    down = [f"{node['url']} ({node['error'].rpartition(': ')[2]})" for node in found if not node["answered"]]
    named = f"cluster {clusters[0]!r}" if len(clusters) == 1 else f"cluster names {', '.join(map(repr, clusters))}"
    result.message = (f"{answered[0]['server']}: {len(answered)} of {len(found)} nodes answered, {named}; "
                      f"checks use {used}")  # fmt: skip
    if down:
        result.message += f"; not answering: {', '.join(down)}"
        result.outcome = WARNED
        result.hint = "commands fail over to the nodes that answer; bring the others back (rabbitmqctl cluster_status)"
    elif len(clusters) > 1:  # each node's default name is its own: unset, or not one cluster
        result.outcome = WARNED
        result.hint = ("the nodes give different cluster names: they are not one cluster, or its name was never "
                       "set (rabbitmqctl set_cluster_name NAME lets ocelot confirm the membership)")  # fmt: skip

