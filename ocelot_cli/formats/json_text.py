"""JSON inputs, read with ``file:line`` on every problem: JSON lines line by line (never whole), and
a JSON document walked element by element after one decode. Duplicate keys are found, not lost.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import IO, Any

import orjson

from ocelot_cli.envelope.codec import STRICT_DECODER
from ocelot_cli.formats.items import InputFormat, Item, ProblemKind, ReadProblem, Record

MAX_DEPTH = 100  # levels of nesting of one value (= formats.safe_yaml.MAX_DEPTH); events nest a handful deep


def too_deep(text: str, start: int = 0, max_depth: int = MAX_DEPTH) -> int | None:
    """The offset where JSON text nests deeper than ``max_depth``, else None (strings skipped).

    Checked before parsing: a deep enough value exhausts the recursion of the decoders and of
    everything that walks the value afterwards. Only text with that many brackets is scanned.
    """
    if text.count("[", start) + text.count("{", start) <= max_depth:
        return None
    depth, in_string, escaped = 0, False, False
    for offset in range(start, len(text)):
        char = text[offset]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                return offset
        elif char in "]}":
            depth -= 1
    return None


def _deep_problem(label: str, line: int, column: int) -> ReadProblem:
    return ReadProblem(label, line, column, f"nesting deeper than {MAX_DEPTH} levels", ProblemKind.TOO_DEEP)


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
    if "\\u" in text or _has_long_number(text):
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


MAX_LINE_BYTES = 16 * 1024 * 1024  # one JSON line; an event is a few KB, the broker's limit 128 MB


def _strict_decoder(duplicates: list[str]) -> json.JSONDecoder:
    """The checking decoder: duplicate keys recorded, and as strict as JSON (no NaN, Infinity, overflow)."""
    return json.JSONDecoder(object_pairs_hook=_pairs_hook(duplicates), parse_constant=STRICT_DECODER.parse_constant,
                            parse_float=STRICT_DECODER.parse_float)  # fmt: skip


def _lines(stream: IO[bytes], label: str) -> Iterator[tuple[int, bytes | ReadProblem]]:
    """Numbered lines, each read at most MAX_LINE_BYTES at a time: a longer line is a problem, skipped."""
    line_no = 0
    while raw := stream.readline(MAX_LINE_BYTES + 1):
        line_no += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while (rest := stream.readline(1024 * 1024)) and not rest.endswith(b"\n"):
                pass
            megabytes = MAX_LINE_BYTES // (1024 * 1024)
            yield line_no, ReadProblem(label, line_no, None, f"a line longer than {megabytes} MB; an event is a few KB",
                                       ProblemKind.TOO_LARGE)  # fmt: skip
            continue
        yield line_no, raw[3:] if line_no == 1 and raw.startswith(b"\xef\xbb\xbf") else raw


def _slow_parse(decoder: json.JSONDecoder, text: str, stripped: str, label: str,
                line_no: int) -> Any | ReadProblem:  # fmt: skip
    """The checking decoder's value, or the problem with its column."""
    indent = len(text) - len(text.lstrip())
    try:
        value = decoder.decode(stripped)
    except json.JSONDecodeError as exc:
        return ReadProblem(label, line_no, exc.colno + indent, f"invalid JSON: {exc.msg}", ProblemKind.SYNTAX)
    except ValueError as exc:  # NaN, Infinity, a number beyond a double
        return ReadProblem(label, line_no, None, f"invalid JSON: {exc}", ProblemKind.SYNTAX)
    if _lone_surrogate(value):
        return ReadProblem(label, line_no, None, "invalid JSON: a lone surrogate escape (\\ud800-\\udfff) is no "
                           "character", ProblemKind.ENCODING)  # fmt: skip
    return value


def _lone_surrogate(value: Any) -> bool:
    try:
        orjson.dumps(value)
    except TypeError as exc:
        return "surrogate" in str(exc)
    return False


def read_json_lines(
    stream: IO[bytes], label: str, fmt: InputFormat | None, *, checked: bool = False, allow_empty: bool = False
) -> Iterator[Item]:
    """Records and problems of a JSON-lines stream, line by line (never loaded whole)."""
    duplicates: list[str] = []
    decoder = _strict_decoder(duplicates)
    index = 0
    any_content = False
    for line_no, raw in _lines(stream, label):
        text = raw if isinstance(raw, ReadProblem) else _decode_line(raw, label, line_no)
        if isinstance(text, ReadProblem):
            any_content = True
            yield text
            continue
        stripped = text.strip()
        if not stripped:
            continue
        any_content = True
        deep = too_deep(stripped)
        if deep is not None:
            yield _deep_problem(label, line_no, deep + 1 + len(text) - len(text.lstrip()))
            continue
        if checked and not _has_long_number(stripped):
            value = orjson.loads(stripped)
        else:
            value = _fast_parse(stripped)
        if value is _SLOW:
            value = _slow_parse(decoder, text, stripped, label, line_no)
            if isinstance(value, ReadProblem):
                yield value
                continue
        for key in duplicates:
            column = _locate_duplicate(text, key, 0, len(text)) + 1
            yield ReadProblem(label, line_no, column, f"duplicate key {key!r}", ProblemKind.DUPLICATE_KEY)
        duplicates.clear()
        yield Record(label, line_no, index, value)
        index += 1
    if not any_content and not allow_empty:
        yield ReadProblem(label, None, None, "empty input: no events", ProblemKind.EMPTY)


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


def walk_json(text: str, label: str) -> Iterator[Item]:
    """Each element of a top-level array, or each of a sequence of JSON values."""
    duplicates: list[str] = []
    decoder = _strict_decoder(duplicates)
    lines = _LineCounter(text)
    pos = _skip_ws(text, 0)
    in_array = text.startswith("[", pos)
    deep = too_deep(text, pos, MAX_DEPTH + 1 if in_array else MAX_DEPTH)
    if deep is not None:
        yield _deep_problem(label, lines.at(deep), lines.column(deep))
        return
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
        except ValueError as exc:  # NaN, Infinity, a number beyond a double
            yield ReadProblem(label, lines.at(pos), lines.column(pos), f"invalid JSON: {exc}", ProblemKind.SYNTAX)
            return
        line = lines.at(pos)
        if _lone_surrogate(value):
            yield ReadProblem(label, line, lines.column(pos), "invalid JSON: a lone surrogate escape "
                              "(\\ud800-\\udfff) is no character", ProblemKind.ENCODING)  # fmt: skip
            return
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
