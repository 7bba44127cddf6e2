import json
import re
import signal
import time
from pathlib import Path

import pytest

from ocelot_cli.formats.recording import body_of
from tests.integration.conftest import run_ocelot, wait_for

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def replay(exchange, *args, **kw):
    result = run_ocelot("replay", *args, "--exchange", exchange, **kw)
    assert result.returncode == 0, result.stderr
    return result


def test_callback_flow_arrives_in_order_with_its_timing(rabbit):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    started = time.monotonic()
    replay(exchange, str(FIXTURES / "callback-flow.yaml"), "--speed", "20")
    elapsed = time.monotonic() - started
    events = rabbit.events(queue)
    assert [e["type"] for e in events] == ["call.started", "call.transcribed", "call.transcribed",
                                          "sentiment.analyzed", "call.transcribed", "call.ended"]  # fmt: skip
    assert {e["data"]["call_id"] for e in events} == {"call-cb-7f3a9c"}
    assert events[3]["data"]["score"] < -0.5 and events[3]["data"]["sentiment"] == "negative"
    assert events[-1]["data"]["outcome"] == "callback_requested"
    assert elapsed >= 15 / 20  # the scenario spans 15 s; at 20x that is at least 0.75 s


def test_campaign_completed_agrees_with_the_calls_that_arrived(rabbit):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    replay(exchange, str(FIXTURES / "campaign.yaml"), "--no-delay")
    events = rabbit.events(queue)
    ended = [e["data"] for e in events if e["type"] == "call.ended"]
    [done] = [e["data"] for e in events if e["type"] == "campaign.completed"]
    ok = sum(d["outcome"] in ("completed", "callback_requested") for d in ended)
    assert (done["total_calls"], done["successful_calls"], done["failed_calls"]) == (len(ended), ok, len(ended) - ok)
    assert done["success_rate"] == pytest.approx(ok / len(ended), abs=1e-4)
    assert events[-1]["type"] == "campaign.completed"


@pytest.mark.parametrize(
    ("name", "types"),
    [
        ("inbound-lead.yaml", ["telephony.call.received", "telephony.call.completed", "task.updated",
                               "appointment.assigned"]),
        ("sms-thread.yaml", ["telephony.sms.received", "telephony.sms.sent", "telephony.sms.sent",
                             "telephony.sms.received"]),
        ("worker-retries.yaml", ["worker.task.failed", "worker.task.failed", "worker.task.finished"]),
    ],
)  # fmt: skip
def test_ottoai_scenarios_replay_with_a_routing_key(rabbit, name, types):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange, "otto.#")
    replay(exchange, str(FIXTURES / "ottoai" / name), "--no-delay", "--routing-key", "otto.events")
    events = rabbit.events(queue)
    assert [e["event"] for e in events] == types
    assert {e["tenant_id"] for e in events} == {"tenant-otto-roofing"}


def test_recorded_file_replays_byte_for_byte_keeping_routing_keys(rabbit):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    recording = FIXTURES / "recorded" / "callback-flow.jsonl"
    records = [json.loads(line) for line in recording.read_text().splitlines()]
    replay(exchange, str(recording), "--no-delay")
    got = rabbit.drain(queue)
    assert [body for _m, _p, body in got] == [body_of(r) for r in records]
    assert [m.routing_key for m, _p, _b in got] == [r["routing_key"] for r in records]
    assert [p.message_id for _m, p, _b in got] == [r["properties"]["message_id"] for r in records]


def test_record_then_replay_is_lossless(rabbit, start_tail, tmp_path):
    exchange = rabbit.exchange()
    source = FIXTURES / "recorded" / "callback-flow.jsonl"
    again = tmp_path / "again.jsonl"
    tail = start_tail("--exchange", exchange, "--count", "6", "--output", str(again))
    replay(exchange, str(source), "--speed", "50")
    assert tail.finish()[0] == 0

    def comparable(path):
        rows = [json.loads(line) for line in Path(path).read_text().splitlines()]
        return [{k: v for k, v in row.items() if k not in ("received_at", "exchange")} for row in rows]

    assert comparable(again) == comparable(source)


