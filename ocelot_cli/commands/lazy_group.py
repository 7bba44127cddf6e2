"""A command group that imports a command's module only when that command is looked up.

Looked up means run, asked for its ``--help``, or completed by the shell; the group's own ``--help``
lists its commands from a table of summaries (the first paragraph of each command's help) and
imports none of them. tests/cli/test_startup.py holds the table to the commands' real help.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class LazyEntry:
    """Where a command lives (``module:attribute``, a function or a Typer app) and its one-paragraph summary."""

    target: str
    summary: str


class LazyCommands(MutableMapping[str, Any]):
    """The group's commands by name, in the table's order; each is built on its first lookup."""

    def __init__(self, names: list[str], load: Callable[[str], Any]) -> None:
        self._names = list(names)
        self._load = load
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            if name not in self._names:
                raise KeyError(name)
            self._built[name] = self._load(name)
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        if name not in self._names:
            self._names.append(name)
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        self._names.remove(name)
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._names))

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names


class LazyCommandGroup(TyperGroup):
    """A TyperGroup whose commands come from ``entries``; ``load_command`` builds one by name."""

    entries: ClassVar[dict[str, LazyEntry]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        given = dict(self.commands)
        self.commands = LazyCommands(list(self.entries), self.load_command)
        self.commands.update(given)

    def load_command(self, name: str) -> Any:
        """Import the command ``name`` and build it."""
        raise NotImplementedError

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return list(self.commands)  # the names alone: listing builds nothing

    def format_commands(self, ctx: typer.Context, formatter: Any) -> None:
        """The Commands section from the summaries: the same rows and truncation as the commands would give."""
        listing = TyperGroup(commands={name: self._summary(name) for name in self.commands})
        TyperGroup.format_commands(listing, ctx, formatter)

    def _summary(self, name: str) -> Any:
        entry = self.entries.get(name)
        return TyperCommand(name=name, help=entry.summary) if entry else self.commands[name]
