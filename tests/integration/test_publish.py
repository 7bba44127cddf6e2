import json
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from ocelot_cli import __version__
from ocelot_cli.envelope.catalog import load_catalog
from ocelot_cli.envelope.validate import EventValidator
from tests.integration.conftest import ocelot_env, rabbitmqctl, run_ocelot, wait_for

pytestmark = pytest.mark.integration
CATALOG = load_catalog()
PLATFORM_TYPES = [t.name for t in CATALOG if t.routing_key]
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_published_sample_arrives_with_routing_key_and_properties(rabbit):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange, "comms.call.ended")
    result = run_ocelot("publish", "call.ended", "--org", "org-1", "--set", "data.outcome=callback_requested",
                        "--exchange", exchange)  # fmt: skip
    assert result.returncode == 0, result.stderr
    [(method, props, body)] = rabbit.drain(queue)
    event = json.loads(body)
    assert method.routing_key == "comms.call.ended"
    assert event["organizationId"] == "org-1" and event["data"]["outcome"] == "callback_requested"
    assert EventValidator(CATALOG, strict=True).validate(event).violations == []
    assert props.content_type == "application/json" and props.delivery_mode == 2
    assert props.message_id == event["id"] and props.type == "call.ended"
    assert props.app_id == f"ocelot/{__version__}"
    assert props.headers["organizationId"] == "org-1"
    assert abs(props.timestamp - time.time()) < 300
    assert b"published 1, confirmed 1, unroutable 0" in result.stderr


def test_every_platform_type_routes_to_comms_type(rabbit):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange, "comms.#")
    result = run_ocelot("publish", *PLATFORM_TYPES, "--count", "2", "--exchange", exchange)
    assert result.returncode == 0, result.stderr
    got = rabbit.drain(queue)
    assert sorted((m.routing_key, json.loads(b)["type"]) for m, _p, b in got) == sorted(
        (f"comms.{t}", t) for t in PLATFORM_TYPES for _ in range(2)
    )


def test_count_and_rate_pace_the_messages(rabbit):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    started = time.monotonic()
    result = run_ocelot("publish", "call.started", "--count", "12", "--rate", "20", "--exchange", exchange)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert rabbit.depth(queue) == 12
    assert elapsed >= 11 / 20  # pacing can only make it slower, never faster


def test_events_from_a_file_and_stdin_arrive_in_order(rabbit, tmp_path):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    lines = run_ocelot("catalog", "sample", "call.started", "call.ended", "sentiment.analyzed", "--seed", "3").stdout
    path = tmp_path / "events.jsonl"
    path.write_bytes(lines)
    assert run_ocelot("publish", "-f", str(path), "--exchange", exchange).returncode == 0
    assert run_ocelot("publish", "-f", "-", "--exchange", exchange, stdin=lines).returncode == 0
    sent = [json.loads(line)["id"] for line in lines.splitlines()]
    assert [e["id"] for e in rabbit.events(queue)] == sent + sent


def test_invalid_file_publishes_nothing_and_lists_every_problem(rabbit, tmp_path):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    good = run_ocelot("catalog", "sample", "call.ended", "--seed", "1").stdout.decode().strip()
    bad = json.loads(good)
    bad["data"]["outcome"] = "done"
    path = tmp_path / "events.jsonl"
    path.write_text(good + "\n" + json.dumps(bad) + "\n{broken\n")
    result = run_ocelot("publish", "-f", str(path), "--exchange", exchange)
    assert result.returncode == 3
    out = result.stdout.decode()
    assert f"{path}:2: error: call.ended $.data.outcome" in out and f"{path}:3:2: error: invalid JSON" in out
    assert b"nothing was published" in result.stderr
    assert rabbit.depth(queue) == 0


