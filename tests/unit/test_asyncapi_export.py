"""The AsyncAPI export's structure: servers without secrets, channels and operations of both buses,
messages whose payload is the whole event with the catalog's data schema, examples that the
catalog and the payload schema accept, and a document that is the same text on every run.
(The official parser's verdict is in tests/integration/test_asyncapi_export.py.)"""

from __future__ import annotations

import json
import os

import jsonschema
import pytest
import yaml

from ocelot_cli.contract.asyncapi_export import asyncapi_document, write_document
from ocelot_cli.contract.asyncapi_servers import BusSettings, server_url
from ocelot_cli.contract.draft07 import as_draft07
from ocelot_cli.envelope.catalog import load_catalog
from ocelot_cli.envelope.model import EnvelopeKind
from ocelot_cli.envelope.validate import EventValidator
from ocelot_cli.errors import CatalogError, OutputFailed
from ocelot_cli.render.document import document_text
from tests.extra_catalog import USER_TYPES, write_user_catalog

BUS = BusSettings("amqp://127.0.0.1:5672/%2F", "ocelot.events", "ws://127.0.0.1:8765/ws", "redis://127.0.0.1:6379/0")
SPEC_CHANNELS = {"tenantEvents": "tenant:{tenant_id}:events", "userTasks": "user:{user_id}:tasks",
                 "leadTimeline": "lead:{lead_id}:timeline"}  # fmt: skip


@pytest.fixture(scope="module")
def document():
    return asyncapi_document(load_catalog(), BUS).document


@pytest.fixture(scope="module")
def user_export(tmp_path_factory):
    directory = write_user_catalog(tmp_path_factory.mktemp("user-catalog"))
    catalog = load_catalog([directory])
    return catalog, asyncapi_document(catalog, BUS)


def resolve(document, ref):
    """What a local reference points at, references followed."""
    while isinstance(ref, dict) and "$ref" in ref:
        node = document
        for part in ref["$ref"].removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        ref = node
    return ref


def test_the_document_is_asyncapi_3_with_the_three_servers_from_the_settings(document):
    assert document["asyncapi"] == "3.0.0"
    assert {name: (s["protocol"], s["host"], s.get("pathname")) for name, s in document["servers"].items()} == {
        "amqp": ("amqp", "127.0.0.1:5672", "/%2F"), "ws": ("ws", "127.0.0.1:8765", "/ws"),
        "redis": ("redis", "127.0.0.1:6379", "/0")}  # fmt: skip
    assert all(server["description"] for server in document["servers"].values())
    assert document["components"]["securitySchemes"]["gatewayToken"] == {
        **document["components"]["securitySchemes"]["gatewayToken"], "type": "http", "scheme": "bearer"}


def test_each_platform_type_has_its_routing_key_channel_on_the_topic_exchange_with_both_operations(document):
    catalog = load_catalog()
    for entry in (t for t in catalog if t.envelope is EnvelopeKind.PLATFORM):
        channel = document["channels"][entry.routing_key]
        assert channel["address"] == entry.routing_key == f"comms.{entry.name}"
        assert channel["bindings"]["amqp"] == {"is": "routingKey", "bindingVersion": "0.3.0", "exchange": {
            "name": "ocelot.events", "type": "topic", "durable": True, "autoDelete": False, "vhost": "/"}}  # fmt: skip
        assert list(channel["messages"]) == [entry.name]
        publish, consume = (document["operations"][f"{entry.routing_key}.{op}"] for op in ("publish", "consume"))
        assert (publish["action"], consume["action"]) == ("send", "receive")
        assert publish["bindings"]["amqp"]["deliveryMode"] == 2 and consume["bindings"]["amqp"]["ack"] is True
        assert resolve(document, publish["channel"]) is channel


def test_the_real_time_channels_carry_the_types_their_catalog_templates_name(document):
    catalog = load_catalog()
    for cid, address in SPEC_CHANNELS.items():
        channel = document["channels"][cid]
        assert channel["address"] == address
        kind = address.split(":")[0]
        expected = {t.name for t in catalog if t.envelope is EnvelopeKind.REALTIME
                    and any(c.startswith(kind + ":") for c in t.channels)}  # fmt: skip
        if kind in ("tenant", "lead"):  # the gateway's bridge: platform events in the real-time envelope
            expected |= {f"{t.name}.asRealtime" for t in catalog if t.envelope is EnvelopeKind.PLATFORM}
        assert set(channel["messages"]) == expected
        assert [o["action"] for o in document["operations"].values() if o["channel"]["$ref"] == f"#/channels/{cid}"] \
            == ["receive", "send"]  # fmt: skip
    tenant = document["channels"]["tenantEvents"]["parameters"]["tenant_id"]
    assert tenant["location"] == "$message.payload#/tenant_id"
    user = document["channels"]["userTasks"]["parameters"]["user_id"]  # the types disagree: each is named
    assert "location" not in user and "data.assigned_to (appointment.assigned, task.updated)" in user["description"]


