import json
from xml.etree import ElementTree as ET

import pytest

from ocelot_cli.envelope.samples import SampleFactory, SampleOptions


@pytest.fixture
def good_events(catalog):
    factory = SampleFactory(catalog, SampleOptions(seed=4))
    return [factory.make(name) for name in ("call.ended", "task.updated", "sentiment.analyzed")]


@pytest.fixture
def mixed_file(tmp_path, good_events):
    bad = dict(good_events[0], data={**good_events[0]["data"], "outcome": "done"})
    lines = [json.dumps(good_events[0]), json.dumps(bad), "{not json", json.dumps(good_events[1])]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_valid_files_exit_zero_with_a_summary_on_stderr(cli, tmp_path, good_events):
    path = tmp_path / "ok.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in good_events))
    result = cli("validate", str(path))
    assert result.code == 0
    assert result.out == ""
    assert "ok: 3 events in 1 source" in result.err


def test_invalid_events_exit_one_with_file_line_and_path(cli, tmp_path, good_events):
    bad = dict(good_events[0], data={**good_events[0]["data"], "outcome": "done", "duration": "long"})
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(good_events[1]) + "\n" + json.dumps(bad) + "\n")
    result = cli("validate", str(path))
    assert result.code == 1
    assert f"{path}:2: error: call.ended $.data.duration: " in result.out
    assert f"{path}:2: error: call.ended $.data.outcome: 'done' is not one of" in result.out
    assert "2 events in 1 source, 1 invalid" in result.err


def test_unreadable_input_exits_three_and_still_reports_every_other_problem(cli, mixed_file):
    result = cli("validate", str(mixed_file))
    assert result.code == 3
    assert f"{mixed_file}:2: error: call.ended $.data.outcome" in result.out
    assert f"{mixed_file}:3:2: error: invalid JSON" in result.out
    assert "3 events in 1 source, 1 invalid, 1 input problem" in result.err


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("missing.json", None, "no such file"),
        ("empty.json", b"", "empty input: no events"),
        ("latin1.jsonl", b'{"a": "caf\xe9"}\n', "not valid UTF-8"),
        ("broken.yaml", b"a: [1,\n", "invalid YAML"),
    ],
)
def test_each_kind_of_unreadable_input_is_named_without_traceback(cli, tmp_path, name, content, says):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = cli("validate", str(path))
    assert result.code == 3
    assert says in result.out and str(path) in result.out
    assert "Traceback" not in result.out + result.err


def test_stdin_is_read_with_dash(cli, good_events):
    result = cli("validate", "-", stdin=("\n".join(json.dumps(e) for e in good_events) + "\n").encode())
    assert result.code == 0 and "3 events" in result.err
    result = cli("validate", "-", stdin=b'{"type": "call.ended"}\n')
    assert result.code == 1 and result.out.startswith("<stdin>:1: error:")


def test_yaml_list_with_a_duplicate_key_is_invalid_at_its_line(cli, tmp_path, catalog):
    import yaml

    event = SampleFactory(catalog, SampleOptions(seed=1)).make("call.ended")
    text = yaml.safe_dump([event], sort_keys=False).replace("  source: communications\n", "  source: a\n  source: b\n")
    path = tmp_path / "events.yaml"
    path.write_text(text)
    result = cli("validate", str(path))
    assert result.code == 1
    line = text.splitlines().index("  source: b") + 1
    assert f"{path}:{line}:3: error: duplicate key 'source'" in result.out


def test_json_report_is_machine_readable(cli, mixed_file):
    result = cli("validate", str(mixed_file), "--format", "json")
    report = json.loads(result.out)
    assert report["ok"] is False and report["exit_status"] == 3
    assert (report["events"], report["valid"], report["invalid"]) == (3, 2, 1)
    kinds = {(p["line"], p["kind"]) for p in report["problems"]}
    assert kinds == {(2, "schema"), (3, "syntax")}
    schema_problem = next(p for p in report["problems"] if p["kind"] == "schema")
    assert schema_problem["path"] == "$.data.outcome" and schema_problem["type"] == "call.ended"


def test_junit_report_has_a_case_per_event_and_failures_for_invalid_ones(cli, mixed_file):
    result = cli("validate", str(mixed_file), "--format", "junit")
    root = ET.fromstring(result.out)
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "1", "1")
    cases = root.findall("./testsuite/testcase")
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.get("line") for c in failed] == ["2"]
    assert "$.data.outcome" in failed[0].find("failure").get("message")
    assert root.find("./testsuite/testcase/error").get("type") == "syntax"


def test_github_annotations_point_at_file_and_line(cli, mixed_file):
    lines = cli("validate", str(mixed_file), "--format", "github").out.splitlines()
    assert any(
        line.startswith(f"::error file={mixed_file},line=2,title=ocelot validate%3A call.ended::$.data.outcome")
        for line in lines
    )
    assert any(line.startswith(f"::error file={mixed_file},line=3,col=2,") for line in lines)


def test_warnings_do_not_fail_and_strict_turns_them_into_errors(cli, tmp_path, good_events):
    event = dict(good_events[0], timestamp="2025-09-20T10:30:00")
    path = tmp_path / "naive.json"
    path.write_text(json.dumps([event]))
    result = cli("validate", str(path))
    assert result.code == 0
    assert "warning: call.ended $.timestamp: naive time" in result.out
    assert cli("validate", str(path), "--strict").code == 1


def test_envelope_option_refuses_the_other_kind(cli, tmp_path, good_events):
    path = tmp_path / "mixed.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in good_events))
    result = cli("validate", str(path), "--bus", "platform")
    assert result.code == 1
    assert "task.updated $: wrong envelope: this is an OttoAI real-time event" in result.out


def test_terminal_escapes_in_payloads_are_shown_escaped(cli, tmp_path, good_events):
    event = dict(good_events[0], type="\x1b[2J\x1b]0;pwned\x07call.ended")
    path = tmp_path / "evil.jsonl"
    path.write_text(json.dumps(event) + "\n")
    result = cli("validate", str(path))
    assert result.code == 1
    assert "\x1b" not in result.out and "\x07" not in result.out
    assert "\\e[2J" in result.out


def test_directories_are_validated_recursively(cli, tmp_path, good_events):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.json").write_text(json.dumps(good_events[0]))
    (tmp_path / "sub" / "b.jsonl").write_text(json.dumps(good_events[1]) + "\n")
    result = cli("validate", str(tmp_path))
    assert result.code == 0 and "2 events in 2 sources" in result.err
