"""tail --queue: a look leaves the backlog where it was, a take removes exactly what it wrote, dead-lettered
messages say why, and a missing queue is a clear not-found error. Real RabbitMQ; every queue and
exchange is this module's own (prefix ocelot.test.queue) and deleted at the end."""

import json
import re
import signal
import subprocess
import uuid

import pika
import pytest

from ocelot_cli.envelope.catalog import load_catalog
from ocelot_cli.envelope.samples import SampleFactory, SampleOptions
from ocelot_cli.formats.recording import body_of
from tests.integration.conftest import AMQP_URL, BIN, ocelot_env, run_ocelot, wait_for

pytestmark = pytest.mark.integration
PREFIX = "ocelot.test.queue"  # the names this module makes


class Queues:
    """Queues and exchanges of one test, made with pika and deleted afterwards."""

    def __init__(self) -> None:
        self.connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()
        self.made: list[tuple[str, str]] = []
        self.factory = SampleFactory(load_catalog(), SampleOptions(org="org-q"))

    def name(self) -> str:
        return f"{PREFIX}.{uuid.uuid4().hex[:10]}"

    def exchange(self) -> str:
        name = self.name()
        self.channel.exchange_declare(name, "topic", auto_delete=False)
        self.made.append(("exchange", name))
        return name

    def queue(self, *, kind: str = "classic", arguments: dict | None = None, name: str | None = None) -> str:
        name = name or self.name()
        arguments = {"x-queue-type": kind, **(arguments or {})}
        self.channel.queue_declare(name, durable=kind != "classic", arguments=arguments)
        self.made.append(("queue", name))
        return name

    def events(self, *types: str) -> list[dict]:
        return [self.factory.make(name) for name in types]

    def publish(self, queue: str, events: list[dict], exchange: str = "", routing_key: str | None = None) -> None:
        for event in events:
            properties = pika.BasicProperties(message_id=event["id"], content_type="application/json", delivery_mode=2)
            self.channel.basic_publish(exchange, routing_key or queue, json.dumps(event, separators=(",", ":")),
                                       properties, mandatory=True)  # fmt: skip

    def depth(self, queue: str) -> int:
        channel = self.connection.channel()
        count = channel.queue_declare(queue, passive=True).method.message_count
        channel.close()
        return count

    def drain(self, queue: str) -> list[tuple]:
        got = []
        channel = self.connection.channel()
        while (message := channel.basic_get(queue, auto_ack=True))[0] is not None:
            got.append(message)
        channel.close()
        return got

    def cleanup(self) -> None:
        channel = self.connection.channel()
        for kind, name in reversed(self.made):
            (channel.queue_delete if kind == "queue" else channel.exchange_delete)(name)
        self.connection.close()


@pytest.fixture
def queues(broker):
    made = Queues()
    yield made
    made.cleanup()


def ids_of(out: bytes) -> list[str]:
    return [json.loads(line)["id"] for line in out.splitlines()]


def test_a_look_shows_the_backlog_and_leaves_every_message_in_place(queues):
    queue = queues.queue()
    events = queues.events("call.started", "call.ended", "sentiment.analyzed", "call.ended", "call.started")
    queues.publish(queue, events)
    assert queues.depth(queue) == 5
    result = run_ocelot("tail", "--queue", queue)
    assert result.returncode == 0, result.stderr
    assert ids_of(result.stdout) == [e["id"] for e in events]  # the backlog, in its order
    err = result.stderr.decode()
    assert "without taking" in err and "the broker marks them redelivered" in err
    assert "delivery attempt" in err  # what a look does to a quorum queue is said
    assert f"looked at 5 in queue '{queue}' and returned all 5 (redelivered); the queue had no more messages" in err
    wait_for(lambda: queues.depth(queue) == 5, 10, "the queue to hold its 5 messages again")
    got = queues.drain(queue)
    assert [json.loads(body)["id"] for _m, _p, body in got] == [e["id"] for e in events]
    assert all(method.redelivered for method, _p, _b in got)  # as the output said


def test_a_look_with_a_count_below_the_backlog_fetches_only_that_many_and_returns_them(queues):
    queue = queues.queue()
    events = queues.events(*["call.ended"] * 6)
    queues.publish(queue, events)
    result = run_ocelot("tail", "--queue", queue, "--count", "2")
    assert result.returncode == 0, result.stderr
    assert ids_of(result.stdout) == [e["id"] for e in events[:2]]
    assert b"looked at 2 in queue" in result.stderr and b"stopped at --count" in result.stderr
    wait_for(lambda: queues.depth(queue) == 6, 10, "the queue to hold its 6 messages again")
    assert [json.loads(b)["id"] for _m, _p, b in queues.drain(queue)] == [e["id"] for e in events]