def test_every_channel_names_exactly_the_parameters_of_its_address_and_every_reference_resolves(user_export):
    import re

    document = user_export[1].document
    for cid, channel in document["channels"].items():
        placeholders = set(re.findall(r"\{([^}]+)\}", channel["address"] or ""))
        assert set(channel.get("parameters", {})) == placeholders, cid
        for ref in [*channel["messages"].values(), *channel["servers"]]:
            assert resolve(document, ref)
    for operation in document["operations"].values():
        channel = resolve(document, operation["channel"])
        assert all(ref["$ref"].rpartition("/")[2] in channel["messages"] for ref in operation["messages"])


def test_the_connection_channel_has_the_gateway_protocol_and_the_events_for_one_connection(document):
    channel = document["channels"]["connection"]
    assert channel["address"] is None
    assert {"gatewayWelcome", "gatewaySubscribe", "gatewayPing", "gatewayPong", "system.buffer_dropped"} \
        <= set(channel["messages"])  # fmt: skip
    sent = [resolve(document, ref)["name"] for ref in document["operations"]["connection.send"]["messages"]]
    assert sorted(sent) == ["ping", "pong", "subscribe", "unsubscribe"]
    welcome = document["components"]["messages"]["gatewayWelcome"]
    jsonschema.Draft7Validator(welcome["payload"]).validate(welcome["examples"][0]["payload"])


@pytest.mark.parametrize("name", load_catalog().names())
def test_a_message_is_the_whole_event_of_its_type_with_the_catalogs_data_schema(document, name):
    entry = load_catalog().get(name)
    message = document["components"]["messages"][name]
    payload = message["payload"]
    assert payload["properties"][entry.envelope.type_field] == {"const": name}
    assert payload["properties"]["data"] == entry.data_schema  # x-ocelot-format kept beside its expansion
    assert set(payload["required"]) >= {"data", entry.envelope.type_field}
    assert message[("x-ocelot-channels")] == list(entry.channels)
    assert (message["summary"], message["contentType"]) == (entry.description, "application/json")
    assert ("headers" in message) == (entry.envelope is EnvelopeKind.PLATFORM)
    assert "$schema" not in json.dumps(payload)


@pytest.mark.parametrize("name", load_catalog().names())
def test_every_example_is_a_sample_the_catalog_and_the_draft_07_payload_schema_accept(document, name):
    catalog = load_catalog()
    for message_id in (name, f"{name}.asRealtime"):
        message = document["components"]["messages"].get(message_id)
        if message is None:
            continue
        (example,) = message["examples"]
        assert EventValidator(catalog).validate(example["payload"]).ok
        checker = jsonschema.Draft7Validator.FORMAT_CHECKER
        jsonschema.Draft7Validator(message["payload"], format_checker=checker).validate(example["payload"])
        if "headers" in message:
            jsonschema.Draft7Validator(message["headers"]).validate(example["headers"])
            assert example["headers"]["message_id"] == example["payload"]["id"]
            assert example["headers"]["type"] == name


def test_the_document_is_the_same_text_on_every_run_and_a_new_type_changes_no_other_message(tmp_path, document):
    again = asyncapi_document(load_catalog(), BUS).document
    assert document_text(again, as_json=False) == document_text(document, as_json=False)
    catalog = load_catalog([write_user_catalog(tmp_path)])
    grown = asyncapi_document(catalog, BUS).document["components"]["messages"]
    assert {k: v for k, v in grown.items() if k in document["components"]["messages"]} \
        == document["components"]["messages"]  # fmt: skip


