"""Realistic, valid sample events for every catalog type.

Values come from each property's ``examples`` or ``x-ocelot-sample`` template, else from
its type and constraints; a few rules then make related fields agree (a campaign's counts
add up, a negative sentiment has a negative score). With a seed the output is the same
on every run, timestamps included.
"""

from __future__ import annotations

import copy
import random
import re
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ocelot_cli.envelope import formats
from ocelot_cli.envelope.catalog import Catalog, EventType
from ocelot_cli.envelope.model import (
    DEFAULT_METADATA_VERSION,
    DEFAULT_MODULE,
    DEFAULT_SOURCE,
    REALTIME_VERSION,
    EnvelopeKind,
)
from ocelot_cli.envelope.paths import Assignment, apply_assignments

SEEDED_EPOCH = datetime(2025, 9, 20, 10, 30, 0, tzinfo=UTC)
_TEMPLATE_FIELD = re.compile(r"\{(hex|digits|alnum|uuid)(?::(\d+))?\}")
_SEVERITY_BY_TYPE = {"worker.task.failed": "error", "system.buffer_dropped": "warn"}


@dataclass
class SampleOptions:
    """What a user can fix about generated samples (``--org``, ``--set``, ``--seed`` ...)."""

    org: str | None = None
    user: str | None = None
    tenant: str | None = None
    lead: str | None = None
    assignments: list[Assignment] = field(default_factory=list)
    envelope: EnvelopeKind | None = None
    seed: int | None = None


_ALNUM = string.ascii_letters + string.digits


def _compile_template(text: str) -> Callable[[random.Random], str]:
    """A filler for an ``x-ocelot-sample`` template: its text split once into literals and fields."""
    parts: list[str | tuple[str, int]] = []
    end = 0
    for match in _TEMPLATE_FIELD.finditer(text):
        parts.append(text[end : match.start()])
        parts.append((match.group(1), int(match.group(2) or 8)))
        end = match.end()
    parts.append(text[end:])
    parts = [p for p in parts if p != ""]

    def fill(rng: random.Random) -> str:
        return "".join(p if type(p) is str else _field(*p, rng) for p in parts)  # type: ignore[misc]

    return fill


def _field(kind: str, size: int, rng: random.Random) -> str:
    if kind == "hex":
        return f"{rng.getrandbits(4 * size):0{size}x}"
    if kind == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if kind == "digits":
        return f"{rng.randrange(10**size):0{size}d}"
    return "".join(rng.choices(_ALNUM, k=size))


_COMPILED: dict[str, Callable[[random.Random], str]] = {}


def _template(text: str, rng: random.Random) -> str:
    fill = _COMPILED.get(text)
    if fill is None:
        fill = _COMPILED[text] = _compile_template(text)
    return fill(rng)


def _copy(value: Any) -> Any:
    return copy.deepcopy(value) if isinstance(value, dict | list) else value