def test_no_validate_sends_what_validation_would_refuse(rabbit):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    refused = run_ocelot("publish", "call.ended", "--set", "data.outcome=nope", "--exchange", exchange)
    assert refused.returncode == 1 and b"$.data.outcome" in refused.stderr
    assert rabbit.depth(queue) == 0
    sent = run_ocelot("publish", "call.ended", "--set", "data.outcome=nope", "--no-validate", "--exchange", exchange)
    assert sent.returncode == 0 and rabbit.events(queue)[0]["data"]["outcome"] == "nope"


def test_dry_run_prints_exactly_what_would_be_sent_and_connects_to_nothing():
    result = run_ocelot("publish", "call.ended", "--count", "2", "--dry-run", "--seed", "5",
                        OCELOT_AMQP_URL="amqp://guest:guest@127.0.0.1:1/%2F")  # fmt: skip
    assert result.returncode == 0, result.stderr
    messages = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(messages) == 2
    assert messages[0]["routing_key"] == "comms.call.ended" and messages[0]["exchange"] == "ocelot.events"
    assert messages[0]["properties"]["message_id"] == messages[0]["event"]["id"]
    assert b"nothing was sent" in result.stderr


def test_unroutable_message_is_a_failure_not_a_silent_success(rabbit):
    exchange = rabbit.exchange()  # no queue bound
    result = run_ocelot("publish", "call.ended", "--count", "3", "--exchange", exchange, "--json")
    assert result.returncode == 8
    report = json.loads(result.stdout)
    assert (report["unroutable"], report["confirmed"], report["ok"]) == (3, 0, False)
    assert b"no queue is bound for comms.call.ended" in result.stderr


def test_missing_exchange_is_a_clear_error_and_declare_creates_it(rabbit):
    exchange = rabbit.exchange(declare=False)
    result = run_ocelot("publish", "call.ended", "--exchange", exchange)
    assert result.returncode == 7
    assert f"exchange '{exchange}' does not exist".encode() in result.stderr and b"--declare" in result.stderr
    assert not rabbit.exchange_exists(exchange)
    created = run_ocelot("publish", "call.ended", "--exchange", exchange, "--declare")
    assert created.returncode == 8  # created, but nothing is bound yet: unroutable
    assert rabbit.exchange_exists(exchange)


def test_wrong_credentials_name_the_masked_url_and_never_the_password():
    result = run_ocelot("publish", "call.ended", OCELOT_AMQP_URL="amqp://guest:not-the-pw@127.0.0.1:5672/%2F")
    assert result.returncode == 6
    assert b"amqp://guest:****@127.0.0.1:5672/%2F refused the credentials" in result.stderr
    assert b"not-the-pw" not in result.stdout + result.stderr


def test_unreachable_broker_says_what_to_check():
    result = run_ocelot("publish", "call.ended", OCELOT_AMQP_URL="amqp://u:secret99@127.0.0.1:1/%2F")
    assert result.returncode == 5
    assert b"cannot connect to amqp://u:****@127.0.0.1:1/%2F: connection refused" in result.stderr
    assert b"check that RabbitMQ is running" in result.stderr and b"secret99" not in result.stderr


def test_json_summary_is_machine_readable(rabbit):
    exchange = rabbit.exchange()
    rabbit.queue(exchange)
    result = run_ocelot("publish", "call.ended", "--count", "5", "--exchange", exchange, "--json")
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["confirmed"] == 5 and report["unconfirmed"] == 0
    assert report["exchange"] == exchange and report["url"] == "amqp://guest:****@127.0.0.1:5672/%2F"


def test_connection_closed_by_broker_mid_publish_reconnects_and_loses_nothing(rabbit, start_ocelot):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    count = 3000
    running = start_ocelot("publish", "call.ended", "--count", str(count), "--rate", "1000", "--exchange", exchange,
                           "--json")  # fmt: skip
    wait_for(lambda: rabbit.depth(queue) > 300, 30, "the first messages")
    assert wait_for(lambda: running.close_connections("ocelot publish"), 20, "the publisher's connection to close")
    code, out = running.finish(timeout=60)
    assert code == 0, running.stderr
    report = json.loads(out)
    assert report["confirmed"] == count and report["reconnects"] >= 1
    assert "reconnected" in running.stderr
    ids = [e["id"] for e in rabbit.events(queue)]
    assert len(set(ids)) == count  # nothing lost; duplicates are possible and told apart by id
    assert len(ids) - count <= report["republished"]


