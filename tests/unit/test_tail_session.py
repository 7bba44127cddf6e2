"""How a tail writes what it shows: in few writes under a burst, and never holding a line back."""

import collections
import io
import json

import pytest

from ocelot_cli.render.output import Output
from ocelot_cli.render.tail import NdjsonRenderer
from ocelot_cli.tail.session import TailLimits, TailSession
from ocelot_cli.transports.messages import ReceivedMessage
from ocelot_cli.transports.retry import PolledSource


class Batches(PolledSource):
    """A source that reads its messages in batches, as the transports' sources do."""

    def __init__(self, batches: list[int]) -> None:
        self._pending = collections.deque()
        self.batches = batches
        self.count = 0

    def _connected(self) -> bool:
        return True

    def close(self) -> None:
        pass

    def _poll(self) -> None:
        size = self.batches.pop(0)
        for _ in range(size):
            self.count += 1
            body = json.dumps({"event": "task.updated", "n": self.count}).encode()
            self._pending.append(ReceivedMessage(body, 0.0, channel="tenant:t1:events"))


class Stream(io.BytesIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[int] = []  # lines in each write

    def write(self, data) -> int:  # noqa: ANN001
        self.writes.append(bytes(data).count(b"\n"))
        return super().write(data)


def test_the_json_lines_of_a_burst_are_written_together_as_soon_as_the_source_has_no_more():
    stream = Stream()
    source = Batches([3, 1, 50, 2])
    TailSession(source, NdjsonRenderer(Output(), stream=stream), limits=TailLimits(count=56)).run()
    assert stream.writes == [3, 1, 50, 2]  # one write per batch read, each before the source waits again
    lines = stream.getvalue().decode().splitlines()
    assert [json.loads(line)["n"] for line in lines] == list(range(1, 57))


class _SlowRaw:
    """A raw stream that takes a little at a time, and is interrupted (a signal) after a few writes."""

    def __init__(self, interrupt_after: int) -> None:
        self.data = bytearray()
        self.calls = 0
        self.interrupt_after = interrupt_after

    def write(self, data) -> int:  # noqa: ANN001
        self.calls += 1
        if self.calls == self.interrupt_after:
            raise KeyboardInterrupt
        taken = bytes(data[:1000])
        self.data += taken
        return len(taken)


class _Buffered(io.RawIOBase):
    def __init__(self, raw: _SlowRaw) -> None:
        self.raw = raw

    def flush(self) -> None:
        pass


def test_a_signal_during_a_blocked_write_loses_no_line_and_writes_none_twice():
    raw = _SlowRaw(interrupt_after=4)
    renderer = NdjsonRenderer(Output(), stream=_Buffered(raw))
    lines = [json.dumps({"n": n, "pad": "x" * 80}).encode() for n in range(200)]
    for line in lines:
        renderer.message(ReceivedMessage(line, 0.0), json.loads(line), None)
    with pytest.raises(KeyboardInterrupt):
        renderer.flush()  # lines stay gathered: the tail's own ending flushes again
    assert 0 < len(raw.data) < 20_000
    renderer.flush()
    assert bytes(raw.data) == b"".join(line + b"\n" for line in lines)
