"""Local ``$ref``s of a data schema inlined, so that two schemas compare by what they say, not how."""

from __future__ import annotations

from typing import Any

_DEFINITIONS = ("$defs", "definitions")


def _target(root: dict[str, Any], ref: str) -> Any:
    """The node a local reference (``#/$defs/phone``) points at, or None."""
    if not ref.startswith("#/"):
        return None
    node: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _inline(node: Any, root: dict[str, Any], seen: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_inline(v, root, seen) for v in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    others = [k for k in node if k != "$ref" and k not in ("description", "title", "$comment", "examples")]
    if isinstance(ref, str) and not others and ref not in seen:
        target = _target(root, ref)
        if target is not None:  # a reference alone (annotations aside) is its target
            return _inline(target, root, (*seen, ref))
    return {k: v if k in _DEFINITIONS else _inline(v, root, seen) for k, v in node.items()}


def _has_ref(node: Any) -> bool:
    if isinstance(node, dict):
        return "$ref" in node or any(_has_ref(v) for k, v in node.items() if k not in _DEFINITIONS)
    return isinstance(node, list) and any(_has_ref(v) for v in node)


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with every local, non-recursive ``$ref`` replaced by what it points at; the definitions go
    when nothing refers to them any more (recursive references stay, and are compared as they are)."""
    if not _has_ref(schema):
        return schema
    inlined = _inline(schema, schema, ())
    if not _has_ref(inlined):
        inlined = {k: v for k, v in inlined.items() if k not in _DEFINITIONS}
    return inlined
