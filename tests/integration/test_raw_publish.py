"""publish --raw, --header and --property: exactly what was asked reaches a plain pika consumer."""

import json

import pytest

from tests.integration.conftest import run_ocelot

pytestmark = pytest.mark.integration


def test_raw_lines_go_byte_for_byte_with_headers_and_properties(rabbit, tmp_path):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange, "bugs.#")
    bodies = [b"plain text", b'{"not": "an event"}', b"\xff\xfe binary \x00 bytes", b"  spaces kept  "]
    path = tmp_path / "bodies.txt"
    path.write_bytes(b"\n".join(bodies[:2]) + b"\r\n" + b"\n".join(bodies[2:]) + b"\n\n")  # CRLF, a blank line
    result = run_ocelot(
        "publish", "--raw", "-f", str(path), "--exchange", exchange, "--routing-key", "bugs.report.7",
        "--header", "x-attempt:=3", "--header", "tenant=org-9", "--header", "flags:=[true, null, \"a\"]",
        "--property", "content_type=text/plain", "--property", "correlation_id=req-42", "--property", "reply_to=rq",
        "--property", "expiration=600000", "--property", "priority=7", "--property", "message_id=m-1",
        "--property", "type=bug.report", "--property", "timestamp=2026-11-27T10:00:00Z", "--property", "app_id=me",
        "--property", "user_id=guest", "--property", "content_encoding=identity",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert b"published 4, confirmed 4, unroutable 0" in result.stderr
    got = rabbit.drain(queue)
    assert [body for _m, _p, body in got] == bodies
    for method, props, _body in got:
        assert method.routing_key == "bugs.report.7"
        assert props.headers == {"x-attempt": 3, "tenant": "org-9", "flags": [True, None, "a"]}
        assert (props.content_type, props.correlation_id, props.reply_to) == ("text/plain", "req-42", "rq")
        assert (props.expiration, props.priority, props.message_id, props.type) == ("600000", 7, "m-1", "bug.report")
        assert props.timestamp == 1795773600 and props.app_id == "me" and props.user_id == "guest"
        assert props.content_encoding == "identity" and props.delivery_mode == 2  # persistent unless told


def test_whole_file_is_one_body_and_stdin_works(rabbit, tmp_path):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    blob = bytes(range(256)) * 1000 + b"\n\nend\n"  # newlines inside, bigger than one frame
    path = tmp_path / "blob.bin"
    path.write_bytes(blob)
    assert run_ocelot("publish", "--raw", "--whole", "-f", str(path), "--exchange", exchange, "-k", "files.in",
                      "--property", "delivery_mode=transient").returncode == 0  # fmt: skip
    assert run_ocelot("publish", "--raw", "-f", "-", "--exchange", exchange, "-k", "lines",
                      stdin=b"one\ntwo\n").returncode == 0  # fmt: skip
    got = rabbit.drain(queue)
    assert [(m.routing_key, b) for m, _p, b in got] == [("files.in", blob), ("lines", b"one"), ("lines", b"two")]
    assert got[0][1].delivery_mode == 1 and got[1][1].delivery_mode == 2


def test_catalog_events_take_headers_and_properties_over_ocelots_own(rabbit):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange, "comms.call.ended")
    result = run_ocelot("publish", "call.ended", "--org", "org-3", "--exchange", exchange, "--header", "x-trace=t-1",
                        "--header", "source=override", "--property", "correlation_id=c-9",
                        "--property", "content_type=application/vnd.ocelot+json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    [(_method, props, body)] = rabbit.drain(queue)
    event = json.loads(body)
    assert props.headers == {"organizationId": "org-3", "source": "override", "x-trace": "t-1"}
    assert props.correlation_id == "c-9" and props.content_type == "application/vnd.ocelot+json"
    assert props.message_id == event["id"] and props.type == "call.ended"  # ocelot's own, where not overridden


def test_a_recording_replays_its_headers_and_properties_exactly(rabbit, tmp_path, start_tail):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange, "bugs.#")
    recording = tmp_path / "rec.jsonl"
    tail = start_tail("bugs.#", "--exchange", exchange, "--count", "1", "--output", str(recording))
    assert run_ocelot("publish", "--raw", "-f", "-", "--exchange", exchange, "-k", "bugs.x", "--header", "n:=5",
                      "--property", "correlation_id=c-1", stdin=b"not json\n").returncode == 0  # fmt: skip
    code, _out = tail.finish()
    assert code == 0, tail.stderr
    [first] = rabbit.drain(queue)
    refused = run_ocelot("replay", str(recording), "--exchange", exchange, "--no-delay")
    assert refused.returncode == 1 and b"--no-validate sends it as it was recorded" in refused.stdout
    assert run_ocelot("replay", str(recording), "--exchange", exchange, "--no-delay", "--no-validate").returncode == 0
    [again] = rabbit.drain(queue)
    assert again[2] == first[2] == b"not json" and again[0].routing_key == "bugs.x"
    assert again[1].headers == first[1].headers and again[1].correlation_id == first[1].correlation_id == "c-1"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--raw", "-f", "{file}"], "--raw needs --routing-key"),
        (["--raw", "call.ended", "-k", "a"], "--raw sends the bodies of files"),
        (["--whole", "-f", "{file}", "-k", "a"], "--whole goes with --raw"),
        (["--raw", "-f", "{file}", "-k", "a", "--set", "data.x=1"], "not with --raw"),
        (["--raw", "-f", "{file}", "-k", "a", "--property", "expiration=soon"], "whole number of milliseconds"),
        (["--raw", "-f", "{file}", "-k", "a", "--property", "delivery_mode=0"], "choose 1 (transient) or 2"),
        (["--raw", "-f", "{file}", "-k", "a", "--property", "priority=300"], "from 0 to 255"),
        (["--raw", "-f", "{file}", "-k", "a", "--property", "user_id=mallory"], "user_id other than"),
        (["--raw", "-f", "{file}", "-k", "a", "--property", "colour=red"], "'colour' is not an AMQP property"),
        (["--raw", "-f", "{file}", "-k", "a", "--header", "noequals"], "write NAME=VALUE"),
        (["--raw", "-f", "{file}", "-k", "a", "--header", "x:=1.5"], "decimal number"),
        (["--raw", "-f", "{file}", "-k", "a", "--header", "x:={bad"], "is not JSON"),
        (["--raw", "-f", "{file}", "-k", "a", "--property", "message_id=" + "m" * 300], "AMQP allows at most 255"),
        (["call.ended", "--to", "redis://127.0.0.1:6379", "--header", "a=b"], "Redis channels carry only the event"),
        (["--raw", "-f", "{file}", "-k", "a", "--resume-from", "5"], "the input has 2 message(s)"),
        (["--raw", "-f", "{missing}", "-k", "a"], "cannot read"),
        (["--raw", "-f", "{blank}", "-k", "a"], "no line to send"),
    ],
)
def test_raw_and_extras_refuse_what_the_broker_would_refuse_before_sending(rabbit, tmp_path, args, says):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    path = tmp_path / "two.txt"
    path.write_bytes(b"a\nb\n")
    (tmp_path / "blank.txt").write_bytes(b"\n\r\n\n")
    args = [a.replace("{file}", str(path)).replace("{missing}", str(tmp_path / "nope.txt"))
            .replace("{blank}", str(tmp_path / "blank.txt")) for a in args]  # fmt: skip
    if "--to" not in args:
        args += ["--exchange", exchange]
    result = run_ocelot("publish", *args)
    assert result.returncode in (2, 3), result.stderr  # usage, or an input that cannot be read
    assert says in result.stderr.decode(), result.stderr
    assert b"Traceback" not in result.stderr
    assert rabbit.depth(queue) == 0


