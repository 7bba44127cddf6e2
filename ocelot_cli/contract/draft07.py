"""Catalog schemas (JSON Schema 2020-12) as AsyncAPI Schema objects, which extend draft-07.

AsyncAPI's default schema format is draft-07 with a few keywords added, and the official parser
checks payloads against it. What the catalog uses (type lists, const, enum, bounds, pattern,
format, anyOf, examples) means the same in both drafts. The keywords 2020-12 added are rewritten
into their draft-07 form where one says the same thing: ``prefixItems`` (with ``items``),
``dependentRequired``, ``dependentSchemas``, ``$defs``, and ``unevaluated*`` on a schema without
applicators. The few with no draft-07 form are kept and reported: draft-07 tools skip them, so the
document checks less than the catalog there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Where a keyword's value holds subschemas: a map of them, a list of them, or one.
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "definitions", "$defs", "dependentSchemas"})
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMA_VALUES = frozenset({"additionalProperties", "additionalItems", "unevaluatedProperties", "unevaluatedItems",
                            "contains", "propertyNames", "if", "then", "else", "not", "items"})  # fmt: skip
# Beside these, unevaluated* sees what they evaluated: no draft-07 keyword says that.
_APPLICATORS = ("allOf", "anyOf", "oneOf", "not", "if", "then", "else", "$ref", "dependentSchemas")
_NO_DRAFT07 = ("minContains", "maxContains", "$anchor", "$dynamicRef", "$dynamicAnchor", "$recursiveRef",
               "$recursiveAnchor", "$vocabulary")  # fmt: skip


@dataclass
class Draft07:
    """A schema in draft-07 form, what draft-07 cannot say (JSON pointer: keyword), and where $ref is."""

    schema: Any
    unchecked: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)


def as_draft07(schema: Any) -> Draft07:
    """``schema`` rewritten for draft-07 tools (a copy; ``$schema`` left out), with what they will not check."""
    result = Draft07(None)
    result.schema = _convert(schema, "", result)
    return result


def _pointer(base: str, key: str | int) -> str:
    return f"{base}/{str(key).replace('~', '~0').replace('/', '~1')}"


def _subschemas(key: str, value: Any, here: str, result: Draft07) -> Any:
    if key in _SCHEMA_MAPS and isinstance(value, dict):
        return {name: _convert(sub, _pointer(here, name), result) for name, sub in value.items()}
    if key in _SCHEMA_LISTS and isinstance(value, list):
        return [_convert(sub, _pointer(here, n), result) for n, sub in enumerate(value)]
    if key in _SCHEMA_VALUES:
        if isinstance(value, list):  # draft-07's tuple form of items, already
            return [_convert(sub, _pointer(here, n), result) for n, sub in enumerate(value)]
        return _convert(value, here, result)
    return value


def _convert(schema: Any, pointer: str, result: Draft07) -> Any:
    if not isinstance(schema, dict):
        return schema  # true, false
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$schema":
            continue
        if key == "$ref":
            result.refs.append(pointer or "/")
        out[key] = _subschemas(key, value, _pointer(pointer, key), result)
    _rewrite_2020_keywords(out, applied=any(k in schema for k in _APPLICATORS))
    result.unchecked.extend(f"{pointer or '/'}: {key}" for key in out if key in _NO_DRAFT07)
    result.unchecked.extend(f"{pointer or '/'}: {key}" for key in ("unevaluatedProperties", "unevaluatedItems")
                            if key in out)  # fmt: skip
    return out


def _rewrite_2020_keywords(out: dict[str, Any], *, applied: bool) -> None:
    """2020-12 keywords into draft-07 ones, in place, where the meaning stays the same."""
    if "prefixItems" in out:
        rest = out.pop("items", None)
        out["items"] = out.pop("prefixItems")
        if rest is not None:
            out["additionalItems"] = rest
    if "$defs" in out:
        out["definitions"] = {**out.get("definitions", {}), **out.pop("$defs")}
    if "dependentRequired" in out or "dependentSchemas" in out:
        out["dependencies"] = {**out.get("dependencies", {}), **out.pop("dependentRequired", {}),
                               **out.pop("dependentSchemas", {})}  # fmt: skip
    if applied:  # what "unevaluated" means then depends on the applicators: kept, and reported
        return
    if "unevaluatedProperties" in out:
        closing = out.pop("unevaluatedProperties")
        out.setdefault("additionalProperties", closing)  # with additionalProperties, nothing is left unevaluated
    if "unevaluatedItems" in out:
        closing = out.pop("unevaluatedItems")
        if isinstance(out.get("items"), list):
            out.setdefault("additionalItems", closing)
        else:
            out.setdefault("items", closing)
