"""YAML loaded safely: no object construction, duplicate keys refused, bounded, line numbers kept.

PyYAML's safe loader silently keeps the last of two equal keys; a scenario or catalog
file with a duplicated key is almost always a mistake, so it is an error here.

Bounded: aliases let a few hundred bytes stand for billions of nodes (each use of ``*a``
repeats all of ``&a``), and nesting can go deeper than any reader's recursion. Each document's
node graph is measured before anything is constructed: more than ``MAX_NODES`` nodes with
every alias expanded, nesting deeper than ``MAX_DEPTH``, or an alias inside itself is a
``YAMLLimitError`` with the line of the document.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

import yaml

try:  # the C loader is several times faster and keeps the same marks
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader


MAX_NODES = 1_000_000  # nodes of one document, every alias counted each time it is used
MAX_DEPTH = 100  # levels of nesting; events nest a handful deep


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A mapping that names the same key twice."""


class YAMLLimitError(yaml.MarkedYAMLError):
    """A document too big once its aliases are expanded, nested too deep, or with a recursive alias."""


def check_bounds(node: yaml.Node, max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH) -> int:
    """How many nodes ``node``'s graph expands to; YAMLLimitError past the limits, or for a value JSON
    cannot hold (a key that is not text, NaN, Infinity). Linear in the distinct nodes.

    Expanded sizes and depths are memoised by node, so an alias bomb is measured without
    being expanded; an explicit stack keeps deep documents from exhausting Python's recursion.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        current, done = stack.pop()
        key = id(current)
        children = _children(current)
        if done:
            on_path.discard(key)
            _check_json_shape(node, current)
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            if size[key] > max_nodes:
                raise _limit(node, current, f"more than {MAX_NODES:,} nodes in the file once aliases are expanded")
            if depth[key] > max_depth:
                raise _limit(node, current, f"nesting deeper than {max_depth} levels")
            continue
        if key in size:
            continue
        if key in on_path:
            raise _limit(node, current, "an alias that contains itself")
        on_path.add(key)
        if len(on_path) > max_depth:
            raise _limit(node, current, f"nesting deeper than {max_depth} levels")
        stack.append((current, True))
        stack.extend((child, False) for child in children if id(child) not in size)
    return size[id(node)]


_TEXT_KEY_TAGS = ("tag:yaml.org,2002:str", "tag:yaml.org,2002:merge")
_NOT_FINITE = re.compile(r"^[-+]?\.(inf|Inf|INF|nan|NaN|NAN)$")


def _check_json_shape(document: yaml.Node, node: yaml.Node) -> None:
    """Events are JSON: mapping keys are text, numbers are finite."""
    if isinstance(node, yaml.MappingNode):
        for key, _value in node.value:
            if not (isinstance(key, yaml.ScalarNode) and key.tag in _TEXT_KEY_TAGS):
                shown = key.value if isinstance(key, yaml.ScalarNode) else "a collection"
                raise _limit(document, key, f"a key that is not text ({shown}); quote it")
    elif isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:float" and _NOT_FINITE.match(node.value):
        raise _limit(document, node, f"{node.value} is not a JSON number")


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _limit(document: yaml.Node, at: yaml.Node, problem: str) -> YAMLLimitError:
    return YAMLLimitError("in this document", document.start_mark, problem, at.start_mark)


class _StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    # When a list is given, duplicates are recorded there (line, column, message) and the
    # last value wins, so a reader can report every one; otherwise the first one raises.
    duplicates: list[tuple[int, int, str]] | None = None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # unhashable key; the base class reports it
                break
            if first is not None:
                message = f"duplicate key {key!r} (first defined on line {first.start_mark.line + 1})"
                if self.duplicates is not None:
                    self.duplicates.append((key_node.start_mark.line + 1, key_node.start_mark.column + 1, message))
                    continue
                raise DuplicateKeyError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r} (first defined on line {first.start_mark.line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _StrictLoader.construct_mapping)
# Events carry times as ISO 8601 *text*; an unquoted `ts: 2025-09-20T10:30:00Z` stays a string
# instead of becoming a datetime object that no JSON Schema would accept.
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_str)


@dataclass
class YamlDocument:
    """One YAML document with the line where it starts and, for a top-level list, each item's line.

    ``lines`` maps the path of every node (``("steps", 2, "set")``) to its line, when asked for.
    """

    value: Any
    line: int
    item_lines: list[int]
    lines: dict[tuple[Any, ...], int] | None = None


def _node_lines(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    """The line of every node's path; a node an alias repeats is walked once (its first place)."""
    seen: set[int] = set()
    stack = [(node, path)]
    while stack:
        current, where = stack.pop()
        out.setdefault(where, current.start_mark.line + 1)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, yaml.SequenceNode):
            stack.extend((child, (*where, index)) for index, child in enumerate(current.value))
        elif isinstance(current, yaml.MappingNode):
            pairs = [(key, value) for key, value in current.value if isinstance(key, yaml.ScalarNode)]
            stack.extend((value, (*where, key.value)) for key, value in pairs)


def load_documents(
    stream: TextIO | str, duplicates: list[tuple[int, int, str]] | None = None, *, with_lines: bool = False
) -> Iterator[YamlDocument]:
    """Yield each document of a YAML stream; raises ``yaml.YAMLError`` with marks on bad input.

    With a ``duplicates`` list, duplicate keys are recorded there instead of raising.
    """
    loader = _StrictLoader(stream)
    loader.duplicates = duplicates
    expanded = 0  # nodes of all documents so far: a stream of many documents is bounded too
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # pragma: no cover - defensive
                continue
            expanded += check_bounds(node, MAX_NODES - expanded)
            item_lines = (
                [child.start_mark.line + 1 for child in node.value] if isinstance(node, yaml.SequenceNode) else []
            )
            lines: dict[tuple[Any, ...], int] | None = None
            if with_lines and isinstance(node, yaml.MappingNode):  # scenarios; long event lists need none
                lines = {}
                _node_lines(node, (), lines)
            value = loader.construct_document(node)
            yield YamlDocument(value=value, line=node.start_mark.line + 1, item_lines=item_lines, lines=lines)
    finally:
        loader.dispose()


def load_one(stream: TextIO | str) -> Any:
    """Load a single-document YAML text safely (duplicate keys refused)."""
    docs = list(load_documents(stream))
    if not docs:
        return None
    if len(docs) > 1:
        raise yaml.YAMLError(f"expected one YAML document, found {len(docs)}")
    return docs[0].value


def describe_error(exc: yaml.YAMLError) -> tuple[int | None, int | None, str]:
    """(line, column, message) of a YAML error, 1-based, for file:line reports."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        parts = [p for p in (exc.context, exc.problem) if p]
        message = ": ".join(parts) if parts else str(exc)
        if mark is not None:
            return mark.line + 1, mark.column + 1, message
        return None, None, message
    return None, None, str(exc)
