"""``ocelot catalog diff``: every kind of change with the direction it breaks, --mode, the report formats,
catalogs at a git commit, AsyncAPI documents, and the errors."""

from __future__ import annotations

import copy
import json
import subprocess
from xml.etree import ElementTree as ET

import jsonschema_rs
import pytest
import yaml

from ocelot_cli.envelope.catalog import expand_formats

BACKWARD, FORWARD = "BACKWARD", "FORWARD"
BASE = {
    "type": "object",
    "required": ["call_id"],
    "properties": {
        "call_id": {"type": "string", "minLength": 1},
        "duration": {"type": "integer", "minimum": 0},
        "outcome": {"enum": ["completed", "failed"]},
        "note": {"type": "string", "maxLength": 20},
        "channel": {"const": "phone"},
        "when": {"type": "string", "format": "date"},
        "phone": {"type": "string", "x-ocelot-format": "e164"},
        "participants": {"type": "array", "items": {"type": "object", "required": ["role"],
                                                    "properties": {"role": {"enum": ["agent", "customer"]}}}},
        "address": {"type": "object", "properties": {"zip": {"type": "string", "maxLength": 10}}},
    },
}  # fmt: skip


def entry(name="call.ended", data_schema=None, **fields):
    """A platform catalog entry (``envelope="realtime", channels=[...]`` for a real-time one)."""
    out = {"type": name, "envelope": "platform", "description": f"{name} happened.",
           "routing_key": f"comms.{name}", "data_schema": data_schema or BASE}  # fmt: skip
    out.update(fields)
    if out["envelope"] == "realtime":
        out.pop("routing_key", None)
    return out


def write_catalog(directory, *entries):
    directory.mkdir(parents=True, exist_ok=True)
    for item in entries:
        (directory / f"{item['type']}.yaml").write_text(yaml.safe_dump(item, sort_keys=False))
    return directory


def changed(**edits):
    """BASE with edits: ``properties.<name>`` replaced (None removes it), or a top-level keyword set."""
    schema = copy.deepcopy(BASE)
    for key, value in edits.items():
        target, name = (schema["properties"], key[len("p_"):]) if key.startswith("p_") else (schema, key)
        if value is None:
            target.pop(name, None)
        else:
            target[name] = value
    return schema


def run_diff(cli, tmp_path, old, new, *args):
    old_dir = write_catalog(tmp_path / "old", *old)
    new_dir = write_catalog(tmp_path / "new", *new)
    return cli("catalog", "diff", str(old_dir), str(new_dir), *args)


def check_examples(change, old_schema, new_schema):
    """Every example is data that one side accepts and the other rejects, as ocelot's validators see it."""
    schemas = {"OLD": expand_formats(old_schema), "NEW": expand_formats(new_schema)}
    for example in change["examples"]:
        accept = jsonschema_rs.validator_for(schemas[example["valid_under"]], validate_formats=True)
        reject = jsonschema_rs.validator_for(schemas[example["rejected_by"]], validate_formats=True)
        assert accept.is_valid(example["data"]) and not reject.is_valid(example["data"]), example
    assert {e["breaks"] for e in change["examples"]} == set(change["proven"])