def test_bodies_no_json_reader_accepts_are_recorded_as_text_and_replayed_byte_for_byte(rabbit, start_tail, tmp_path):
    # A lone surrogate escape, a number beyond a double, NaN: no crash, no "event" that cannot be read back.
    exchange = rabbit.exchange()
    bodies = [b'{"type":"call.ended","id":"x\\udc9b"}', b'{"data":{"score":1e400}}', b'{"data":{"score":NaN}}']
    recording = tmp_path / "odd.jsonl"
    tail = start_tail("--exchange", exchange, "--count", "3", "--output", str(recording))
    for body in bodies:
        rabbit.publish(exchange, "comms.odd", body)
    code, out = tail.finish()
    assert code == 0, tail.stderr
    assert [json.loads(line)["_ocelot"]["not_json"] for line in out.splitlines()] == [True, True, True]
    rows = [json.loads(line) for line in recording.read_text().splitlines()]
    assert [row["body_text"].encode() for row in rows] == bodies
    queue = rabbit.queue(exchange)
    replay(exchange, str(recording), "--no-delay", "--no-validate")
    assert [body for _m, _p, body in rabbit.drain(queue)] == bodies


def test_bad_input_is_reported_in_full_and_nothing_is_sent(rabbit, tmp_path):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    lines = (FIXTURES / "recorded" / "callback-flow.jsonl").read_text().splitlines()
    broken = json.loads(lines[2])
    broken["event"]["data"]["confidence"] = 7
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([lines[0], lines[1], json.dumps(broken), "{oops"]) + "\n")
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("steps:\n  - type: call.ended\n  - after: 1s\n    type: call.nope\n")
    result = run_ocelot("replay", str(bad), str(scenario), "--exchange", exchange)
    assert result.returncode == 3
    out = result.stdout.decode()
    assert f"{bad}:3: error: call.transcribed $.data.confidence" in out
    assert f"{bad}:4:2: error: invalid JSON" in out
    assert f"{scenario}:4: error: unknown event type 'call.nope'" in out
    assert b"nothing was replayed" in result.stderr
    assert rabbit.depth(queue) == 0


def test_dry_run_prints_the_schedule_and_sends_nothing(rabbit):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    result = replay(exchange, str(FIXTURES / "callback-flow.yaml"), "--dry-run", "--speed", "2")
    schedule = [json.loads(line) for line in result.stdout.splitlines()]
    assert [round(s["at"], 3) for s in schedule] == [0.0, 1.5, 3.5, 4.0, 6.5, 7.5]
    assert schedule[-1]["routing_key"] == "comms.call.ended"
    assert rabbit.depth(queue) == 0


def test_loop_with_fresh_ids_sends_distinct_events(rabbit):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    replay(exchange, str(FIXTURES / "recorded" / "callback-flow.jsonl"), "--no-delay", "--loop", "3", "--fresh-ids")
    events = rabbit.events(queue)
    assert len(events) == 18 and len({e["id"] for e in events}) == 18
    assert [e["type"] for e in events[:6]] == [e["type"] for e in events[6:12]]


def test_replay_from_stdin(rabbit):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    lines = run_ocelot("catalog", "sample", "call.started", "call.ended").stdout
    replay(exchange, "-", "--no-delay", stdin=lines)
    assert [e["type"] for e in rabbit.events(queue)] == ["call.started", "call.ended"]


@pytest.fixture
def ten_thousand(tmp_path):
    path = tmp_path / "many.jsonl"
    result = run_ocelot("catalog", "sample", "call.ended", "call.started", "--count", "5000")
    path.write_bytes(result.stdout)
    return path, [json.loads(line)["id"] for line in result.stdout.splitlines()]


