"""`ocelot catalog` with an AsyncAPI document as --catalog or OCELOT_CATALOG: list, show, schema, sample."""

import json
from pathlib import Path

import jsonschema

from ocelot_cli.envelope.catalog import load_catalog
from ocelot_cli.envelope.validate import EventValidator

DOC = Path(__file__).resolve().parents[1] / "fixtures" / "asyncapi" / "acme-billing.asyncapi.yaml"


def test_list_shows_the_documents_types_with_the_document_as_their_source(cli):
    listed = json.loads(cli("catalog", "list", "--catalog", str(DOC)).out)
    mine = {t["type"]: t for t in listed if t["source"] != "builtin"}
    assert set(mine) == {"billing.invoice.issued", "billing.invoice.paid", "billing.payment.failed",
                         "billing.balance.updated"}  # fmt: skip
    assert mine["billing.invoice.paid"] == {
        "type": "billing.invoice.paid", "envelope": "platform", "description": "An invoice was paid in full.",
        "routing_key": "billing.invoice.paid", "channels": [],
        "source": f"{DOC}#/components/messages/InvoicePaid",
    }  # fmt: skip
    assert mine["billing.balance.updated"]["channels"] == ["tenant:{tenant_id}:events", "lead:{data.lead_id}:timeline"]
    assert len(listed) == 19 + 4


def test_show_schema_and_sample_work_on_a_document_type_from_the_environment(cli, monkeypatch):
    monkeypatch.setenv("OCELOT_CATALOG", str(DOC))
    shown = cli("catalog", "show", "billing.invoice.issued", "--format", "text").out
    assert f"defined in:  {DOC}#/components/messages/InvoiceIssued" in shown
    assert "data.line_items" in shown and "pattern ^INV-[0-9]{6}$" in shown
    schema = json.loads(cli("catalog", "schema", "billing.invoice.issued").out)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["type"] == {"const": "billing.invoice.issued"}
    out = cli("catalog", "sample", "billing.invoice.issued", "billing.balance.updated", "-n", "5", "--seed", "3").out
    samples = [json.loads(line) for line in out.splitlines()]
    validator = EventValidator(load_catalog([DOC]))
    assert len(samples) == 10 and all(validator.validate(event).ok for event in samples)
    assert all(jsonschema.Draft202012Validator(schema).is_valid(e) for e in samples[:5])


def test_a_broken_document_is_a_configuration_error_on_one_line(cli, tmp_path):
    broken = tmp_path / "billing.yaml"
    broken.write_text(DOC.read_text().replace("$ref: '#/components/schemas/Money'", "$ref: '#/components/schemas/Mony'",
                                              1))  # fmt: skip
    result = cli("catalog", "list", "--catalog", str(broken))
    assert result.code == 4
    [line] = result.err.strip().splitlines()
    assert line.startswith(f"error: {broken}:") and ".$ref: $ref '#/components/schemas/Mony' points to nothing" in line
    assert "Traceback" not in result.err and result.out == ""


def test_a_file_that_is_no_asyncapi_document_is_named_with_what_catalog_takes(cli, tmp_path):
    notes = tmp_path / "notes.yaml"
    notes.write_text("title: release notes\n")
    result = cli("catalog", "list", "--catalog", str(notes))
    assert result.code == 4
    assert f"{notes}: not an AsyncAPI document" in result.err and "AsyncAPI 2.6/3.0/3.1 document" in result.err


def test_the_exported_document_reads_back_as_the_same_catalog(cli, tmp_path):
    # the contract between `catalog export --format asyncapi` and the reader: every type comes back the same,
    # the built-in ones and a document's alike (bridged and control messages are no types of their own)
    exported = tmp_path / "catalog.asyncapi.yaml"
    result = cli("catalog", "export", "--format", "asyncapi", "--catalog", str(DOC), "-o", str(exported))
    assert result.code == 0, result.err
    source = {t.name: t for t in load_catalog([DOC])}
    again = {t.name: t for t in load_catalog([exported])}
    assert set(again) == set(source)
    for name, entry in source.items():
        got = again[name]
        assert (got.envelope, got.routing_key, got.channels, got.description, got.data_schema) == (
            entry.envelope, entry.routing_key, entry.channels, entry.description, entry.data_schema), name
        assert got.source_file.startswith(f"{exported}#/components/messages/")  # fmt: skip
