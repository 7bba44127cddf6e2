"""WebSocket frames read in bulk (the gateway client) and written once for many (the gateway's outbox)."""

import asyncio
import json

import pytest
import websocket
from websockets.protocol import OPEN

from ocelot_cli.gateway.hub import Hub, Limits
from ocelot_cli.gateway.outbox import Outbox, text_frame
from ocelot_cli.transports.ws_frames import BINARY, CLOSE, MAX_MESSAGE, PING, TEXT, FrameReader


def frame(payload: bytes, opcode: int = TEXT, fin: bool = True, mask: bytes | None = None, rsv: int = 0) -> bytes:
    size = len(payload)
    head = bytes([(0x80 if fin else 0) | rsv | opcode])
    bit = 0x80 if mask else 0
    if size < 126:
        head += bytes([bit | size])
    elif size < 65536:
        head += bytes([bit | 126]) + size.to_bytes(2, "big")
    else:
        head += bytes([bit | 127]) + size.to_bytes(8, "big")
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        head += mask
    return head + payload


class Socket:
    """What websocket.recv needs of a socket: chunks as they would arrive, then the end of the connection."""

    def __init__(self, *chunks: bytes) -> None:
        self.chunks = list(chunks)

    def gettimeout(self) -> float:
        return 0

    def recv(self, size: int) -> bytes:
        return self.chunks.pop(0)[:size] if self.chunks else b""


def read_all(reader: FrameReader) -> list[tuple[int, bytes]]:
    got = []
    while True:
        item = reader.next()
        if item is not None:
            got.append(item)
            continue
        try:
            reader.fill()
        except websocket.WebSocketConnectionClosedException:
            return got


def test_frames_cut_anywhere_across_reads_come_out_whole_and_in_order():
    stream = b"".join([frame(b"a" * 5), frame(b"b" * 300), frame(b"c" * 70_000, opcode=BINARY), frame(b"", PING)])
    for cut in (1, 2, 3, 7, 100, 4096):
        chunks = [stream[i : i + cut] for i in range(0, len(stream), cut)]
        got = read_all(FrameReader(Socket(*chunks)))
        assert got == [(TEXT, b"a" * 5), (TEXT, b"b" * 300), (BINARY, b"c" * 70_000), (PING, b"")]


def test_a_fragmented_message_is_joined_around_the_control_frames_between_its_fragments():
    stream = frame(b"he", fin=False) + frame(b"", PING) + frame(b"ll", opcode=0, fin=False) + frame(b"o", opcode=0)
    got = read_all(FrameReader(Socket(stream, frame(b"\x03\xe8bye", CLOSE))))
    assert got == [(PING, b""), (TEXT, b"hello"), (CLOSE, b"\x03\xe8bye")]


def test_a_masked_frame_is_unmasked_and_has_frame_says_when_a_read_would_not_wait():
    masked = frame(b'{"x": 1}', mask=b"\x01\x02\x03\x04")
    reader = FrameReader(Socket(masked[:-1], masked[-1:]))
    reader.fill()
    assert not reader.has_frame() and reader.next() is None
    reader.fill()
    assert reader.has_frame() and reader.next() == (TEXT, b'{"x": 1}') and not reader.has_frame()


@pytest.mark.parametrize(
    "stream",
    [frame(b"x", rsv=0x40), frame(b"x", opcode=0x3), frame(b"x", opcode=0), frame(b"x", PING, fin=False),
     frame(b"x" * 126, PING), frame(b"x", CLOSE), frame(b"a", fin=False) + frame(b"b"),
     bytes([0x81, 127]) + (MAX_MESSAGE + 1).to_bytes(8, "big")],
    ids=["rsv", "opcode", "stray-continuation", "fragmented-ping", "long-ping", "short-close", "text-in-fragments",
         "over-the-bound"],
)  # fmt: skip
def test_frames_that_break_the_protocol_are_refused(stream):
    with pytest.raises(websocket.WebSocketProtocolException):
        read_all(FrameReader(Socket(stream)))


class Connection:
    """What an Outbox uses of a websockets connection: its protocol's state, transport, flow control."""

    def __init__(self) -> None:
        self.protocol = type("Protocol", (), {"extensions": [], "state": OPEN})()
        self.written: list[bytes] = []
        self.transport = type("Transport", (), {"write": lambda _self, data: self.written.append(data)})()
        self.paused = False
        self.resumed = asyncio.Event()

    async def drain(self) -> None:
        await self.resumed.wait()
        self.paused = False


def test_an_event_is_framed_once_and_the_same_bytes_go_to_every_connection_that_keeps_up():
    async def scenario():
        hub = Hub(Limits(buffer=2), encode=text_frame)
        connections = [Connection() for _ in range(3)]
        for connection in connections:
            client = hub.join("t1", "u1", Outbox(connection, 2).send)
            hub.control(client, {"type": "subscribe", "channel": "tenant:t1:events"})
        assert hub.publish("tenant:t1:events", json.dumps({"tenant_id": "t1", "data": {}})) == 3
        first = connections[0].written[0]
        assert all(c.written == [first] for c in connections) and all(c.written[0] is first for c in connections)
        assert first == text_frame(b'{"tenant_id": "t1", "data": {}}')

    asyncio.run(scenario())


def test_a_connection_that_falls_behind_gets_its_buffer_then_the_count_of_what_did_not_fit():
    async def scenario():
        hub = Hub(Limits(buffer=2), encode=text_frame)
        connection = Connection()
        outbox = Outbox(connection, 2)
        client = hub.join("t1", "u1", outbox.send)
        outbox.notice = lambda: hub.dropped_notice(client)
        hub.control(client, {"type": "subscribe", "channel": "tenant:t1:events"})
        connection.paused = True  # the transport is over its high-water mark
        sent = [hub.publish("tenant:t1:events", json.dumps({"tenant_id": "t1", "n": n})) for n in range(5)]
        assert sent == [1, 1, 0, 0, 0] and connection.written == [] and hub.metrics.dropped["buffer_overflow"] == 3
        connection.resumed.set()
        for _ in range(5):
            await asyncio.sleep(0)
        first, told, second = connection.written
        assert [first, second] == [text_frame(json.dumps({"tenant_id": "t1", "n": n}).encode()) for n in (0, 1)]
        notice = json.loads(told[4:])  # told with the first frame written since (a 2-byte length: 126 to 64 KB)
        assert notice["event"] == "system.buffer_dropped" and notice["data"]["dropped_count"] == 3
        assert outbox.backlog is None  # its memory too is given back once it has caught up
        assert hub.publish("tenant:t1:events", json.dumps({"tenant_id": "t1", "n": 9})) == 1
        assert len(connection.written) == 4  # written at once again

    asyncio.run(scenario())
