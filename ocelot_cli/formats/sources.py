"""Read events from files and streams: JSON, JSON lines and YAML, with ``file:line`` on every problem.

Readers yield ``Record`` (a parsed value and where it starts) and ``ReadProblem`` items in
file order, so a caller can report every problem at once. JSON lines are streamed line by
line and never loaded whole; a JSON document is decoded once and walked element by element.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import yaml

from ocelot_cli.errors import InputError, UsageProblem
from ocelot_cli.formats import safe_yaml
from ocelot_cli.formats.items import (
    STDIN_COPIES,
    STDIN_NAME,
    InputFormat,
    Item,
    ProblemKind,
    ReadProblem,
    Record,
    display_name,
)
from ocelot_cli.formats.json_text import read_json_lines, walk_json

__all__ = ["STDIN_NAME", "InputFormat", "Item", "ProblemKind", "ReadProblem", "Record", "display_name",
           "read_json_lines", "read_source", "read_sources", "format_for", "expand_sources",
           "spooled_stdin"]  # fmt: skip

JSON_LINES_SUFFIXES = {".jsonl", ".ndjson"}
JSON_SUFFIXES = {".json"}
YAML_SUFFIXES = {".yaml", ".yml"}
KNOWN_SUFFIXES = JSON_LINES_SUFFIXES | JSON_SUFFIXES | YAML_SUFFIXES
# A JSON or YAML *document* is decoded whole; past this size, JSON lines is the way.
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024


def expand_sources(names: Iterable[str]) -> Iterator[str | ReadProblem]:
    """File names as given, directories expanded to the event files inside them (sorted)."""
    for name in names:
        if name == "-":
            yield name
            continue
        path = Path(name)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in KNOWN_SUFFIXES and p.is_file())
            if not found:
                yield ReadProblem(
                    name,
                    None,
                    None,
                    "directory holds no .json, .jsonl, .ndjson, .yaml or .yml files",
                    ProblemKind.EMPTY,
                )
            yield from (str(p) for p in found)
        else:
            yield name


def format_for(name: str, head: bytes = b"") -> InputFormat:
    """The input format by file suffix, else by the first bytes (for stdin and unknown suffixes)."""
    suffix = Path(name).suffix.lower()
    if suffix in JSON_LINES_SUFFIXES:
        return InputFormat.JSON_LINES
    if suffix in JSON_SUFFIXES:
        return InputFormat.JSON
    if suffix in YAML_SUFFIXES:
        return InputFormat.YAML
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"["):
        return InputFormat.JSON
    if stripped.startswith(b"{"):
        first_line = stripped.split(b"\n", 1)[0]
        try:
            json.loads(first_line)
            return InputFormat.JSON_LINES
        except ValueError:
            return InputFormat.JSON
    return InputFormat.YAML


def read_source(
    name: str, *, stdin: IO[bytes] | None = None, fmt: InputFormat | None = None, checked: bool = False
) -> Iterator[Item]:
    """Yield the records and problems of one file (or ``-`` for stdin), in order.

    ``checked``: the input was read cleanly before (replay's second pass), so JSON lines are
    parsed without looking for duplicate keys again.
    """
    label = STDIN_NAME if name == "-" else name
    try:
        stream = (stdin or sys.stdin.buffer) if name == "-" else open(name, "rb")  # noqa: SIM115
    except FileNotFoundError:
        yield ReadProblem(label, None, None, "no such file", ProblemKind.UNREADABLE)
        return
    except IsADirectoryError:
        yield ReadProblem(label, None, None, "is a directory", ProblemKind.UNREADABLE)
        return
    except OSError as exc:
        yield ReadProblem(label, None, None, f"cannot open: {exc.strerror}", ProblemKind.UNREADABLE)
        return
    try:
        if not hasattr(stream, "peek"):
            stream = io.BufferedReader(_Unpeekable(stream))  # type: ignore[arg-type]
        head = stream.peek(4096)[:4096]
        fmt = fmt or format_for(name if name != "-" else "", head)
        if fmt is InputFormat.JSON_LINES:
            items = read_json_lines(stream, label, fmt, checked=checked)
        else:
            items = _read_document(stream, label, fmt)
        produced = False
        for item in items:
            produced = True
            yield item
        if not produced:
            yield ReadProblem(label, None, None, "empty input: no events", ProblemKind.EMPTY)
    finally:
        if name != "-":
            stream.close()


class _Unpeekable(io.RawIOBase):
    """Raw adapter so that any binary stream (a test's BytesIO, a pipe) can be buffered and peeked."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _read_whole(stream: IO[bytes], label: str) -> str | ReadProblem:
    data = stream.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        return ReadProblem(
            label,
            None,
            None,
            f"larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB; a JSON or YAML document is read whole, "
            "so write big inputs as JSON lines (.jsonl), which are streamed",
            ProblemKind.TOO_LARGE,
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return ReadProblem(
            label,
            line,
            column,
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            ProblemKind.ENCODING,
        )


def _read_document(stream: IO[bytes], label: str, fmt: InputFormat) -> Iterator[Item]:
    text = _read_whole(stream, label)
    if isinstance(text, ReadProblem):
        yield text
        return
    if not text.strip():
        yield ReadProblem(label, None, None, "empty input: no events", ProblemKind.EMPTY)
        return
    if fmt is InputFormat.YAML:
        yield from _walk_yaml(text, label)
    else:
        yield from walk_json(text, label)


def _walk_yaml(text: str, label: str) -> Iterator[Item]:
    """Each document; a document that is a list gives each of its items."""
    duplicates: list[tuple[int, int, str]] = []
    index = 0
    try:
        for doc in safe_yaml.load_documents(text, duplicates, with_lines=True):
            for line, column, message in duplicates:
                yield ReadProblem(label, line, column, message, ProblemKind.DUPLICATE_KEY)
            duplicates.clear()
            if isinstance(doc.value, list):
                for value, line in zip(doc.value, doc.item_lines, strict=True):
                    yield Record(label, line, index, value)
                    index += 1
            elif doc.value is not None:
                yield Record(label, doc.line, index, doc.value, doc.lines)
                index += 1
    except yaml.YAMLError as exc:
        line, column, message = safe_yaml.describe_error(exc)
        yield ReadProblem(label, line, column, f"invalid YAML: {message}", ProblemKind.SYNTAX)


def read_sources(names: Iterable[str], *, stdin: IO[bytes] | None = None, checked: bool = False) -> Iterator[Item]:
    """Records and problems of every named source (``-`` is stdin, directories are expanded)."""
    for name in expand_sources(names):
        if isinstance(name, ReadProblem):
            yield name
            continue
        yield from read_source(name, stdin=stdin, checked=checked)


MAX_STDIN_BYTES = MAX_DOCUMENT_BYTES  # what may be copied from stdin to be read twice


def refuse_stdin_twice(names: Iterable[str]) -> None:
    """UsageProblem when ``-`` is named more than once: stdin can be read only once."""
    if sum(1 for name in names if name == "-") > 1:
        raise UsageProblem("'-' (stdin) is given more than once; it can be read only once",
                           hint="name it once, or save the input to a file and name that")  # fmt: skip


@contextlib.contextmanager
def spooled_stdin(names: list[str], stdin: IO[bytes], *, limit: int | None = None) -> Iterator[list[str]]:
    """``names`` with ``-``, and any input that is no regular file (a pipe such as ``<(cmd)`` or
    /dev/stdin, a FIFO), replaced by a temporary copy, for inputs read twice (check, then send): a
    pipe read twice gives nothing the second time. At most ``limit`` bytes are copied (InputError
    beyond); messages still name the input as given; the copies are removed however the block ends."""
    refuse_stdin_twice(names)
    limit = MAX_STDIN_BYTES if limit is None else limit
    copies: dict[str, str] = {}
    try:
        for name in names:
            if name == "-" or _is_stream(name):
                copies[name] = _copy_of(name, stdin, limit)
        yield [copies.get(name, name) for name in names]
    finally:
        for path in copies.values():
            STDIN_COPIES.pop(path, None)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


def _is_stream(name: str) -> bool:
    try:
        mode = os.stat(name).st_mode
    except (OSError, ValueError):
        return False  # missing or unreadable: the reader says so, with the name
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _copy_of(name: str, stdin: IO[bytes], limit: int) -> str:
    """A temporary copy of stdin (``-``) or of the stream ``name``, with the same suffix (it tells the format)."""
    shown = STDIN_NAME if name == "-" else name
    suffix = ".stdin" if name == "-" else (os.path.splitext(name)[1] or ".stream")
    descriptor, path = tempfile.mkstemp(prefix="ocelot-", suffix=suffix)
    STDIN_COPIES[path] = shown
    try:
        _copy_into(descriptor, stdin if name == "-" else None, name, shown, limit)
    except BaseException:
        STDIN_COPIES.pop(path, None)
        os.unlink(path)
        raise
    return path


def _copy_into(descriptor: int, stdin: IO[bytes] | None, name: str, shown: str, limit: int) -> None:
    with os.fdopen(descriptor, "wb") as copy, contextlib.ExitStack() as stack:
        source = stdin if stdin is not None else stack.enter_context(open(name, "rb"))  # noqa: SIM115
        copied = 0
        while chunk := source.read(1024 * 1024):
            copied += len(chunk)
            if copied > limit:
                raise InputError(
                    f"{shown}: more than {limit // (1024 * 1024)} MB, more than ocelot keeps a copy of",
                    hint="write it to a file and name the file (JSON lines files of any size are streamed)",
                )
            copy.write(chunk)
