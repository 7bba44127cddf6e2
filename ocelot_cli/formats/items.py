"""What the readers of event files yield: records (a parsed value and where it starts) and problems."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

STDIN_NAME = "<stdin>"


class InputFormat(StrEnum):
    """How a source is parsed."""

    JSON = "json"
    JSON_LINES = "jsonl"
    YAML = "yaml"


class ProblemKind(StrEnum):
    """What went wrong while reading; ``duplicate-key`` is a problem of the data, the rest of the input."""

    UNREADABLE = "unreadable"
    ENCODING = "encoding"
    SYNTAX = "syntax"
    EMPTY = "empty"
    TOO_LARGE = "too-large"
    TOO_DEEP = "too-deep"
    DUPLICATE_KEY = "duplicate-key"


@dataclass(frozen=True)
class Record:
    """One parsed value and where it starts."""

    source: str
    line: int
    index: int
    value: Any
    lines: dict[tuple[Any, ...], int] | None = None  # YAML scenarios: the line of every node


@dataclass(frozen=True)
class ReadProblem:
    """A problem reading a source, with its place (line/column are 1-based, None when unknown)."""

    source: str
    line: int | None
    column: int | None
    message: str
    kind: ProblemKind

    @property
    def where(self) -> str:
        if self.line is None:
            return self.source
        return f"{self.source}:{self.line}" + (f":{self.column}" if self.column else "")


Item = Record | ReadProblem


# Temporary copies of inputs read twice (stdin, pipes; see sources.spooled_stdin): the name each is shown by.
STDIN_COPIES: dict[str, str] = {}


def display_name(name: str) -> str:
    """How a source is named in messages: as the user gave it, ``<stdin>`` for ``-`` (and its copy)."""
    return STDIN_NAME if name in ("-", STDIN_NAME) else STDIN_COPIES.get(name, name)
