"""Hypothesis strategies for valid events, generated from the catalog's JSON Schemas.

For your own consumers' property tests::

    from hypothesis import given
    from ocelot_cli.envelope.strategies import events

    @given(events("call.ended"))
    def test_consumer_accepts_every_call_ended(event):
        handle(event)

``events()`` with no type draws from every type in the catalog.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from hypothesis import strategies as st

from ocelot_cli.envelope import formats
from ocelot_cli.envelope.catalog import Catalog, load_catalog
from ocelot_cli.envelope.model import PLATFORM_FIELDS, REALTIME_FIELDS, EnvelopeKind

# Keywords that only describe or that generation can ignore safely.
_IGNORED = {"$schema", "$id", "title", "description", "examples", "additionalProperties", "default", "$comment"}
_SUPPORTED = _IGNORED | {
    "type", "enum", "const", "properties", "required", "items", "minItems", "maxItems", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern", "format", "anyOf", "oneOf",
}  # fmt: skip


@cache
def _default_catalog() -> Catalog:
    return load_catalog()


def timestamps() -> st.SearchStrategy[str]:
    """ISO 8601 UTC times with milliseconds and ``Z``, as both specs write them."""
    moments = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC))
    return moments.map(formats.format_timestamp)


_FORMAT_STRATEGIES: dict[str, st.SearchStrategy[str]] = {
    "date-time": timestamps(),
    "date": st.dates(min_value=date(1970, 1, 1), max_value=date(2200, 1, 1)).map(date.isoformat),
    "uuid": st.uuids().map(str),
    # Plain addresses that every validator agrees on, not exotic RFC 5322 forms.
    "email": st.from_regex(r"\A[a-z][a-z0-9_]{0,12}(\.[a-z0-9_]{1,12})?@[a-z][a-z0-9]{0,20}\.(com|org|net|io)\Z"),
    "uri": st.from_regex(r"\Ahttps://[a-z]{1,12}\.example\.com/[a-z0-9/]{0,20}\Z"),
}


def from_schema(schema: dict[str, Any], where: str = "$") -> st.SearchStrategy[Any]:
    """A strategy for values valid under ``schema`` (the JSON Schema subset catalogs use)."""
    unknown = sorted(k for k in schema if k not in _SUPPORTED and not k.startswith("x-"))
    if unknown:
        raise ValueError(f"{where}: cannot generate values for schema keyword(s) {', '.join(unknown)}")
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        base = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
        options = [from_schema({**base, **branch}, where) for branch in branches]
        if "null" in _types(base):
            options.append(st.none())
        return st.one_of(options)
    types = _types(schema) or ["string", "number", "boolean", "null"]
    return st.one_of([_typed(schema, t, where) for t in types])


def _types(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type", [])
    return [declared] if isinstance(declared, str) else list(declared)


def _typed(schema: dict[str, Any], kind: str, where: str) -> st.SearchStrategy[Any]:  # noqa: PLR0911
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind in ("integer", "number"):
        return _numbers(schema, kind)
    if kind == "string":
        if schema.get("format") in _FORMAT_STRATEGIES:
            return _FORMAT_STRATEGIES[schema["format"]]
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        return st.text(min_size=schema.get("minLength", 0), max_size=schema.get("maxLength", 40))
    if kind == "array":
        items = from_schema(schema.get("items", {}), where + "[]")
        return st.lists(items, min_size=schema.get("minItems", 0), max_size=schema.get("maxItems", 5))
    if kind == "object":
        props = schema.get("properties") or {}
        required = set(schema.get("required", []))
        fixed = {k: from_schema(v, f"{where}.{k}") for k, v in props.items() if k in required}
        optional = {k: from_schema(v, f"{where}.{k}") for k, v in props.items() if k not in required}
        return st.fixed_dictionaries(fixed, optional=optional)
    raise ValueError(f"{where}: unknown JSON type {kind!r}")


def _bound(inclusive: Any, exclusive: Any, *, lower: bool) -> int | None:
    """The integer bound of ``minimum``/``exclusiveMinimum`` (or the maximums); None when unbounded."""
    if inclusive is None and exclusive is None:
        return None
    if lower:
        return max(math.ceil(inclusive) if inclusive is not None else -math.inf,
                   math.floor(exclusive) + 1 if exclusive is not None else -math.inf)  # fmt: skip
    return min(math.floor(inclusive) if inclusive is not None else math.inf,
               math.ceil(exclusive) - 1 if exclusive is not None else math.inf)  # fmt: skip


def _numbers(schema: dict[str, Any], kind: str) -> st.SearchStrategy[Any]:
    low, high = schema.get("minimum"), schema.get("maximum")
    ex_low, ex_high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    integers = st.integers(min_value=_bound(low, ex_low, lower=True), max_value=_bound(high, ex_high, lower=False))
    if kind == "integer":
        return integers
    floats = st.floats(
        min_value=ex_low if ex_low is not None else low,
        max_value=ex_high if ex_high is not None else high,
        exclude_min=ex_low is not None,
        exclude_max=ex_high is not None,
        allow_nan=False,
        allow_infinity=False,
    )
    return floats | integers


def event_data(type_name: str, catalog: Catalog | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Valid ``data`` payloads of one event type."""
    catalog = catalog or _default_catalog()
    schema = catalog.get(type_name).data_schema
    return from_schema(schema)


def events(
    type_name: str | None = None,
    *,
    catalog: Catalog | None = None,
    envelope: EnvelopeKind | str | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid whole events (envelope and data) of one type, or of any type in the catalog.

    ``envelope`` keeps only types whose own envelope is that kind.
    """
    catalog = catalog or _default_catalog()
    if type_name is None:
        kind = EnvelopeKind(envelope) if envelope else None
        names = [t.name for t in catalog if kind is None or t.envelope is kind]
        return st.sampled_from(names).flatmap(lambda name: events(name, catalog=catalog))
    entry = catalog.get(type_name)
    strategy = from_schema(catalog.event_schema(type_name))
    return strategy.map(lambda event: _ordered(event, entry.envelope))


def _ordered(event: dict[str, Any], kind: EnvelopeKind) -> dict[str, Any]:
    order = PLATFORM_FIELDS if kind is EnvelopeKind.PLATFORM else REALTIME_FIELDS
    head = {k: event[k] for k in order if k in event}
    return {**head, **{k: v for k, v in event.items() if k not in head}}