def test_ctrl_c_stops_sending_waits_for_confirms_and_exits_130(rabbit, start_ocelot):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    running = start_ocelot("publish", "call.ended", "--count", "100000", "--rate", "200", "--exchange", exchange,
                           "--json")  # fmt: skip
    wait_for(lambda: rabbit.depth(queue) >= 50, 30, "publishing to start")
    running.proc.send_signal(signal.SIGINT)
    code, out = running.finish(timeout=30)
    assert code == 130
    report = json.loads(out)
    assert report["interrupted"] is True and 0 < report["confirmed"] < 100000
    assert report["confirmed"] == rabbit.depth(queue)
    assert f"stopped: the first {report['stopped_at']} message(s) were sent" in running.stderr
    assert "published " in running.stderr and "unconfirmed " in running.stderr


def test_realtime_types_reach_a_tail_with_a_routing_key(rabbit, start_tail):
    exchange = rabbit.exchange()
    tail = start_tail("--exchange", exchange, "--count", "1", "--type", "task.updated")
    refused = run_ocelot("publish", "task.updated", "--exchange", exchange)
    assert refused.returncode == 2 and b"--routing-key" in refused.stderr
    sent = run_ocelot("publish", "task.updated", "--tenant", "t1", "--routing-key", "otto.task.updated",
                      "--exchange", exchange)  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    code, out = tail.finish()
    assert code == 0 and json.loads(out)["tenant_id"] == "t1"


def test_a_type_without_a_route_stops_the_whole_publish_before_anything_is_sent(rabbit):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    result = run_ocelot("publish", "call.ended", "task.updated", "--exchange", exchange)
    assert result.returncode == 2 and b"'task.updated' has no routing key" in result.stderr
    assert rabbit.depth(queue) == 0


def test_an_event_amqp_cannot_carry_is_refused_before_anything_is_sent_not_retried_forever(rabbit, tmp_path):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    events = tmp_path / "events.jsonl"
    good = {"type": "call.ended", "id": "ok"}
    events.write_text(json.dumps(good) + "\n" + json.dumps({**good, "id": "x" * 300}) + "\n" + json.dumps(good) + "\n")
    result = run_ocelot("publish", "-f", str(events), "--no-validate", "--exchange", exchange, "--reconnect-for", "60s",
                        timeout=30)  # fmt: skip
    err = result.stderr.decode()
    assert result.returncode == 1, err
    assert (f"error: {events}:2: event 2 cannot be sent over AMQP: properties.message_id is 300 bytes; AMQP allows "
            "at most 255; nothing was sent") in err  # fmt: skip
    assert "reconnect" not in err
    assert rabbit.depth(queue) == 0  # every message is built before the first is sent: nothing half-published


def test_a_recording_amqp_cannot_carry_is_refused_at_its_line_and_nothing_is_sent(rabbit, tmp_path):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    lines = (FIXTURES / "recorded" / "callback-flow.jsonl").read_text().splitlines()
    bad = json.loads(lines[1])
    bad["properties"]["headers"] = {"score": 0.5}  # pika has no type for a float in a header
    recording = tmp_path / "bad.jsonl"
    recording.write_text("\n".join([lines[0], json.dumps(bad), lines[2]]) + "\n")
    for flags in ([], ["--no-validate"]):
        result = run_ocelot("replay", str(recording), "--no-delay", "--exchange", exchange, *flags)
        assert result.returncode == 1, result.stderr
        assert (f"{recording}:2: error: call.transcribed: the recorded message cannot be sent over AMQP: "
                "properties.headers.score is a "
                "decimal number, which pika cannot send in a header") in result.stdout.decode()  # fmt: skip
    assert rabbit.depth(queue) == 0


