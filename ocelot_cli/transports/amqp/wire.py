"""basic.publish on the wire: the three frames of a message, marshalled in one step.

pika marshals a message as a method frame, a content header (a ``BasicProperties`` object
encoded field by field) and body frames, each through several Python calls, then writes each
frame on its own. For a stream of messages that is most of a publisher's CPU time. Here the
method frame of an (exchange, routing key) is marshalled once, the content header straight
from the property dict (the header table of a repeated set of headers once), and a message's
frames are joined into one piece of bytes. The bytes are exactly pika's (a property test
compares them); properties this does not cover (an unknown name, a value of another type) go
through pika's own encoder, which also gives its errors.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from pika import data as amqp_data
from pika import frame as amqp_frame
from pika import spec as amqp_spec

FRAME_END = b"\xce"
_SHORT, _OCTET, _STAMP, _TABLE = range(4)
# BasicProperties in wire order: name, flag bit, kind of value (AMQP 0-9-1, class 60)
_FIELDS = (
    ("content_type", 1 << 15, _SHORT),
    ("content_encoding", 1 << 14, _SHORT),
    ("headers", 1 << 13, _TABLE),
    ("delivery_mode", 1 << 12, _OCTET),
    ("priority", 1 << 11, _OCTET),
    ("correlation_id", 1 << 10, _SHORT),
    ("reply_to", 1 << 9, _SHORT),
    ("expiration", 1 << 8, _SHORT),
    ("message_id", 1 << 7, _SHORT),
    ("timestamp", 1 << 6, _STAMP),
    ("type", 1 << 5, _SHORT),
    ("user_id", 1 << 4, _SHORT),
    ("app_id", 1 << 3, _SHORT),
    ("cluster_id", 1 << 2, _SHORT),
)
_NAMES = frozenset(name for name, _flag, _kind in _FIELDS)
_BYTE = [bytes([n]) for n in range(256)]
_FRAME_HEAD = struct.Struct(">BHI")
_CONTENT_HEAD = struct.Struct(">HHQH")
_STAMP_PACK = struct.Struct(">Q").pack
_TABLE_CACHE_SIZE = 256
_SHORTS_KEPT = 64  # short strings kept encoded; the first ones a run sends are the ones that repeat


class _Unsupported(Exception):
    """A property this encoder leaves to pika."""


def _compile(fields: list[tuple[str, int, int]]) -> Callable[..., bytes]:
    """An encoder of the property values of one set of names, in wire order, as straight-line code (a loop
    over the fields costs twice as much). A value it does not take (None, another type) raises _Unsupported:
    pika's encoder then does the message. The names are _FIELDS' own, never a message's."""
    lines = ["def encode(p, shorts, short, table):"]
    for index, (name, _flag, kind) in enumerate(fields):
        lines.append(f"    x = p[{name!r}]")
        if kind == _SHORT:
            lines.append(f"    v{index} = (shorts.get(x) if type(x) is str else None) or short(x)")
        elif kind == _OCTET:
            lines.append("    if type(x) is not int or not 0 <= x <= 255: raise Unsupported")
            lines.append(f"    v{index} = BYTE[x]")
        elif kind == _STAMP:
            lines.append("    if type(x) is not int or not 0 <= x < 1 << 64: raise Unsupported")
            lines.append(f"    v{index} = STAMP(x)")
        else:
            lines.append(f"    v{index} = table(x)")
    lines.append(f"    return b''.join(({''.join(f'v{i}, ' for i in range(len(fields)))}))")
    namespace: dict[str, Any] = {"Unsupported": _Unsupported, "BYTE": _BYTE, "STAMP": _STAMP_PACK}
    exec("\n".join(lines), namespace)  # noqa: S102 (code made above from _FIELDS alone)
    return namespace["encode"]