def test_a_users_directory_adds_its_types_with_2020_12_keywords_in_draft_07_form(user_export):
    catalog, export = user_export
    document = export.document
    assert export.notes == []
    assert document["channels"]["comms.billing.invoice.paid"]["address"] == "comms.billing.invoice.paid"
    data = document["components"]["messages"]["billing.invoice.paid"]["payload"]["properties"]["data"]
    assert data["properties"]["line"] == {"type": "array", "examples": [["roof inspection", 1], ["gutter guard", 3]],
                                          "items": [{"type": "string"}, {"type": "integer", "minimum": 1}],
                                          "additionalItems": False}  # fmt: skip
    assert data["dependencies"] == {"refund_id": ["refunded_at"]} and data["additionalProperties"] is False
    assert "unevaluatedProperties" not in data and "dependentRequired" not in data
    assert {"crm.lead.assigned"} <= set(document["channels"]["leadTimeline"]["messages"])
    assert "; data.lead_id (crm.lead.assigned);" in document["channels"]["leadTimeline"]["parameters"]["lead_id"][
        "description"]  # fmt: skip
    own = document["channels"]["teamAlerts"]
    assert own["address"] == "team:{team_id}:alerts"
    assert own["parameters"] == {"team_id": {"description": "The value of data.team_id in the event. From each "
                                             "event's data.team_id.", "location": "$message.payload#/data/team_id"}}
    assert "Types the user's catalogs (--catalog, OCELOT_CATALOG) add or replace: " + ", ".join(sorted(USER_TYPES)) \
        in document["info"]["description"]  # fmt: skip


def test_the_reader_reads_the_export_back_as_the_same_catalog(tmp_path, user_export):
    from ocelot_cli.envelope.catalog.asyncapi import read_asyncapi

    catalog, export = user_export
    path = tmp_path / "asyncapi.yaml"
    path.write_text(document_text(export.document, as_json=False))
    back = {t.name: t for t in read_asyncapi(path)}
    assert set(back) == set(catalog.names())
    for entry in catalog:
        again = back[entry.name]
        assert (again.envelope, again.routing_key, again.channels) == (entry.envelope, entry.routing_key,
                                                                       entry.channels)  # fmt: skip
        if entry.name != "billing.invoice.paid":
            assert again.data_schema == entry.data_schema
    # Written with 2020-12 keywords that the document spells in draft-07: the same events pass and fail.
    entry, again = catalog.get("billing.invoice.paid"), back["billing.invoice.paid"]
    data = export.document["components"]["messages"][entry.name]["examples"][0]["payload"]["data"]
    refused = [{**data, "line": ["x", 1, "extra"]}, {**data, "line": ["x", 0]}, {**data, "unknown": 1},
               {k: v for k, v in data.items() if k != "refunded_at"} | {"refund_id": "r-1"}]  # fmt: skip
    for schema in (entry.data_schema, again.data_schema):
        validator = jsonschema.Draft202012Validator(schema)
        assert validator.is_valid(data) and not any(validator.is_valid(bad) for bad in refused)


@pytest.mark.parametrize(("envelope", "servers", "absent"), [
    (EnvelopeKind.PLATFORM, {"amqp"}, "tenantEvents"),
    (EnvelopeKind.REALTIME, {"ws", "redis"}, "comms.call.ended"),
])  # fmt: skip
def test_one_side_only(envelope, servers, absent):
    catalog = load_catalog()
    document = asyncapi_document(catalog, BUS, envelope=envelope).document
    assert set(document["servers"]) == servers
    assert absent not in document["channels"]
    kinds = {m["tags"][0]["name"] for m in document["components"]["messages"].values()}
    assert kinds == ({"platform"} if envelope is EnvelopeKind.PLATFORM else {"realtime", "gateway-control"})


def test_no_user_name_password_or_query_of_any_url_reaches_the_document():
    bus = BusSettings("amqps://deployer:s3cr%40t@rabbit-1.internal:5671/ocelot?heartbeat=30,"
                      "amqps://deployer:s3cr%40t@[fd00::2]:5671/ocelot", "ocelot.events",
                      "wss://gw.example.com/ws?token=abc.def.ghi",
                      "rediss://:hunter22@redis.internal:6380/2")  # fmt: skip
    document = asyncapi_document(load_catalog(), bus).document
    text = document_text(document, as_json=True)
    for secret in ("s3cr", "deployer", "hunter22", "abc.def", "heartbeat=", "token="):
        assert secret not in text
    servers = document["servers"]
    assert [(servers[n]["host"], servers[n]["pathname"]) for n in ("amqp-1", "amqp-2", "ws", "redis")] == [
        ("rabbit-1.internal:5671", "/ocelot"), ("[fd00::2]:5671", "/ocelot"), ("gw.example.com", "/ws"),
        ("redis.internal:6380", "/2")]  # fmt: skip
    assert servers["amqp-1"]["protocol"] == "amqps" and servers["ws"]["protocol"] == "wss"
    assert servers["redis"]["security"] == [{"$ref": "#/components/securitySchemes/redisUser"}]
    assert document["channels"]["comms.call.ended"]["bindings"]["amqp"]["exchange"]["vhost"] == "ocelot"
    assert server_url("amqp://u:p@ss@host/").host == "host"  # the last @ ends the user information