def test_connection_cut_in_the_middle_of_a_large_replay_loses_nothing(rabbit, start_ocelot, ten_thousand):
    path, ids = ten_thousand
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    running = start_ocelot("replay", str(path), "--rate", "2500", "--exchange", exchange, "--json")
    wait_for(lambda: rabbit.depth(queue) > 3000, 60, "the replay to be well under way")
    assert wait_for(lambda: running.close_connections("ocelot publish"), 20, "the replay's connection to close")
    code, out = running.finish(timeout=120)
    assert code == 0, running.stderr
    report = json.loads(out)
    assert report["confirmed"] == 10_000 and report["reconnects"] >= 1
    received = [e["id"] for e in rabbit.events(queue)]
    assert set(received) == set(ids)  # every id arrived; duplicates are possible
    assert len(received) - len(ids) <= report["republished"]


def test_ctrl_c_says_where_it_stopped_and_resume_from_finishes_the_job(rabbit, start_ocelot, ten_thousand):
    path, ids = ten_thousand
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    running = start_ocelot("replay", str(path), "--rate", "1000", "--exchange", exchange)
    wait_for(lambda: rabbit.depth(queue) > 500, 60, "the replay to start")
    running.proc.send_signal(signal.SIGINT)
    code, _ = running.finish(timeout=60)
    assert code == 130
    position = int(re.search(r"continue with --resume-from (\d+)", running.stderr).group(1))
    assert 500 <= position < 10_000
    replay(exchange, str(path), "--no-delay", "--resume-from", str(position))
    received = [e["id"] for e in rabbit.events(queue)]
    assert set(received) == set(ids)
    assert received[:position] == ids[:position] and received[position:] == ids[position:]


def test_replay_takes_declare_and_blocked_timeout_like_publish(rabbit):
    exchange = rabbit.exchange(declare=False)  # removed by the fixture once the replay created it
    result = run_ocelot("replay", str(FIXTURES / "callback-flow.yaml"), "--no-delay", "--exchange", exchange,
                        "--declare", "--blocked-timeout", "20s")  # fmt: skip
    assert result.returncode == 8, result.stderr  # created, and nothing bound to it yet: unroutable, said so
    assert rabbit.exchange_exists(exchange) and b"unroutable 6" in result.stderr


def _big_recording(path, count, tail_line=None):
    """A recording over the size that is checked in worker processes (16 MB), made from one sample."""
    sample = json.loads(run_ocelot("catalog", "sample", "call.ended", "--seed", "5").stdout)
    with path.open("w") as out:
        for seq in range(count):
            event = {**sample, "id": f"{seq:08d}-0000-4000-8000-000000000000"}
            out.write(json.dumps({"recorded": "ocelot/1", "received_at": "2026-11-28T10:00:00.000Z",
                                  "exchange": "x", "routing_key": "comms.call.ended",
                                  "properties": {"message_id": event["id"]}, "event": event,
                                  "pad": "p" * 300}) + "\n")  # fmt: skip
        if tail_line:
            out.write(tail_line + "\n")
    assert path.stat().st_size > 16 * 1024 * 1024


def test_a_big_recording_is_sent_whole_or_not_at_all(rabbit, tmp_path):
    """A big recording skips the build pass only when its check proved every record sendable as recorded:
    one record that cannot be sent, at the very end, still stops it before the first message."""
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    count = 20_000
    bad = tmp_path / "bad.jsonl"
    channel_record = {"recorded": "ocelot/1", "received_at": "2026-11-28T10:00:01Z", "channel": "tenant:t1:events",
                      "event": {"event": "x"}}  # fmt: skip
    _big_recording(bad, count, json.dumps(channel_record))
    for command in (["publish", "-f", str(bad)], ["replay", str(bad), "--no-delay"]):
        refused = run_ocelot(*command, "--exchange", exchange, "--no-validate")
        assert refused.returncode == 2, refused.stderr
        assert f"message {count + 1} was recorded on channel tenant:t1:events" in refused.stderr.decode()
    assert rabbit.depth(queue) == 0
    good = tmp_path / "good.jsonl"
    _big_recording(good, count)
    result = run_ocelot("publish", "-f", str(good), "--exchange", exchange, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["confirmed"] == count
    wait_for(lambda: rabbit.depth(queue) == count, 20, "every message in the queue")
