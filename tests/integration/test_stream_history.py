"""Time travel on a RabbitMQ stream: record makes it (again: nothing changes; other settings: refused), and
tail --stream reads it from a time, an offset or the start, then live, or until a time. Real RabbitMQ
(3.9+ streams over AMQP 0-9-1); every stream, queue and exchange is this module's own (prefix
ocelot.test.queue) and deleted at the end. No fixed sleeps: batches are told apart by the clock, checked."""

import json
import time
import uuid
from datetime import UTC, datetime

import pika
import pytest

from ocelot_cli.envelope.catalog import load_catalog
from ocelot_cli.envelope.samples import SampleFactory, SampleOptions
from tests.cluster import free_port
from tests.integration.conftest import AMQP_URL, run_ocelot, wait_for

pytestmark = pytest.mark.integration
PREFIX = "ocelot.test.queue"


class History:
    """An exchange and the streams and queues of one test, deleted afterwards; publishing with confirms."""

    def __init__(self) -> None:
        self.connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()
        self.exchange = f"{PREFIX}.{uuid.uuid4().hex[:10]}"
        self.channel.exchange_declare(self.exchange, "topic")
        self.queues: list[str] = []
        self.factory = SampleFactory(load_catalog(), SampleOptions(org="org-h"))

    def name(self) -> str:
        name = f"{PREFIX}.{uuid.uuid4().hex[:10]}"
        self.queues.append(name)
        return name

    def record(self, *extra: str, stream: str | None = None, max_age: str = "1d"):  # noqa: ANN201
        stream = stream or self.name()
        result = run_ocelot("record", "--stream", stream, "--exchange", self.exchange, "--max-age", max_age, *extra)
        return stream, result

    def stream(self, *patterns: str) -> str:
        stream, result = self.record(*patterns)
        assert result.returncode == 0, result.stderr
        return stream

    def publish(self, count: int, name: str = "call.ended") -> list[str]:
        """``count`` events, each confirmed; their ids. Their timestamps are the time they are made."""
        ids = []
        for _ in range(count):
            event = self.factory.make(name)
            self.channel.basic_publish(self.exchange, "comms.call.ended", json.dumps(event, separators=(",", ":")),
                                       pika.BasicProperties(message_id=event["id"]), mandatory=True)  # fmt: skip
            ids.append(event["id"])
        return ids

    def cleanup(self) -> None:
        channel = self.connection.channel()
        for queue in self.queues:
            channel.queue_delete(queue)
        channel.exchange_delete(self.exchange)
        self.connection.close()


@pytest.fixture
def history(broker):
    made = History()
    yield made
    made.cleanup()


def ids_of(out: bytes) -> list[str]:
    return [json.loads(line)["id"] for line in out.splitlines()]


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def until_clock(moment: float) -> None:
    """Wait, checking the clock, until it reads ``moment`` or later."""
    wait_for(lambda: time.time() >= moment, 5, f"the clock to pass {iso(moment)}")


def test_record_makes_a_bound_stream_and_again_with_the_same_settings_changes_nothing(history):
    stream, made = history.record("--max-bytes", "1GB")
    assert made.returncode == 0, made.stderr
    assert f"stream '{stream}' made at".encode() in made.stderr
    assert b"keeps messages for 1D or up to 1,000,000,000 bytes" in made.stderr
    assert f"bound to {history.exchange} '#'".encode() in made.stderr
    _, again = history.record("--max-bytes", "1GB", "comms.#", stream=stream)
    assert again.returncode == 0, again.stderr
    assert b"already there with these settings" in again.stderr
    ids = history.publish(2)
    read = run_ocelot("tail", "--stream", stream, "--since", "first", "--until", "0s")
    assert ids_of(read.stdout) == ids  # each once, though bound twice (# and comms.#): one queue, one copy


def test_record_with_other_settings_is_refused_saying_what_differs(history):
    stream = history.stream()
    _, other = history.record("--max-bytes", "1GB", stream=stream)
    assert other.returncode == 2
    assert f"stream '{stream}' exists with other settings: its x-max-length-bytes is none, this run gives " \
           "1000000000 (from --max-bytes)".encode() in other.stderr  # fmt: skip
    assert b"rabbitmqctl set_policy" in other.stderr and b"Traceback" not in other.stderr
    _, shorter = history.record(stream=stream, max_age="2h")
    assert shorter.returncode == 2 and b"its x-max-age is 1D, this run gives 2h (from --max-age)" in shorter.stderr
    classic = history.name()
    history.channel.queue_declare(classic)
    _, not_durable = history.record(stream=classic)
    assert not_durable.returncode == 2 and f"'{classic}' exists and is not a stream (it is not durable)".encode() \
        in not_durable.stderr  # fmt: skip
    classic = history.name()
    history.channel.queue_declare(classic, durable=True)
    _, refused = history.record(stream=classic)
    assert refused.returncode == 2 and f"'{classic}' exists and is not a stream".encode() in refused.stderr