def test_draft_07_forms_of_2020_12_keywords_and_what_has_none():
    converted = as_draft07({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"prefixItems": {"type": "string"},  # a field of that name is no keyword
                       "pair": {"prefixItems": [{"type": "string"}], "items": {"type": "integer"}},
                       "rest": {"unevaluatedItems": False, "prefixItems": [{"type": "string"}]},
                       "tags": {"type": "array", "contains": {"const": "x"}, "minContains": 2}},
        "$defs": {"money": {"type": "number"}},
        "allOf": [{"required": ["pair"]}],
        "unevaluatedProperties": False,
    })  # fmt: skip
    assert converted.schema == {
        "type": "object",
        "properties": {"prefixItems": {"type": "string"},
                       "pair": {"items": [{"type": "string"}], "additionalItems": {"type": "integer"}},
                       "rest": {"items": [{"type": "string"}], "additionalItems": False},
                       "tags": {"type": "array", "contains": {"const": "x"}, "minContains": 2}},
        "definitions": {"money": {"type": "number"}},
        "allOf": [{"required": ["pair"]}],
        "unevaluatedProperties": False,  # beside allOf: no draft-07 keyword says the same
    }  # fmt: skip
    assert converted.unchecked == ["/properties/tags: minContains", "/: unevaluatedProperties"]


def test_a_keyword_draft_07_tools_skip_is_reported_and_a_ref_is_refused_naming_the_file(tmp_path):
    write_user_catalog(tmp_path)
    text = (tmp_path / "crm.lead.assigned.yaml").read_text()
    (tmp_path / "crm.lead.assigned.yaml").write_text(text.replace("  required: [lead_id, rep_id, score]\n",
                                                                  "  required: [lead_id, rep_id, score]\n"
                                                                  "  allOf: [{}]\n  unevaluatedProperties: false\n"))
    export = asyncapi_document(load_catalog([tmp_path]), BUS)
    assert export.notes == ["crm.lead.assigned: /properties/data: unevaluatedProperties: AsyncAPI tools (draft-07) "
                            "do not check this keyword"]  # fmt: skip
    (tmp_path / "crm.lead.assigned.yaml").write_text(text.replace("      maximum: 100\n", "      maximum: 100\n"
                                                                  "    other: {$ref: '#/properties/score'}\n"))
    with pytest.raises(CatalogError, match=r"crm\.lead\.assigned\.yaml: 'data_schema' uses \$ref \(at "
                                           r"/properties/other\)"):  # fmt: skip
        asyncapi_document(load_catalog([tmp_path]), BUS)


def test_yaml_and_json_texts_hold_the_same_document_and_escape_what_a_terminal_would_run(document):
    assert yaml.safe_load(document_text(document, as_json=False)) == document
    assert json.loads(document_text(document, as_json=True)) == document
    hostile = {"description": "ok\x1b]0;pwned\x07 \u202egnp.exe \x9b31m café"}
    for as_json in (False, True):
        text = document_text(hostile, as_json=as_json)
        assert not any(c in text for c in "\x1b\x07\u202e\x9b")
        assert (json.loads(text) if as_json else yaml.safe_load(text)) == hostile
    assert "&id" not in document_text({"a": (shared := {"x": 1}), "b": shared}, as_json=False)


def test_a_document_file_is_replaced_whole_and_a_failed_write_keeps_the_old_one(tmp_path):
    target = tmp_path / "asyncapi.yaml"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    write_document(str(target), "new\n")
    assert target.read_text() == "new\n" and (target.stat().st_mode & 0o777) == 0o640
    with pytest.raises(OutputFailed, match="cannot write .*asyncapi.yaml"):
        write_document(str(target), "half \ud800 written")  # a lone surrogate cannot be encoded: fails mid-write
    assert target.read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["asyncapi.yaml"]
