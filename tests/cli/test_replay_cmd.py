"""``ocelot replay`` without a broker: the schedule and the rewrites of --dry-run."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import pytest


def platform_event(number: int, timestamp: str) -> str:
    return json.dumps({"id": f"e{number}", "type": "call.started", "source": "s", "timestamp": timestamp,
                       "organizationId": "o", "userId": "u", "data": {}, "metadata": {}})  # fmt: skip


def stamped(line: str) -> float:
    return datetime.fromisoformat(json.loads(line)["event"]["timestamp"].replace("Z", "+00:00")).timestamp()


@pytest.mark.parametrize(("flags", "gap"), [(["--speed", "10"], 1.0), ([], 10.0), (["--no-delay"], 10.0)],
                         ids=["speed-10", "speed-1", "no-delay"])  # fmt: skip
def test_now_stamps_each_event_with_the_time_it_is_sent(cli, tmp_path, flags, gap):
    events = tmp_path / "three.jsonl"
    times = ["2026-01-01T10:00:00Z", "2026-01-01T10:00:10Z", "2026-01-01T10:00:20Z"]
    events.write_text("".join(platform_event(i, t) + "\n" for i, t in enumerate(times)))
    before = time.time()
    result = cli("replay", str(events), "--now", "--dry-run", "--no-validate", *flags)
    assert result.code == 0, result.err
    schedule = result.out.splitlines()
    stamps = [stamped(line) for line in schedule]
    assert before - 1 <= stamps[0] <= time.time() + 1  # moved to the present
    assert [round(b - a, 3) for a, b in zip(stamps, stamps[1:], strict=False)] == [gap, gap]
    if "--no-delay" not in flags:  # sent as stamped: the gaps of the schedule are those of the times
        assert [round(json.loads(line)["at"], 3) for line in schedule] == [0.0, gap, 2 * gap]


FIXTURE = str(Path(__file__).resolve().parents[2] / "fixtures" / "callback-flow.yaml")


def test_set_paths_are_checked_and_events_changed_by_set_are_validated_before_anything_goes(cli):
    typo = cli("replay", FIXTURE, "--dry-run", "--set", "data.outcom=x")
    assert typo.code == 2 and "no event type has field data.outcom; did you mean data.outcome?" in typo.err
    broken = cli("replay", FIXTURE, "--dry-run", "--set", "timestamp=yesterday")
    assert broken.code == 1 and broken.out == ""
    assert "event 1 breaks the catalog after --set: $.timestamp" in broken.err
    shapeless = cli("replay", FIXTURE, "--dry-run", "--set", "data=1")
    assert shapeless.code == 1 and '$.data: 1 is not of type "object"' in shapeless.err
    allowed = cli("replay", FIXTURE, "--dry-run", "--no-validate", "--set", "data.outcom=x")
    assert allowed.code == 0 and '"outcom":"x"' in allowed.out


def test_a_recording_of_a_channel_goes_back_to_its_channel_and_never_to_an_empty_routing_key(cli, tmp_path):
    from ocelot_cli.formats.recording import make_record

    event = cli("catalog", "sample", "task.updated", "--tenant", "t1", "--seed", "1").out.strip().encode()
    record = make_record(received_at="2026-11-28T02:00:00.000Z", body=event, parsed=json.loads(event),
                         channel="tenant:t1:events")  # fmt: skip
    recording = tmp_path / "ws.jsonl"
    recording.write_text(json.dumps(record) + "\n")
    to_exchange = cli("replay", str(recording), "--dry-run")
    assert to_exchange.code == 2 and to_exchange.out == ""
    assert "message 1 was recorded on channel tenant:t1:events: it has no routing key" in to_exchange.err
    to_redis = cli("replay", str(recording), "--dry-run", "--to", "redis://127.0.0.1:6379")
    assert to_redis.code == 0, to_redis.err
    assert [json.loads(line)["channel"] for line in to_redis.out.splitlines()] == ["tenant:t1:events"]
    moved = cli("replay", str(recording), "--dry-run", "--to", "redis://127.0.0.1:6379", "--tenant", "t9")
    channels = [json.loads(line)["channel"] for line in moved.out.splitlines()]
    assert "tenant:t9:events" in channels and "tenant:t1:events" not in channels  # the new owner's channels
    keyed = cli("replay", str(recording), "--dry-run", "--exchange", "x.y", "--routing-key", "some.key")
    assert keyed.code == 0 and json.loads(keyed.out)["routing_key"] == "some.key"
    assert "channel" not in json.loads(keyed.out)  # to the exchange, as the dry run now says