def test_a_look_at_a_quorum_queue_leaves_it_whole_and_counts_the_delivery_attempt(queues):
    queue = queues.queue(kind="quorum")
    events = queues.events("call.ended", "call.started", "call.ended")
    queues.publish(queue, events)
    wait_for(lambda: queues.depth(queue) == 3, 10, "the quorum queue to count 3")
    result = run_ocelot("tail", "--queue", queue, "--format", "text")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(b"call.ended") == 2 and b"looked at 3" in result.stderr
    wait_for(lambda: queues.depth(queue) == 3, 10, "the quorum queue to hold its 3 messages again")
    got = queues.drain(queue)
    assert sorted(json.loads(b)["id"] for _m, _p, b in got) == sorted(e["id"] for e in events)
    assert {props.headers.get("x-delivery-count") for _m, props, _b in got} == {1}  # the look counted once


def test_consume_with_yes_empties_the_queue_and_the_recording_holds_every_message(queues, tmp_path):
    queue = queues.queue()
    events = queues.events(*["call.ended", "call.started"] * 10)
    queues.publish(queue, events)
    recording = tmp_path / "taken.jsonl"
    result = run_ocelot("tail", "--queue", queue, "--consume", "--yes", "--output", str(recording))
    assert result.returncode == 0, result.stderr
    assert f"read 20 from queue '{queue}': took 20 (acknowledged once written), returned 0".encode() in result.stderr
    wait_for(lambda: queues.depth(queue) == 0, 10, "the queue to be empty")
    records = [json.loads(line) for line in recording.read_text().splitlines()]
    assert [json.loads(body_of(r))["id"] for r in records] == [e["id"] for e in events]
    assert all(r["routing_key"] == queue and r["properties"]["message_id"] for r in records)  # replayable as sent


def test_consume_takes_only_what_matches_and_returns_the_rest(queues):
    queue = queues.queue()
    events = queues.events("call.ended", "call.started", "call.ended", "sentiment.analyzed", "call.ended")
    queues.publish(queue, events)
    result = run_ocelot("tail", "--queue", queue, "--consume", "--yes", "--type", "call.ended")
    assert result.returncode == 0, result.stderr
    assert ids_of(result.stdout) == [e["id"] for e in events if e["type"] == "call.ended"]
    assert b"took 3 (acknowledged once written), returned 2" in result.stderr
    wait_for(lambda: queues.depth(queue) == 2, 10, "the two that did not match to be back")
    left = [json.loads(b)["type"] for _m, _p, b in queues.drain(queue)]
    assert sorted(left) == ["call.started", "sentiment.analyzed"]


def test_a_take_whose_reader_goes_away_still_says_what_it_took(queues):
    queue = queues.queue()
    queues.publish(queue, queues.events(*["call.ended"] * 400))
    proc = subprocess.run(f"{BIN}/ocelot tail --queue {queue} --consume --yes --json | head -5", shell=True,
                          capture_output=True, timeout=60, env=ocelot_env())  # fmt: skip
    assert len(proc.stdout.splitlines()) == 5
    err = proc.stderr.decode()
    taken = int(err.split("took ")[1].split(" ")[0])
    assert "the reader of the output went away" in err and "Traceback" not in err
    wait_for(lambda: queues.depth(queue) == 400 - taken, 10, "what was not taken to be back in the queue")


def test_consume_without_yes_is_refused_when_no_one_can_answer_the_prompt(queues):
    queue = queues.queue()
    queues.publish(queue, queues.events("call.ended"))
    result = run_ocelot("tail", "--queue", queue, "--consume", stdin=b"y\n")  # a pipe, not a terminal
    assert result.returncode == 2
    assert b"--consume takes messages for good: confirm at the prompt of a terminal, or add --yes" in result.stderr
    assert queues.depth(queue) == 1


def _on_terminal(args: str, answer: bytes, log) -> str:  # noqa: ANN001
    """Run ocelot on a pseudo-terminal (script), answer its prompt; what the terminal showed."""
    proc = subprocess.run(["script", "-qefc", f"{BIN}/ocelot --no-color {args}", str(log)], input=answer,
                          capture_output=True, timeout=60, env=ocelot_env())  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    return log.read_text(errors="replace")


def test_consume_asks_on_a_terminal_and_takes_nothing_unless_told_yes(queues, tmp_path):
    queue = queues.queue()
    queues.publish(queue, queues.events("call.ended", "call.started"))
    shown = _on_terminal(f"tail --queue {queue} --consume", b"n\n", tmp_path / "no.log")
    assert f"take up to 10,000 message(s) from queue '{queue}' (2 ready now)? They will be removed" in shown
    assert "not confirmed: nothing taken" in shown
    assert queues.depth(queue) == 2
    shown = _on_terminal(f"tail --queue {queue} --consume", b"y\n", tmp_path / "yes.log")
    assert "took 2 (acknowledged once written)" in shown
    wait_for(lambda: queues.depth(queue) == 0, 10, "the queue to be empty")