CLOSED = {"additionalProperties": False}
CASES = [
    # (id, old data schema, new data schema, path, kind, directions broken)
    ("field added, open object", BASE, changed(p_priority={"type": "string"}), "/data/priority", "field-added",
     {BACKWARD}),
    ("field added, closed object", changed(**CLOSED), changed(p_priority={"type": "string"}, **CLOSED),
     "/data/priority", "field-added", {FORWARD}),
    ("field removed, open object", BASE, changed(p_note=None), "/data/note", "field-removed", {FORWARD}),
    ("field removed, closed object", changed(**CLOSED), changed(p_note=None, **CLOSED), "/data/note",
     "field-removed", {BACKWARD}),
    ("required added", BASE, changed(required=["call_id", "duration"]), "/data/duration", "required-added",
     {BACKWARD}),
    ("required removed", BASE, changed(required=[]), "/data/call_id", "required-removed", {FORWARD}),
    ("type changed", BASE, changed(p_duration={"type": "string"}), "/data/duration", "type-changed",
     {BACKWARD, FORWARD}),
    ("integer widened to number", BASE, changed(p_duration={"type": "number", "minimum": 0}), "/data/duration",
     "type-widened", {FORWARD}),
    ("string widened to string or null", BASE, changed(p_note={"type": ["string", "null"], "maxLength": 20}),
     "/data/note", "type-widened", {FORWARD}),
    ("number narrowed to integer", changed(p_duration={"type": "number"}), changed(p_duration={"type": "integer"}),
     "/data/duration", "type-narrowed", {BACKWARD}),
    ("enum values added", BASE, changed(p_outcome={"enum": ["completed", "failed", "voicemail"]}), "/data/outcome",
     "enum-values-added", {FORWARD}),
    ("enum values removed", BASE, changed(p_outcome={"enum": ["completed"]}), "/data/outcome",
     "enum-values-removed", {BACKWARD}),
    ("const changed", BASE, changed(p_channel={"const": "sms"}), "/data/channel", "const-changed",
     {BACKWARD, FORWARD}),
    ("minimum raised", BASE, changed(p_duration={"type": "integer", "minimum": 1}), "/data/duration",
     "bounds-tightened", {BACKWARD}),
    ("minimum removed", BASE, changed(p_duration={"type": "integer"}), "/data/duration", "bounds-loosened",
     {FORWARD}),
    ("exclusiveMaximum added", BASE, changed(p_duration={"type": "integer", "minimum": 0, "exclusiveMaximum": 60}),
     "/data/duration", "bounds-tightened", {BACKWARD}),
    ("maxLength lowered", BASE, changed(p_note={"type": "string", "maxLength": 10}), "/data/note",
     "bounds-tightened", {BACKWARD}),
    ("maxLength raised", BASE, changed(p_note={"type": "string", "maxLength": 40}), "/data/note",
     "bounds-loosened", {FORWARD}),
    ("minItems added", BASE, changed(p_participants={**BASE["properties"]["participants"], "minItems": 1}),
     "/data/participants", "bounds-tightened", {BACKWARD}),
    ("pattern added", BASE, changed(p_note={"type": "string", "maxLength": 20, "pattern": "^[a-z ]*$"}),
     "/data/note", "pattern-added", {BACKWARD}),
    ("format changed", BASE, changed(p_when={"type": "string", "format": "date-time"}), "/data/when",
     "format-changed", {BACKWARD, FORWARD}),
    ("x-ocelot-format changed", BASE, changed(p_phone={"type": "string", "x-ocelot-format": "bcp47"}),
     "/data/phone", "format-changed", {BACKWARD, FORWARD}),
    ("additionalProperties closed", BASE, changed(**CLOSED), "/data", "additional-properties-changed", {BACKWARD}),
    ("additionalProperties opened", changed(**CLOSED), BASE, "/data", "additional-properties-changed", {FORWARD}),
    ("array items, nested", BASE, changed(p_participants={"type": "array", "items": {
        "type": "object", "required": ["role"], "properties": {"role": {"enum": ["agent"]}}}}),
     "/data/participants/items/role", "enum-values-removed", {BACKWARD}),
    ("nested object", BASE, changed(p_address={"type": "object", "properties": {"zip": {"type": "string",
                                                                                        "maxLength": 5}}}),
     "/data/address/zip", "bounds-tightened", {BACKWARD}),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "path", "kind", "breaks"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_kind_of_data_change_is_found_with_the_direction_it_breaks(cli, tmp_path, old, new, path, kind, breaks):
    result = run_diff(cli, tmp_path, [entry(data_schema=old)], [entry(data_schema=new)], "--format", "json")
    report = json.loads(result.out)
    found = [c for c in report["changes"] if c["path"] == path and c["kind"] == kind]
    assert len(found) == 1, report["changes"]
    change = found[0]
    assert set(change["breaks"]) == breaks and change["type"] == "call.ended"
    assert set(change["proven"]) == breaks, "each of these is shown by an example, not assumed"
    check_examples(change, old, new)
    assert result.code == 1 and report["exit_status"] == 1
    others = [c for c in report["changes"] if c is not change and c["breaks"]]
    assert others == [], "nothing else is reported as breaking"


def test_a_change_ocelot_cannot_analyse_breaks_both_ways_saying_it_cannot_prove_it(cli, tmp_path):
    old = changed(p_when={"anyOf": [{"type": "string"}, {"type": "integer"}]})
    new = changed(p_when={"anyOf": [{"type": "string"}, {"type": "number"}]})
    result = run_diff(cli, tmp_path, [entry(data_schema=old)], [entry(data_schema=new)], "--format", "json")
    (change,) = json.loads(result.out)["changes"]
    assert (change["path"], change["kind"], change["keyword"]) == ("/data/when", "constraint-changed", "anyOf")
    assert change["breaks"] == [BACKWARD, FORWARD] and change["proven"] == [FORWARD]  # 0.5 shows FORWARD
    assert change["why"].startswith("cannot prove compatible")
    check_examples(change, old, new)
    assert result.code == 1


def test_descriptions_samples_and_an_inlined_ref_are_no_change(cli, tmp_path):
    old = changed(p_note={"type": "string", "maxLength": 20, "description": "free text", "x-ocelot-sample": "hi"})
    new = changed(p_note={"$ref": "#/$defs/note"})
    new["$defs"] = {"note": {"type": "string", "maxLength": 20, "description": "what the agent wrote"}}
    result = run_diff(cli, tmp_path, [entry(data_schema=old)], [entry(data_schema=new)])
    assert result.code == 0 and result.out == ""
    assert "ok: 1 event type compared, 0 changed, 0 changes, 0 breaking full compatibility" in result.err


REALTIME = {"envelope": "realtime", "channels": ["tenant:{tenant_id}:events", "lead:{data.lead_id}:timeline"]}
TYPE_CASES = [
    ("routing key changed", [entry()], [entry(routing_key="comms.call.finished")], "/routing_key",
     "routing-key-changed", {BACKWARD, FORWARD}),
    ("channel removed", [entry("task.updated", **REALTIME)],
     [entry("task.updated", envelope="realtime", channels=["tenant:{tenant_id}:events"])], "/channels",
     "channels-changed", {FORWARD}),
    ("channel added", [entry("task.updated", envelope="realtime", channels=["tenant:{tenant_id}:events"])],
     [entry("task.updated", **REALTIME)], "/channels", "channels-changed", set()),
    ("channel replaced", [entry("task.updated", **REALTIME)],
     [entry("task.updated", envelope="realtime", channels=["tenant:{tenant_id}:events", "lead:{lead_id}:timeline"])],
     "/channels", "channels-changed", {BACKWARD, FORWARD}),
    ("envelope changed", [entry()], [entry(envelope="realtime", channels=["tenant:{tenant_id}:events"])],
     "/envelope", "envelope-changed", {BACKWARD, FORWARD}),
    ("type added", [entry()], [entry(), entry("call.rated")], "", "type-added", set()),
    ("type removed", [entry(), entry("call.rated")], [entry()], "", "type-removed", {BACKWARD}),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "path", "kind", "breaks"), [c[1:] for c in TYPE_CASES],
                         ids=[c[0] for c in TYPE_CASES])  # fmt: skip