def test_since_a_time_between_two_batches_gives_exactly_the_later_batch_then_live_events(history, start_ocelot,
                                                                                        tmp_path):  # fmt: skip
    stream = history.stream()
    first = history.publish(3)
    since = int(time.time()) + 1  # the next second boundary: the broker's chunks of batch 1 are all before it
    until_clock(since)
    second = history.publish(3)
    out = tmp_path / "out.jsonl"
    with out.open("wb") as sink:
        tail = start_ocelot("tail", "--stream", stream, "--since", iso(since), "--count", "6", stdout=sink)
        tail.wait_for_stderr("reading stream")
        wait_for(lambda: len(out.read_bytes().splitlines()) >= 3, 20, "the later batch")
        assert ids_of(out.read_bytes()) == second  # exactly the later batch, nothing of the first
        live = history.publish(3)  # published after the tail caught up
        code, _ = tail.finish()
    assert code == 0, tail.stderr
    assert ids_of(out.read_bytes()) == second + live
    assert not set(first) & set(ids_of(out.read_bytes()))
    assert f"from {iso(since)}, then live" in tail.stderr


def test_since_inside_the_brokers_second_is_still_exact_by_the_messages_own_time(history):
    stream = history.stream()
    wait_for(lambda: time.time() % 1 < 0.3, 5, "the start of a second")
    first = history.publish(3)
    since = time.time() + 0.01
    until_clock(since)
    second = history.publish(3)
    assert int(since) == int(time.time())  # one second for both: the broker's start alone cannot separate them
    read = run_ocelot("tail", "--stream", stream, "--since", iso(since), "--until", "0s")
    assert read.returncode == 0, read.stderr
    assert ids_of(read.stdout) == second and not set(first) & set(ids_of(read.stdout))
    assert b"3 from just before --since skipped" in read.stderr  # the broker started with batch 1: trimmed here


def test_since_first_gives_everything_and_offset_n_from_that_offset(history):
    stream = history.stream()
    ids = history.publish(5)
    everything = run_ocelot("tail", "--stream", stream, "--since", "first", "--until", "0s")
    assert everything.returncode == 0, everything.stderr
    assert ids_of(everything.stdout) == ids
    assert b"offsets 0-4 (next: --since offset:5)" in everything.stderr
    assert b"caught up with the stream after --until" in everything.stderr
    later = run_ocelot("tail", "--stream", stream, "--since", "offset:3", "--until", "0s", "--format", "text",
                       "--headers")  # fmt: skip
    assert later.returncode == 0, later.stderr
    assert later.stdout.count(b"  call.ended  ") == 2 and b"x-stream-offset=3" in later.stdout


def test_the_next_offset_is_after_the_last_message_shown_not_after_what_was_read_ahead(history):
    stream = history.stream()
    ids = history.publish(12)
    first = run_ocelot("tail", "--stream", stream, "--since", "offset:2", "--count", "3")
    assert first.returncode == 0, first.stderr
    assert ids_of(first.stdout) == ids[2:5]
    assert b"offsets 2-4 (next: --since offset:5)" in first.stderr  # the prefetch read on to 11
    then = run_ocelot("tail", "--stream", stream, "--since", "offset:5", "--until", "0s")
    assert ids_of(then.stdout) == ids[5:]  # no gap


def test_until_stops_at_the_first_message_from_after_it(history):
    stream = history.stream()
    first = history.publish(3)
    until = time.time()
    until_clock(until + 0.01)
    history.publish(2)
    read = run_ocelot("tail", "--stream", stream, "--since", "first", "--until", iso(until))
    assert read.returncode == 0, read.stderr
    assert ids_of(read.stdout) == first
    assert f"a message from after --until {iso(until)} arrived (not shown)".encode() in read.stderr


def test_a_look_at_a_stream_through_queue_reads_it_all_and_a_take_is_refused(history):
    stream = history.stream()
    ids = history.publish(4)
    look = run_ocelot("tail", "--queue", stream)
    assert look.returncode == 0, look.stderr
    assert ids_of(look.stdout) == ids and b"is a stream: reading it from its first message" in look.stderr
    again = run_ocelot("tail", "--queue", stream)  # a stream keeps everything: the same again
    assert ids_of(again.stdout) == ids
    take = run_ocelot("tail", "--queue", stream, "--consume", "--yes")
    assert take.returncode == 2 and b"a stream keeps its messages, so nothing can be taken" in take.stderr


