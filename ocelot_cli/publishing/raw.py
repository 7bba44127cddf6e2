"""Raw publishing: bodies sent exactly as they are, and the headers and properties a user adds.

``publish --raw -f FILE`` sends each line of FILE as one message body (``--whole``: the whole
file as one body), byte for byte: no parsing, no catalog, no validation; the routing key is
``--routing-key``'s. ``--header K=V`` (``K:=JSON`` for a typed value) and ``--property NAME=VALUE``
go on every message, raw or from the catalog, over what ocelot sets itself.

Everything the broker would refuse mid-run (a property it rejects with a channel error, a body
over its size limit) is refused here, with the option or the file and line, before anything is sent.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from ocelot_cli.envelope import formats
from ocelot_cli.errors import InputError, UsageProblem
from ocelot_cli.publishing.messages import BROKER_MAX_MESSAGE_BYTES as MAX_BODY_BYTES
from ocelot_cli.transports.limits import OCTET_PROPERTIES, PROPERTIES, SHORT_PROPERTIES, amqp_problem
from ocelot_cli.transports.messages import OutgoingMessage

SETTABLE = sorted(PROPERTIES - {"headers"})
_DELIVERY_MODES = {"1": 1, "transient": 1, "2": 2, "persistent": 2}
_EXPIRATION = re.compile(r"^[0-9]{1,10}$")  # milliseconds, as text; RabbitMQ refuses anything else
_HEADER_NAME = re.compile(r"^[^=:][^=]*?(?=:?=)")


@dataclass
class Extras:
    """Headers and properties added to every message (``--header``, ``--property``)."""

    headers: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.headers or self.properties)

    def flags(self) -> str:
        """The options that gave them, for messages (``--header, --property``)."""
        return ", ".join(flag for flag, given in (("--header", self.headers), ("--property", self.properties)) if given)

    def apply(self, properties: dict[str, Any]) -> dict[str, Any]:
        """``properties`` with these on top (headers merged, the user's keys winning); a new dict."""
        merged = {**properties, **self.properties}
        if self.headers:
            merged["headers"] = {**(properties.get("headers") or {}), **self.headers}
        return merged


def parse_extras(headers: list[str] | None, properties: list[str] | None, *, url: str | None = None) -> Extras:
    """``--header`` and ``--property`` values, checked as the broker will check them."""
    extras = Extras()
    for text in headers or []:
        name, value = _header(text)
        extras.headers[name] = value
    for text in properties or []:
        name, value = _property(text, url)
        extras.properties[name] = value
    problem = amqp_problem("", "", {**extras.properties, "headers": extras.headers})
    if problem:
        raise UsageProblem(f"--header/--property: {problem.removeprefix('properties.')}")
    return extras


def _header(text: str) -> tuple[str, Any]:
    match = _HEADER_NAME.match(text)
    if not match:
        raise UsageProblem(f"--header {text!r}: write NAME=VALUE (text) or NAME:=JSON (a number, true, a list...)",
                           hint="for example --header x-retry:=3 --header tenant=org-1")  # fmt: skip
    name = match.group(0)
    rest = text[len(name) :]
    if rest.startswith(":="):
        try:
            value = json.loads(rest[2:])
        except ValueError as exc:
            raise UsageProblem(f"--header {name}:=... is not JSON: {exc}",
                               hint=f"quote text as JSON ({name}:='\"text\"') or use {name}=text") from None
        if isinstance(value, float):
            raise UsageProblem(f"--header {name}:={rest[2:]}: an AMQP header cannot carry a decimal number here",
                               hint=f"send it as text: --header {name}={rest[2:]}")  # fmt: skip
        return name, value
    return name, rest[1:]


def _property(text: str, url: str | None) -> tuple[str, Any]:
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or name not in SETTABLE:
        known = ", ".join(SETTABLE)
        what = f"{name!r} is not an AMQP property" if sep else "write NAME=VALUE"
        raise UsageProblem(f"--property {text!r}: {what}", hint=f"one of {known}; headers go in --header")
    if name == "delivery_mode":
        if raw.lower() not in _DELIVERY_MODES:
            raise UsageProblem(f"--property delivery_mode={raw}: choose 1 (transient) or 2 (persistent)")
        return name, _DELIVERY_MODES[raw.lower()]
    if name in OCTET_PROPERTIES:  # priority
        if not raw.isdigit() or int(raw) > 255:
            raise UsageProblem(f"--property {name}={raw}: a whole number from 0 to 255")
        return name, int(raw)
    if name == "timestamp":
        return name, _timestamp(raw)
    if name == "expiration" and not _EXPIRATION.match(raw):
        raise UsageProblem(f"--property expiration={raw}: the broker takes a whole number of milliseconds, as text",
                           hint="for example --property expiration=60000 (one minute)")  # fmt: skip
    if name == "user_id":
        _check_user(raw, url)
    assert name in SHORT_PROPERTIES
    return name, raw


def _timestamp(raw: str) -> int:
    if raw.isdigit():
        return int(raw)
    moment = formats.epoch_of(raw)
    if moment is None or moment < 0:
        raise UsageProblem(f"--property timestamp={raw}: give seconds since 1970 or an ISO 8601 time after 1970",
                           hint="for example --property timestamp=2026-11-28T10:00:00Z")  # fmt: skip
    return int(moment)


def _check_user(user_id: str, url: str | None) -> None:
    """RabbitMQ closes the channel on a user_id other than the connection's user: refused before sending."""
    if not url:
        return
    parts = urlsplit(url.split(",")[0].strip())
    user = unquote(parts.username) if parts.username else "guest"  # pika's default credentials
    if parts.scheme.startswith("amqp") and user != user_id:
        raise UsageProblem(f"--property user_id={user_id}: the broker refuses a user_id other than the connection's "
                           f"user ({user})", hint="leave user_id out, or connect as that user")  # fmt: skip


def with_extras(messages: Iterator[OutgoingMessage], extras: Extras) -> Iterator[OutgoingMessage]:
    """The messages, with the extra headers and properties on each."""
    for message in messages:
        message.properties = extras.apply(message.properties)
        message.event_id = message.properties.get("message_id", message.event_id)
        yield message


def _bodies(name: str, whole: bool) -> Iterator[tuple[int, bytes]]:
    """(line, body) of one input: each line without its line end (empty lines skipped), or the whole file."""
    from ocelot_cli.formats.sources import display_name  # brings the YAML reader: only for --raw

    shown = display_name(name)
    try:
        if whole:
            size = os.path.getsize(name)
            if size > MAX_BODY_BYTES:
                raise InputError(f"{shown}: {size:,} bytes, over the broker's maximum message of "
                                 f"{MAX_BODY_BYTES:,} bytes", hint="send it in pieces, or raise max_message_size")
            with open(name, "rb") as stream:
                yield 1, stream.read()
            return
        with open(name, "rb") as stream:
            for number, line in enumerate(stream, 1):
                body = line[:-2] if line.endswith(b"\r\n") else line.rstrip(b"\n")
                if len(body) > MAX_BODY_BYTES:
                    raise InputError(f"{shown}:{number}: a body of {len(body):,} bytes, over the broker's maximum "
                                     f"of {MAX_BODY_BYTES:,} bytes", hint="keep each message under it")  # fmt: skip
                if body:
                    yield number, body
    except OSError as exc:
        raise InputError(f"{shown}: cannot read: {exc.strerror}", hint="check the path and its permissions") from None


def count_raw(names: list[str], whole: bool) -> int:
    """First pass: how many messages the inputs hold; unreadable inputs and bodies too big fail here."""
    return sum(1 for name in names for _body in _bodies(name, whole))


def raw_messages(names: list[str], *, exchange: str, routing_key: str, extras: Extras, whole: bool,
                 resume_from: int = 0) -> Iterator[OutgoingMessage]:  # fmt: skip
    """The bodies of the inputs as messages (persistent unless --property delivery_mode=1), from ``resume_from``."""
    properties = extras.apply({"delivery_mode": 2})
    seq = 0
    for name in names:
        for _line, body in _bodies(name, whole):
            if seq >= resume_from:
                props = dict(properties)
                yield OutgoingMessage(exchange, routing_key, body, props, props.get("message_id"), props.get("type"),
                                      seq)  # fmt: skip
            seq += 1
