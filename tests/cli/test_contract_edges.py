"""Edges of the catalog-as-contract commands found by trying them as an adversary would: what -o writes
through, schemas whose samples must respect every bound, inputs that are no regular file, deep JSON."""

from __future__ import annotations

import json
import os
import threading

import yaml

from ocelot_cli.envelope.catalog import load_catalog
from ocelot_cli.envelope.samples import SampleFactory, SampleOptions
from ocelot_cli.envelope.validate import EventValidator


def _entry(directory, name, data_schema):
    directory.mkdir(exist_ok=True)
    (directory / f"{name}.yaml").write_text(yaml.safe_dump({
        "type": name, "envelope": "platform", "description": "A test type.", "routing_key": f"comms.{name}",
        "data_schema": data_schema}))  # fmt: skip
    return directory


def test_export_o_writes_through_a_fifo_and_a_symlink_and_keeps_them(cli, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    result = cli("catalog", "export", "-o", str(fifo))
    reader.join(10)
    assert result.code == 0, result.err
    assert fifo.is_fifo() and yaml.safe_load(got[0])["asyncapi"] == "3.0.0"
    real = tmp_path / "real.yaml"
    real.write_text("old")
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    assert cli("catalog", "export", "-o", str(link)).code == 0
    assert link.is_symlink() and yaml.safe_load(real.read_text())["asyncapi"] == "3.0.0"


def test_samples_keep_length_and_item_bounds_tuples_and_boolean_subschemas(tmp_path):
    schema = {
        "type": "object",
        "required": ["country", "dims", "pair", "anything"],
        "properties": {
            "country": {"type": "string", "minLength": 2, "maxLength": 2},
            "code": {"type": "string", "minLength": 40},
            "dims": {"type": "array", "items": {"type": "integer"}, "minItems": 3, "maxItems": 3},
            "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": False},
            "anything": True,
            "never": False,
        },
    }
    catalog = load_catalog([_entry(tmp_path / "cat", "test.bounds", schema)])
    factory = SampleFactory(catalog, SampleOptions(seed=1))
    validator = EventValidator(catalog)
    for _ in range(30):
        event = factory.make("test.bounds")
        assert validator.validate(event).ok, (event["data"], validator.validate(event).errors)
        assert isinstance(event["data"]["pair"][1], int)


def test_diff_and_catalog_read_a_document_given_as_a_pipe(cli, tmp_path):
    exported = tmp_path / "exported.yaml"
    assert cli("catalog", "export", "-o", str(exported)).code == 0
    fifo = tmp_path / "doc.yaml"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text(exported.read_text()))
    writer.start()
    result = cli("catalog", "diff", "builtin", str(fifo))
    writer.join(10)
    assert result.code == 0, result.err
    assert "19 event types compared, 0 changed" in result.err


def test_json_nested_too_deep_is_one_clear_error_not_a_crash(cli, tmp_path):
    deep = "[" * 300 + "]" * 300
    directory = tmp_path / "deep"
    directory.mkdir()
    (directory / "x.json").write_text('{"type": "a.b", "data_schema": {"examples": [' + deep + "]}}")
    result = cli("catalog", "list", "--catalog", str(directory))
    assert result.code == 4 and "nesting deeper than 100 levels" in result.err and "Traceback" not in result.err
    document = tmp_path / "deep.json"
    document.write_text('{"asyncapi": "3.0.0", "x": ' + deep + "}")
    result = cli("catalog", "list", "--catalog", str(document))
    assert result.code == 4 and f"{document}:1:" in result.err and "nesting deeper" in result.err


def test_export_refuses_a_server_url_it_cannot_describe(cli, monkeypatch):
    monkeypatch.setenv("OCELOT_AMQP_URL", "amqp://u:secret@[::1/%2F")
    result = cli("catalog", "export")
    assert result.code == 2 and "cannot be used" in result.err and "secret" not in result.err
    monkeypatch.setenv("OCELOT_AMQP_URL", "amqp://host:0/%2F")
    result = cli("catalog", "export")
    assert result.code == 2 and "port" in result.err


def test_github_annotations_name_the_document_not_its_message(cli, tmp_path):
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    assert cli("catalog", "export", "--bus", "platform", "-o", str(old)).code == 0
    document = yaml.safe_load(old.read_text())
    outcome = document["components"]["messages"]["call.ended"]["payload"]["properties"]["data"]["properties"]["outcome"]
    outcome["enum"] = outcome["enum"][1:]  # a value removed: breaks BACKWARD
    new.write_text(yaml.safe_dump(document))
    result = cli("catalog", "diff", str(old), str(new), "--format", "github")
    assert result.code == 1
    errors = [line for line in result.out.splitlines() if line.startswith("::error")]
    assert errors and all(f"file={new}," in line and "#/" not in line.split("::")[1] for line in errors), errors


def test_empty_names_are_usage_errors(cli):
    result = cli("catalog", "diff", "", "builtin")
    assert result.code == 2 and "OLD is empty" in result.err
    result = cli("catalog", "export", "-o", "")
    assert result.code == 2 and "give a file name" in result.err


def test_a_field_the_sampler_cannot_fill_says_how_to_give_it_values(cli, tmp_path):
    directory = _entry(tmp_path / "cat", "test.pattern", {
        "type": "object", "required": ["code"], "properties": {"code": {"type": "string", "pattern": "^[A-Z]{3}$"}}})
    for command in (["catalog", "sample"], ["publish", "--dry-run"]):
        result = cli(*command, "test.pattern", "--catalog", str(directory))
        assert result.code == 1 and "give it 'examples' or an 'x-ocelot-sample' template" in result.err
    (directory / "test.pattern.yaml").write_text((directory / "test.pattern.yaml").read_text().replace(
        "pattern: ^[A-Z]{3}$", "pattern: ^[A-Z]{3}$\n      examples: [ABC, XYZ]"))  # fmt: skip
    result = cli("catalog", "sample", "test.pattern", "--catalog", str(directory))
    assert result.code == 0 and json.loads(result.out)["data"]["code"] in ("ABC", "XYZ")
