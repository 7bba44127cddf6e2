"""One catalog entry (EventType) and the schema helpers every catalog source shares.

Catalog files (``__init__``) and AsyncAPI documents (``asyncapi``) both make EventTypes; the
type-name rule, the ``x-ocelot-format`` expansions and the JSON Schema check live here once.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocelot_cli.envelope import formats
from ocelot_cli.envelope.model import EnvelopeKind
from ocelot_cli.errors import CatalogError

FORMAT_EXPANSIONS: dict[str, dict[str, Any]] = {
    "e164": {"pattern": formats.E164_PATTERN},
    "bcp47": {"pattern": formats.BCP47_PATTERN},
    "iso-date-or-time": {"anyOf": [{"format": "date-time"}, {"format": "date"}]},
}
TYPE_NAME = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$")
CHANNEL_FIELD = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class EventType:
    """One catalog entry."""

    name: str
    envelope: EnvelopeKind
    description: str
    data_schema: dict[str, Any]
    routing_key: str | None = None
    channels: tuple[str, ...] = ()
    source_file: str = ""
    builtin: bool = True
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def resolve_channels(self, event: dict[str, Any]) -> list[str]:
        """The concrete channel names for a real-time event; templates whose fields are unset are skipped."""
        resolved = []
        for template in self.channels:
            values = []
            for match in CHANNEL_FIELD.finditer(template):
                value = None
                for path in match.group(1).split("|"):
                    value = lookup_path(event, path.strip())
                    if isinstance(value, str | int) and value != "":
                        break
                    value = None
                if value is None:
                    break
                values.append(str(value))
            else:
                filled = iter(values)
                resolved.append(CHANNEL_FIELD.sub(lambda _m, filled=filled: next(filled), template))
        return resolved

    def summary(self) -> dict[str, Any]:
        """Plain-data description for JSON output."""
        return {
            "type": self.name,
            "envelope": self.envelope.value,
            "description": self.description,
            "routing_key": self.routing_key,
            "channels": list(self.channels),
            "source": "builtin" if self.builtin else self.source_file,
        }


def lookup_path(obj: Any, path: str) -> Any:
    """Value at a dotted path (``data.call_id``, ``data.keywords.0``) or None."""
    current = obj
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current


def expand_formats(schema: Any) -> Any:
    """Copy of ``schema`` with every ``x-ocelot-format`` expanded into standard keywords."""
    if isinstance(schema, dict):
        out = {k: expand_formats(v) for k, v in schema.items()}
        name = out.get("x-ocelot-format")
        if name is not None:
            out.update(copy.deepcopy(FORMAT_EXPANSIONS[name]))
        return out
    if isinstance(schema, list):
        return [expand_formats(v) for v in schema]
    return schema


def unknown_x_formats(schema: Any, at: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], Any]]:
    """Every ``x-ocelot-format`` that names no known format, with the path of the schema holding it."""
    found: list[tuple[tuple[str | int, ...], Any]] = []
    if isinstance(schema, dict):
        name = schema.get("x-ocelot-format")
        if name is not None and name not in FORMAT_EXPANSIONS:
            found.append((at, name))
        for key, value in schema.items():
            found.extend(unknown_x_formats(value, (*at, key)))
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            found.extend(unknown_x_formats(value, (*at, index)))
    return found


def schema_problem(schema: dict[str, Any]) -> tuple[tuple[str | int, ...], str] | None:
    """Where and why ``schema`` (formats expanded) is not a valid JSON Schema 2020-12; None when it is."""
    import jsonschema_rs  # compiled validator; only needed once a catalog is loaded

    try:
        jsonschema_rs.meta.validate(schema)
    except jsonschema_rs.ValidationError as exc:
        return tuple(exc.instance_path), exc.message
    return None


def read_source_text(path: Path, what: str) -> str:
    """The UTF-8 text of a catalog file or document; CatalogError naming ``path`` (and ``what`` it is) when
    it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read {what}: {exc.strerror}") from None

