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


def test_the_no_validate_first_pass_checks_no_schema_and_keeps_every_problem_that_stops_a_send(
    tmp_path, monkeypatch, catalog
):
    """--no-validate's first pass runs with EventValidator(schemas=False): it reports exactly what the full
    check reports once schema problems are dropped (unreadable lines, values that are no event, unsendable
    recordings), serial and parallel alike, without validating any event against its schema."""
    from ocelot_cli.publishing.replay import check_inputs

    factory = SampleFactory(catalog, SampleOptions(seed=5))
    events = [factory.make("call.ended") for _ in range(3000)]
    events[7]["data"]["outcome"] = "nope"  # a schema problem: dropped by --no-validate
    lines = [json.dumps(e) for e in events]
    lines[20] = "{oops"
    lines[30] = "[1, 2]"
    lines[40] = _recording(events[40], routing_key="k" * 300)  # no AMQP routing key can be that long
    lines[50] = json.dumps({"hello": "world"})  # no envelope: a schema problem too
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(parallel_check, "PARALLEL_BYTES", 1024)
    monkeypatch.setattr(parallel_check, "CHUNK_LINES", 300)

    schema_calls = []
    real = EventValidator._validator
    monkeypatch.setattr(EventValidator, "_validator", lambda self, *a: schema_calls.append(a) or real(self, *a))
    monkeypatch.setattr(parallel_check, "PARALLEL_BYTES", 1 << 40)  # in process: the calls are seen here
    serial, _count = check_inputs([str(path)], None, catalog)
    assert schema_calls == []
    monkeypatch.setattr(parallel_check, "PARALLEL_BYTES", 1024)
    light, count = check_inputs([str(path)], None, catalog)
    full = parallel_check.check_sources([str(path)], EventValidator(catalog), workers=2).without_schema_problems()
    assert light.to_dict() == full.to_dict() == serial.to_dict()
    assert sorted((p.line, p.kind) for p in light.problems) == [(21, "syntax"), (31, "not-an-event"),
                                                                 (41, "not-an-event")]  # fmt: skip
    assert count == 2999 and light.sources[str(path)].invalid == 2

    validator = EventValidator(catalog, schemas=False)
    result = validator.validate(events[7])
    assert (result.event_type, result.violations) == ("call.ended", [])
    assert [v.message for v in validator.validate([1]).violations] == ["an event must be a JSON object, got list"]
