"""``--assert`` thresholds: ``p99<20ms``, ``rate>=4900``, ``lost==0``, ``confirm.p99.9<=50ms``.

Latency metrics are end to end unless prefixed (``confirm.``, ``send_delay.``, ``e2e.``);
their values take a unit (us, ms, s; ms when none is given). Checked against a report, so
``ocelot load merge`` can gate on a multi-machine run just like a single one.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Any

from ocelot_cli.errors import UsageProblem

_OPS = {"<=": operator.le, ">=": operator.ge, "==": operator.eq, "!=": operator.ne, "<": operator.lt, ">": operator.gt}
_EXPR = re.compile(r"^\s*([A-Za-z_][\w.]*?)\s*(<=|>=|==|!=|<|>)\s*([0-9.eE+-]+)\s*([a-z/]*)\s*$")
_UNITS = {"us": 0.001, "µs": 0.001, "ms": 1.0, "s": 1000.0, "": 1.0}
_LATENCY_PREFIX = {"e2e": "end_to_end", "end_to_end": "end_to_end", "confirm": "confirm", "send_delay": "send_delay",
                   "delay": "send_delay"}  # fmt: skip
_STATS = {"p50": "p50_ms", "p90": "p90_ms", "p99": "p99_ms", "p99.9": "p99_9_ms", "max": "max_ms", "mean": "mean_ms"}
COUNTS = {
    "rate": ("published", "rate"),
    "consumed_rate": ("consumed", "rate"),
    "sent": ("published", "sent"),
    "acked": ("published", "acked"),
    "nacked": ("published", "nacked"),
    "unroutable": ("published", "returned"),
    "consumed": ("consumed", "received"),
    "duplicates": ("consumed", "duplicates"),
}
METRICS_HELP = (
    "p50 p90 p99 p99.9 max mean (end to end; prefix confirm. or send_delay.), rate, consumed_rate, "
    "lost, sent, acked, nacked, unroutable, consumed, duplicates"
)


@dataclass(frozen=True)
class Threshold:
    text: str
    path: tuple[str, ...]  # where in the report
    op: str
    value: float

    def check(self, report: dict[str, Any]) -> dict[str, Any]:
        actual: Any = report
        for key in self.path:
            actual = actual.get(key) if isinstance(actual, dict) else None
        ok = actual is not None and _OPS[self.op](actual, self.value)
        return {"assert": self.text, "actual": actual, "ok": bool(ok)}


def parse(text: str) -> Threshold:
    match = _EXPR.match(text)
    if not match:
        raise UsageProblem(
            f"--assert {text!r} is not METRIC OP VALUE",
            hint=f"e.g. 'p99<20ms' 'rate>=4900' 'lost==0'; metrics: {METRICS_HELP}",
        )
    metric, op, number, unit = match.groups()
    try:
        value = float(number)
    except ValueError:
        raise UsageProblem(f"--assert {text!r}: {number!r} is not a number") from None
    if metric in ("lost",):
        path: tuple[str, ...] = ("lost",)
    elif metric in COUNTS:
        path = COUNTS[metric]
    else:
        if metric.endswith("p99.9"):
            prefix, stat = metric[: -len("p99.9")].rstrip("."), "p99.9"
        else:
            prefix, _, stat = metric.rpartition(".")
        latency = _LATENCY_PREFIX.get(prefix or "e2e")
        if latency is None or stat not in _STATS:
            raise UsageProblem(f"--assert {text!r}: unknown metric {metric!r}", hint=f"metrics: {METRICS_HELP}")
        if unit not in _UNITS:
            raise UsageProblem(f"--assert {text!r}: unknown unit {unit!r}", hint="use us, ms or s")
        return Threshold(text, ("latency", latency, _STATS[stat]), op, value * _UNITS[unit])
    if unit not in ("", "/s"):
        raise UsageProblem(f"--assert {text!r}: {metric} is a count or rate, it takes no unit {unit!r}")
    return Threshold(text, path, op, value)


def check_all(thresholds: list[Threshold], report: dict[str, Any]) -> list[dict[str, Any]]:
    return [t.check(report) for t in thresholds]