class SampleFactory:
    """Makes sample events; one factory per run so ids and times advance between samples."""

    def __init__(self, catalog: Catalog, options: SampleOptions | None = None) -> None:
        self.catalog = catalog
        self.options = options or SampleOptions()
        seed = self.options.seed
        self.rng = random.Random(seed)
        self.deterministic = seed is not None
        self._clock = SEEDED_EPOCH if self.deterministic else None
        self._org = self.options.org or self.options.tenant or ("org-" + _template("{hex:6}", self.rng))
        self._tenant = self.options.tenant or self.options.org or self._org
        self._user = self.options.user or ("user-" + _template("{hex:6}", self.rng))
        self._plans: dict[tuple[int, str], Callable[[], Any]] = {}
        self._recipes: dict[str, tuple[EventType, EnvelopeKind, Callable[[], Any], bool, Rule | None]] = {}
        # data fields a user set with --set: coherence rules leave them alone
        self._fixed_data_fields = {
            a.path[1] for a in self.options.assignments if len(a.path) > 1 and a.path[0] == "data"
        }

    def _now(self) -> datetime:
        if self._clock is None:
            return datetime.now(UTC)
        self._clock += timedelta(milliseconds=self.rng.randint(200, 3000))
        return self._clock

    def _uuid(self) -> str:
        bits = self.rng.getrandbits(128) & ~(0xF000 << 64) | (0x4000 << 64)  # version 4
        bits = bits & ~(0xC000 << 48) | (0x8000 << 48)  # RFC 4122 variant
        text = f"{bits:032x}"
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"

    def value(self, schema: dict[str, Any], name: str = "value") -> Any:
        """A realistic value for one property schema."""
        return self._plan(schema, name)()

    def _plan(self, schema: dict[str, Any], name: str) -> Callable[[], Any]:
        """A generator for one schema, worked out once per schema and then only called."""
        key = (id(schema), name)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._make_plan(schema, name)
        return plan

    def _make_plan(self, schema: dict[str, Any], name: str) -> Callable[[], Any]:
        if not isinstance(schema, dict):  # a boolean schema: true takes anything (false is never asked for)
            return lambda: "ok"
        fixed = self._fixed_plan(schema)
        if fixed is not None:
            return fixed
        types = schema.get("type", [])
        types = [types] if isinstance(types, str) else [t for t in types if t != "null"] or list(types)
        kind = types[0] if types else ("string" if "anyOf" in schema else None)
        return self._typed_plan(schema, name, kind)

    def _fixed_plan(self, schema: dict[str, Any]) -> Callable[[], Any] | None:
        """A plan for a schema that lists its values (const, examples, a sample template, enum); else None."""
        rng = self.rng
        if "const" in schema:
            const = schema["const"]
            return lambda: _copy(const)
        if schema.get("examples"):
            examples = schema["examples"]
            count = len(examples)
            if all(not isinstance(e, dict | list) for e in examples):
                return lambda: examples[int(rng.random() * count)]
            return lambda: _copy(examples[int(rng.random() * count)])
        if "x-ocelot-sample" in schema:
            fill = _compile_template(schema["x-ocelot-sample"])
            return lambda: fill(rng)
        if "enum" in schema:
            options = schema["enum"]
            size = len(options)
            return lambda: _copy(options[int(rng.random() * size)])
        return None

    def _typed_plan(self, schema: dict[str, Any], name: str, kind: str | None) -> Callable[[], Any]:  # noqa: PLR0911
        """A plan for a value of a JSON type, within the schema's bounds."""
        rng = self.rng
        if kind == "string":
            low_len, high_len = schema.get("minLength", 0), schema.get("maxLength")
            if not low_len and high_len is None:
                return lambda: self._string(schema, name)
            return lambda: _fit_length(self._string(schema, name), low_len, high_len)
        if kind == "integer":
            low = int(schema.get("minimum", 0))
            high = int(schema.get("maximum", low + 500))
            return lambda: rng.randint(low, high)
        if kind == "number":
            low_f = float(schema.get("minimum", 0))
            high_f = float(schema.get("maximum", low_f + 500))
            return lambda: round(rng.uniform(low_f, high_f), 2)
        if kind == "boolean":
            return lambda: rng.random() < 0.5
        if kind == "array":
            prefix = [self._plan(sub, name) for sub in schema.get("prefixItems", [])]
            rest = schema.get("items", {})
            item = None if rest is False else self._plan(rest, name)
            low_n = max(int(schema.get("minItems", 0)), 0)
            high_n = int(schema.get("maxItems", max(low_n, len(prefix), 3)))

            def array() -> list[Any]:
                count = min(max(rng.randint(1, 3), low_n, len(prefix) if item is None else 0), high_n)
                made = [make() for make in prefix[:count]]
                return made + ([item() for _ in range(count - len(made))] if item is not None else [])

            return array
        if kind == "object" or "properties" in schema:
            fields = [(key, self._plan(sub, key)) for key, sub in (schema.get("properties") or {}).items()
                      if sub is not False]
            return lambda: {key: make() for key, make in fields}
        return (lambda: None) if kind == "null" else (lambda: "ok")

    def _string(self, schema: dict[str, Any], name: str) -> str:
        fmt = schema.get("format")
        if fmt == "date-time" or "anyOf" in schema:
            return formats.format_timestamp(self._now() + timedelta(days=self.rng.randint(1, 7)))
        if fmt == "date":
            return (self._now() - timedelta(days=1)).date().isoformat()
        if fmt == "email":
            return f"{name.replace('_', '.')}@example.com"
        if fmt == "uuid":
            return self._uuid()
        pattern = schema.get("pattern")
        if pattern == formats.E164_PATTERN:
            return "+1415555" + _template("{digits:4}", self.rng)
        if pattern == formats.BCP47_PATTERN:
            return "en-US"
        prefix = name[:-3] if name.endswith("_id") else name
        return f"{prefix}-{_template('{hex:8}', self.rng)}"

    def make(self, type_name: str) -> dict[str, Any]:
        """One valid sample event of ``type_name`` with the factory's options applied."""
        recipe = self._recipes.get(type_name)
        if recipe is None:
            recipe = self._recipes[type_name] = self._recipe(type_name)
        entry, kind, data_plan, set_lead, rule = recipe
        data = data_plan()
        if set_lead:
            data["lead_id"] = self.options.lead
        event = self._envelope(entry, kind, data)
        assignments = self.options.assignments
        if assignments:
            apply_assignments(event, assignments, self.catalog.event_schema(entry.name, kind=kind))
        if rule is not None and type(event.get("data")) is dict:
            try:  # noqa: SIM105 (contextlib.suppress costs a call per event)
                rule(event["data"], self._fixed_data_fields, self.rng)
            except TypeError:  # --set gave a field a shape the type does not have: validation says so
                pass
        return event

    def _recipe(self, type_name: str) -> tuple[EventType, EnvelopeKind, Callable[[], Any], bool, Rule | None]:
        """What ``make`` needs of a type, worked out once: its entry, envelope, data plan, lead and rule."""
        entry = self.catalog.get(type_name)
        set_lead = bool(self.options.lead) and "lead_id" in (entry.data_schema.get("properties") or {})
        kind = self.options.envelope or entry.envelope
        return entry, kind, self._plan(entry.data_schema, "data"), set_lead, _COHERENCE.get(entry.name)

    def _envelope(self, entry: EventType, kind: EnvelopeKind, data: dict[str, Any]) -> dict[str, Any]:
        timestamp = formats.format_timestamp(self._now())
        if kind is EnvelopeKind.PLATFORM:
            return {
                "id": self._uuid(),
                "type": entry.name,
                "source": DEFAULT_SOURCE,
                "timestamp": timestamp,
                "organizationId": self._org,
                "userId": self._user,
                "data": data,
                "metadata": {"version": DEFAULT_METADATA_VERSION, "module": DEFAULT_MODULE},
            }
        lead = self.options.lead or data.get("lead_id")
        first_id = next((v for k, v in data.items() if k.endswith("_id") and isinstance(v, str)), None)
        return {
            "version": REALTIME_VERSION,
            "event": entry.name,
            "ts": timestamp,
            "severity": _SEVERITY_BY_TYPE.get(entry.name, "info"),
            "trace_id": self._uuid(),
            "tenant_id": self._tenant,
            "user_id": self._user,
            "lead_id": lead if isinstance(lead, str) else None,
            "key": f"{entry.name}:{first_id}" if first_id else None,
            "data": data,
        }


