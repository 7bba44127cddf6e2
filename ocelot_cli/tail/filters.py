"""Which tailed events to show: type globs, organization or tenant, and ``--where`` conditions."""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ocelot_cli.envelope.catalog import Catalog, lookup_path
from ocelot_cli.envelope.model import event_type_of
from ocelot_cli.errors import UsageProblem

_OPS = ("!=", ">=", "<=", "~=", "=", ">", "<")
_CONDITION = re.compile(r"^([^!<>=~]+?)\s*(!=|>=|<=|~=|=|>|<)\s*(.*)$")


@dataclass(frozen=True)
class Condition:
    """``--where PATH OP VALUE``: =, !=, >, >=, <, <= (numbers compared as numbers), ~= (regex)."""

    path: str
    op: str
    value: str

    @property
    def text(self) -> str:
        return f"{self.path}{self.op}{self.value}"

    @classmethod
    def parse(cls, text: str) -> Condition:
        match = _CONDITION.match(text)
        if not match:
            raise UsageProblem(
                f"--where {text!r} is not a condition",
                hint="write PATH OP VALUE, e.g. data.outcome=callback_requested or data.score<-0.5 "
                f"(operators: {' '.join(_OPS)})",
            )
        path, op, value = match.group(1).strip(), match.group(2), match.group(3).strip()
        if op in (">", ">=", "<", "<=") and _number(value) is None:
            column = match.start(3) + 1 + (len(match.group(3)) - len(match.group(3).lstrip()))
            raise UsageProblem(f"--where {text!r}: column {column}: {value!r} is not a number, and {op} compares "
                               "numbers", hint="e.g. data.score<-0.5; for text use = != or ~= (regex)")  # fmt: skip
        if op == "~=":
            try:
                re.compile(value)
            except re.error as exc:
                raise UsageProblem(f"--where {text!r}: bad regular expression: {exc}") from None
        return cls(path, op, value)

    def holds(self, event: Any) -> bool:
        actual = lookup_path(event, self.path)
        if self.op == "~=":
            return actual is not None and re.search(self.value, _text(actual)) is not None
        if self.op in ("=", "!="):
            equal = _text(actual) == self.value or _numbers_equal(actual, self.value)
            return equal if self.op == "=" else not equal
        left, right = _number(actual), _number(self.value)
        if left is None or right is None:
            return False
        return {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[self.op]


def _text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _numbers_equal(left: Any, right: str) -> bool:
    a, b = _number(left), _number(right)
    return a is not None and b is not None and a == b


@dataclass
class TailFilter:
    """Which events to show: type globs, organization/tenant, conditions (all must hold)."""

    types: list[str] = field(default_factory=list)
    org: str | None = None
    conditions: list[Condition] = field(default_factory=list)

    def type_names(self, catalog: Catalog) -> list[str]:
        """The catalog types ``--type`` names (every type without --type); UnknownEventType, with
        close names, for a name the catalog does not have, UsageProblem for a glob that matches none."""
        if not self.types:
            return catalog.names()
        names: list[str] = []
        for pattern in self.types:
            if not any(c in pattern for c in "*?["):
                names.append(catalog.get(pattern).name)
                continue
            matching = [name for name in catalog.names() if fnmatch.fnmatchcase(name, pattern)]
            if not matching:
                raise UsageProblem(f"--type {pattern!r} matches no event type of the catalog",
                                   hint="see 'ocelot catalog list' (or add yours with --catalog DIR)")  # fmt: skip
            names += matching
        return list(dict.fromkeys(names))

    @property
    def active(self) -> bool:
        return bool(self.types or self.org or self.conditions)

    def matches(self, event: Any) -> bool:
        if not isinstance(event, dict):
            return not self.active
        if self.types:
            name = event_type_of(event) or ""
            if not any(fnmatch.fnmatchcase(name, pattern) for pattern in self.types):
                return False
        if self.org is not None and self.org not in (event.get("organizationId"), event.get("tenant_id")):
            return False
        return all(condition.holds(event) for condition in self.conditions)