def test_types_routes_and_envelopes_changes_break_whom_the_docs_say(cli, tmp_path, old, new, path, kind, breaks):
    result = run_diff(cli, tmp_path, old, new, "--format", "json")
    report = json.loads(result.out)
    found = [c for c in report["changes"] if c["path"] == path and c["kind"] == kind]
    assert len(found) == 1 and set(found[0]["breaks"]) == breaks, report["changes"]
    assert result.code == (1 if any(c["breaks"] for c in report["changes"]) else 0)


def test_mode_decides_what_fails(cli, tmp_path):
    old, new = [entry()], [entry(data_schema=changed(p_outcome={"enum": ["completed", "failed", "voicemail"]}))]
    assert run_diff(cli, tmp_path, old, new).code == 1  # full, the default
    assert run_diff(cli, tmp_path, old, new, "--mode", "forward").code == 1
    result = run_diff(cli, tmp_path, old, new, "--mode", "backward")
    assert result.code == 0
    assert result.out.startswith('unchecked: call.ended /data/outcome: enum-values-added ["completed", "failed"] -> ')
    assert "breaks FORWARD" in result.out and "0 breaking backward compatibility" in result.err
    bad = run_diff(cli, tmp_path, old, new, "--mode", "sideways")
    assert bad.code == 2 and "--mode" in bad.err


def test_text_names_each_breaking_change_with_path_old_new_why_and_an_example(cli, tmp_path):
    new = changed(p_duration={"type": "integer", "minimum": 0, "maximum": 7200}, p_priority={"type": "string"},
                  **CLOSED)  # fmt: skip
    result = run_diff(cli, tmp_path, [entry(data_schema=changed(**CLOSED))], [entry(data_schema=new)])
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0] == "breaking: call.ended /data/duration: bounds-tightened maximum (none) -> 7200, breaks BACKWARD"
    assert lines[1].startswith("  why: BACKWARD: producers on OLD may send values NEW's maximum 7200 refuses")
    assert lines[2].startswith('  e.g. data {"call_id": ') and '"duration": 7201' in lines[2]
    assert lines[2].endswith("passes OLD; NEW says $.data.duration: 7201 is greater than the maximum of 7200")
    assert lines[3] == 'breaking: call.ended /data/priority: field-added (none) -> {"type": "string"}, breaks FORWARD'
    assert "failed: 1 event type compared, 1 changed, 2 changes, 2 breaking full compatibility" in result.err


