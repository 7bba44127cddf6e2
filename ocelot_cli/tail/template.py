"""``--format`` templates and ``--where`` paths, checked before the tail connects.

A template is literal text with ``{placeholders}``: a field of the event (``{data.call_id}``), or
of the message (``{routing_key}``, ``{headers.x-trace}``, ``{properties.message_id}``). ``{{`` and
``}}`` are literal braces, ``\\n`` and ``\\t`` a newline and a tab. A brace left open, an empty
placeholder or a field no event type of the catalog has is an error naming its column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ocelot_cli.errors import UsageProblem

# Fields of the message rather than of the event, and the prefixes of its headers and properties.
MESSAGE_FIELDS = ("routing_key", "exchange", "channel", "received_at", "size", "body", "redelivered", "headers",
                  "properties")  # fmt: skip
MESSAGE_PREFIXES = ("headers.", "properties.")


@dataclass(frozen=True)
class Placeholder:
    """``{name}`` in a template."""

    name: str

    @property
    def of_message(self) -> bool:
        return self.name in MESSAGE_FIELDS or self.name.startswith(MESSAGE_PREFIXES)


@dataclass(frozen=True)
class Template:
    """A parsed ``--format``: literal text and placeholders, in order."""

    parts: tuple[str | Placeholder, ...]

    @property
    def placeholders(self) -> list[Placeholder]:
        return [part for part in self.parts if isinstance(part, Placeholder)]


def parse_template(text: str, field_problem: Callable[[str], str | None] | None = None) -> Template:
    """The template ``text``; UsageProblem naming the column of a brace left open or a field unknown
    (``field_problem`` says why an event field is unknown, or None when some event type has it)."""
    parts: list[str | Placeholder] = []
    literal: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char in "{}" and text[index + 1 : index + 2] == char:  # {{ or }}: a literal brace
            literal.append(char)
            index += 2
            continue
        if char == "}":
            _fail(text, index, "'}' closes nothing", "write }} for a literal brace")
        if char != "{":
            literal.append(char)
            index += 1
            continue
        end = text.find("}", index)
        opening = text.find("{", index + 1)
        if end < 0 or 0 <= opening < end:
            _fail(text, index, "'{' is not closed", "write {field}, or {{ for a literal brace")
        name = text[index + 1 : end].strip()
        if not name:
            _fail(text, index, "an empty placeholder", "name a field, e.g. {type} or {data.call_id}")
        placeholder = Placeholder(name)
        problem = _message_field_problem(name) if placeholder.of_message else field_problem and field_problem(name)
        if problem:
            _fail(text, index + 1, problem, f"message fields: {', '.join(MESSAGE_FIELDS)}, headers.NAME, "
                  "properties.NAME; event fields as in the catalog ('ocelot catalog show TYPE')")  # fmt: skip
        if literal:
            parts.append(_unescape("".join(literal)))
            literal = []
        parts.append(placeholder)
        index = end + 1
    if literal:
        parts.append(_unescape("".join(literal)))
    return Template(tuple(parts))


# The AMQP basic properties a message may carry (headers have names of their own, any).
PROPERTIES = ("content_type", "content_encoding", "delivery_mode", "priority", "correlation_id", "reply_to",
              "expiration", "message_id", "timestamp", "type", "user_id", "app_id", "cluster_id")  # fmt: skip


def _message_field_problem(name: str) -> str | None:
    import difflib

    prefix, _, rest = name.partition(".")
    if rest == "" and prefix in ("headers", "properties") and name.endswith("."):
        return f"{name}: name the {'header' if prefix == 'headers' else 'property'} after the dot"
    if prefix == "properties" and rest and rest not in PROPERTIES:
        close = difflib.get_close_matches(rest, PROPERTIES, n=1, cutoff=0.6)
        return f"no message property {rest}" + (f"; did you mean properties.{close[0]}?" if close else "")
    return None


def _unescape(text: str) -> str:
    return text.replace("\\n", "\n").replace("\\t", "\t")


def _fail(text: str, index: int, problem: str, hint: str) -> None:
    raise UsageProblem(f"--format {text!r}: column {index + 1}: {problem}", hint=hint)
