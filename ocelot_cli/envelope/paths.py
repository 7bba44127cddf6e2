"""Dotted-path assignments such as ``data.outcome=callback_requested`` (``--set``).

``PATH=VALUE`` is coerced by the schema at that path (so ``data.duration=180`` is a number
and ``data.call_id=123`` stays a string); ``PATH:=JSON`` takes raw JSON, as in httpie.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from ocelot_cli.errors import UsageProblem

_SEGMENT = re.compile(r"^([^.\[\]=]+)((?:\[\d+\])*)$")


@dataclass(frozen=True)
class Assignment:
    """One ``--set`` assignment."""

    path: tuple[str | int, ...]
    raw: str
    is_json: bool
    text: str

    @property
    def dotted(self) -> str:
        return ".".join(str(p) for p in self.path)


def parse_path(text: str) -> tuple[str | int, ...]:
    """``data.keywords[0]`` or ``data.keywords.0`` -> ("data", "keywords", 0)."""
    parts: list[str | int] = []
    for segment in text.split("."):
        match = _SEGMENT.match(segment)
        if not match:
            raise UsageProblem(
                f"bad path {text!r}", hint="write a dotted path such as data.outcome or data.keywords[0]"
            )
        name, indexes = match.group(1), match.group(2)
        parts.append(int(name) if name.isdigit() and parts else name)
        parts.extend(int(i) for i in re.findall(r"\[(\d+)\]", indexes))
    return tuple(parts)


def parse_assignment(text: str) -> Assignment:
    """Parse ``PATH=VALUE`` or ``PATH:=JSON``."""
    idx = text.find("=")
    if idx <= 0 or (idx == 1 and text[0] == ":"):
        raise UsageProblem(
            f"--set {text!r} is not an assignment",
            hint="write PATH=VALUE (data.outcome=callback_requested) or PATH:=JSON (data.keywords:='[\"a\"]')",
        )
    is_json = text[idx - 1] == ":"
    path = parse_path(text[: idx - 1] if is_json else text[:idx])
    raw = text[idx + 1 :]
    if is_json:
        try:
            json.loads(raw)
        except json.JSONDecodeError as exc:
            raise UsageProblem(f"--set {text!r}: the value after ':=' is not JSON ({exc.msg})") from None
    return Assignment(path=path, raw=raw, is_json=is_json, text=text)


def schema_at(schema: dict[str, Any] | None, path: tuple[str | int, ...]) -> dict[str, Any] | None:
    """The sub-schema that describes ``path`` in an object schema, if the schema says."""
    node = schema
    for part in path:
        if not isinstance(node, dict):
            return None
        node = node.get("items") if isinstance(part, int) else (node.get("properties") or {}).get(part)
    return node if isinstance(node, dict) else None


def _types_of(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return list(declared)
    if "enum" in schema:
        return sorted({type(v).__name__ for v in schema["enum"]})
    return []


_NO_FIT = object()


def _as_number(raw: str, types: list[str]) -> Any:
    if "integer" in types or "int" in types:
        try:
            return int(raw)
        except ValueError:
            pass
    if "number" in types or "float" in types:
        try:
            number = float(raw)
        except ValueError:
            return _NO_FIT
        if not math.isfinite(number):  # nan, inf, 1e400: no JSON reader takes them
            raise UsageProblem(f"{raw} is not a number JSON can carry", hint="give a finite number, e.g. 1.5e300")
        return int(number) if number.is_integer() and "." not in raw and "e" not in raw.lower() else number
    return _NO_FIT


def _as_structure(raw: str, types: list[str]) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        if "array" in types:
            return [item.strip() for item in raw.split(",") if item.strip()]
    return _NO_FIT


def coerce(raw: str, schema: dict[str, Any] | None) -> Any:
    """Turn ``raw`` text into the JSON type the schema expects; text when nothing else fits."""
    if schema is None:
        return raw
    types = _types_of(schema)
    if "null" in types and raw == "null":
        return None
    value = _as_number(raw, types)
    if value is not _NO_FIT:
        return value
    if "boolean" in types and raw in ("true", "false"):
        return raw == "true"
    if "array" in types or "object" in types:
        value = _as_structure(raw, types)
        if value is not _NO_FIT:
            return value
    return raw


def set_path(obj: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    """Set ``value`` at ``path``, creating objects on the way."""
    node: Any = obj
    for part, following in zip(path, path[1:], strict=False):
        if isinstance(node, list) and isinstance(part, int):
            while len(node) <= part:
                node.append({} if not isinstance(following, int) else [])
            node = node[part]
            continue
        child = node.get(part) if isinstance(node, dict) else None
        if not isinstance(child, dict | list):
            child = [] if isinstance(following, int) else {}
            node[part] = child
        node = child
    last = path[-1]
    if isinstance(node, list) and isinstance(last, int):
        while len(node) <= last:
            node.append(None)
    node[last] = value


def apply_assignments(event: dict[str, Any], assignments: list[Assignment], schema: dict[str, Any] | None) -> None:
    """Apply ``--set`` assignments to an event in place, coercing by the event's schema."""
    for item in assignments:
        try:
            value = json.loads(item.raw) if item.is_json else coerce(item.raw, schema_at(schema, item.path))
        except UsageProblem as exc:
            raise UsageProblem(f"--set {item.text}: {exc.message}", hint=exc.hint) from None
        set_path(event, item.path, value)