def test_a_take_stopped_by_sigterm_leaves_in_the_queue_everything_it_had_not_written(queues):
    queue = queues.queue()
    pad = "x" * 8000  # 300 messages of 8 KB: far more than a pipe holds, so the tail blocks writing
    events = queues.events(*["call.ended"] * 300)
    for event in events:
        event["data"]["transcript"] = pad
    queues.publish(queue, events)
    proc = subprocess.Popen([str(BIN / "ocelot"), "tail", "--queue", queue, "--consume", "--yes"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ocelot_env())  # fmt: skip
    first = proc.stdout.read(100_000)  # some lines are out; the rest waits on the full pipe
    proc.send_signal(signal.SIGTERM)
    rest = proc.stdout.read()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=30) == 143, err
    # Every line is counted by the id it starts with (a write cut by the signal may leave a line's start twice).
    written = list(dict.fromkeys(re.findall(rb'^\{"id":"([0-9a-f-]{36})"', first + rest, re.MULTILINE)))
    written = [w.decode() for w in written]
    taken = int(err.split("took ")[1].split(" ")[0])
    assert 0 < taken <= len(written) < 300
    wait_for(lambda: queues.depth(queue) == 300 - taken, 10, "what was not taken to be back in the queue")
    left = [json.loads(b)["id"] for _m, _p, b in queues.drain(queue)]
    assert set(written) | set(left) == {e["id"] for e in events}  # nothing lost
    assert len(written) + len(left) - 300 == len(written) - taken  # duplicates only of written, unacknowledged


def test_a_look_stopped_by_sigterm_returns_everything_it_held(queues):
    queue = queues.queue()
    events = queues.events(*["call.ended"] * 300)
    for event in events:
        event["data"]["transcript"] = "x" * 8000  # more than a pipe holds: the look blocks writing, holding messages
    queues.publish(queue, events)
    proc = subprocess.Popen([str(BIN / "ocelot"), "tail", "--queue", queue], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=ocelot_env())  # fmt: skip
    proc.stdout.read(100_000)
    assert queues.depth(queue) < 300  # the look holds some of them now
    proc.send_signal(signal.SIGTERM)
    proc.stdout.read()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=30) == 143, err
    assert "and returned all" in err
    wait_for(lambda: queues.depth(queue) == 300, 10, "every message back in the queue")


def test_a_dead_lettered_message_says_where_and_why_it_died(queues):
    exchange = queues.exchange()
    dlq = queues.queue()
    work = queues.queue(arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq})
    queues.channel.queue_bind(work, exchange, "comms.#")
    event = queues.events("call.ended")[0]
    queues.publish(work, [event], exchange=exchange, routing_key="comms.call.ended")
    channel = queues.connection.channel()
    method, _props, _body = channel.basic_get(work)
    channel.basic_reject(method.delivery_tag, requeue=False)
    channel.close()
    wait_for(lambda: queues.depth(dlq) == 1, 10, "the message to be dead-lettered")
    text = run_ocelot("tail", "--queue", dlq, "--format", "text")
    assert text.returncode == 0, text.stderr
    line = (f"dead-lettered once from queue {work} (rejected) at 20").encode()
    assert line in text.stdout
    assert f"Z, exchange {exchange}, key comms.call.ended".encode() in text.stdout
    data = run_ocelot("tail", "--queue", dlq, "--envelope")
    death = json.loads(data.stdout)["properties"]["headers"]["x-death"]
    assert death[0]["queue"] == work and death[0]["reason"] == "rejected" and death[0]["count"] == 1
    assert death[0]["routing-keys"] == ["comms.call.ended"]
    wait_for(lambda: queues.depth(dlq) == 1, 10, "the dead-lettered message to stay")


def test_a_missing_queue_is_a_not_found_error_that_says_so(broker):
    name = f"{PREFIX}.missing.{uuid.uuid4().hex[:8]}"
    result = run_ocelot("tail", "--queue", name)
    assert result.returncode == 7
    assert f"error: queue '{name}' does not exist on amqp://guest:****@127.0.0.1:5672/%2F".encode() in result.stderr
    assert b"tail never creates the queue it reads" in result.stderr and b"Traceback" not in result.stderr
    probe = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    with pytest.raises(pika.exceptions.ChannelClosedByBroker):
        probe.channel().queue_declare(name, passive=True)  # nothing was created
    probe.close()
