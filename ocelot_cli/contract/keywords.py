"""The keyword differences of one schema node, each named and with the directions it may break.

A keyword added to a node can only refuse more (it may break BACKWARD), one removed can only
accept more (FORWARD), one changed may do either; bounds, types and enums say which way they
moved. These are upper bounds: the witnesses (``witness.py``) decide what really breaks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ocelot_cli.contract.changes import Direction
from ocelot_cli.contract.witness import STRUCTURAL, assertions, same

BOTH = frozenset(Direction)
TIGHTER = frozenset({Direction.BACKWARD})
LOOSER = frozenset({Direction.FORWARD})
NONE: frozenset[Direction] = frozenset()
# Keywords whose meaning depends on others: any change of them may go either way.
_INTERACTING = frozenset({"if", "then", "else", "unevaluatedProperties", "unevaluatedItems", "patternProperties",
                          "prefixItems", "contains", "minContains", "maxContains", "$defs", "definitions",
                          "dependentSchemas", "$dynamicRef", "$dynamicAnchor"})  # fmt: skip
_FORMAT_EXPANDED = ("x-ocelot-format", "pattern", "anyOf")  # x-ocelot-format expands into pattern or anyOf
_LOWER = {"minLength", "minItems", "minProperties"}
_UPPER = {"maxLength", "maxItems", "maxProperties"}
ABSENT = object()
_ALL_TYPES = frozenset({"null", "boolean", "object", "array", "number", "string", "integer"})


@dataclass(frozen=True)
class KeywordChange:
    """One keyword (or group of keywords) that differs between the OLD and NEW node."""

    kind: str
    keyword: str
    old: Any
    new: Any
    possible: frozenset[Direction]
    refusing: frozenset[str]  # the keywords whose refusal of a value shows this change


def _presence(base: str, keyword: str, old: Any, new: Any, refusing: frozenset[str] | None = None) -> KeywordChange:
    """Added, removed or changed (``ABSENT`` marks a missing keyword: ``const: null`` is a value)."""
    if old is ABSENT:
        kind, possible = f"{base}-added", TIGHTER
    elif new is ABSENT:
        kind, possible = f"{base}-removed", LOOSER
    else:
        kind, possible = f"{base}-changed", BOTH
    shown = (None if old is ABSENT else old, None if new is ABSENT else new)
    return KeywordChange(kind, keyword, *shown, possible, refusing or frozenset({keyword}))


def _type_set(node: dict[str, Any]) -> frozenset[str]:
    declared = node.get("type")
    if declared is None:
        return _ALL_TYPES
    found = frozenset([declared] if isinstance(declared, str) else declared)
    return found | {"integer"} if "number" in found else found


def _type_change(a: dict[str, Any], b: dict[str, Any]) -> list[KeywordChange]:
    old, new = _type_set(a), _type_set(b)
    if old == new:
        return []
    if old < new:
        kind, possible = "type-widened", LOOSER
    elif new < old:
        kind, possible = "type-narrowed", TIGHTER
    else:
        kind, possible = "type-changed", BOTH
    return [KeywordChange(kind, "type", a.get("type", "any"), b.get("type", "any"), possible, frozenset({"type"}))]


def _enum_changes(a: dict[str, Any], b: dict[str, Any]) -> list[KeywordChange]:
    old, new = a.get("enum", ABSENT), b.get("enum", ABSENT)
    if old is ABSENT or new is ABSENT:
        return [_presence("enum", "enum", old, new)]
    keys_old = {json.dumps(v, sort_keys=True, default=str) for v in old}
    keys_new = {json.dumps(v, sort_keys=True, default=str) for v in new}
    added = [v for v in new if json.dumps(v, sort_keys=True, default=str) not in keys_old]
    removed = [v for v in old if json.dumps(v, sort_keys=True, default=str) not in keys_new]
    found = []
    if added:
        found.append(KeywordChange("enum-values-added", "enum", old, new, LOOSER, frozenset({"enum"})))
    if removed:
        found.append(KeywordChange("enum-values-removed", "enum", old, new, TIGHTER, frozenset({"enum"})))
    if not found:  # the same values in another order: no change in what is valid
        found.append(KeywordChange("enum-reordered", "enum", old, new, NONE, frozenset({"enum"})))
    return found


def _effective_bound(node: dict[str, Any], inclusive: str, exclusive: str, lower: bool) -> tuple[float, int] | None:
    """The tighter of a node's inclusive and exclusive bound as (value, strictness), comparable with < and >."""
    found = []
    for key, strict in ((inclusive, 1), (exclusive, 2)):
        value = node.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            found.append((value, strict) if lower else (-value, strict))
    return max(found) if found else None


