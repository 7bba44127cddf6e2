"""Reading queues and streams, the parts without a broker: --since/--until and retention as users write
them, the window that trims a stream read's head and ends it, x-death in words, the summary's counts,
and a take that hears of a message only once the view and the recording hold it."""

import collections
import json
from datetime import UTC, datetime

import pytest

from ocelot_cli.errors import UsageProblem
from ocelot_cli.render.queue_read import death_lines, queue_summary
from ocelot_cli.tail.filters import TailFilter
from ocelot_cli.tail.history import SHOW, SKIP, STOP, TimeWindow, parse_max_age, parse_since, parse_size
from ocelot_cli.tail.session import TailLimits, TailSession
from ocelot_cli.transports.amqp.queues import stream_mismatch
from ocelot_cli.transports.base import StreamSpec
from ocelot_cli.transports.messages import QueueCounts, ReceivedMessage
from ocelot_cli.transports.retry import PolledSource

NOW = datetime(2026, 11, 28, 10, 0, 0, tzinfo=UTC).timestamp()


def test_since_takes_the_stream_positions_an_offset_a_time_ago_and_a_time():
    assert parse_since("first").offset == "first" and parse_since("NEXT").offset == "next"
    assert parse_since("offset:1200").offset == 1200
    ago = parse_since("10m", now=NOW)
    assert ago.moment == NOW - 600 and ago.offset == datetime(2026, 11, 28, 9, 50, tzinfo=UTC)
    exact = parse_since("2026-11-27T10:00:00.750Z")
    # the broker takes whole seconds: it is asked for the second that holds the time, the rest is trimmed here
    assert exact.offset == datetime(2026, 11, 27, 10, 0, 0, tzinfo=UTC) and exact.moment % 1 == 0.75
    assert parse_since("2026-11-27T10:00Z").describe() == "2026-11-27T10:00:00.000Z"
    assert parse_since("2026-11-27T12:00+02:00").moment == datetime(2026, 11, 27, 10, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(("text", "says"), [("yesterday", "is neither a time ago nor a time"),
                                            ("offset:-3", "an offset is a whole number"),
                                            ("5 parsecs", "is neither a time ago nor a time")])  # fmt: skip
def test_a_since_that_is_none_of_them_is_refused_with_the_forms_it_takes(text, says):
    with pytest.raises(UsageProblem) as caught:
        parse_since(text)
    assert says in caught.value.message and "--since" in caught.value.message


def test_retention_is_written_as_rabbitmq_wants_it():
    assert [parse_max_age(t) for t in ("7d", "2w", "12h", "30m", "6M", "1y", "10s")] == [
        "7D", "14D", "12h", "30m", "6M", "1Y", "10s"]  # fmt: skip
    assert parse_size("5GB") == 5_000_000_000 and parse_size("2GiB") == 2**31 and parse_size("1500") == 1500
    for bad in ("0d", "1.5d", "7 days"):
        with pytest.raises(UsageProblem, match="--max-age"):
            parse_max_age(bad)
    for bad in ("0", "5 parsecs", "-1GB"):
        with pytest.raises(UsageProblem, match="--max-bytes"):
            parse_size(bad)


def _message(stamp: str | None = None, amqp_seconds: int | None = None) -> tuple[ReceivedMessage, dict | None]:
    event = {"type": "call.ended", "timestamp": stamp} if stamp else None
    properties = {"timestamp": amqp_seconds} if amqp_seconds is not None else {}
    return ReceivedMessage(json.dumps(event).encode(), 0.0, properties=properties), event


def test_the_window_trims_the_head_before_since_then_shows_the_stream_in_its_order():
    since = datetime(2026, 11, 28, 10, 0, 0, 500_000, tzinfo=UTC).timestamp()
    window = TimeWindow(since=since)
    verdicts = [window.admit(*_message(stamp)) for stamp in (
        "2026-11-28T10:00:00.100Z", "2026-11-28T10:00:00.499Z",  # the broker's second, before --since
        "2026-11-28T10:00:00.500Z",  # the first at --since: from here on, everything
        "2026-11-28T09:00:00.000Z")]  # an old event published later is still shown  # fmt: skip
    assert verdicts == [SKIP, SKIP, SHOW, SHOW] and window.skipped == 2


def test_a_message_known_to_the_second_only_is_trimmed_only_when_its_whole_second_is_before_since():
    since = datetime(2026, 11, 28, 10, 0, 0, 500_000, tzinfo=UTC).timestamp()
    second = int(since)
    assert TimeWindow(since=since).admit(*_message(amqp_seconds=second - 1)) == SKIP
    assert TimeWindow(since=since).admit(*_message(amqp_seconds=second)) == SHOW  # may be at or after --since
    assert TimeWindow(since=since).admit(*_message()) == SHOW  # no time at all: shown


def test_until_stops_at_a_message_from_after_it_or_once_caught_up_past_it():
    until = datetime(2026, 11, 28, 10, 0, tzinfo=UTC).timestamp()
    window = TimeWindow(until=until)
    assert window.admit(*_message("2026-11-28T09:59:59.999Z")) == SHOW
    assert window.admit(*_message("2026-11-28T10:00:00.001Z")) == STOP
    assert "a message from after --until 2026-11-28T10:00:00.000Z arrived" in window.reason
    caught_up = {"now": False}
    idle = TimeWindow(until=until, caught_up=lambda: caught_up["now"])
    assert not idle.ends_when_idle()
    caught_up["now"] = True
    assert idle.ends_when_idle() and idle.reason.startswith("caught up with the stream after --until")
    assert not TimeWindow(until=4_102_444_800.0, caught_up=lambda: True).ends_when_idle()  # 2100: not yet past


def test_x_death_reads_as_sentences_one_per_queue_it_died_in():
    headers = {"x-death": [
        {"count": 2, "reason": "rejected", "queue": "orders", "time": "2026-11-28T10:00:00+00:00",
         "exchange": "ocelot.events", "routing-keys": ["comms.call.ended"]},
        {"count": 1, "reason": "expired", "queue": "orders.retry", "time": "2026-11-28T09:00:00",
         "exchange": "", "routing-keys": ["orders.retry", "b"]},
        "not a table"]}  # fmt: skip
    assert death_lines(headers) == [
        "dead-lettered 2 times from queue orders (rejected) at 2026-11-28T10:00:00Z, exchange ocelot.events, "
        "key comms.call.ended",
        "dead-lettered once from queue orders.retry (expired) at 2026-11-28T09:00:00Z, exchange (default), "
        "keys orders.retry b",
    ]
    assert death_lines({"x-death": [{"queue": "q\x1b[31m", "count": 1}]}) == [
        "dead-lettered once from queue q\\e[31m (reason not given)"]  # escaped, never interpreted
    assert death_lines({}) == []


def test_the_summary_adds_up_what_a_look_a_take_and_a_stream_read_did():
    look = QueueCounts("q", "look", read=5, ending="the queue had no more messages ready")
    assert queue_summary(look) == ("; looked at 5 in queue 'q' and returned all 5 (redelivered); the queue had no "
                                   "more messages ready")  # fmt: skip
    take = QueueCounts("q", "take", read=7, taken=4)
    assert queue_summary(take) == "; read 7 from queue 'q': took 4 (acknowledged once written), returned 3"
    stream = QueueCounts("s", "stream", first_offset=10, last_offset=19, next_offset=15, before_since=2)
    assert queue_summary(stream) == ("; stream 's' offsets 10-14 (next: --since offset:15), 2 from just before "
                                     "--since skipped")  # fmt: skip (19 was read ahead, 14 the last handled)
    unhandled = QueueCounts("s", "stream", first_offset=10, last_offset=19)
    assert queue_summary(unhandled) == "; stream 's': nothing handled (next: --since offset:10)"
    assert queue_summary(None) == ""


def test_a_redeclaration_the_broker_refuses_says_what_differs_and_how_to_change_it():
    spec = StreamSpec("ops.history", (("ocelot.events", "#"),), "1D", None)
    text = ("PRECONDITION_FAILED - inequivalent arg 'x-max-age' for queue 'ops.history' in vhost '/': "
            "received '1D' but current is '7D'")  # fmt: skip
    problem = stream_mismatch(spec, text)
    assert problem.message == ("stream 'ops.history' exists with other settings: its x-max-age is 7D, this run "
                               "gives 1D (from --max-age)")  # fmt: skip
    assert """'{"max-age":"1D"}'""" in problem.hint and "rabbitmqctl delete_queue ops.history" in problem.hint
    classic = stream_mismatch(spec, "inequivalent arg 'x-queue-type' for queue 'ops.history' in vhost '/': "
                              "received the value 'stream' of type 'longstr' but current is none")  # fmt: skip
    assert classic.message == "'ops.history' exists and is not a stream (its x-queue-type is none)"
    durable = stream_mismatch(spec, "inequivalent arg 'durable' for queue 'ops.history' in vhost '/': received "
                              "'true' but current is 'false'")  # fmt: skip
    assert durable.message == "'ops.history' exists and is not a stream (it is not durable)"


class _Batches(PolledSource):
    """Messages read in batches, acknowledging through ``written`` as a take does."""

    def __init__(self, batches: list[list[str]]) -> None:
        self._pending = collections.deque()
        self.batches = batches
        self.written: list[list[str]] = []
        self.events: list[str] = []  # what happened, in order: "flush", "sync", "written"

    def _connected(self) -> bool:
        return True

    def close(self) -> None:
        pass

    def _poll(self) -> None:
        if not self.batches:
            raise KeyboardInterrupt  # the tail is stopped while waiting for more
        for name in self.batches.pop(0):
            self._pending.append(ReceivedMessage(json.dumps({"type": name}).encode(), 0.0, tag=len(self.events)))

    def on_written(self, messages: list[ReceivedMessage]) -> None:
        self.events.append("written")
        self.written.append([json.loads(m.body)["type"] for m in messages])


class _Renderer:
    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.pending: list[str] = []
        self.out: list[str] = []

    def message(self, message, event, violations) -> None:  # noqa: ANN001
        self.pending.append(event["type"])

    def flush(self) -> None:
        self.out += self.pending
        self.pending = []
        self.log.append("flush")


class _Recorder:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def write(self, message, parsed) -> None:  # noqa: ANN001
        pass

    def gap(self, reason: str) -> None:
        pass

    def flush(self) -> None:
        pass

    def sync(self) -> None:
        self.log.append("sync")


def test_a_take_hears_of_a_message_only_after_the_view_and_the_recording_hold_it_and_never_of_the_filtered():
    source = _Batches([["call.ended", "call.started", "call.ended"], ["call.ended"]])
    renderer = _Renderer(source.events)
    session = TailSession(source, renderer, tail_filter=TailFilter(types=["call.ended"]),
                          recorder=_Recorder(source.events), limits=TailLimits(), on_written=source.on_written)
    with pytest.raises(KeyboardInterrupt):
        session.run()
    assert source.written == [["call.ended", "call.ended"], ["call.ended"]]  # call.started stays in its queue
    assert renderer.out == ["call.ended", "call.ended", "call.ended"]
    # each batch: the view flushed, the recording on disk, and only then acknowledged
    assert source.events[:3] == ["flush", "sync", "written"] and source.events[3:6] == ["flush", "sync", "written"]
