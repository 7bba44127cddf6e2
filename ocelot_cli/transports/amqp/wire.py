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


class MessageEncoder:
    """Marshals whole basic.publish messages (method, header and body frames) for one channel."""

    def __init__(self, channel_number: int, body_max: int) -> None:
        self.channel_number = channel_number
        self.body_max = body_max
        self._methods: dict[tuple[str, str, bool], bytes] = {}
        self._tables: dict[tuple[tuple[str, Any], ...], bytes] = {}
        self._shorts: dict[str, bytes] = {}
        self._shapes: dict[tuple[str, ...], tuple[tuple[str, int, int], ...]] = {}

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
        fields = self._shapes.get(tuple(properties))
        if fields is None:
            fields = self._shape(properties)
        flags = 0
        pieces: list[bytes] = []
        append = pieces.append
        shorts = self._shorts
        for name, flag, kind in fields:
            value = properties[name]
            if value is None:
                continue
            flags |= flag
            if kind == _SHORT:
                piece = shorts.get(value) if type(value) is str else None
                append(piece if piece is not None else self._short(value))
            elif kind == _OCTET:
                if type(value) is not int or not 0 <= value <= 255:
                    raise _Unsupported
                append(_BYTE[value])
            elif kind == _STAMP:
                if type(value) is not int or not 0 <= value < 1 << 64:
                    raise _Unsupported
                append(_STAMP_PACK(value))
            else:
                append(self._table(value))
        return flags, b"".join(pieces)

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

    def _shape(self, properties: dict[str, Any]) -> tuple[tuple[str, int, int], ...]:
        """The fields of a set of property names, in wire order (kept: messages share a few sets)."""
        if not _NAMES.issuperset(properties):
            raise _Unsupported
        if len(self._shapes) >= _TABLE_CACHE_SIZE:
            self._shapes.clear()
        fields = self._shapes[tuple(properties)] = tuple(f for f in _FIELDS if f[0] in properties)
        return fields

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
