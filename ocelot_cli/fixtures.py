"""Read events from files and streams: JSON, JSON lines and YAML, with ``file:line`` on every problem.

Readers yield ``Record`` (a parsed value and where it starts) and ``ReadProblem`` items in
file order, so a caller can report every problem at once. JSON lines are streamed line by
line and never loaded whole; a JSON document is decoded once and walked element by element.
"""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

import yaml

from ocelot_cli import safe_yaml

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency
    orjson = None  # type: ignore[assignment]

STDIN_NAME = "<stdin>"
JSON_LINES_SUFFIXES = {".jsonl", ".ndjson"}
JSON_SUFFIXES = {".json"}
YAML_SUFFIXES = {".yaml", ".yml"}
KNOWN_SUFFIXES = JSON_LINES_SUFFIXES | JSON_SUFFIXES | YAML_SUFFIXES
# A JSON or YAML *document* is decoded whole; past this size, JSON lines is the way.
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024


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


def _decode_line(raw: bytes, label: str, line_no: int) -> str | ReadProblem:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return ReadProblem(
            label,
            line_no,
            exc.start + 1,
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at byte {exc.start + 1} of the line); save as UTF-8",
            ProblemKind.ENCODING,
        )


_SLOW = object()
_KEY_TOKEN = re.compile(r'"\s*:')
_SPACED_KEY = re.compile(r'"\s+:')
# orjson reads integers beyond 64 bits as floats; numbers of 19 digits or more go to the exact
# decoder. Found by mapping digits to "0" and the rest to " " (a regex is 15x slower here).
_DIGITS_ONLY = bytes(ord("0") if chr(b).isdigit() else ord(" ") for b in range(256))
_LONG_RUN = b"0" * 19


def _has_long_number(text: str) -> bool:
    return _LONG_RUN in text.encode("utf-8").translate(_DIGITS_ONLY)


def _fast_parse(text: str) -> Any:
    """orjson's parse when it provably lost no duplicate key, else _SLOW (use the checking decoder).

    Outside strings, every key is followed by ``":``; inside strings a quote is always written
    ``\\"``, identically in the input and in orjson's re-serialisation of the parsed value. So
    the two texts have the same number of ``":`` unless the input named a key twice (the
    parsed value keeps one). ``\\u`` escapes could change that count, and orjson reads huge
    integers as floats, so both take the slow path.
    """
    if orjson is None or "\\u" in text or _has_long_number(text):
        return _SLOW
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return _SLOW  # the checking decoder gives the better message
    try:
        again = orjson.dumps(value)  # compact: no whitespace between a quote and a colon
    except (TypeError, orjson.JSONEncodeError):
        return _SLOW
    if _SPACED_KEY.search(text):  # whitespace before a colon somewhere: count with the regex
        same = len(_KEY_TOKEN.findall(text)) == len(_KEY_TOKEN.findall(again.decode("utf-8")))
    else:
        same = text.count('":') == again.count(b'":')
    return value if same else _SLOW


def _pairs_hook(found: list[str]):
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    found.append(key)
                seen.add(key)
        return result

    return hook


def _locate_duplicate(text: str, key: str, start: int, end: int) -> int:
    """Offset of the second ``"key":`` between start and end (best effort)."""
    needle = json.dumps(key, ensure_ascii=False)
    first = text.find(needle, start, end)
    second = text.find(needle, first + 1, end) if first != -1 else -1
    return second if second != -1 else start


def read_json_lines(
    stream: IO[bytes], label: str, fmt: InputFormat | None, *, checked: bool = False, allow_empty: bool = False
) -> Iterator[Item]:
    """Records and problems of a JSON-lines stream, line by line (never loaded whole)."""
    duplicates: list[str] = []
    decoder = json.JSONDecoder(object_pairs_hook=_pairs_hook(duplicates))
    index = 0
    any_content = False
    for line_no, raw in enumerate(stream, start=1):
        if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        text = _decode_line(raw, label, line_no)
        if isinstance(text, ReadProblem):
            any_content = True
            yield text
            continue
        stripped = text.strip()
        if not stripped:
            continue
        any_content = True
        if checked and orjson is not None and not _has_long_number(stripped):
            value = orjson.loads(stripped)
        else:
            value = _fast_parse(stripped)
        if value is _SLOW:
            try:
                value = decoder.decode(stripped)
            except json.JSONDecodeError as exc:
                column = exc.colno + (len(text) - len(text.lstrip()))
                yield ReadProblem(label, line_no, column, f"invalid JSON: {exc.msg}", ProblemKind.SYNTAX)
                continue
        for key in duplicates:
            column = _locate_duplicate(text, key, 0, len(text)) + 1
            yield ReadProblem(label, line_no, column, f"duplicate key {key!r}", ProblemKind.DUPLICATE_KEY)
        duplicates.clear()
        yield Record(label, line_no, index, value)
        index += 1
    if not any_content and not allow_empty:
        yield ReadProblem(label, None, None, "empty input: no events", ProblemKind.EMPTY)


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
        yield from _walk_json(text, label)


class _LineCounter:
    """Line numbers of increasing offsets in one text, without rescanning from the start."""

    def __init__(self, text: str) -> None:
        self.text, self.offset, self.line = text, 0, 1

    def at(self, offset: int) -> int:
        self.line += self.text.count("\n", self.offset, offset)
        self.offset = offset
        return self.line

    def column(self, offset: int) -> int:
        return offset - (self.text.rfind("\n", 0, offset) + 1) + 1


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _walk_json(text: str, label: str) -> Iterator[Item]:
    """Each element of a top-level array, or each of a sequence of JSON values."""
    duplicates: list[str] = []
    decoder = json.JSONDecoder(object_pairs_hook=_pairs_hook(duplicates))
    lines = _LineCounter(text)
    pos = _skip_ws(text, 0)
    in_array = text.startswith("[", pos)
    if in_array:
        pos = _skip_ws(text, pos + 1)
    index = 0
    while pos < len(text):
        if in_array and text[pos] == "]":
            pos = _skip_ws(text, pos + 1)
            if pos < len(text):
                line = lines.at(pos)
                yield ReadProblem(
                    label, line, lines.column(pos), "unexpected text after the closing ']'", ProblemKind.SYNTAX
                )
            return
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield ReadProblem(label, exc.lineno, exc.colno, f"invalid JSON: {exc.msg}", ProblemKind.SYNTAX)
            return
        line = lines.at(pos)
        for key in duplicates:
            at = _locate_duplicate(text, key, pos, end)
            yield ReadProblem(
                label, line + text.count("\n", pos, at), lines.column(at), f"duplicate key {key!r}",
                ProblemKind.DUPLICATE_KEY,
            )  # fmt: skip
        duplicates.clear()
        yield Record(label, line, index, value)
        index += 1
        pos = _skip_ws(text, end)
        if in_array:
            if pos < len(text) and text[pos] == ",":
                pos = _skip_ws(text, pos + 1)
            elif pos >= len(text) or text[pos] != "]":
                line = lines.at(min(pos, len(text)))
                yield ReadProblem(
                    label, line, lines.column(pos), "invalid JSON: expected ',' or ']' after an element",
                    ProblemKind.SYNTAX,
                )  # fmt: skip
                return
    if in_array:
        yield ReadProblem(label, lines.at(len(text)), None, "invalid JSON: the array is not closed with ']'",
                          ProblemKind.SYNTAX)  # fmt: skip


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


def display_name(name: str) -> str:
    """How a source is named in messages: as the user gave it, ``<stdin>`` for ``-``."""
    return STDIN_NAME if name in ("-", STDIN_NAME) else name
