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