def test_resume_from_skips_the_first_bodies(rabbit, tmp_path):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    path = tmp_path / "five.txt"
    path.write_bytes(b"1\n2\n3\n4\n5\n")
    result = run_ocelot("publish", "--raw", "-f", str(path), "--exchange", exchange, "-k", "n", "--resume-from", "3")
    assert result.returncode == 0, result.stderr
    assert [body for _m, _p, body in rabbit.drain(queue)] == [b"4", b"5"]


def test_raw_bodies_go_to_any_exchange_type_and_the_default_exchange(rabbit):
    """With its own routing key a raw body may go where rabbitmqadmin publish would: a direct exchange, or the
    default one (routing key = queue name); catalog events stay on topic exchanges."""
    import uuid

    import pika

    connection = pika.BlockingConnection(pika.URLParameters(rabbit.url))
    channel = connection.channel()
    direct, queue = f"ocelot.test.direct.{uuid.uuid4().hex[:8]}", f"ocelot.test.rawq.{uuid.uuid4().hex[:8]}"
    channel.exchange_declare(direct, "direct")
    channel.queue_declare(queue)
    channel.queue_bind(queue, direct, "k")
    try:
        assert run_ocelot("publish", "--raw", "-f", "-", "-e", direct, "-k", "k", stdin=b"to direct\n").returncode == 0
        assert run_ocelot("publish", "--raw", "-f", "-", "-e", "", "-k", queue, stdin=b"to default\n").returncode == 0
        refused = run_ocelot("publish", "call.ended", "-e", direct, "-k", "k")
        assert refused.returncode == 7 and b"is a direct exchange, not topic" in refused.stderr
        got = [channel.basic_get(queue, auto_ack=True)[2] for _ in range(2)]
        assert got == [b"to direct", b"to default"] and channel.basic_get(queue)[0] is None
    finally:
        channel.queue_delete(queue)
        channel.exchange_delete(direct)
        connection.close()
