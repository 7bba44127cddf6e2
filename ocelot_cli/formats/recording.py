"""The recorded-message format: one JSON object per line, written by ``ocelot tail --output``.

::

    {"recorded": "ocelot/1", "received_at": "2025-09-20T10:30:02.783Z",
     "exchange": "ocelot.events", "routing_key": "comms.call.ended",
     "properties": {"content_type": "application/json", "message_id": "...", "headers": {...}},
     "event": {...}}

The body is kept losslessly: ``event`` when it is JSON that re-serialises (compactly, as
ocelot publishes) to the very same bytes, else ``body_text`` (exact UTF-8 text), else
``body_base64``. ``channel`` replaces ``exchange``/``routing_key`` for WebSocket recordings.

Where the tail lost its connection, a gap record says that messages may be missing::

    {"recorded": "ocelot/1", "gap": true, "received_at": "...", "reason": "the tail reconnected: ..."}

``ocelot validate`` reports it as a warning; ``ocelot replay`` and ``publish -f`` skip it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
from typing import Any

from ocelot_cli.envelope.codec import dump_compact, parse_body

FORMAT = "ocelot/1"


def is_recording(obj: Any) -> bool:
    """True for a recorded-message wrapper (as opposed to a bare event); gap records included."""
    return isinstance(obj, dict) and obj.get("recorded") == FORMAT


def is_gap(obj: Any) -> bool:
    """True for a gap record: where the tail lost its connection, messages may be missing."""
    return is_recording(obj) and obj.get("gap") is True


def make_gap(received_at: str, reason: str) -> dict[str, Any]:
    """``{"recorded": "ocelot/1", "gap": true, "received_at": ..., "reason": ...}``."""
    return {"recorded": FORMAT, "gap": True, "received_at": received_at, "reason": reason}


def _canonical(value: Any) -> bytes:
    # The one serialiser for bodies: a body is stored as ``event`` only if this gives back its
    # exact bytes, and replay rebuilds it with the same function.
    return dump_compact(value)


def body_fields(body: bytes, parsed: Any = None) -> dict[str, Any]:
    """How a body is stored: ``event`` (JSON, byte-exact), ``body_text`` or ``body_base64``."""
    if parsed is None:
        try:
            parsed = parse_body(body)
        except (ValueError, UnicodeDecodeError):
            parsed = None
    with contextlib.suppress(ValueError):  # a value that cannot be serialised is kept as text
        if parsed is not None and _canonical(parsed) == body:
            return {"event": parsed}
    try:
        return {"body_text": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"body_base64": base64.b64encode(body).decode("ascii")}


def body_problem(record: dict[str, Any]) -> str | None:
    """Why the body of a recorded message cannot be rebuilt (a ``body_text`` that is not text, a
    ``body_base64`` that is not base64), or None."""
    if "event" in record:
        return None
    if "body_text" in record:
        text = record["body_text"]
        if not isinstance(text, str):
            return f"body_text must be text, not {type(text).__name__}"
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "body_text holds a lone surrogate, which no UTF-8 body can carry"
        return None
    encoded = record.get("body_base64", "")
    if not isinstance(encoded, str):
        return f"body_base64 must be text, not {type(encoded).__name__}"
    try:
        base64.b64decode(encoded, validate=True)
    except ValueError:
        return "body_base64 is not base64 (A-Z, a-z, 0-9, + and /, padded with =)"
    return None


def body_of(record: dict[str, Any]) -> bytes:
    """The exact body bytes of a recorded message (``body_problem`` says first whether there are any)."""
    if "event" in record:
        return _canonical(record["event"])
    if "body_text" in record:
        return record["body_text"].encode("utf-8")
    return base64.b64decode(record.get("body_base64", ""), validate=True)


def properties_of(record: dict[str, Any]) -> dict[str, Any]:
    """The AMQP properties of a recorded message, as sent again: a header value the tail recorded as
    ``{"$base64": ...}`` (an AMQP byte array, which JSON cannot hold) is bytes again."""
    properties = dict(record.get("properties") or {})
    headers = properties.get("headers")
    if isinstance(headers, dict):
        properties["headers"] = _decoded(headers)
    return properties


def _decoded(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get("$base64"), str):
            with contextlib.suppress(ValueError):  # binascii.Error is a ValueError: not ours, kept as it is
                return base64.b64decode(value["$base64"], validate=True)
        return {key: _decoded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decoded(item) for item in value]
    return value


def event_of(record: dict[str, Any]) -> Any:
    """The event inside a recording (parsed JSON), or None when the body was not JSON."""
    if "event" in record:
        return record["event"]
    if body_problem(record) is not None:
        return None
    try:
        return parse_body(body_of(record))
    except (ValueError, UnicodeDecodeError):
        return None


def make_record(
    *,
    received_at: str,
    body: bytes,
    parsed: Any = None,
    exchange: str | None = None,
    routing_key: str | None = None,
    channel: str | None = None,
    properties: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A recording of one received message."""
    record: dict[str, Any] = {"recorded": FORMAT, "received_at": received_at}
    if channel is not None:
        record["channel"] = channel
    else:
        record["exchange"] = exchange
        record["routing_key"] = routing_key
    if properties:
        record["properties"] = properties
    record.update(body_fields(body, parsed))
    return record