BAD_RECORDINGS = {  # what replaces the last line but one of a recording, and what is said of it
    "body_base64": ({"body_base64": "!!!notbase64"}, "the recorded message cannot be sent: body_base64 is not base64"),
    "body_text": ({"body_text": 12345}, "the recorded message cannot be sent: body_text must be text, not int"),
    "routing_key": ({"routing_key": 5}, "cannot be sent over AMQP: routing_key must be text, not int"),
    "delivery_mode": ({"properties": {"delivery_mode": 7}},
                      "cannot be sent over AMQP: properties.delivery_mode must be 1 (transient) or 2 (persistent)"),
}


@pytest.mark.parametrize("big", [False, True], ids=["small", "checked-in-parallel"])
@pytest.mark.parametrize("kind", list(BAD_RECORDINGS))
def test_no_validate_still_refuses_a_recording_that_cannot_be_sent_and_sends_nothing(rabbit, tmp_path, kind, big):
    """--no-validate drops schema problems only: a body that cannot be rebuilt, a routing key that is no text,
    a delivery mode the broker refuses are found at their line before the first message (they were sent
    up to that record, then crashed or closed the connection)."""
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    base = json.loads((FIXTURES / "recorded" / "callback-flow.jsonl").read_text().splitlines()[0])
    count = 40_000 if big else 5  # over 16 MB: the workers' check, whose count once skipped the build pass
    change, said = BAD_RECORDINGS[kind]
    bad = {key: value for key, value in base.items() if key != "event" or "body_" not in next(iter(change))}
    bad.update(change)
    line = json.dumps(base)
    recording = tmp_path / "bad.jsonl"
    with recording.open("w") as out:
        for number in range(1, count + 1):
            out.write((json.dumps(bad) if number == count - 1 else line) + "\n")
    for command in (["publish", "-f", str(recording)], ["replay", str(recording), "--no-delay"]):
        result = run_ocelot(*command, "--exchange", exchange, "--no-validate", timeout=300)
        out = result.stdout.decode() + result.stderr.decode()
        assert result.returncode == 1, out[-2000:]
        assert f"{recording}:{count - 1}: error:" in out and said in out
    assert rabbit.depth(queue) == 0


def test_a_channel_recording_replayed_to_an_exchange_has_its_properties_checked_first(rabbit, tmp_path):
    """A recording of a Redis or gateway channel goes over AMQP with --routing-key: its properties are
    checked like any recording's (a delivery mode the broker refuses was sent up to that record)."""
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    event = json.loads((FIXTURES / "recorded" / "callback-flow.jsonl").read_text().splitlines()[0])["event"]
    good = {"recorded": "ocelot/1", "received_at": "2026-11-28T10:00:00Z", "channel": "tenant:t1:events",
            "event": event}  # fmt: skip
    recording = tmp_path / "channel.jsonl"
    recording.write_text("\n".join(json.dumps(r) for r in [good, {**good, "properties": {"delivery_mode": 7}}, good])
                         + "\n")  # fmt: skip
    result = run_ocelot("replay", str(recording), "--no-delay", "--no-validate", "--exchange", exchange,
                        "--routing-key", "comms.call.started")  # fmt: skip
    out = result.stdout.decode() + result.stderr.decode()
    assert result.returncode == 1, out
    assert f"{recording}:2: error:" in out and "properties.delivery_mode must be 1 (transient) or 2" in out
    assert rabbit.depth(queue) == 0


def test_a_bare_event_whose_type_has_no_routing_key_is_named_at_its_line_and_nothing_is_sent(rabbit, tmp_path):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    events = tmp_path / "events.jsonl"
    good = json.loads((FIXTURES / "recorded" / "callback-flow.jsonl").read_text().splitlines()[0])["event"]
    events.write_text("\n".join(json.dumps(e) for e in [good, {**good, "type": "no.such.type"}, good]) + "\n")
    result = run_ocelot("publish", "-f", str(events), "--exchange", exchange, "--no-validate")
    assert result.returncode == 2, result.stderr
    assert (f"{events}:2: unknown event type 'no.such.type': the catalog has no routing key for it; nothing was "
            "sent") in result.stderr.decode()  # fmt: skip
    assert rabbit.depth(queue) == 0