def _fit_length(text: str, low: int, high: int | None) -> str:
    """``text`` cut or padded to within ``minLength``..``maxLength`` characters."""
    if high is not None and len(text) > high:
        text = text[-high:] if high else ""
    return text + "x" * max(low - len(text), 0)


def make_sample(catalog: Catalog, type_name: str, options: SampleOptions | None = None) -> dict[str, Any]:
    """One valid sample event (see ``SampleFactory`` for many)."""
    return SampleFactory(catalog, options).make(type_name)


# Rules that make related fields agree. Each gets the data, the fields a user set (left
# alone), and the random source.
Rule = Callable[[dict[str, Any], set[str | int], random.Random], None]


def _campaign(data: dict[str, Any], fixed: set[str | int], rng: random.Random) -> None:
    total = data.get("total_calls")
    if not isinstance(total, int) or total < 0:
        return
    if "successful_calls" not in fixed and "failed_calls" not in fixed:
        data["successful_calls"] = round(total * rng.uniform(0.55, 0.9))
    ok = data.get("successful_calls")
    if "failed_calls" not in fixed and isinstance(ok, int):
        data["failed_calls"] = max(total - ok, 0)
    elif "successful_calls" not in fixed and isinstance(data.get("failed_calls"), int):
        data["successful_calls"] = max(total - data["failed_calls"], 0)
    if "success_rate" not in fixed and isinstance(data.get("successful_calls"), int):
        data["success_rate"] = round(data["successful_calls"] / total, 4) if total else 0.0


