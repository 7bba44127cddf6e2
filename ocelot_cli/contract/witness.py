"""Witnesses of a breaking change: values that one schema accepts and the other refuses.

Candidates are built from both schemas: each side's listed values (enum, const, examples), every
numeric bound with the points around and between the bounds, strings and arrays of every length
that a bound makes interesting, samples of the known formats, and valid objects of each side.
For the keywords in ``DECIDABLE`` this set is complete: when some value valid under A is refused
by B, one of the candidates is. For other keywords (``pattern``, ``anyOf``, ``$ref`` ...) finding
none proves nothing, and the diff says it cannot prove the change compatible.

Values are checked with jsonschema-rs the way ``ocelot validate`` checks them (formats asserted,
date-times with an offset).
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from ocelot_cli.envelope import formats
from ocelot_cli.envelope.validate import json_path

ANNOTATIONS = frozenset({"title", "description", "examples", "default", "$comment", "deprecated", "readOnly",
                         "writeOnly", "$schema", "$id", "$anchor", "contentMediaType", "contentEncoding"})  # fmt: skip
STRUCTURAL = frozenset({"properties", "required", "additionalProperties", "items"})
DECIDABLE = frozenset({"type", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                       "minLength", "maxLength", "minItems", "maxItems", "format", "x-ocelot-format"})  # fmt: skip
_NUMERIC_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_FORMAT_SAMPLES: dict[str, tuple[str, ...]] = {
    "date-time": ("2025-09-20T10:30:00.000Z", "2025-09-20T10:30:00"),  # the naive one is refused: no offset
    "date": ("2025-09-20",),
    "time": ("10:30:00Z",),
    "uuid": ("3fa85f64-5717-4562-b3fc-2c963f66afa6",),
    "email": ("ada@example.com",),
    "uri": ("https://example.com/calls/1",),
    "hostname": ("example.com",),
    "ipv4": ("192.0.2.1",),
    "ipv6": ("2001:db8::1",),
    "duration": ("PT5M",),
}
_STRING_SAMPLES = ("+14155550123", "en-US", "1.0.0", "4bf92f3577b34da6a3ce929d0e0e4736", "call-7f3a9c21")
_MAX_LENGTH = 100_000  # longer strings and arrays are not tried (the diff then cannot prove such a change)
MISSING = object()
Route = tuple[tuple[str, ...], ...]  # ("property", name) | ("items",) | ("additional", name)


def is_extension(key: str) -> bool:
    """``x-...`` keywords are annotations, except ``x-ocelot-format`` (which names a format)."""
    return key.startswith("x-") and key != "x-ocelot-format"


def as_node(schema: Any) -> dict[str, Any]:
    """A schema as a mapping: ``true`` is ``{}``, ``false`` refuses everything."""
    if schema is True or schema is None:
        return {}
    if schema is False:
        return {"not": {}}
    return schema if isinstance(schema, dict) else {}


_VACUOUS = {"minLength": 0, "minItems": 0, "minProperties": 0, "uniqueItems": False, "required": []}


def assertions(node: dict[str, Any]) -> dict[str, Any]:
    """The keywords of a node that decide validity (annotations, ``x-`` extensions and keywords that say
    nothing, such as ``minLength: 0``, dropped)."""
    return {k: v for k, v in node.items()
            if k not in ANNOTATIONS and not is_extension(k) and not (k in _VACUOUS and v == _VACUOUS[k])}  # fmt: skip


def same(x: Any, y: Any) -> bool:
    """Equal as JSON (``true`` is not ``1``, which Python's ``==`` would call equal)."""
    return json.dumps(x, sort_keys=True, default=str) == json.dumps(y, sort_keys=True, default=str)


def accepts_everything(node: dict[str, Any]) -> bool:
    """Whether no keyword of ``node`` refuses anything."""
    return not assertions(node)


def _datetime_with_offset(text: str) -> bool:
    parsed = formats.parse_iso_datetime(text)
    return parsed is not None and parsed.tzinfo is not None


@lru_cache(maxsize=2048)
def _compiled(key: str) -> Any:
    import jsonschema_rs

    try:
        return jsonschema_rs.validator_for(json.loads(key), validate_formats=True,
                                           formats={"date-time": _datetime_with_offset})  # fmt: skip
    except Exception:  # noqa: BLE001 (a reference that leads outside the node: this node cannot be checked alone)
        return None


def validator(node: dict[str, Any]) -> Any:
    """A compiled validator of ``node`` (cached), or None when it cannot be checked on its own."""
    return _compiled(json.dumps(node, sort_keys=True, default=str))


def decidable(accepting: dict[str, Any], refusing: dict[str, Any]) -> bool:
    """Whether the candidates are complete for values valid under ``accepting`` and refused by ``refusing``,
    so that finding none proves there is none."""
    a, b = accepting, refusing
    keys = {k for node in (a, b) for k in assertions(node)} - STRUCTURAL
    if "anyOf" in keys and all(_formats_only(node.get("anyOf", [])) for node in (a, b)):
        keys = (keys - {"anyOf"}) | {"format"}  # x-ocelot-format iso-date-or-time: a choice of known formats
    if keys - DECIDABLE or validator(a) is None or validator(b) is None:
        return False
    if "format" in keys:
        known = all(node.get("format") in (None, *_FORMAT_SAMPLES) for node in (a, b))
        # the format samples have few lengths: when length bounds meet an accepting format, some may be missed
        if not known or ("format" in a and keys & {"minLength", "maxLength"}):
            return False
    # objects and arrays among the candidates come from samples: a side whose samples fail is not covered
    return all(_structured_sample(node) for node in (a, b))


def _formats_only(branches: Any) -> bool:
    """Whether ``anyOf`` is a choice among formats whose samples are candidates."""
    return isinstance(branches, list) and all(
        isinstance(b, dict) and set(assertions(b)) == {"format"} and b["format"] in _FORMAT_SAMPLES for b in branches)


def _structured_sample(node: dict[str, Any]) -> bool:
    allowed = kinds(node)
    if "object" in allowed and ("properties" in node or "required" in node) and object_base(node) is MISSING:
        return False
    return not ("array" in allowed and "items" in node and sample(as_node(node["items"])) is MISSING)


class _Values:
    """Candidates in order, without repeats (``1``, ``1.0`` and ``True`` kept apart)."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._seen: set[str] = set()

    def add(self, value: Any) -> None:
        key = f"{type(value).__name__}:{json.dumps(value, sort_keys=True, default=str)}"
        if key not in self._seen:
            self._seen.add(key)
            self.values.append(value)

    def extend(self, values: Iterable[Any]) -> None:
        for value in values:
            self.add(value)


def _listed(node: dict[str, Any]) -> list[Any]:
    values = list(node.get("enum") or [])
    values += [node["const"]] if "const" in node else []
    values += [node["default"]] if "default" in node else []
    examples = node.get("examples")
    return values + (list(examples) if isinstance(examples, list) else [])


def _number(value: float) -> int | float:
    return int(value) if isinstance(value, float) and value.is_integer() and abs(value) < 2**53 else value


def _numeric_points(nodes: tuple[dict[str, Any], ...]) -> list[int | float]:
    bounds = {v for node in nodes for k in _NUMERIC_BOUNDS if _is_number(v := node.get(k))}
    bounds |= {v for node in nodes for v in _listed(node) if _is_number(v)}
    points: set[float] = set()
    for b in bounds:
        points |= {b, b - 1, b + 1, b - 0.5, b + 0.5, math.floor(b), math.ceil(b), math.floor(b) - 1,
                   math.ceil(b) + 1}  # fmt: skip
    ordered = sorted(points)
    between = [lo + (hi - lo) / d for lo, hi in zip(ordered, ordered[1:], strict=False) for d in (2, 3)]
    extremes = [ordered[0] - 2, ordered[0] - 1.5, ordered[-1] + 1.5, ordered[-1] + 2] if ordered else []
    return [_number(float(p)) if isinstance(p, float) else p for p in [*ordered, *between, *extremes]]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _lengths(nodes: tuple[dict[str, Any], ...], low: str, high: str, listed: Iterable[int]) -> list[int]:
    found = {0, 1, 2}
    for n in [*(node.get(k) for node in nodes for k in (low, high)), *listed]:
        if isinstance(n, int) and not isinstance(n, bool):
            found |= {n - 1, n, n + 1}
    return sorted(n for n in found if 0 <= n <= _MAX_LENGTH)


def candidates(a: dict[str, Any], b: dict[str, Any], *, objects: bool = True) -> list[Any]:
    """Values that may tell ``a`` and ``b`` apart (see the module's note on completeness)."""
    nodes = (a, b)
    out = _Values()
    for node in nodes:
        out.extend(_listed(node))
    out.extend(s for samples in _FORMAT_SAMPLES.values() for s in samples)
    out.extend(_STRING_SAMPLES)
    out.extend([None, True, False, 0, 1, -1, 0.5, "", "a", [], {}])
    out.extend(_numeric_points(nodes))
    strings = [v for node in nodes for v in _listed(node) if isinstance(v, str)]
    for n in _lengths(nodes, "minLength", "maxLength", (len(s) for s in strings)):
        out.extend(["a" * n, "0" * n, "Z" * n])
    if objects:
        for node in nodes:
            found = sample(node)
            if found is not MISSING:
                out.add(found)
        items = [found for node in nodes if (found := sample(as_node(node.get("items")))) is not MISSING]
        for n in _lengths(nodes, "minItems", "maxItems", ()):
            out.extend([copy.deepcopy(item) for _ in range(n)] for item in items or [0])
    return out.values


_SAMPLES: dict[str, Any] = {}


def sample(node: dict[str, Any], name: str = "value") -> Any:
    """A value valid under ``node``, realistic where ocelot's sample maker can make one; MISSING if none is found."""
    key = f"{name}\0{json.dumps(node, sort_keys=True, default=str)}"
    if key not in _SAMPLES:
        if len(_SAMPLES) > 4096:
            _SAMPLES.clear()
        _SAMPLES[key] = _find_sample(node, name)
    found = _SAMPLES[key]
    return found if found is MISSING else copy.deepcopy(found)


def _find_sample(node: dict[str, Any], name: str) -> Any:
    check = validator(node)
    if check is None:
        return MISSING
    for value in _attempts(node, name):
        if value is not MISSING and check.is_valid(value):
            return value
    return MISSING


def _attempts(node: dict[str, Any], name: str) -> Iterable[Any]:
    if "object" in kinds(node):
        yield _minimal_object(node)
    if "array" in kinds(node):
        item = sample(as_node(node.get("items")), name)
        if item is not MISSING:
            yield [copy.deepcopy(item) for _ in range(max(1, node.get("minItems", 1)))]
    yield _realistic(node, name)
    yield from candidates(node, node, objects=False)


def kinds(node: dict[str, Any]) -> set[str]:
    """The JSON types a node may accept (``integer`` counts as ``number``'s part; listed values decide alone)."""
    if node == {"not": {}}:
        return set()
    if "const" in node or "enum" in node:
        listed = [node["const"]] if "const" in node else list(node["enum"] or [])
        return {_kind_of(v) for v in listed}
    declared = node.get("type")
    if declared is None:
        return {"null", "boolean", "object", "array", "number", "integer", "string"}
    found = {declared} if isinstance(declared, str) else set(declared)
    return found | {"integer"} if "number" in found else found


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "integer" if isinstance(value, int) or value.is_integer() else "number"
    return {dict: "object", list: "array", str: "string"}.get(type(value), "null")


def object_base(node: dict[str, Any]) -> Any:
    """The shortest object valid under ``node`` (its required fields, each with a valid value), or MISSING."""
    found = _minimal_object(node)
    check = validator(node)
    return found if found is not MISSING and check is not None and check.is_valid(found) else MISSING


def _minimal_object(node: dict[str, Any]) -> Any:
    properties = node.get("properties") or {}
    out: dict[str, Any] = {}
    for key in node.get("required") or []:
        schema = properties.get(key, node.get("additionalProperties", True))
        value = sample(as_node(schema), key)
        if value is MISSING:
            return MISSING
        out[key] = value
    return out


def _realistic(node: dict[str, Any], name: str) -> Any:
    from ocelot_cli.envelope.catalog import Catalog
    from ocelot_cli.envelope.samples import SampleFactory, SampleOptions

    try:
        return SampleFactory(Catalog([]), SampleOptions(seed=7)).value(node, name)
    except Exception:  # noqa: BLE001 (a schema the sample maker does not handle: the plain candidates follow)
        return MISSING


def refusing_keywords(node: dict[str, Any], value: Any) -> frozenset[str]:
    """The keywords of ``node`` that refuse ``value`` (the first part of each error's schema path)."""
    check = validator(node)
    errors = check.iter_errors(value) if check is not None else []
    return frozenset(str(e.schema_path[0]) for e in errors if e.schema_path)


def witnesses(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[Any, frozenset[str]]]:
    """Candidates valid under ``a`` and refused by ``b``, each with the keywords of ``b`` that refuse it."""
    check_a, check_b = validator(a), validator(b)
    if check_a is None or check_b is None:
        return []
    found = []
    for value in candidates(a, b):
        if check_a.is_valid(value) and not check_b.is_valid(value):
            found.append((value, refusing_keywords(b, value)))
    found.sort(key=lambda item: isinstance(item[0], float))  # whole numbers read better in an example
    return found


def embed(root: dict[str, Any], route: Route, value: Any) -> Any:
    """A whole ``data`` object valid under ``root`` (when ``value`` is valid at ``route``) carrying ``value`` there."""
    if not route:
        return value
    step, rest = route[0], route[1:]
    if step[0] == "items":
        inner = embed(as_node(root.get("items")), rest, value)
        return [copy.deepcopy(inner) for _ in range(max(1, root.get("minItems", 1)))]
    key = step[1]
    schema = (root.get("properties") or {}).get(key) if step[0] == "property" else None
    child = as_node(schema if schema is not None else root.get("additionalProperties"))
    base = object_base(root)
    base = base if isinstance(base, dict) else {}
    base[key] = embed(child, rest, value)
    return base


def reachable(root: dict[str, Any], route: Route) -> bool:
    """Whether an instance of ``root`` can hold a value at ``route`` (an array whose maxItems is 0 cannot)."""
    node = root
    for step in route:
        if step[0] == "items":
            if node.get("maxItems") == 0:
                return False
            node = as_node(node.get("items"))
        else:
            listed = (node.get("properties") or {}).get(step[1]) if step[0] == "property" else None
            node = as_node(listed if listed is not None else node.get("additionalProperties"))
    return True


def instance_path(route: Route) -> list[str | int]:
    """The instance path (for messages) of a route: ``items`` steps are the first element."""
    return [0 if step[0] == "items" else step[1] for step in route]


def verified(accepting: dict[str, Any], refusing: dict[str, Any], data: Any, route: Route) -> str | None:
    """The refusal (``$.data.path: message``) when ``data`` is valid under ``accepting`` and refused by
    ``refusing``; else None. The error at or under ``route`` is preferred to others."""
    check_a, check_b = validator(accepting), validator(refusing)
    if check_a is None or check_b is None or not check_a.is_valid(data) or check_b.is_valid(data):
        return None
    errors = list(check_b.iter_errors(data))
    where = instance_path(route)
    errors.sort(key=lambda e: list(e.instance_path)[: len(where)] != where)
    first = errors[0]
    return f"{json_path(['data', *first.instance_path])}: {first.message}"

