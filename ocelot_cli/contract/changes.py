"""What ``ocelot catalog diff`` finds: one Change per difference, who it breaks, and the report.

The vocabulary is the schema registries': BACKWARD means consumers on the NEW catalog can read
events valid under the OLD one (a change breaks it when some OLD-valid event is refused by NEW);
FORWARD means consumers still on OLD can read events valid under NEW; FULL is both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ocelot_cli.errors import ExitStatus


class Direction(StrEnum):
    """Which readers a change breaks."""

    BACKWARD = "BACKWARD"  # consumers on NEW, reading events producers on OLD still send
    FORWARD = "FORWARD"  # consumers still on OLD, reading events producers on NEW send


class Mode(StrEnum):
    """``--mode``: the compatibility a catalog change must keep."""

    backward = "backward"
    forward = "forward"
    full = "full"

    @property
    def directions(self) -> frozenset[Direction]:
        if self is Mode.backward:
            return frozenset({Direction.BACKWARD})
        if self is Mode.forward:
            return frozenset({Direction.FORWARD})
        return frozenset(Direction)


@dataclass(frozen=True)
class Example:
    """A concrete ``data`` object that one side accepts and the other refuses, with the refusal."""

    direction: Direction
    data: Any
    refusal: str  # what the refusing side's validator says, e.g. "$.data.duration: 7300 is greater than ..."

    @property
    def accepted_by(self) -> str:
        return "OLD" if self.direction is Direction.BACKWARD else "NEW"

    @property
    def refused_by(self) -> str:
        return "NEW" if self.direction is Direction.BACKWARD else "OLD"

    def to_dict(self) -> dict[str, Any]:
        return {"breaks": self.direction.value, "valid_under": self.accepted_by, "rejected_by": self.refused_by,
                "data": self.data, "rejection": self.refusal}  # fmt: skip


@dataclass(frozen=True)
class Change:
    """One difference between OLD and NEW in one event type.

    ``path`` is a JSON pointer into the event (``/data/participants/items/role``, ``/routing_key``;
    empty for the type itself). ``breaks`` are the directions it breaks; ``unproven`` those of them
    that ocelot cannot decide and assumes broken ("cannot prove compatible").
    """

    event_type: str
    path: str
    kind: str
    old: Any
    new: Any
    breaks: frozenset[Direction]
    why: str
    keyword: str | None = None
    unproven: frozenset[Direction] = frozenset()
    examples: tuple[Example, ...] = ()

    def breaking(self, mode: Mode) -> bool:
        """Whether this change fails a check in ``mode``."""
        return bool(self.breaks & mode.directions)

    @property
    def breaks_text(self) -> str:
        """``BACKWARD``, ``FORWARD``, ``BACKWARD and FORWARD`` or ``nothing``."""
        if len(self.breaks) == 2:
            return "BACKWARD and FORWARD"
        return next(iter(self.breaks)).value if self.breaks else "nothing"

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.event_type,
            "path": self.path,
            "kind": self.kind,
            "keyword": self.keyword,
            "old": self.old,
            "new": self.new,
            "breaks": sorted(d.value for d in self.breaks),
            "proven": sorted(d.value for d in self.breaks - self.unproven),
            "why": self.why,
            "examples": [e.to_dict() for e in self.examples],
        }


@dataclass
class DiffReport:
    """Every change between two catalogs, and what ``--mode`` makes of them."""

    old: str  # the sources as shown: "git:origin/main (events/ at 3f2a1b9)", "events/"
    new: str
    mode: Mode
    changes: list[Change] = field(default_factory=list)
    types: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)  # name -> (OLD file, NEW file)

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.breaking(self.mode)]

    @property
    def exit_status(self) -> ExitStatus:
        """INVALID (1) when a change breaks the compatibility ``mode`` asks for, else OK."""
        return ExitStatus.INVALID if self.breaking else ExitStatus.OK

    def changes_of(self, event_type: str) -> list[Change]:
        return [c for c in self.changes if c.event_type == event_type]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.exit_status is ExitStatus.OK,
            "exit_status": int(self.exit_status),
            "mode": self.mode.value,
            "old": self.old,
            "new": self.new,
            "types": len(self.types),
            "changed_types": len({c.event_type for c in self.changes}),
            "changes": [c.to_dict() for c in self.changes],
            "breaking": len(self.breaking),
        }