class RecordingWriter:
    """Appends recordings of received messages to a JSON-lines file, one line each."""

    def __init__(self, path: str, *, append: bool = False) -> None:
        """``path`` ``-`` is stdout; ``append`` adds to an existing recording instead of replacing it."""
        import io
        import sys

        from ocelot_cli.errors import InputError

        # A lone surrogate in a header is written as its JSON escape, which reads back the same.
        try:
            if path == "-":
                self.file = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", errors="backslashreplace")
            else:
                self.file = open(path, "a" if append else "w", encoding="utf-8", errors="backslashreplace")  # noqa: SIM115
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc.strerror}") from None
        self.path = "stdout" if path == "-" else path
        self.count = 0
        self.gaps = 0

    def write(self, message: Any, parsed: Any) -> None:
        """Record one ``tail.ReceivedMessage`` (``parsed`` is its JSON body, or None)."""
        record = make_record(
            received_at=message.received_text,
            body=message.body,
            parsed=parsed,
            exchange=message.exchange,
            routing_key=message.routing_key,
            channel=message.channel,
            properties=message.properties,
        )
        self.file.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        self.count += 1

    def gap(self, reason: str) -> None:
        """Mark in the recording that messages may be missing here."""
        from ocelot_cli.envelope import formats

        record = make_gap(formats.format_timestamp(formats.utc_from_epoch(time.time())), reason)
        self.file.write(json.dumps(record, separators=(",", ":")) + "\n")
        self.gaps += 1

    def flush(self) -> None:
        self.file.flush()

    def sync(self) -> None:
        """Flushed and on the disk (``tail --consume`` acknowledges a message only then); a pipe or a
        terminal, which cannot be synced, only flushed."""
        import os

        from ocelot_cli.errors import OUTPUT_ERRNOS

        self.file.flush()
        try:
            os.fsync(self.file.fileno())
        except (OSError, ValueError) as exc:  # EINVAL for a pipe; no file number at all for some streams
            if getattr(exc, "errno", None) in OUTPUT_ERRNOS:
                raise

    def close(self) -> None:
        if self.path == "stdout":  # flushed, and stdout left open for whoever writes next
            self.file.flush()
            self.file.detach()
        else:
            self.file.close()


def check_output_file(output_file: str | None, append: bool, force: bool, *, view: bool = False) -> None:
    """A recording never replaces a file by accident: refused before connecting, unless asked."""
    import os

    from ocelot_cli.errors import UsageProblem

    if output_file == "-" and view:
        raise UsageProblem("--output - writes the recording to stdout: no view (--format, --json, --headers, "
                           "--expand, --envelope) goes with it")  # fmt: skip
    if (append or force) and not output_file:
        raise UsageProblem("--append and --force go with --output FILE")
    if append and force:
        raise UsageProblem("choose one of --append (add to the file) and --force (replace it)")
    # A regular file with something in it; devices and pipes (/dev/null, a fifo) are written as ever.
    kept = output_file and output_file != "-" and os.path.isfile(output_file) and os.path.getsize(output_file) > 0
    if output_file and output_file != "-":  # a place that cannot take a file: said before connecting
        from ocelot_cli.formats.writable import check_writable

        check_writable("--output", output_file)
    if kept and not (append or force):
        raise UsageProblem(f"--output {output_file}: the file exists",
                           hint="--append to add to it, --force to replace it, or name another file")  # fmt: skip
