"""An AsyncAPI document as the catalog reads it: parsed YAML or JSON, the line of every node, local ``$ref``s.

Every problem is reported as ``FILE:LINE: JSON-PATH: what is wrong; what to do``, where the
JSON path is that of the node in the document (``$.components.messages.InvoicePaid.payload``).
Only references inside the document (``#/...``) are followed: a document split over several
files is bundled first (``asyncapi bundle``).
"""

from __future__ import annotations

import bisect
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from ocelot_cli.envelope.catalog.entry import read_source_text
from ocelot_cli.errors import CatalogError

Pointer = tuple[str | int, ...]
MISSING = object()
_SIMPLE_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")  # $ref and x-ocelot-format read as they are written
_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_JSON_SCALAR = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")


def json_path(at: Pointer) -> str:
    """A node's place as a JSON path: ``$.channels["billing.invoice.paid"].publish``."""
    out = "$"
    for part in at:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _SIMPLE_KEY.match(part):
            out += f".{part}"
        else:
            out += "[" + json.dumps(part, ensure_ascii=False) + "]"
    return out


def pointer_text(at: Pointer) -> str:
    """A node's place as a JSON Pointer fragment, as ``$ref`` writes it: ``#/components/messages/X``."""
    return "#" + "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in at)


class AsyncApiDocument:
    """The parsed document, where each node came from, and reference resolution."""

    def __init__(self, path: Path, root: Any, lines: dict[Pointer, int]) -> None:
        self.path = path
        self.root = root
        self.lines = lines

    @classmethod
    def read(cls, path: Path, text: str | None = None) -> AsyncApiDocument:
        """Parse ``text`` (read from ``path`` when None) as JSON or YAML; CatalogError when it cannot be."""
        if text is None:
            text = read_source_text(path, "the AsyncAPI document")
        if path.suffix.lower() == ".json":
            return cls(path, *_parse_json(path, text))
        if text.lstrip().startswith("{"):  # JSON by another name, or YAML in flow style
            try:
                return cls(path, *_parse_json(path, text))
            except CatalogError:
                pass
        return cls(path, *_parse_yaml(path, text))

    def line(self, at: Pointer) -> int:
        """The line of the node at ``at``, or of its nearest ancestor the document has."""
        while at and at not in self.lines:
            at = at[:-1]
        return self.lines.get(at, 1)

    def error(self, at: Pointer, problem: str, todo: str) -> CatalogError:
        """``FILE:LINE: JSON-PATH: problem; todo``."""
        return CatalogError(f"{self.path}:{self.line(at)}: {json_path(at)}: {problem}; {todo}")

    def get(self, at: Pointer) -> Any:
        """The node at ``at``, or MISSING."""
        node = self.root
        for part in at:
            node = _child(node, part)
        return node

    def deref(self, value: Any, at: Pointer) -> tuple[Any, Pointer]:
        """Follow ``value``'s ``$ref`` (and the ``$ref`` that points to, ...) to a definition and its place."""
        seen = {at}
        while isinstance(value, dict) and "$ref" in value:
            ref = value["$ref"]
            target = self.ref_target(ref, (*at, "$ref"))
            if target in seen:
                raise self.error((*at, "$ref"), f"$ref {ref!r} leads back to itself", "point it at a definition")
            found = self.get(target)
            if found is MISSING:
                raise self.error((*at, "$ref"), f"$ref {ref!r} points to nothing in the document",
                                 "define it there or correct the reference")  # fmt: skip
            seen.add(target)
            value, at = found, target
        return value, at

    def ref_target(self, ref: Any, at: Pointer) -> Pointer:
        """Where a local ``$ref`` points; CatalogError for one into another file or not a JSON Pointer."""
        if not isinstance(ref, str):
            raise self.error(at, f"$ref is {type(ref).__name__}, not text", "write it as '#/components/...'")
        if not ref.startswith("#"):
            raise self.error(at, f"$ref {ref!r} points outside this document",
                             "ocelot follows references inside the document only (#/...): "
                             "bundle it first, e.g. 'asyncapi bundle'")  # fmt: skip
        fragment = unquote(ref[1:])
        if fragment and not fragment.startswith("/"):
            raise self.error(at, f"$ref {ref!r} is not a JSON Pointer", "write it as '#/components/schemas/Name'")
        parts: list[str | int] = []
        node = self.root
        for raw in fragment.split("/")[1:] if fragment else []:
            text = raw.replace("~1", "/").replace("~0", "~")
            part: str | int = int(text) if isinstance(node, list) and text.isdigit() else text
            parts.append(part)
            node = _child(node, part)
        return tuple(parts)


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict) and part in node:
        return node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return MISSING