def test_json_junit_and_github_formats(cli, tmp_path):
    old = [entry(), entry("call.rated")]
    new = [entry(data_schema=changed(p_note=None)), entry("call.rated"), entry("call.scored")]
    report = json.loads(run_diff(cli, tmp_path, old, new, "--json").out)
    assert (report["ok"], report["exit_status"], report["mode"], report["types"]) == (False, 1, "full", 3)
    assert [(c["type"], c["kind"], c["breaks"]) for c in report["changes"]] == [
        ("call.ended", "field-removed", [FORWARD]), ("call.scored", "type-added", [])]
    junit = ET.fromstring(run_diff(cli, tmp_path, old, new, "--format", "junit").out)
    assert (junit.get("tests"), junit.get("failures")) == ("3", "1")
    cases = {case.get("name"): case for case in junit.iter("testcase")}
    assert cases["call.ended"].find("failure").get("message").startswith("call.ended /data/note: field-removed")
    assert cases["call.rated"].find("failure") is None and cases["call.scored"].find("system-out") is not None
    assert cases["call.ended"].get("file").endswith("new/call.ended.yaml")
    github = run_diff(cli, tmp_path, old, new, "--format", "github")
    lines = github.out.splitlines()
    assert github.code == 1 and len(lines) == 2
    assert lines[0].startswith("::error file=") and "new/call.ended.yaml,title=ocelot catalog diff%3A call.ended::" \
        in lines[0] and "%0Awhy: FORWARD" in lines[0]  # fmt: skip
    assert lines[1].startswith("::notice ") and "type-added" in lines[1]


def test_an_unchanged_catalog_exits_zero_and_builtin_names_ocelots_own(cli):
    from ocelot_cli.envelope.catalog import BUILTIN_DIR

    result = cli("catalog", "diff", "builtin", str(BUILTIN_DIR))
    assert result.code == 0 and result.out == ""
    assert "ok: 19 event types compared, 0 changed" in result.err


# -- AsyncAPI documents ----------------------------------------------------------------------------
def test_an_asyncapi_export_diffs_clean_against_its_catalog_and_shows_an_edit(cli, tmp_path):
    document = tmp_path / "asyncapi.yaml"
    assert cli("catalog", "export", "-o", str(document)).code == 0
    result = cli("catalog", "diff", "builtin", str(document))
    assert result.code == 0 and result.out == "", result.err
    parsed = yaml.safe_load(document.read_text())
    message = next(m for m in parsed["components"]["messages"].values()
                   if m["payload"]["properties"].get("type", {}).get("const") == "call.ended")  # fmt: skip
    message["payload"]["properties"]["data"]["required"].remove("transcript")
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(parsed))
    report = json.loads(cli("catalog", "diff", str(document), str(edited), "--json").out)
    assert [(c["type"], c["path"], c["kind"], c["breaks"]) for c in report["changes"]] == [
        ("call.ended", "/data/transcript", "required-removed", [FORWARD])]


def test_an_unreadable_asyncapi_document_is_a_catalog_error_naming_the_file(cli, tmp_path):
    document = tmp_path / "broken.yaml"
    document.write_text("asyncapi: 3.0.0\nchannels: [\n")
    result = cli("catalog", "diff", "builtin", str(document))
    assert result.code == 4 and "broken.yaml" in result.err and "Traceback" not in result.err


