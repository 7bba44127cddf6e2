"""Hand-written YAML scenarios: a list of steps, each an event with overrides and a delay.

::

    scenario: callback-flow
    description: A call that ends with a callback request.
    defaults: {org: org-acme, user: user-agent-7}      # also tenant, lead
    vars: {call_id: call-7f3a9c}                       # ${call_id} anywhere in set/event
    seed: 7                                            # optional: the same events every run
    steps:
      - type: call.started
        set: {data.call_id: "${call_id}"}
      - after: 2s                                      # delay since the previous step
        type: call.transcribed
        repeat: 3                                      # ${i} is 0, 1, 2
        set: {data.call_id: "${call_id}", data.transcript: "chunk ${i}"}
      - after: 500ms
        event: {...}                                   # a whole event instead of a type
        routing_key: comms.custom                      # optional

Expansion never raises for bad input: it returns the steps it could build and a problem,
with its line, for each one it could not.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from ocelot_cli.durations import parse_duration
from ocelot_cli.envelope import formats
from ocelot_cli.envelope.catalog import Catalog
from ocelot_cli.envelope.model import EnvelopeKind, detect_kind
from ocelot_cli.envelope.paths import parse_path, set_path
from ocelot_cli.envelope.samples import SampleFactory, SampleOptions
from ocelot_cli.errors import OcelotError

TOP_KEYS = {"scenario", "name", "description", "defaults", "vars", "seed", "steps"}
STEP_KEYS = {"type", "event", "set", "after", "repeat", "routing_key", "note", "description"}
DEFAULT_KEYS = {"org", "tenant", "user", "lead"}
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def is_scenario(value: Any) -> bool:
    """True for a YAML mapping that holds scenario steps."""
    return isinstance(value, dict) and isinstance(value.get("steps"), list)


@dataclass
class ScenarioEvent:
    """One event of an expanded scenario, with when it is due and where it came from."""

    event: dict[str, Any]
    offset: float  # seconds after the scenario starts
    line: int
    step: int
    routing_key: str | None = None


@dataclass
class ScenarioProblem:
    line: int | None
    message: str


@dataclass
class Expansion:
    events: list[ScenarioEvent] = field(default_factory=list)
    problems: list[ScenarioProblem] = field(default_factory=list)


def _substitute(value: Any, variables: dict[str, Any]) -> Any:
    if isinstance(value, str):
        whole = _VAR.fullmatch(value)
        if whole and whole.group(1) in variables:
            return copy.deepcopy(variables[whole.group(1)])
        return _VAR.sub(lambda m: str(variables[m.group(1)]) if m.group(1) in variables else m.group(0), value)
    if isinstance(value, dict):
        return {k: _substitute(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, variables) for v in value]
    return value


def _unknown_vars(value: Any, variables: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    if isinstance(value, str):
        found.update(m.group(1) for m in _VAR.finditer(value) if m.group(1) not in variables)
    elif isinstance(value, dict):
        for v in value.values():
            found |= _unknown_vars(v, variables)
    elif isinstance(value, list):
        for v in value:
            found |= _unknown_vars(v, variables)
    return found


def _retime(event: dict[str, Any], moment_text: str) -> None:
    kind = detect_kind(event)
    if kind is EnvelopeKind.PLATFORM:
        event["timestamp"] = moment_text
    elif kind is EnvelopeKind.REALTIME:
        event["ts"] = moment_text


def expand(doc: dict[str, Any], lines: dict[tuple[Any, ...], int] | None, catalog: Catalog, *, start: float,
           seed: int | None = None) -> Expansion:  # fmt: skip
    """The events of a scenario, each due at its offset; ``start`` (epoch seconds) dates them."""
    lines = lines or {}
    result = Expansion()

    def problem(path: tuple[Any, ...], message: str) -> None:
        probe = path
        while probe not in lines and probe:
            probe = probe[:-1]
        result.problems.append(ScenarioProblem(lines.get(probe), message))

    for key in sorted(set(doc) - TOP_KEYS):
        problem((key,), f"unknown scenario key {key!r}; known: {', '.join(sorted(TOP_KEYS))}")
    defaults = doc.get("defaults") or {}
    if not isinstance(defaults, dict):
        problem(("defaults",), "'defaults' must be a mapping of org, tenant, user, lead")
        defaults = {}
    for key in sorted(set(defaults) - DEFAULT_KEYS):
        problem(("defaults", key), f"unknown default {key!r}; known: {', '.join(sorted(DEFAULT_KEYS))}")
    variables = doc.get("vars") or {}
    if not isinstance(variables, dict):
        problem(("vars",), "'vars' must be a mapping of names to values")
        variables = {}
    scenario_seed = seed if seed is not None else doc.get("seed")
    if scenario_seed is not None and not isinstance(scenario_seed, int):
        problem(("seed",), "'seed' must be an integer")
        scenario_seed = None
    factory = SampleFactory(
        catalog,
        SampleOptions(org=_str(defaults.get("org")), tenant=_str(defaults.get("tenant")),
                      user=_str(defaults.get("user")), lead=_str(defaults.get("lead")), seed=scenario_seed),
    )  # fmt: skip
    offset = 0.0
    for index, step in enumerate(doc["steps"]):
        where = ("steps", index)
        if not isinstance(step, dict):
            problem(where, "a step must be a mapping with 'type' (or 'event'), and optionally 'after', 'set'")
            continue
        for key in sorted(set(step) - STEP_KEYS):
            problem((*where, key), f"unknown step key {key!r}; known: {', '.join(sorted(STEP_KEYS))}")
        after = step.get("after", 0)
        try:
            delay = float(after) if isinstance(after, int | float) else parse_duration(str(after), option="after")
        except OcelotError as exc:
            problem((*where, "after"), exc.message + " (e.g. 2s, 500ms, 1m)")
            delay = 0.0
        offset += delay
        repeat = step.get("repeat", 1)
        if not isinstance(repeat, int) or repeat < 1:
            problem((*where, "repeat"), "'repeat' must be a positive integer")
            repeat = 1
        if ("type" in step) == ("event" in step):
            problem(where, "a step needs exactly one of 'type' (a catalog type) or 'event' (a whole event)")
            continue
        sets = step.get("set") or {}
        if not isinstance(sets, dict):
            problem((*where, "set"), "'set' must be a mapping of PATH: value")
            continue
        for i in range(repeat):
            scope = {**variables, "i": i, "step": index}
            missing = _unknown_vars(sets, scope) | _unknown_vars(step.get("event"), scope)
            if missing:
                problem(where, f"unknown variable(s) {', '.join('${' + m + '}' for m in sorted(missing))}")
                break
            event = _build(step, where, factory, catalog, scope, problem)
            if event is None:
                break
            moment = formats.format_timestamp(formats.utc_from_epoch(start + offset + (i * delay if i else 0)))
            if "event" not in step:
                _retime(event, moment)
            for path_text, value in sets.items():
                try:
                    set_path(event, parse_path(str(path_text)), _substitute(value, scope))
                except OcelotError as exc:
                    problem((*where, "set", path_text), exc.message)
            line = lines.get(where, 0)
            step_offset = offset + (i * delay if i else 0)
            result.events.append(ScenarioEvent(event, step_offset, line, index, _str(step.get("routing_key"))))
        if repeat > 1:
            offset += delay * (repeat - 1)
    return result


def _build(step, where, factory, catalog, scope, problem):  # noqa: ANN001, ANN202
    if "event" in step:
        event = _substitute(step["event"], scope)
        if not isinstance(event, dict):
            problem((*where, "event"), "'event' must be a whole event (a mapping)")
            return None
        return event
    name = step["type"]
    if not isinstance(name, str) or name not in catalog:
        suggestions = catalog.suggest(name) if isinstance(name, str) else []
        hint = f"; did you mean {' or '.join(suggestions)}?" if suggestions else "; see 'ocelot catalog list'"
        problem((*where, "type"), f"unknown event type {name!r}{hint}")
        return None
    return factory.make(name)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