def _parse_yaml(path: Path, text: str) -> tuple[Any, dict[Pointer, int]]:
    import yaml

    from ocelot_cli.formats import safe_yaml

    try:
        documents = list(safe_yaml.load_documents(text, with_lines=True))
    except yaml.YAMLError as exc:
        line, column, message = safe_yaml.describe_error(exc)
        where = f"{path}:{line}:{column}" if line else str(path)
        raise CatalogError(f"{where}: {message}") from None
    if len(documents) > 1:
        raise CatalogError(f"{path}:{documents[1].line}: a second YAML document; an AsyncAPI document is one",
                           hint="keep one document in the file (remove the '---' line)")  # fmt: skip
    if not documents:
        return None, {}
    return documents[0].value, _yaml_key_lines(text)


def _yaml_key_lines(text: str) -> dict[Pointer, int]:
    """The line of each node by its path: for a mapping's value, the line of its key (where a reader looks).

    The text has passed safe_yaml's bounds; a node an alias repeats is walked once."""
    import yaml

    root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    lines: dict[Pointer, int] = {}
    seen: set[int] = set()
    stack: list[tuple[Any, Pointer, int]] = [(root, (), root.start_mark.line + 1)] if root is not None else []
    while stack:
        node, at, line = stack.pop()
        lines.setdefault(at, line)
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend((value, (*at, key.value), key.start_mark.line + 1) for key, value in node.value
                         if isinstance(key, yaml.ScalarNode))  # fmt: skip
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*at, index), item.start_mark.line + 1) for index, item in enumerate(node.value))
    return lines


def _parse_json(path: Path, text: str) -> tuple[Any, dict[Pointer, int]]:
    from ocelot_cli.formats.json_text import MAX_DEPTH, too_deep

    deep = too_deep(text)
    if deep is not None:  # as YAML documents: bounded before anything recurses over the value
        line, column = text.count("\n", 0, deep) + 1, deep - text.rfind("\n", 0, deep)
        raise CatalogError(f"{path}:{line}:{column}: nesting deeper than {MAX_DEPTH} levels")
    try:
        root = json.loads(text)
        return root, _json_lines(text)
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{path}:{exc.lineno}:{exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise CatalogError(f"{path}: nested too deep to read") from None


def _json_lines(text: str) -> dict[Pointer, int]:
    """The line of each value of a well-formed JSON text by its path: for a member, the line of its key."""
    newlines = [match.start() for match in re.finditer("\n", text)]
    lines: dict[Pointer, int] = {}

    def skip(index: int) -> int:
        return _JSON_SPACE.match(text, index).end()  # type: ignore[union-attr]

    def value(index: int, at: Pointer) -> int:
        index = skip(index)
        lines.setdefault(at, bisect.bisect_left(newlines, index) + 1)
        char = text[index]
        if char == '"':
            return json.decoder.scanstring(text, index + 1)[1]  # type: ignore[attr-defined]
        if char not in "{[":
            return _JSON_SCALAR.match(text, index).end()  # type: ignore[union-attr]
        closing, count = ("}" if char == "{" else "]"), 0
        index = skip(index + 1)
        while text[index] != closing:
            if char == "{":
                index = skip(index)
                key, index = json.decoder.scanstring(text, index + 1)  # type: ignore[attr-defined]
                lines[(*at, key)] = bisect.bisect_left(newlines, index) + 1  # the key's line, as for YAML
                index = value(skip(index) + 1, (*at, key))  # past the ':'
            else:
                index = value(index, (*at, count))
            count += 1
            index = skip(index)
            if text[index] == ",":
                index = skip(index + 1)
        return index + 1

    value(0, ())
    return lines
