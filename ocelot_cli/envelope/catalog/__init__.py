"""The event catalog: one data file per event type, built in, extended by users' directories.

A catalog file (YAML or JSON) holds::

    type: call.ended                 # the event type
    envelope: platform               # platform (RabbitMQ) or realtime (WebSocket channels)
    description: A call completes.   # one line
    routing_key: comms.call.ended    # platform events: the topic routing key
    channels: ["tenant:{tenant_id}:events", "lead:{data.call_id}:timeline"]  # realtime events
    data_schema: {...}               # JSON Schema (2020-12) of the event's `data`

Channel templates name envelope fields by dotted path; ``{a|b}`` takes the first that is
set. Properties may carry ``x-ocelot-format`` (``e164``, ``bcp47``, ``iso-date-or-time``)
which expands into standard JSON Schema, and ``x-ocelot-sample`` templates used by samples.

A user's source (``--catalog``, ``OCELOT_CATALOG``) is a directory of such files or an AsyncAPI
document, whose messages become types (``asyncapi.py``). EventType lives in ``entry.py``.
"""

from __future__ import annotations

import copy
import difflib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ocelot_cli.envelope.catalog.entry import (
    FORMAT_EXPANSIONS,
    TYPE_NAME,
    EventType,
    expand_formats,
    lookup_path,
    read_source_text,
    schema_problem,
    unknown_x_formats,
)
from ocelot_cli.envelope.catalog.snapshot import read_snapshot
from ocelot_cli.envelope.model import EnvelopeKind, envelope_schema
from ocelot_cli.errors import CatalogError, UnknownEventType

__all__ = ["BUILTIN_DIR", "JSON_SCHEMA_DIALECT", "Catalog", "EventType", "close_objects", "expand_formats",
           "load_catalog", "lookup_path"]  # fmt: skip

BUILTIN_DIR = Path(__file__).parent
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_FORMAT_EXPANSIONS = FORMAT_EXPANSIONS  # the names other modules knew them by
_TYPE_NAME = TYPE_NAME
_ENTRY_KEYS = {"type", "envelope", "description", "routing_key", "channels", "data_schema"}


