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

from ocelot_cli.config.durations import parse_duration
from ocelot_cli.envelope import formats
from ocelot_cli.envelope.catalog import Catalog
from ocelot_cli.envelope.model import EnvelopeKind, detect_kind
from ocelot_cli.envelope.paths import parse_path, set_path
from ocelot_cli.envelope.samples import SampleFactory, SampleOptions
from ocelot_cli.errors import OcelotError

# Bounds of one scenario: what it expands to stays a test, never a way to exhaust memory or time.
MAX_REPEAT = 10_000  # events of one step
MAX_EVENTS = 100_000  # events of the whole scenario (replay --loop repeats it)
MAX_SPAN = 366 * 24 * 3600.0  # seconds from the first event to the last

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
    return _Expander(lines or {}, catalog, start).expand(doc, seed)


class _Expander:
    """Expands one scenario document, collecting every problem with its line."""

    def __init__(self, lines: dict[tuple[Any, ...], int], catalog: Catalog, start: float) -> None:
        self.lines = lines
        self.catalog = catalog
        self.start = start
        self.result = Expansion()

    def problem(self, path: tuple[Any, ...], message: str) -> None:
        probe = path
        while probe not in self.lines and probe:
            probe = probe[:-1]
        self.result.problems.append(ScenarioProblem(self.lines.get(probe), message))

    def _mapping(self, doc: dict[str, Any], key: str, what: str) -> dict[str, Any]:
        value = doc.get(key) or {}
        if not isinstance(value, dict):
            self.problem((key,), f"'{key}' must be a mapping of {what}")
            return {}
        return value

    def expand(self, doc: dict[str, Any], seed: int | None) -> Expansion:
        for key in sorted(set(doc) - TOP_KEYS):
            self.problem((key,), f"unknown scenario key {key!r}; known: {', '.join(sorted(TOP_KEYS))}")
        defaults = self._mapping(doc, "defaults", "org, tenant, user, lead")
        for key in sorted(set(defaults) - DEFAULT_KEYS):
            self.problem(("defaults", key), f"unknown default {key!r}; known: {', '.join(sorted(DEFAULT_KEYS))}")
        variables = self._mapping(doc, "vars", "names to values")
        scenario_seed = seed if seed is not None else doc.get("seed")
        if scenario_seed is not None and not isinstance(scenario_seed, int):
            self.problem(("seed",), "'seed' must be an integer")
            scenario_seed = None
        factory = SampleFactory(
            self.catalog,
            SampleOptions(org=_str(defaults.get("org")), tenant=_str(defaults.get("tenant")),
                          user=_str(defaults.get("user")), lead=_str(defaults.get("lead")), seed=scenario_seed),
        )  # fmt: skip
        offset = 0.0
        for index, step in enumerate(doc["steps"]):
            offset = self._step(index, step, offset, variables, factory)
        return self.result

    def _timing(self, step: dict[str, Any], where: tuple[Any, ...], offset: float) -> tuple[float, int]:
        """The step's delay (``after``) and ``repeat``, within bounds; problems reported, harmless values instead."""
        after = step.get("after", 0)
        try:
            delay = float(after) if isinstance(after, int | float) else parse_duration(str(after), option="after")
        except OcelotError as exc:
            self.problem((*where, "after"), exc.message + " (e.g. 2s, 500ms, 1m)")
            delay = 0.0
        except OverflowError:  # a number of hundreds of digits
            delay = float("inf")
        repeat = step.get("repeat", 1)
        if not isinstance(repeat, int) or isinstance(repeat, bool) or repeat < 1:
            self.problem((*where, "repeat"), "'repeat' must be a positive integer")
            repeat = 1
        room = MAX_EVENTS - len(self.result.events)
        if repeat > min(MAX_REPEAT, room):
            self.problem((*where, "repeat"), f"'repeat: {repeat}' is more than a scenario may expand to (at most "
                         f"{MAX_REPEAT:,} a step, {MAX_EVENTS:,} events in all); loop the replay instead")  # fmt: skip
            repeat = 1
        if not delay >= 0 or offset + delay * repeat > MAX_SPAN:
            self.problem((*where, "after"), f"'after: {after}' puts the scenario more than a year past its start")
            delay = 0.0
        return delay, repeat

    def _step(self, index: int, step: Any, offset: float, variables: dict[str, Any], factory: SampleFactory) -> float:
        """Expand one step; the offset after it."""
        where = ("steps", index)
        if not isinstance(step, dict):
            self.problem(where, "a step must be a mapping with 'type' (or 'event'), and optionally 'after', 'set'")
            return offset
        for key in sorted(set(step) - STEP_KEYS):
            self.problem((*where, key), f"unknown step key {key!r}; known: {', '.join(sorted(STEP_KEYS))}")
        delay, repeat = self._timing(step, where, offset)
        offset += delay
        if ("type" in step) == ("event" in step):
            self.problem(where, "a step needs exactly one of 'type' (a catalog type) or 'event' (a whole event)")
            return offset
        sets = step.get("set") or {}
        if not isinstance(sets, dict):
            self.problem((*where, "set"), "'set' must be a mapping of PATH: value")
            return offset
        for i in range(repeat):
            if not self._emit(step, where, index, i, offset + (i * delay if i else 0), sets, variables, factory):
                break
        return offset + delay * (repeat - 1)

    def _emit(self, step: dict[str, Any], where: tuple[Any, ...], index: int, i: int, step_offset: float,
              sets: dict[Any, Any], variables: dict[str, Any], factory: SampleFactory) -> bool:  # fmt: skip
        """One event of a step (repetition ``i``); False when the step cannot give any."""
        scope = {**variables, "i": i, "step": index}
        missing = _unknown_vars(sets, scope) | _unknown_vars(step.get("event"), scope)
        if missing:
            self.problem(where, f"unknown variable(s) {', '.join('${' + m + '}' for m in sorted(missing))}")
            return False
        event = _build(step, where, factory, self.catalog, scope, self.problem)
        if event is None:
            return False
        if "event" not in step:
            _retime(event, formats.format_timestamp(formats.utc_from_epoch(self.start + step_offset)))
        for path_text, value in sets.items():
            try:
                set_path(event, parse_path(str(path_text)), _substitute(value, scope))
            except OcelotError as exc:
                self.problem((*where, "set", path_text), exc.message)
        line = self.lines.get(where, 0)
        self.result.events.append(ScenarioEvent(event, step_offset, line, index, _str(step.get("routing_key"))))
        return True


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