# -- git -------------------------------------------------------------------------------------------
def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), "-c", "user.email=diff@example.com", "-c", "user.name=diff", *args],
                   check=True, capture_output=True)  # fmt: skip


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A repository whose catalog is events/: main has the old catalog, the working tree the new one."""
    repo = tmp_path / "project"
    write_catalog(repo / "events", entry(), entry("call.rated"))
    (repo / "docker-compose.yml").write_text("services: {}\n")  # a project root holds other YAML too
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "catalog v1")
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")  # as a CI checkout with fetch-depth: 0 has it
    write_catalog(repo / "events", entry(data_schema=changed(required=["call_id", "duration"])))
    monkeypatch.chdir(repo)
    return repo


def test_the_ci_command_compares_the_configured_catalog_with_main(cli, project, monkeypatch):
    monkeypatch.setenv("OCELOT_CATALOG", "events")
    result = cli("catalog", "diff", "git:origin/main", ".", "--format", "json")
    report = json.loads(result.out)
    assert result.code == 1
    assert [(c["type"], c["path"], c["kind"], c["breaks"]) for c in report["changes"]] == [
        ("call.ended", "/data/duration", "required-added", [BACKWARD])]
    assert report["old"].startswith("origin/main:events (") and report["new"] == "events"
    github = cli("catalog", "diff", "git:origin/main", ".", "--format", "github")
    assert github.out.startswith("::error file=events/call.ended.yaml,")


def test_git_ref_with_a_path_and_from_a_subdirectory(cli, project, monkeypatch):
    assert cli("catalog", "diff", "git:HEAD:events", "events").code == 1
    monkeypatch.chdir(project / "events")
    result = cli("catalog", "diff", "git:HEAD", ".")  # the same place in the tree
    assert result.code == 1 and "/data/duration: required-added" in result.out
    assert cli("catalog", "diff", "git:HEAD:./", "git:HEAD:../events").code == 0  # both at the commit: no change
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "catalog v2")
    assert cli("catalog", "diff", "git:HEAD~1", "git:HEAD").code == 1


def test_a_catalog_new_in_this_branch_has_every_type_added(cli, project, monkeypatch):
    write_catalog(project / "more-events", entry("lead.created"))
    result = cli("catalog", "diff", "git:origin/main", "more-events")
    assert result.code == 0 and "warning: git:origin/main: more-events does not exist at origin/main" in result.err
    assert result.out == "compatible: lead.created: type-added (none) -> \"platform\", breaks nothing\n"


def test_an_asyncapi_document_at_a_commit_against_the_working_copy(cli, project):
    document = project / "asyncapi.json"
    assert cli("catalog", "export", "--catalog", "events", "-o", str(document)).code == 0
    git(project, "add", "asyncapi.json")
    git(project, "commit", "-q", "-m", "contract")
    parsed = json.loads(document.read_text())
    for message in parsed["components"]["messages"].values():
        if message["payload"]["properties"].get("type", {}).get("const") == "call.rated":
            message["payload"]["properties"]["data"]["properties"]["outcome"]["enum"].append("voicemail")
    document.write_text(json.dumps(parsed))
    report = json.loads(cli("catalog", "diff", "git:HEAD", "asyncapi.json", "--json").out)
    assert [(c["type"], c["path"], c["kind"], c["breaks"]) for c in report["changes"]] == [
        ("call.rated", "/data/outcome", "enum-values-added", [FORWARD])]
    assert report["old"].startswith("HEAD:asyncapi.json (")


def test_a_project_root_without_a_configured_catalog_is_refused_with_a_hint(cli, project):
    result = cli("catalog", "diff", "git:origin/main", ".")
    assert result.code == 4 and "docker-compose.yml: unknown key(s) services" in result.err
    assert "set OCELOT_CATALOG to its catalog directory" in result.err


def test_the_temporary_copy_of_a_commit_is_removed(cli, project, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    assert cli("catalog", "diff", "git:origin/main:events", "events").code == 1
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["git:no-such-branch", "events"], 2, "git:no-such-branch: no commit 'no-such-branch' in the repository"),
        (["git:", "events"], 2, "name a commit after git:"),
        (["git:--output=x", "events"], 2, "is not a git revision"),
        (["git:HEAD:nowhere", "events"], 2, "git:HEAD:nowhere: nowhere does not exist at HEAD"),
        (["git:HEAD:../..", "events"], 2, "is outside the repository"),
        (["missing-dir", "events"], 2, "missing-dir: no such file or directory"),
        (["builtin", "empty"], 2, "empty: no catalog files in empty"),
    ],
)
def test_bad_arguments_are_usage_errors_with_a_clear_message(cli, project, args, code, says):
    (project / "empty").mkdir()
    result = cli("catalog", "diff", *args)
    assert result.code == code and says in result.err and "Traceback" not in result.err


def test_git_outside_a_repository_is_a_usage_error(cli, tmp_path, monkeypatch):
    write_catalog(tmp_path / "plain", entry())
    monkeypatch.chdir(tmp_path)
    result = cli("catalog", "diff", "git:HEAD", "plain")
    assert result.code == 2 and "is not in a git repository" in result.err


def test_help_explains_the_arguments_and_gives_examples(cli):
    result = cli("catalog", "diff", "--help")
    assert result.code == 0
    for text in ("BACKWARD", "FORWARD", "git:REF[:PATH]", "OCELOT_CATALOG", "project root",
                 "ocelot catalog diff git:origin/main ."):  # fmt: skip
        assert text in " ".join(result.out.split())