@pytest.mark.parametrize("args", [
    ["publish", "call.ended", "--exchange", "x" * 300], ["tail", "--exchange", "x" * 300],
    ["tail", "--exchange", "ocelot.events", "k" * 300],
], ids=["publish-exchange", "tail-exchange", "tail-pattern"])  # fmt: skip
def test_names_amqp_cannot_carry_are_usage_errors_before_connecting(args):
    result = run_ocelot(*args, "--amqp-url", "amqp://127.0.0.1:1/%2F", timeout=30)  # nothing listens on port 1
    assert result.returncode == 2, result.stderr
    assert "is 300 bytes; AMQP allows at most 255" in result.stderr.decode()


def test_a_message_that_slips_past_the_checks_stops_the_run_after_what_came_before(rabbit):
    from ocelot_cli.errors import InvalidEvent
    from ocelot_cli.transports.base import Capability, Endpoint, PublishOptions, transport_for
    from ocelot_cli.transports.messages import OutgoingMessage

    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)

    def message(seq, **properties):
        return OutgoingMessage(exchange, "comms.x", b'{"n":%d}' % seq, {"message_id": f"m{seq}", **properties}, seq=seq)

    messages = iter([message(0), message(1), message(2, headers={"score": 0.5}), message(3)])
    transport = transport_for(Endpoint(rabbit.url, client_name=f"slip-{uuid.uuid4().hex[:8]}"), need=Capability.PUBLISH)
    publisher = transport.publisher(messages, PublishOptions(exchange=exchange))
    with pytest.raises(InvalidEvent, match="message 3 cannot be sent over AMQP: properties.headers.score is a decimal"):
        publisher.run()
    report = publisher.report
    assert (report.confirmed, report.reconnects, report.stopped_at, report.unsent) == (2, 0, 2, 1)
    assert [body for _m, _p, body in rabbit.drain(queue)] == [b'{"n":0}', b'{"n":1}']


def test_a_broker_that_closes_every_new_connection_is_given_up_on_after_reconnect_for(rabbit, start_ocelot, tmp_path):
    # Reconnecting counts as recovered only once a message is confirmed (or the connection lasts):
    # connections closed again before any progress do not restart the --reconnect-for window.
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    scenario = tmp_path / "slow.yaml"
    scenario.write_text("steps:\n  - type: call.started\n  - type: call.ended\n    after: 10m\n")
    running = start_ocelot("replay", str(scenario), "--exchange", exchange, "--reconnect-for", "3s")
    wait_for(lambda: rabbit.depth(queue) == 1, 30, "the first event")
    started = time.monotonic()
    while running.proc.poll() is None and time.monotonic() - started < 60:
        running.close_connections("ocelot publish")
    code, _out = running.finish(timeout=30)
    assert code == 5, running.stderr
    assert running.stderr.count("reconnected to") >= 1
    assert time.monotonic() - started < 60