def _numeric_bound(a: dict[str, Any], b: dict[str, Any], inclusive: str, exclusive: str) -> list[KeywordChange]:
    keys = (inclusive, exclusive)
    if all(same(a.get(k), b.get(k)) for k in keys):
        return []
    lower = inclusive == "minimum"
    old, new = (_effective_bound(n, inclusive, exclusive, lower) for n in (a, b))
    if old is None or (new is not None and new > old):
        kind, possible = "bounds-tightened", TIGHTER
    elif new is None or new < old:
        kind, possible = "bounds-loosened", LOOSER
    else:
        kind, possible = "bounds-changed", BOTH
    used = [k for k in keys if k in a or k in b]
    if len(used) == 1:
        return [KeywordChange(kind, used[0], a.get(used[0]), b.get(used[0]), possible, frozenset(keys))]
    shown_old = {k: a[k] for k in keys if k in a} or None
    shown_new = {k: b[k] for k in keys if k in b} or None
    return [KeywordChange(kind, "/".join(used), shown_old, shown_new, possible, frozenset(keys))]


def _single_bound(key: str, old: Any, new: Any) -> KeywordChange:
    if old is None or new is None:
        tighter = old is None
    else:
        tighter = new > old if key in _LOWER else new < old
    kind, possible = ("bounds-tightened", TIGHTER) if tighter else ("bounds-loosened", LOOSER)
    return KeywordChange(kind, key, old, new, possible, frozenset({key}))


def keyword_changes(a: dict[str, Any], b: dict[str, Any]) -> list[KeywordChange]:
    """Every keyword difference between two nodes, structural keywords (compared elsewhere) left out."""
    old, new = assertions(a), assertions(b)
    found: list[KeywordChange] = []
    done = set(STRUCTURAL) - ({"items"} if "prefixItems" in old or "prefixItems" in new else set())
    if not same(old.get("x-ocelot-format"), new.get("x-ocelot-format")):
        found.append(_presence("format", "x-ocelot-format", old.get("x-ocelot-format", ABSENT),
                               new.get("x-ocelot-format", ABSENT), frozenset({"pattern", "anyOf", "format"})))
        done |= set(_FORMAT_EXPANDED)
    found += _type_change(old, new)
    done.add("type")
    for inclusive, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        found += _numeric_bound(old, new, inclusive, exclusive)
        done |= {inclusive, exclusive}
    for key in sorted((set(old) | set(new)) - done):
        x, y = old.get(key, ABSENT), new.get(key, ABSENT)
        if x is not ABSENT and y is not ABSENT and same(x, y):
            continue
        if key == "enum":
            found += _enum_changes(old, new)
        elif key in _LOWER | _UPPER:
            found.append(_single_bound(key, None if x is ABSENT else x, None if y is ABSENT else y))
        elif key in ("const", "pattern", "format"):
            found.append(_presence(key, key, x, y))
        else:
            change = _presence("constraint", key, x, y)
            if key in _INTERACTING:
                change = KeywordChange(change.kind, key, change.old, change.new, BOTH, change.refusing)
            found.append(change)
    return found