_KEYWORDS = {
    "negative": [["cancel", "frustrated", "too expensive"], ["manager", "complaint", "refund"]],
    "neutral": [["price", "schedule"], ["quote", "timing"]],
    "positive": [["thanks", "great", "helpful"], ["perfect", "appreciate"]],
}
_SCORES = {"negative": (-0.95, -0.55), "neutral": (-0.25, 0.25), "positive": (0.45, 0.95)}


def _sentiment(data: dict[str, Any], fixed: set[str | int], rng: random.Random) -> None:
    if "sentiment" not in fixed and "score" in fixed and isinstance(data.get("score"), int | float):
        score = data["score"]
        data["sentiment"] = "negative" if score < -0.3 else "positive" if score > 0.3 else "neutral"
    mood = data.get("sentiment")
    if mood not in _SCORES:
        return
    if "score" not in fixed:
        data["score"] = round(rng.uniform(*_SCORES[mood]), 2)
    if "keywords" not in fixed:
        data["keywords"] = list(rng.choice(_KEYWORDS[mood]))


_TRANSCRIPTS = {
    "completed": "Customer confirmed the installation date and thanked the agent.",
    "callback_requested": "Customer wants a callback tomorrow at 2pm to discuss pricing.",
    "voicemail": "Left a voicemail about the pending quote.",
    "failed": None,
}


def _call_ended(data: dict[str, Any], fixed: set[str | int], rng: random.Random) -> None:
    if "transcript" not in fixed and data.get("outcome") in _TRANSCRIPTS:
        data["transcript"] = _TRANSCRIPTS[data["outcome"]]
    if "duration" not in fixed and data.get("outcome") == "failed":
        data["duration"] = 0


def _recap(data: dict[str, Any], fixed: set[str | int], rng: random.Random) -> None:
    metrics = data.get("metrics")
    if "metrics" in fixed or not isinstance(metrics, dict):
        return
    received = metrics.get("calls_received")
    if isinstance(received, int | float) and received > 0:
        booked = round(received * rng.uniform(0.15, 0.45))
        metrics["calls_booked"] = booked
        metrics["conversion_rate"] = round(booked / received, 4)
        metrics["revenue_generated"] = round(booked * rng.uniform(800, 4200), 2)


def _call_completed(data: dict[str, Any], fixed: set[str | int], rng: random.Random) -> None:
    if "booked" in fixed and data.get("booked") and "qualified" not in fixed:
        data["qualified"] = True
    if "quote_date" not in fixed and not data.get("booked"):
        data["quote_date"] = None
    if "objections" not in fixed and data.get("booked"):
        data["objections"] = []


_COHERENCE: dict[str, Rule] = {
    "campaign.completed": _campaign,
    "sentiment.analyzed": _sentiment,
    "call.ended": _call_ended,
    "analytics.daily_recap.ready": _recap,
    "telephony.call.completed": _call_completed,
}
