"""WebSocket frames read in bulk for the gateway client: one socket read brings every frame that has arrived.

websocket-client reads a frame in three socket reads (header, length, payload) and builds
objects for each; at tens of thousands of events a second that is most of a tail's time. Once
websocket-client has opened the connection (handshake, TLS, proxy), ``FrameReader`` reads what
has arrived on its socket, up to 256 KB at a time, with the library's own ``recv`` (same timeouts,
TLS handling and errors), and cuts it into messages: fragments joined, control frames (close,
ping, pong) passed on as they come, the frame rules of RFC 6455 checked as websocket-client
checks them. A message has a bound (64 MB), like every reader of ocelot.
"""

from __future__ import annotations

from typing import Any

import websocket
from websocket import WebSocketProtocolException

READ_SIZE = 256 * 1024
MAX_MESSAGE = 64 * 1024 * 1024
CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_TEXT_WHOLE = 0x80 | TEXT  # the usual first byte: a text message in one frame


class FrameReader:
    """The messages and control frames of one connection's socket, in the order they arrived."""

    __slots__ = ("_sock", "_buffer", "_at", "_parts", "_size", "_opcode")

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self._buffer = bytearray()  # grown in place: a big frame arriving in many reads is not copied each time
        self._at = 0  # where the next frame starts in _buffer
        self._parts: list[bytes] = []  # the fragments so far of a message sent in several frames
        self._size = 0  # and their bytes
        self._opcode = TEXT  # and that message's opcode

    def fill(self) -> None:
        """Read what has arrived, waiting up to the socket's timeout: WebSocketTimeoutException when
        nothing came, WebSocketConnectionClosedException when the connection is gone."""
        chunk = websocket.recv(self._sock, READ_SIZE)
        if self._at:  # what was taken goes; only a frame not whole yet is moved
            del self._buffer[: self._at]
            self._at = 0
        self._buffer += chunk

    def has_frame(self) -> bool:
        """True when a whole frame is buffered (a read would not wait)."""
        return self._frame_at(self._buffer, self._at) is not None

    def next(self) -> tuple[int, bytes] | None:
        """The next whole message (TEXT or BINARY) or control frame buffered, as (opcode, payload); None
        when none is. WebSocketProtocolException for a frame that breaks the protocol."""
        while True:
            buffer, at = self._buffer, self._at
            found = self._frame_at(buffer, at)
            if found is None:
                return None
            first, start, end, masked = found
            self._at = end
            payload = bytes(buffer[start:end])
            if masked:  # servers do not mask; websocket-client accepts it, and so does this
                payload = websocket.ABNF.mask(bytes(buffer[start - 4 : start]), payload)
            if first == _TEXT_WHOLE and not self._parts:
                return TEXT, payload
            message = self._assemble(first, payload)
            if message is not None:
                return message

    @staticmethod
    def _frame_at(buffer: bytearray, at: int) -> tuple[int, int, int, int] | None:
        """(first byte, payload start, payload end, masked) of a whole frame at ``at``; None if not all there."""
        available = len(buffer) - at
        if available < 2:
            return None
        second = buffer[at + 1]
        size = second & 0x7F
        start = at + 2
        if size == 126:
            if available < 4:
                return None
            size, start = int.from_bytes(buffer[at + 2 : at + 4], "big"), at + 4
        elif size == 127:
            if available < 10:
                return None
            size, start = int.from_bytes(buffer[at + 2 : at + 10], "big"), at + 10
        if size > MAX_MESSAGE:
            raise WebSocketProtocolException(f"a frame of {size:,} bytes: more than a reader takes ({MAX_MESSAGE:,})")
        masked = second & 0x80
        if masked:
            start += 4
        end = start + size
        return None if end > len(buffer) else (buffer[at], start, end, masked)

    def _assemble(self, first: int, payload: bytes) -> tuple[int, bytes] | None:
        """A frame checked and taken: a control frame or a finished message, or None (a fragment kept)."""
        if first & 0x70:
            raise WebSocketProtocolException("rsv is not implemented, yet")
        fin, opcode = first & 0x80, first & 0x0F
        if opcode >= CLOSE:
            if opcode not in (CLOSE, PING, PONG):
                raise WebSocketProtocolException(f"Invalid opcode {opcode}")
            if not fin or len(payload) > 125:
                raise WebSocketProtocolException("Invalid ping frame." if opcode == PING else "Invalid control frame")
            if opcode == CLOSE and len(payload) == 1:
                raise WebSocketProtocolException("Invalid close frame.")
            return opcode, payload
        if opcode == CONTINUATION:
            if not self._parts:
                raise WebSocketProtocolException("Illegal frame")
        elif opcode in (TEXT, BINARY):
            if self._parts:
                raise WebSocketProtocolException("Illegal frame")
            self._opcode = opcode
        else:
            raise WebSocketProtocolException(f"Invalid opcode {opcode}")
        self._parts.append(payload)
        self._size += len(payload)
        if self._size > MAX_MESSAGE:
            raise WebSocketProtocolException(f"a message of more than {MAX_MESSAGE:,} bytes")
        if not fin:
            return None
        parts, self._parts, self._size = self._parts, [], 0
        return self._opcode, b"".join(parts)