def _step(node: Any, part: str | int) -> tuple[Any, list[str] | None]:
    """The sub-schema for ``part``, or (None, the names this object does have) when it has none of
    that name; ``(True, None)`` when the schema leaves the value open (no properties listed)."""
    if node is True or not isinstance(node, dict):
        return True, None
    if isinstance(part, int):
        items = node.get("items")
        return (items if isinstance(items, dict) else True), None
    properties = node.get("properties")
    if not isinstance(properties, dict):
        return True, None  # free-form: any name may be there
    if part in properties:
        return properties[part], None
    return None, sorted(properties)


def path_problem(schemas: list[dict[str, Any]], path: tuple[str | int, ...]) -> str | None:
    """None when one of the schemas has ``path`` (or leaves that part open); otherwise what is
    missing, with the closest names they do have: "no field data.outcom; did you mean data.outcome?"."""
    misses = []
    for schema in schemas:
        miss = _miss(schema, path)
        if miss is None:
            return None
        misses.append(miss)
    if not misses:
        return None
    depth, suggestions = max(misses, key=lambda m: (m[0], bool(m[1])))  # the schema that got furthest explains
    problem = f"no field {'.'.join(str(p) for p in path)}"
    return problem + (f"; did you mean {' or '.join(suggestions)}?" if suggestions else "")


def _miss(schema: dict[str, Any], path: tuple[str | int, ...]) -> tuple[int, list[str]] | None:
    """None when ``schema`` has ``path``; else how deep it got and the names to suggest."""
    import difflib

    node: Any = schema
    for depth, part in enumerate(path):
        node, names = _step(node, part)
        if node is True:
            return None
        if node is None:
            prefix = ".".join(str(p) for p in path[:depth])
            elsewhere = [dotted for dotted in _dotted_paths(schema) if dotted.endswith("." + str(part))]
            close = difflib.get_close_matches(str(part), names or [], n=3, cutoff=0.6)
            return depth, elsewhere[:3] or [f"{prefix}.{n}" if prefix else n for n in close]
    return None


def _dotted_paths(schema: Any, prefix: str = "", depth: int = 0) -> list[str]:
    """Every named field of an object schema, dotted (``data.outcome``), a few levels deep."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict) or depth > 4:
        return []
    found = []
    for name, sub in properties.items():
        dotted = f"{prefix}.{name}" if prefix else name
        found += [dotted, *_dotted_paths(sub, dotted, depth + 1)]
    return found
