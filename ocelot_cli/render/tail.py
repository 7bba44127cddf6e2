"""How tailed messages are shown: JSON lines, one readable line per event, or a --format template.

Payload text is escaped before it reaches a terminal (never interpreted as escape sequences
or as rich markup); JSON lines stay valid JSON.
"""

from __future__ import annotations

import base64
import sys
import zlib
from datetime import datetime
from typing import IO, Any

from ocelot_cli.envelope.catalog import lookup_path
from ocelot_cli.envelope.model import event_type_of
from ocelot_cli.envelope.validate import ERROR, Violation
from ocelot_cli.formats.recording import make_record
from ocelot_cli.render.output import Output
from ocelot_cli.render.queue_read import death_lines, queue_summary
from ocelot_cli.render.safe_text import escape_control, safe_json
from ocelot_cli.tail.template import Placeholder, Template
from ocelot_cli.transports.messages import ReceivedMessage

_COLORS = ("36", "32", "35", "33", "34", "96", "92", "95")


def _where(message: ReceivedMessage) -> str:
    return message.channel if message.channel is not None else (message.routing_key or "")


def _message_field(message: ReceivedMessage, name: str) -> Any:
    """A field of the message itself: where it came from, its size, headers and properties."""
    if name.startswith("headers."):
        return (message.properties.get("headers") or {}).get(name[len("headers."):])
    if name.startswith("properties."):
        return message.properties.get(name[len("properties."):])
    return {
        "routing_key": message.routing_key,
        "exchange": message.exchange,
        "channel": message.channel,
        "received_at": message.received_text,
        "size": len(message.body),
        "body": message.body.decode("utf-8", "backslashreplace"),
        "redelivered": message.redelivered,
        "headers": message.properties.get("headers") or None,
        "properties": message.properties or None,
    }.get(name)


def _label(violations: list[Violation]) -> str:
    """'invalid' when any violation is an error; 'warning' for warnings only (a naive time)."""
    return "invalid" if any(v.severity == ERROR for v in violations) else "warning"


def _stderr_label(violations: list[Violation]) -> str:
    """'invalid ' or nothing: a line for Output.warn, which begins with 'warning:' already."""
    return "invalid " if _label(violations) == "invalid" else ""


def _not_json_fields(message: ReceivedMessage) -> dict[str, Any]:
    try:
        return {"body_text": message.body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"body_base64": base64.b64encode(message.body).decode("ascii")}


class NdjsonRenderer:
    """One JSON value per line on stdout: the event itself (the body), ready for jq.

    Lines are gathered and written together, up to 64 KB at a time, whatever buffering Python's stdout
    has (PYTHONUNBUFFERED makes it a write per line); the session flushes whenever its source has
    nothing more read, so a line never waits for the next message.
    """

    FLUSH_AT = 64 * 1024  # bytes gathered before they are written without waiting for a flush

    def __init__(self, output: Output, stream: IO[bytes] | None = None, *, envelope: bool = False) -> None:
        self.output = output
        self.stream = stream or sys.stdout.buffer
        self.terminal = output.stdout_is_tty
        self.envelope = envelope
        self._lines = bytearray()

    def message(self, message: ReceivedMessage, event: Any, violations: list[Violation] | None) -> None:
        body = message.body
        lines = self._lines
        if self.envelope:  # kcat -J style: the body with where it came from, its properties and headers
            record = make_record(received_at=message.received_text, body=body, parsed=event, exchange=message.exchange,
                                 routing_key=message.routing_key, channel=message.channel,
                                 properties=message.properties)  # fmt: skip
            lines += safe_json(record).encode() + b"\n"
        elif event is None:
            wrapper = {"_ocelot": {"not_json": True, "where": _where(message), **_not_json_fields(message)}}
            lines += safe_json(wrapper).encode() + b"\n"
        elif self.terminal or b"\n" in body or b"\r" in body:
            lines += safe_json(event).encode() + b"\n"
        else:
            lines += body.strip()
            lines += b"\n"
        if violations:
            self.flush()  # the line before its warning
            self.output.warn(f"{_stderr_label(violations)}{event_type_of(event) or 'event'} at {_where(message)}: "
                             + "; ".join(f"{v.path}: {v.message}" for v in violations[:3]))  # fmt: skip
        elif len(lines) >= self.FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        """Write what was gathered. Only what the system took leaves the buffer: a signal that interrupts a
        blocked write (a reader that is slow or gone) leaves the rest for the final flush, so every line
        counted as shown is written once, whole."""
        lines = self._lines
        stream = self.stream
        raw = getattr(stream, "raw", None)
        if lines and raw is not None:  # the system's own count of what it took (a buffered writer hides it)
            stream.flush()
            while lines:
                del lines[: raw.write(lines) or 0]
        elif lines:
            stream.write(bytes(lines))
            lines.clear()
        stream.flush()