def test_publishing_to_a_fanout_exchange_says_it_is_not_topic_with_exit_7(rabbit):
    exchange = f"ocelot.test.fanout.{uuid.uuid4().hex[:8]}"
    rabbit.channel.exchange_declare(exchange, "fanout", durable=True)
    rabbit.exchanges.append(exchange)  # removed by the fixture
    for args in (["publish", "call.ended"], ["replay", str(FIXTURES / "callback-flow.yaml"), "--no-delay"]):
        result = run_ocelot(*args, "--exchange", exchange)
        err = result.stderr.decode()
        assert result.returncode == 7, err
        assert f"exchange {exchange!r} is a fanout exchange, not topic" in err
    smoke = run_ocelot("smoke", "--exchange", exchange)
    assert smoke.returncode == 7  # the same answer as smoke's
    queue = rabbit.queue(exchange)  # a fanout delivers everything to it: refused before anything goes
    for args in (["publish", "call.ended"], ["replay", str(FIXTURES / "callback-flow.yaml"), "--no-delay"]):
        result = run_ocelot(*args, "--exchange", exchange)
        assert result.returncode == 7 and "is a fanout exchange, not topic" in result.stderr.decode()
    assert rabbit.depth(queue) == 0
    run_id = f"fanout-{uuid.uuid4().hex[:8]}"
    load = run_ocelot("load", "--exchange", exchange, "--duration", "1s", "--run-id", run_id)
    assert load.returncode == 7 and "is a fanout exchange, not topic" in load.stderr.decode()
    assert run_id not in rabbitmqctl("list_queues", "name")  # refused before its queue was made
    tail = run_ocelot("tail", "--exchange", exchange, "comms.call.*", "--for", "100ms")  # still tailed, with a word
    assert tail.returncode == 0
    assert "is a fanout exchange, not topic: binding patterns are ignored" in tail.stderr.decode()


def test_a_large_publish_sends_only_valid_distinct_events_with_matching_properties(rabbit):
    """The fast path (samples from compiled plans, frames marshalled by ocelot) sends what the slow one did."""
    from ocelot_cli.envelope.formats import epoch_of

    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange, "comms.#")
    types = ["call.ended", "call.transcribed", "campaign.completed", "sentiment.analyzed"]
    result = run_ocelot("publish", *types, "--count", "5000", "--exchange", exchange, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["confirmed"] == 20_000
    got = []
    for method, props, body in rabbit.channel.consume(queue, auto_ack=True, inactivity_timeout=5):
        if method is None:
            break
        got.append((method, props, body))
        if len(got) == 20_000:
            break
    rabbit.channel.cancel()
    assert len(got) == 20_000
    validator = EventValidator(CATALOG, strict=True)
    ids = set()
    for method, props, body in got:
        event = json.loads(body)
        assert validator.validate(event).violations == [], event
        assert method.routing_key == f"comms.{event['type']}"
        assert (props.message_id, props.type, props.delivery_mode) == (event["id"], event["type"], 2)
        assert props.timestamp == int(epoch_of(event["timestamp"]))
        assert props.headers == {"organizationId": event["organizationId"], "source": event["source"]}
        assert props.content_type == "application/json" and props.app_id == f"ocelot/{__version__}"
        ids.add(event["id"])
    assert len(ids) == 20_000
    assert {json.loads(b)["type"] for _m, _p, b in got} == set(types)


def test_files_given_as_pipes_are_read_once_and_published_whole(rabbit, tmp_path):
    """`-f <(cmd)` or /dev/stdin is read twice (checked, then sent): ocelot copies a stream first."""
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    lines = run_ocelot("catalog", "sample", "call.started", "call.ended", "--seed", "5").stdout
    path = tmp_path / "events.jsonl"
    path.write_bytes(lines)
    env = ocelot_env()
    script = (f"ocelot publish -f <(cat {path}) --exchange {exchange} && "
              f"cat {path} | ocelot replay /dev/stdin --no-delay --exchange {exchange}")  # fmt: skip
    result = subprocess.run(["bash", "-c", script], env=env, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    sent = [json.loads(line)["id"] for line in lines.splitlines()]
    assert [e["id"] for e in rabbit.events(queue)] == sent + sent
    assert b"published 2, confirmed 2" in result.stderr
    assert not list(Path(tempfile.gettempdir()).glob("ocelot-*.stream"))  # the copies are gone


def test_text_that_is_not_utf8_is_refused_and_nothing_is_sent(rabbit):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    result = subprocess.run(["ocelot", "publish", "call.ended", "--count", "3", "--user", "u\udce9", "--exchange",
                             exchange], env=ocelot_env(), capture_output=True, timeout=60)  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert b"not valid UTF-8" in result.stderr and b"reconnect" not in result.stderr
    assert rabbit.depth(queue) == 0
