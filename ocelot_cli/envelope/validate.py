"""Validate events against the catalog: every violation, each with its JSON path.

Validators are compiled once per (type, envelope, strictness) with jsonschema-rs. A valid
event costs one ``is_valid`` call; only an invalid one pays for collecting its errors.
Outside ``strict`` mode, a naive ISO 8601 time (no offset) is accepted as UTC with a
warning, because real producers send them.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ocelot_cli.envelope import formats
from ocelot_cli.envelope.catalog import Catalog, EventType
from ocelot_cli.envelope.model import EnvelopeKind, detect_kind, envelope_schema

ERROR = "error"
WARNING = "warning"

_PATTERN_NAMES = {
    formats.E164_PATTERN: "an E.164 phone number such as +14155550123",
    formats.BCP47_PATTERN: "a BCP-47 language tag such as en-US",
    formats.TRACE_ID_PATTERN: "a UUID or W3C trace id",
    formats.SEMVER_PATTERN: "a semantic version such as 1.0.0",
}
_FORMAT_NAMES = {
    "date-time": "an ISO 8601 date-time with an offset, such as 2025-09-20T10:30:00.000Z",
    "date": "an ISO 8601 date such as 2025-09-20",
    "uuid": "a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "email": "an email address",
}
_SIMPLE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Violation:
    """One problem with an event: where (JSON path), what, and how bad."""

    path: str
    message: str
    severity: str = ERROR

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message, "severity": self.severity}


@dataclass
class ValidationResult:
    """The outcome of validating one event."""

    event_type: str | None
    kind: EnvelopeKind | None
    violations: list[Violation]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == ERROR]

    @property
    def warnings(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == WARNING]


def json_path(parts: list[str | int] | tuple[str | int, ...]) -> str:
    """Render instance-path parts as a JSON path: ``$.data.keywords[0]``."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _SIMPLE_KEY.match(part):
            out += f".{part}"
        else:
            out += "[" + repr(part).replace("'", '"') + "]"
    return out


_COMMON_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z\Z")


def _strict_datetime(text: str) -> bool:
    if _COMMON_UTC.match(text):  # the usual form: let the C parser check the calendar
        try:
            datetime.fromisoformat(text)
            return True
        except ValueError:
            return False
    parsed = formats.parse_iso_datetime(text)
    return parsed is not None and parsed.tzinfo is not None


def _value_at(obj: Any, parts: list[str | int]) -> Any:
    for part in parts:
        try:
            obj = obj[part]
        except (KeyError, IndexError, TypeError):
            return None
    return obj


def _set_at(obj: Any, parts: list[str | int], value: Any) -> None:
    for part in parts[:-1]:
        obj = obj[part]
    obj[parts[-1]] = value