def _key_fields(data: Any, limit: int = 4) -> str:
    if not isinstance(data, dict):
        return ""
    scalars = [(k, v) for k, v in data.items() if isinstance(v, str | int | float | bool) or v is None]
    ordered = sorted(scalars, key=lambda kv: (not kv[0].endswith("_id"), 0))[:limit]
    parts = []
    for key, value in ordered:
        text = value if isinstance(value, str) else safe_json(value)
        if len(text) > 40:
            text = text[:37] + "..."
        parts.append(f"{key}={text}")
    return " ".join(parts)


class NoView:
    """No view: the recording goes to stdout (``tail --output -``)."""

    def message(self, message: ReceivedMessage, event: Any, violations: list[Violation] | None) -> None:
        pass

    def flush(self) -> None:
        pass


class PrettyRenderer:
    """One readable line per event (time, routing key or channel, type, organization, key fields)."""

    def __init__(self, output: Output, *, expand: bool = False, headers: bool = False, deaths: bool = False) -> None:
        self.output = output
        self.expand = expand
        self.headers = headers
        self.details = headers or deaths  # deaths: x-death in words even without --headers (a queue's read)
        self.color = output.color_for(output.stdout)
        self.stream = output.stdout

    def _paint(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def message(self, message: ReceivedMessage, event: Any, violations: list[Violation] | None) -> None:
        clock = datetime.fromtimestamp(message.received_at).strftime("%H:%M:%S.%f")[:-3]
        where = escape_control(_where(message), one_line=True)
        if event is None:
            self._not_json(message, clock, where)
            return
        name = event_type_of(event) if isinstance(event, dict) else None
        org = (event.get("organizationId") or event.get("tenant_id")) if isinstance(event, dict) else None
        color = _COLORS[zlib.crc32((name or "").split(".")[0].encode("utf-8", "surrogatepass")) % len(_COLORS)]
        data = event.get("data") if isinstance(event, dict) else None
        fields = escape_control(_key_fields(data), one_line=True)
        if isinstance(data, dict) and data.get("_truncated") is True:
            ids = " ".join(f"{k}={v}" for k, v in data.items() if k not in ("_truncated", "original_size"))
            text = f"POINTER ({data.get('original_size', '?')} bytes; fetch by {ids})"
            fields = self._paint(escape_control(text, one_line=True), "33")
        elif name == "system.buffer_dropped" and isinstance(data, dict):
            text = (
                f"GATEWAY DROPPED {data.get('dropped_count')} message(s): {data.get('reason')}, "
                f"buffer {data.get('max_size')}"
            )
            fields = self._paint(escape_control(text, one_line=True), "31")
        parts = [
            self._paint(clock, "2"),
            where,
            self._paint(escape_control(name or "(no type)", one_line=True), color),
            escape_control(str(org), one_line=True) if org else "-",
            fields,
        ]
        line = "  ".join(parts)
        if violations:
            first = violations[0]
            more = f" (+{len(violations) - 1} more)" if len(violations) > 1 else ""
            label = _label(violations)
            line += "  " + self._paint(
                escape_control(f"{label.upper()} {first.path}: {first.message}{more}", one_line=True),
                "31" if label == "invalid" else "33",
            )
        self.stream.write(line + "\n")
        if self.details:
            self._details(message)
        if self.expand:
            self.stream.write(escape_control(safe_json(event, indent=2)) + "\n")

    def _not_json(self, message: ReceivedMessage, clock: str, where: str) -> None:
        size = len(message.body)
        preview = escape_control(message.body[:120].decode("utf-8", "backslashreplace"), one_line=True)
        line = f"{self._paint(clock, '2')}  {where}  {self._paint(f'(not JSON, {size} bytes)', '33')} {preview}"
        self.stream.write(line + "\n")
        if self.details:  # what a body that is no event still carries
            self._details(message)

    def _details(self, message: ReceivedMessage) -> None:
        """Dead-lettering in words, then (--headers) the headers and properties."""
        headers = message.properties.get("headers")
        for line in death_lines(headers) if isinstance(headers, dict) else ():
            self.stream.write(f"    {self._paint(line, '33')}\n")
        if self.headers:
            self._properties(message)

    def _properties(self, message: ReceivedMessage) -> None:
        properties = dict(message.properties)
        headers = properties.pop("headers", None) or {}
        for title, values in (("headers", headers), ("properties", properties)):
            if values:
                text = " ".join(f"{k}={v if isinstance(v, str) else safe_json(v)}" for k, v in values.items())
                self.stream.write(f"    {self._paint(title, '2')} {escape_control(text, one_line=True)}\n")

    def flush(self) -> None:
        self.stream.flush()


# The envelopes name the same thing differently (see the documented mapping): a template written
# for one shows the other's events too.
SAME_FIELD = {"type": "event", "event": "type", "timestamp": "ts", "ts": "timestamp", "organizationId": "tenant_id",
               "tenant_id": "organizationId", "userId": "user_id", "user_id": "userId"}  # fmt: skip


class TemplateRenderer:
    """``--format '{timestamp} {type} {data.call_id}'`` (see ``tail.template``): fields of the event,
    and of the message: {routing_key} {exchange} {channel} {received_at} {size} {body} {redelivered},
    {headers.NAME}, {properties.NAME}. A field the message does not have prints as ``-``; the
    envelope fields that mean the same ({type} and {event}, {timestamp} and {ts}, ...) stand for each other."""

    def __init__(self, output: Output, template: Template) -> None:
        self.output = output
        self.template = template
        self.stream = output.stdout

    def _value(self, placeholder: Placeholder, message: ReceivedMessage, event: Any) -> str:
        name = placeholder.name
        if placeholder.of_message:
            value = _message_field(message, name)
        else:
            value = lookup_path(event, name) if event is not None else None
            if value is None and event is not None and name in SAME_FIELD:  # {type} of a real-time event too
                value = lookup_path(event, SAME_FIELD[name])
        if value is None:
            return "-"
        return value if isinstance(value, str) else safe_json(value)

    def message(self, message: ReceivedMessage, event: Any, violations: list[Violation] | None) -> None:
        text = "".join(part if isinstance(part, str) else escape_control(self._value(part, message, event),
                       one_line=True) for part in self.template.parts)  # fmt: skip
        self.stream.write(text + "\n")
        if violations:
            details = "; ".join(f"{v.path}: {v.message}" for v in violations[:3])
            self.output.warn(("invalid: " if _stderr_label(violations) else "") + details)

    def flush(self) -> None:
        self.stream.flush()


def print_summary(out: Any, stats: Any, recorder: Any, recording_failed: bool = False) -> None:
    """The tail's last line: what was received, shown, found invalid or lost, and where it was recorded."""
    import time

    elapsed = stats.elapsed if stats.ended else time.monotonic() - stats.started
    rate = stats.received / elapsed if elapsed > 0 else 0.0
    parts = [f"received {stats.received:,}", f"shown {stats.shown:,}"]
    if stats.received > stats.shown:  # each message received is shown or filtered out: the counts add up
        parts.append(f"filtered out {stats.received - stats.shown:,}")
    if stats.invalid:
        parts.append(f"invalid {stats.invalid:,}")
    if stats.warned:
        parts.append(f"with warnings {stats.warned:,}")
    if stats.not_json:
        parts.append(f"not JSON {stats.not_json:,}")
    if stats.dropped:
        parts.append(f"dropped by overflow {stats.dropped:,}")
    if stats.reconnects:
        gaps = "gaps possible" if stats.gaps else "no gap: the durable queue kept what arrived"
        parts.append(f"reconnects {stats.reconnects} ({gaps})")
    line = f"{', '.join(parts)} in {elapsed:.1f}s ({rate:,.1f}/s){queue_summary(stats.queue)}"
    if recorder is not None:
        done = f"recorded {recorder.count:,} to" if not recording_failed else "recording failed:"
        line += f"; {done} {recorder.path}"
    out.status(line)