class MessageEncoder:
    """Marshals whole basic.publish messages (method, header and body frames) for one channel."""

    def __init__(self, channel_number: int, body_max: int) -> None:
        self.channel_number = channel_number
        self.body_max = body_max
        self._methods: dict[tuple[str, str, bool], bytes] = {}
        self._tables: dict[tuple[tuple[str, Any], ...], bytes] = {}
        self._shorts: dict[str, bytes] = {}
        self._shapes: dict[tuple[str, ...], tuple[int, Callable[..., bytes]]] = {}

    def method(self, exchange: str, routing_key: str, mandatory: bool = True) -> bytes:
        """The marshalled Basic.Publish method frame (the same for every message to one key)."""
        key = (exchange, routing_key, mandatory)
        frame = self._methods.get(key)
        if frame is None:
            if len(self._methods) >= _TABLE_CACHE_SIZE:
                self._methods.clear()
            publish = amqp_spec.Basic.Publish(exchange=exchange, routing_key=routing_key, mandatory=mandatory)
            frame = self._methods[key] = amqp_frame.Method(self.channel_number, publish).marshal()
        return frame

    def encode(self, exchange: str, routing_key: str, body: bytes, properties: dict[str, Any]) -> bytes:
        """The frames of one mandatory message as one piece of bytes, as pika would write them.

        Raises what pika raises for a message it cannot encode (see publisher.UNENCODABLE)."""
        method = self.method(exchange, routing_key)
        try:
            props = self._properties(properties)
        except _Unsupported:
            header = amqp_frame.Header(self.channel_number, len(body), amqp_spec.BasicProperties(**properties))
            head_frame = header.marshal()
        else:
            flags, encoded = props
            payload = _CONTENT_HEAD.pack(60, 0, len(body), flags) + encoded
            head_frame = _FRAME_HEAD.pack(2, self.channel_number, len(payload)) + payload + FRAME_END
        size = len(body)
        if 0 < size <= self.body_max:
            return b"".join((method, head_frame, _FRAME_HEAD.pack(3, self.channel_number, size), body, FRAME_END))
        pieces = [method, head_frame]
        for start in range(0, size, self.body_max):
            chunk = body[start : start + self.body_max]
            pieces += (_FRAME_HEAD.pack(3, self.channel_number, len(chunk)), chunk, FRAME_END)
        return b"".join(pieces)

    def _properties(self, properties: dict[str, Any]) -> tuple[int, bytes]:
        shape = self._shapes.get(tuple(properties))
        if shape is None:
            shape = self._shape(properties)
        flags, encode = shape
        return flags, encode(properties, self._shorts, self._short, self._table)

    def _short(self, value: Any) -> bytes:
        """A short string with its length (kept while few: types, content types, app ids come again)."""
        if type(value) is not str:
            raise _Unsupported
        encoded = value.encode()
        if len(encoded) > 255:
            raise _Unsupported  # pika says so (ShortStringTooLong)
        piece = _BYTE[len(encoded)] + encoded
        if len(self._shorts) < _SHORTS_KEPT:
            self._shorts[value] = piece
        return piece

    def _shape(self, properties: dict[str, Any]) -> tuple[int, Callable[..., bytes]]:
        """The flags and the encoder of a set of property names (kept: messages share a few sets)."""
        if not _NAMES.issuperset(properties):
            raise _Unsupported
        if len(self._shapes) >= _TABLE_CACHE_SIZE:
            self._shapes.clear()
        fields = [field for field in _FIELDS if field[0] in properties]
        shape = self._shapes[tuple(properties)] = (sum(flag for _n, flag, _k in fields), _compile(fields))
        return shape

    def _table(self, table: Any) -> bytes:
        """An AMQP field table through pika's encoder, kept for a set of headers that comes again."""
        if type(table) is not dict:
            raise _Unsupported
        try:
            key = tuple(table.items())
            cached = self._tables.get(key)
        except TypeError:  # values that cannot be a key (lists, tables): encoded each time
            key, cached = None, None
        if cached is not None:
            return cached
        pieces: list[bytes] = []
        amqp_data.encode_table(pieces, table)
        encoded = b"".join(pieces)
        if key is not None and all(type(v) is str for _k, v in key):  # types kept apart: 1 and True are equal keys
            if len(self._tables) >= _TABLE_CACHE_SIZE:
                self._tables.clear()
            self._tables[key] = encoded
        return encoded
