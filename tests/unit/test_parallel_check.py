import json

from ocelot_cli.envelope.samples import SampleFactory, SampleOptions
from ocelot_cli.envelope.validate import EventValidator
from ocelot_cli.validation import parallel as parallel_check
from ocelot_cli.validation.report import validate_sources


def test_parallel_check_gives_the_same_report_as_the_serial_one(tmp_path, monkeypatch, catalog):
    factory = SampleFactory(catalog, SampleOptions(seed=3))
    lines = [json.dumps(factory.make("call.ended")) for _ in range(5000)]
    lines[10] = "{oops"
    lines[2500] = lines[2500].replace('"duration":', '"duration": 1, "duration":')
    broken = json.loads(lines[4000])
    broken["data"]["outcome"] = "nope"
    lines[4000] = json.dumps(broken)
    lines.insert(1234, "")
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(lines) + "\n")
    small = tmp_path / "small.jsonl"
    small.write_text(lines[4000] + "\n")
    monkeypatch.setattr(parallel_check, "PARALLEL_BYTES", 1024)
    monkeypatch.setattr(parallel_check, "CHUNK_LINES", 300)
    validator = EventValidator(catalog)
    serial = validate_sources([str(path), str(small)], validator)
    parallel = parallel_check.check_sources([str(path), str(small)], validator, workers=2)
    assert [p.to_dict() for p in parallel.problems] == [p.to_dict() for p in serial.problems]
    assert parallel.to_dict() == serial.to_dict()
    assert {p.kind for p in serial.problems} == {"syntax", "duplicate-key", "schema"}


def _recording(event, **fields):
    return json.dumps({"recorded": "ocelot/1", "received_at": "2026-11-28T10:00:00Z", "exchange": "ocelot.events",
                       "properties": {"message_id": event["id"]}, "event": event, **fields})  # fmt: skip


def test_the_parallel_check_counts_the_recordings_that_carry_their_routing_key(tmp_path, monkeypatch, catalog):
    """Such records need no second pass before sending (publish -f, replay --no-delay): the count says
    whether every record is one; anything else (a bare event, a channel's recording, a gap) is not counted."""
    factory = SampleFactory(catalog, SampleOptions(seed=4))
    events = [factory.make("call.ended") for _ in range(40)]
    lines = [_recording(e, routing_key="comms.call.ended") for e in events]
    path = tmp_path / "routed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    mixed = tmp_path / "mixed.jsonl"
    gap = json.dumps({"recorded": "ocelot/1", "gap": True, "received_at": "2026-11-28T10:00:00Z"})
    mixed.write_text("\n".join([*lines[:30], json.dumps(events[30]), _recording(events[31], routing_key=""),
                                _recording(events[32], channel="tenant:t:events", routing_key="k"), gap]) + "\n")
    monkeypatch.setattr(parallel_check, "PARALLEL_BYTES", 1024)
    monkeypatch.setattr(parallel_check, "CHUNK_LINES", 7)
    validator = EventValidator(catalog)
    report = parallel_check.check_sources([str(path)], validator, workers=2)
    assert report.events == report.routed == 40
    report = parallel_check.check_sources([str(path), str(mixed)], validator, workers=2)
    assert report.routed == 40 + 30 and report.events == 40 + 33
    monkeypatch.setattr(parallel_check, "PARALLEL_BYTES", 10**9)  # checked in process: not counted
    assert parallel_check.check_sources([str(path)], validator, workers=2).routed is None