def close_objects(schema: Any) -> Any:
    """Copy of ``schema`` where every object with ``properties`` refuses unknown fields (``--strict``)."""
    if isinstance(schema, dict):
        out = {k: close_objects(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [close_objects(v) for v in schema]
    return schema


class Catalog:
    """All known event types, by name."""

    def __init__(self, types: Iterable[EventType]) -> None:
        self.types: dict[str, EventType] = {t.name: t for t in types}
        self._schemas: dict[tuple[str, bool, EnvelopeKind | None], dict[str, Any]] = {}

    def __contains__(self, name: object) -> bool:
        return name in self.types

    def __iter__(self) -> Iterator[EventType]:
        return iter(sorted(self.types.values(), key=lambda t: (t.envelope.value, t.name)))

    def __len__(self) -> int:
        return len(self.types)

    def names(self) -> list[str]:
        """Every type name, sorted."""
        return sorted(self.types)

    def get(self, name: str) -> EventType:
        """The entry for ``name``; raises UnknownEventType with close matches."""
        try:
            return self.types[name]
        except KeyError:
            raise UnknownEventType(name, self.suggest(name)) from None

    def suggest(self, name: str) -> list[str]:
        """Known type names close to ``name`` (for "did you mean")."""
        names = self.names()
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
        if not close:  # a bare suffix such as "ended" or a missing prefix such as "sms.sent"
            close = [n for n in names if n.endswith("." + name)][:3]
        return close

    def event_schema(self, name: str, *, strict: bool = False, kind: EnvelopeKind | None = None) -> dict[str, Any]:
        """Standard JSON Schema (2020-12) of a whole event of this type: envelope plus data.

        ``kind`` picks the envelope when it is not the type's own (a platform event bridged
        onto real-time channels). The result is cached and shared: do not modify it.
        """
        cached = self._schemas.get((name, strict, kind))
        if cached is None:
            cached = self._schemas[(name, strict, kind)] = self._build_event_schema(name, strict, kind)
        return cached

    def _build_event_schema(self, name: str, strict: bool, kind: EnvelopeKind | None) -> dict[str, Any]:
        entry = self.get(name)
        kind = kind or entry.envelope
        schema = copy.deepcopy(envelope_schema(kind))
        props = schema["properties"]
        props[kind.type_field] = {"const": entry.name}
        data = copy.deepcopy(entry.data_schema)
        if strict:
            data = close_objects(data)
            schema["additionalProperties"] = False
        props["data"] = data
        return {
            "$schema": JSON_SCHEMA_DIALECT,
            "$id": f"urn:ocelot:event:{entry.name}",
            "title": entry.name,
            "description": entry.description,
            **schema,
        }


def _read_entry_file(path: Path) -> dict[str, Any]:
    import yaml  # only for files the built-in snapshot does not cover (see snapshot.py)

    from ocelot_cli.formats import safe_yaml

    text = read_source_text(path, "catalog file")
    if path.suffix == ".json":
        from ocelot_cli.formats.json_text import MAX_DEPTH, too_deep

        deep = too_deep(text)
        if deep is not None:
            raise CatalogError(f"{path}:{text.count(chr(10), 0, deep) + 1}: nesting deeper than {MAX_DEPTH} levels")
    try:
        entry = json.loads(text) if path.suffix == ".json" else safe_yaml.load_one(text)
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{path}:{exc.lineno}:{exc.colno}: {exc.msg}") from None
    except yaml.YAMLError as exc:
        line, col, message = safe_yaml.describe_error(exc)
        where = f"{path}:{line}:{col}" if line else str(path)
        raise CatalogError(f"{where}: {message}") from None
    if not isinstance(entry, dict):
        raise CatalogError(f"{path}: a catalog file must be a mapping with type, envelope, description, data_schema")
    return entry


def _check_entry(entry: dict[str, Any], path: Path) -> EventType:
    def fail(message: str) -> CatalogError:
        return CatalogError(f"{path}: {message}", hint="see 'ocelot catalog show call.ended' for a complete example")

    if "asyncapi" in entry:
        raise CatalogError(f"{path}: an AsyncAPI document in a directory of catalog files",
                           hint=f"give the document to --catalog itself: --catalog {path}")  # fmt: skip
    unknown = set(entry) - _ENTRY_KEYS
    if unknown:
        raise fail(f"unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(_ENTRY_KEYS))}")
    name = entry.get("type")
    if not isinstance(name, str) or not TYPE_NAME.match(name):
        raise fail(f"'type' must be a dotted lower-case event name such as call.ended, got {name!r}")
    try:
        kind = EnvelopeKind(entry.get("envelope"))
    except ValueError:
        raise fail(f"'envelope' must be 'platform' or 'realtime', got {entry.get('envelope')!r}") from None
    description = entry.get("description")
    if not isinstance(description, str) or not description.strip():
        raise fail("'description' must be a non-empty one-line string")
    routing_key = entry.get("routing_key")
    channels = entry.get("channels", [])
    if kind is EnvelopeKind.PLATFORM and not isinstance(routing_key, str):
        raise fail("a platform event needs 'routing_key' (for example comms.call.ended)")
    if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
        raise fail("'channels' must be a list of channel templates such as 'tenant:{tenant_id}:events'")
    data_schema = entry.get("data_schema")
    if not isinstance(data_schema, dict):
        raise fail("'data_schema' must be a JSON Schema object")
    bad_formats = unknown_x_formats(data_schema)
    if bad_formats:
        raise fail(f"unknown x-ocelot-format {bad_formats[0][1]!r}; known: {', '.join(FORMAT_EXPANSIONS)}")
    expanded = expand_formats(data_schema)
    problem = schema_problem(expanded)
    if problem is not None:
        where = "/".join(str(p) for p in problem[0]) or "(root)"
        raise fail(f"'data_schema' is not a valid JSON Schema at {where}: {problem[1]}")
    return EventType(
        name=name,
        envelope=kind,
        description=description.strip(),
        data_schema=expanded,
        routing_key=routing_key,
        channels=tuple(channels),
        source_file=str(path),
        builtin=path.parent == BUILTIN_DIR,
        raw=entry,
    )


def _entry_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml", ".json") and p.is_file())


def load_catalog(extra_dirs: Iterable[str | os.PathLike[str]] = ()) -> Catalog:
    """The built-in catalog, extended or overridden (by type name) by each source in order.

    A source is a directory of catalog files or an AsyncAPI 2.6/3.0/3.1 document (see ``asyncapi.py``).
    """
    entries: dict[str, EventType] = {}
    builtin = _entry_files(BUILTIN_DIR)
    parsed = read_snapshot(builtin) or {}
    for path in builtin:
        entry = _check_entry(parsed[path.name] if path.name in parsed else _read_entry_file(path), path)
        entries[entry.name] = entry
    for source in extra_dirs:
        entries.update((entry.name, entry) for entry in read_catalog_source(Path(source)))
    return Catalog(entries.values())


def read_catalog_source(source: Path, text: str | None = None, shown: str | None = None) -> list[EventType]:
    """The types of one --catalog source alone: a directory of catalog files, or an AsyncAPI document
    (``text``: its text, read elsewhere, e.g. from git; ``shown``: the name its errors give)."""
    if text is not None or (source.exists() and not source.is_dir()):  # a file, or a FIFO such as <(git show ...)
        from ocelot_cli.envelope.catalog.asyncapi import read_asyncapi

        return read_asyncapi(Path(shown) if shown else source, text)
    if not source.is_dir():
        raise CatalogError(
            f"catalog {source} does not exist",
            hint="pass a directory of catalog files (one YAML or JSON file per event type) "
            "or an AsyncAPI 2.6/3.0/3.1 document",
        )
    seen: dict[str, EventType] = {}
    for path in _entry_files(source):
        entry = _check_entry(_read_entry_file(path), path)
        if entry.name in seen:
            raise CatalogError(f"{path}: type {entry.name!r} is also defined in {seen[entry.name].source_file}")
        seen[entry.name] = entry
    return list(seen.values())