def _schema_at(schema: dict[str, Any], parts: list[str | int]) -> Any:
    node: Any = schema
    for part in parts:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class EventValidator:
    """Validates parsed events of either envelope against a catalog.

    ``envelope`` demands one envelope kind; ``strict`` refuses unknown fields and naive times.
    """

    def __init__(self, catalog: Catalog, *, strict: bool = False, envelope: EnvelopeKind | None = None,
                 schemas: bool = True) -> None:  # fmt: skip
        """``schemas=False``: only what an event is (a JSON object, its envelope and type), no schema
        checked: the first pass of --no-validate, which keeps no schema problem anyway."""
        self.catalog = catalog
        self.strict = strict
        self.envelope = envelope
        self.schemas = schemas
        self._compiled: dict[tuple[str | None, EnvelopeKind], tuple[Any, dict[str, Any]]] = {}

    def _validator(self, entry: EventType | None, kind: EnvelopeKind) -> tuple[Any, dict[str, Any]]:
        key = (entry.name if entry else None, kind)
        found = self._compiled.get(key)
        if found is None:
            import jsonschema_rs

            if entry is None:
                schema = copy.deepcopy(envelope_schema(kind))
            else:
                schema = self.catalog.event_schema(entry.name, strict=self.strict, kind=kind)
            validator = jsonschema_rs.validator_for(
                schema, validate_formats=True, formats={"date-time": _strict_datetime}
            )
            found = self._compiled[key] = (validator, schema)
        return found

    def is_valid(self, event: Any) -> bool:
        """Fast yes/no: no errors (warnings allowed only in lenient mode count as valid)."""
        return self.validate(event).ok

    def validate(self, event: Any) -> ValidationResult:
        """Every violation of ``event`` (envelope, type, data), errors and warnings."""
        if not isinstance(event, dict):
            kind_name = type(event).__name__ if event is not None else "null"
            return ValidationResult(None, None, [Violation("$", f"an event must be a JSON object, got {kind_name}")])
        kind = detect_kind(event)
        if not self.schemas:
            name = event.get(kind.type_field) if kind is not None else None
            return ValidationResult(name if isinstance(name, str) else None, kind, [])
        if kind is None:
            return ValidationResult(
                None,
                None,
                [
                    Violation(
                        "$",
                        "not an event envelope: expected Ocelot platform fields "
                        "(id, type, source, timestamp, organizationId, userId, data, metadata) "
                        "or OttoAI real-time fields (version, event, ts, severity, tenant_id, data)",
                    )
                ],
            )
        problems: list[Violation] = []
        if self.envelope is not None and kind is not self.envelope:
            problems.append(
                Violation(
                    "$", f"wrong envelope: this is an {kind.title} event, expected an {self.envelope.title} event"
                )
            )
        type_field = kind.type_field
        name = event.get(type_field)
        entry: EventType | None = None
        if isinstance(name, str):
            if name in self.catalog:
                entry = self.catalog.get(name)
                wrong = self._wrong_envelope(entry, kind)
                if wrong:
                    problems.append(Violation(f"$.{type_field}", wrong))
                    entry = None
            else:
                suggestions = self.catalog.suggest(name)
                hint = f"; did you mean {' or '.join(suggestions)}?" if suggestions else "; see 'ocelot catalog list'"
                problems.append(Violation(f"$.{type_field}", f"unknown event type {name!r}{hint}"))
        validator, schema = self._validator(entry, kind)
        if validator.is_valid(event):
            return ValidationResult(name if isinstance(name, str) else None, kind, problems)
        skip = f"$.{type_field}" if entry is None and isinstance(name, str) else None
        problems.extend(self._collect(validator, schema, event, skip))
        return ValidationResult(name if isinstance(name, str) else None, kind, problems)

    @staticmethod
    def _wrong_envelope(entry: EventType, kind: EnvelopeKind) -> str | None:
        if entry.envelope is kind:
            return None
        if kind is EnvelopeKind.REALTIME and entry.channels:
            return None
        if kind is EnvelopeKind.PLATFORM and entry.routing_key:
            return None
        where = f"routing key {entry.routing_key}" if entry.routing_key else "OttoAI WebSocket channels"
        return (
            f"wrong envelope: {entry.name} is an {entry.envelope.title} event ({where}) "
            f"but this event uses the {kind.title} envelope"
        )

    def _collect(
        self, validator: Any, schema: dict[str, Any], event: dict[str, Any], skip_path: str | None = None
    ) -> list[Violation]:
        """Errors (required fields grouped per object) and, outside strict mode, naive-time warnings.

        ``skip_path`` drops errors already reported better (the type field of an unknown type).
        """
        errors = list(validator.iter_errors(event))
        warnings: list[Violation] = []
        if not self.strict:
            naive = {}
            for error in errors:
                parts = list(error.instance_path)
                value = _value_at(event, parts)
                if isinstance(value, str) and formats.is_naive_datetime(value):
                    naive[tuple(parts)] = value
            if naive:
                patched = copy.deepcopy(event)
                for parts, value in naive.items():
                    _set_at(patched, list(parts), formats.as_utc_text(value))
                errors = list(validator.iter_errors(patched))
                still_wrong = {tuple(e.instance_path) for e in errors}
                for parts, value in naive.items():
                    if parts not in still_wrong:
                        warnings.append(
                            Violation(
                                json_path(parts),
                                f"naive time {value!r} has no UTC offset; treated as UTC "
                                "(add 'Z' or an offset; --strict rejects it)",
                                WARNING,
                            )
                        )
        missing: dict[str, list[str]] = {}
        violations = []
        for error in errors:
            path = json_path(list(error.instance_path))
            if list(error.schema_path)[-1:] == ["required"] and getattr(error.kind, "property", None):
                missing.setdefault(path, []).append(str(error.kind.property))
            elif path != skip_path:
                violations.append(Violation(path, self._message(error, schema)))
        for path, names in missing.items():
            label = "field" if len(names) == 1 else "fields"
            violations.append(Violation(path, f"missing required {label}: {', '.join(sorted(names))}"))
        return sorted(set(violations), key=lambda v: (v.path, v.message)) + warnings

    @staticmethod
    def _message(error: Any, schema: dict[str, Any]) -> str:
        schema_path = list(error.schema_path)
        keyword = schema_path[-1] if schema_path else None
        value = error.instance
        if keyword == "pattern":
            pattern = _schema_at(schema, schema_path)
            if pattern in _PATTERN_NAMES:
                return f"{_short(value)} is not {_PATTERN_NAMES[pattern]}"
        if keyword == "format":
            name = _schema_at(schema, schema_path)
            if name in _FORMAT_NAMES:
                return f"{_short(value)} is not {_FORMAT_NAMES[name]}"
        if keyword == "anyOf":
            options = _schema_at(schema, schema_path) or []
            names = [o.get("format") for o in options if isinstance(o, dict)]
            if names and all(n in ("date", "date-time") for n in names):
                return f"{_short(value)} is not an ISO 8601 date or date-time such as 2025-09-20T10:30:00Z"
        if keyword == "enum":
            options = _schema_at(schema, schema_path) or []
            return f"{_short(value)} is not one of: {', '.join(str(o) for o in options)}"
        if keyword == "const" and schema_path[-2:-1] in (["type"], ["event"]):
            return f"{_short(value)} is not the expected event type"
        return error.message