@pytest.mark.parametrize("queue_type", ["classic", "quorum"])
def test_stream_naming_another_queue_is_refused_and_the_management_api_answers_without_touching_it(history,
                                                                                                  queue_type):
    """The type is asked of the management API (enabled on the test broker): the queue's message is not
    fetched, so not redelivered, and a quorum queue counts no delivery attempt."""
    queue = history.name()
    history.channel.queue_declare(queue, durable=True, arguments={"x-queue-type": queue_type})
    history.channel.queue_bind(queue, history.exchange, "#")
    history.publish(1)
    read = run_ocelot("tail", "--stream", queue, "--since", "first")
    assert read.returncode == 2
    assert f"'{queue}' is not a stream (a {queue_type} queue)".encode() in read.stderr
    method, properties, _body = history.connection.channel().basic_get(queue, auto_ack=True)
    assert method is not None and method.redelivered is False
    assert (properties.headers or {}).get("x-delivery-count", 0) == 0  # no attempt counted
    missing = run_ocelot("tail", "--stream", f"{PREFIX}.missing.{uuid.uuid4().hex[:6]}")
    assert missing.returncode == 7 and b"does not exist" in missing.stderr and b"ocelot record" in missing.stderr


@pytest.fixture
def not_rabbitmq(tmp_path):
    """An HTTP server that is not RabbitMQ's management API: 404 for every /api/... path."""
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *_args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("api", ["closed-port", "wrong-password", "not-rabbitmq"])
def test_without_the_management_api_a_stream_naming_a_classic_queue_is_refused_and_the_queue_keeps_its_message(
    history, api, not_rabbitmq
):
    """Nothing listening there: the basic.get is the documented way, said only in the refusal. An API that
    answers without the type (here: refusing the credentials) is said before a message may be touched."""
    queue = history.name()
    history.channel.queue_declare(queue)
    history.channel.queue_bind(queue, history.exchange, "#")
    history.publish(1)
    url = {"closed-port": f"http://127.0.0.1:{free_port()}/", "wrong-password": "http://guest:wrong@127.0.0.1:15672/",
           "not-rabbitmq": not_rabbitmq}[api]  # fmt: skip
    read = run_ocelot("tail", "--stream", queue, "--since", "first", OCELOT_MGMT_URL=url)
    warned = f"telling whether '{queue}' is a stream over AMQP instead".encode() in read.stderr
    assert warned is (api != "closed-port"), read.stderr
    assert b"wrong" not in read.stderr
    assert read.returncode == 2
    assert f"'{queue}' is not a stream (a classic or quorum queue: the one message the check fetched went back" \
        .encode() in read.stderr  # fmt: skip
    probe = history.connection.channel()
    wait_for(lambda: probe.queue_declare(queue, passive=True).method.message_count == 1, 10, "the message back")


def test_a_stream_read_goes_on_after_a_lost_connection_from_the_last_offset_without_a_gap(history, start_ocelot,
                                                                                          tmp_path):  # fmt: skip
    stream = history.stream()
    before = history.publish(3)
    out = tmp_path / "out.jsonl"
    with out.open("wb") as sink:
        tail = start_ocelot("tail", "--stream", stream, "--since", "first", "--count", "6", stdout=sink)
        wait_for(lambda: len(out.read_bytes().splitlines()) == 3, 20, "the first batch")
        assert tail.close_connections("ocelot tail") == 1
        tail.wait_for_stderr("connection to")
        after = history.publish(3)  # possibly while the tail is away: the stream keeps them
        code, _ = tail.finish()
    assert code == 0, tail.stderr
    assert ids_of(out.read_bytes()) == before + after  # no gap, no duplicate
    assert "reading on from offset 3" in tail.stderr


def test_record_again_without_patterns_keeps_the_streams_own_bindings(history):
    stream, made = history.record("comms.call.*")
    assert made.returncode == 0, made.stderr
    _, again = history.record(stream=stream)  # no pattern: not '#' added to a stream that records only calls
    assert again.returncode == 0 and b"its bindings left as they are" in again.stderr
    history.channel.basic_publish(history.exchange, "comms.sms.sent", b"{}", mandatory=False)
    ids = history.publish(1)
    read = run_ocelot("tail", "--stream", stream, "--since", "first", "--until", "0s")
    assert ids_of(read.stdout) == ids  # the sms was not recorded
