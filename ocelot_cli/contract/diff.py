"""``ocelot catalog diff``: every change between two catalogs, and whom it breaks.

Pure functions over two collections of EventType. Per type: added or removed, its envelope,
its routing key or channels, and its ``data`` schema (``schema_diff.py``); each Change says
which of BACKWARD and FORWARD it breaks (see ``changes.py``) and why, with an example event's
``data`` where one shows it.

Decisions a user may look for:

* a type added breaks nothing (consumers that do not know it do not subscribe to it);
* a type removed breaks BACKWARD: consumers validating against NEW reject the events producers
  on OLD still send (and consumers of it get nothing once producers move on);
* a changed routing key breaks both ways: consumers bound to the old key stop receiving, and
  consumers bound to the new one get nothing from producers still on OLD; a channel removed
  breaks FORWARD, a channel added breaks nothing unless it replaces one (then both ways);
* a changed envelope (platform <-> realtime) breaks both ways.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ocelot_cli.contract.changes import Change, DiffReport, Direction, Mode
from ocelot_cli.contract.explain import why_route
from ocelot_cli.contract.schema_diff import compare_data_schemas
from ocelot_cli.envelope.catalog import EventType

BOTH = frozenset(Direction)


def _route_change(kind: str, event_type: str, path: str, old: Any, new: Any, breaks: frozenset[Direction]) -> Change:
    return Change(event_type, path, kind, old, new, breaks, why_route(kind, event_type, old, new))


def _delivery_changes(old: EventType, new: EventType) -> list[Change]:
    """Envelope, routing key and channels of a type present on both sides."""
    name = old.name
    found = []
    if old.envelope is not new.envelope:
        found.append(_route_change("envelope-changed", name, "/envelope", old.envelope.value, new.envelope.value,
                                   BOTH))  # fmt: skip
    if old.routing_key != new.routing_key and (old.routing_key or new.routing_key):
        found.append(_route_change("routing-key-changed", name, "/routing_key", old.routing_key, new.routing_key,
                                   BOTH))  # fmt: skip
    if set(old.channels) != set(new.channels):
        removed = set(old.channels) - set(new.channels)
        added = set(new.channels) - set(old.channels)
        breaks = frozenset({Direction.FORWARD} if removed else set()) | (
            frozenset({Direction.BACKWARD}) if removed and added else frozenset())  # fmt: skip
        found.append(_route_change("channels-changed", name, "/channels", list(old.channels), list(new.channels),
                                   breaks))  # fmt: skip
    return found


def diff_types(old: Iterable[EventType], new: Iterable[EventType]) -> list[Change]:
    """Every change from the OLD types to the NEW ones, by type name, then in schema order."""
    olds = {t.name: t for t in old}
    news = {t.name: t for t in new}
    changes: list[Change] = []
    for name in sorted(olds.keys() | news.keys()):
        before, after = olds.get(name), news.get(name)
        if before is None:
            assert after is not None
            changes.append(_route_change("type-added", name, "", None, after.envelope.value, frozenset()))
        elif after is None:
            changes.append(_route_change("type-removed", name, "", before.envelope.value, None,
                                         frozenset({Direction.BACKWARD})))  # fmt: skip
        else:
            changes += _delivery_changes(before, after)
            changes += compare_data_schemas(name, before.data_schema, after.data_schema)
    return changes


def diff_catalogs(old: Iterable[EventType], new: Iterable[EventType], *, mode: Mode = Mode.full, old_label: str = "OLD",
                  new_label: str = "NEW", local: tuple[bool, bool] = (True, True)) -> DiffReport:  # fmt: skip
    """The report of ``ocelot catalog diff``: the changes, and which of them fail ``mode``.

    ``local`` says of each side whether its types' files are in the working tree (for annotations).
    """
    old, new = list(old), list(new)
    report = DiffReport(old_label, new_label, mode, diff_types(old, new))
    files: dict[str, list[str | None]] = {}
    for index, side in enumerate((old, new)):
        for entry in side:
            shown = entry.source_file if local[index] and entry.source_file else None
            files.setdefault(entry.name, [None, None])[index] = shown
    report.types = {name: (pair[0], pair[1]) for name, pair in sorted(files.items())}
    return report
