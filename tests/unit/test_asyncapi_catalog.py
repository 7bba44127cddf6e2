"""AsyncAPI 2.6 / 3.0 documents as a catalog source: the mapping to event types, and every error with FILE:LINE
and the JSON path of the node at fault."""

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ocelot_cli.envelope.catalog import load_catalog
from ocelot_cli.envelope.catalog.asyncapi import read_asyncapi
from ocelot_cli.envelope.catalog.asyncapi_document import _json_lines
from ocelot_cli.envelope.catalog.asyncapi_schema import merge_all_of
from ocelot_cli.envelope.model import EnvelopeKind
from ocelot_cli.envelope.samples import SampleFactory, SampleOptions
from ocelot_cli.envelope.validate import EventValidator
from ocelot_cli.errors import CatalogError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "asyncapi"
DOC_30 = FIXTURES / "acme-billing.asyncapi.yaml"
DOC_26 = FIXTURES / "acme-billing-2.6.asyncapi.json"
BILLING = {"billing.invoice.issued", "billing.invoice.paid", "billing.payment.failed", "billing.balance.updated"}


def types_of(path: Path, text: str | None = None) -> dict:
    return {entry.name: entry for entry in read_asyncapi(path, text)}


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The line of the ``occurrence``-th ``needle`` in ``text``."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    return text.count("\n", 0, index) + 1


def error_of(text: str, path: Path = DOC_30) -> str:
    with pytest.raises(CatalogError) as info:
        read_asyncapi(path, text)
    assert info.value.hint is None or "\n" not in info.value.hint
    assert "\n" not in info.value.message, "one line"
    return info.value.message


def edited(old: str, new: str, base: Path = DOC_30, count: int = 1) -> str:
    text = base.read_text()
    assert text.count(old) >= count, old
    return text.replace(old, new, count)


# -- the mapping ------------------------------------------------------------------------------------


def test_a_3_0_document_gives_one_type_per_message_with_route_description_and_source():
    types = types_of(DOC_30)
    assert set(types) == BILLING
    issued = types["billing.invoice.issued"]
    assert issued.envelope is EnvelopeKind.PLATFORM
    assert issued.routing_key == "billing.invoice.issued" and issued.channels == ()
    assert issued.description == "An invoice was issued to a customer and is now payable."  # the summary
    assert issued.source_file == f"{DOC_30}#/components/messages/InvoiceIssued" and not issued.builtin
    assert types["billing.invoice.paid"].routing_key == "billing.invoice.paid"  # a binding written in the channel
    assert types["billing.payment.failed"].routing_key == "billing.payment.failed"  # a binding by $ref
    assert issued.raw["asyncapi"]["exchange"] == "ocelot.events"


def test_real_time_channels_come_from_the_addresses_with_parameters_mapped_to_envelope_fields():
    balance = types_of(DOC_30)["billing.balance.updated"]
    assert balance.envelope is EnvelopeKind.REALTIME and balance.routing_key is None
    # tenantId: location $message.payload#/tenant_id (a component parameter by $ref);
    # leadId: location $message.payload#/data/lead_id (written in the channel)
    assert balance.channels == ("tenant:{tenant_id}:events", "lead:{data.lead_id}:timeline")
    event = {"tenant_id": "t-9", "data": {"lead_id": "lead-1"}}
    assert balance.resolve_channels(event) == ["tenant:t-9:events", "lead:lead-1:timeline"]


def test_data_schemas_are_self_contained_with_allof_merged_and_x_ocelot_keywords_kept():
    issued = types_of(DOC_30)["billing.invoice.issued"]
    schema = issued.data_schema
    assert "$ref" not in json.dumps(schema) and "allOf" not in json.dumps(schema)
    assert schema["required"] == ["invoice_id", "customer_id", "invoice_number", "total", "due_date", "line_items"]
    assert schema["properties"]["invoice_id"]["x-ocelot-sample"] == "inv_{hex:8}"
    money = schema["properties"]["line_items"]["items"]["properties"]["unit_price"]
    assert money["properties"]["currency"]["enum"] == ["USD", "EUR", "GBP"]
    assert issued.raw["data_schema"] == schema  # nothing to expand here: raw keeps the unexpanded form


def test_the_2_6_version_of_the_document_reads_the_same_types():
    old, new = types_of(DOC_26), types_of(DOC_30)
    assert set(old) == BILLING | {"billing.credit_note.issued"}  # the second message of a oneOf
    for name in BILLING:
        assert old[name].data_schema == new[name].data_schema, name
        assert (old[name].envelope, old[name].routing_key, old[name].channels) == (
            new[name].envelope, new[name].routing_key, new[name].channels), name  # fmt: skip
        assert old[name].description == new[name].description, name
    # billing.invoice.paid is an inline message named by its messageId (its payload has no type const)
    assert old["billing.invoice.paid"].source_file.endswith("#/channels/billing.invoice.paid/publish/message")
    # an exchange other than the platform's is kept as information
    assert old["billing.payment.failed"].raw["asyncapi"]["exchange"] == "acme.billing"
    credit = old["billing.credit_note.issued"]
    assert credit.description == "A credit note was issued against an invoice."  # the description's first line
    assert credit.channels == ("tenant:{tenant_id}:events",)


@pytest.mark.parametrize("doc", [DOC_30, DOC_26], ids=["3.0", "2.6"])
def test_samples_of_every_document_type_are_valid_events_and_the_schemas_are_standard(doc):
    catalog = load_catalog([doc])
    assert set(catalog.names()) >= BILLING and "call.ended" in catalog  # added to the built-in types
    validator = EventValidator(catalog)
    factory = SampleFactory(catalog, SampleOptions(seed=11))
    for entry in read_asyncapi(doc):
        jsonschema.Draft202012Validator.check_schema(catalog.event_schema(entry.name))
        for _ in range(20):
            event = factory.make(entry.name)
            assert validator.validate(event).violations == [], (entry.name, event)


def test_events_that_break_the_documents_schemas_are_refused():
    catalog = load_catalog([DOC_30])
    event = SampleFactory(catalog, SampleOptions(seed=1)).make("billing.invoice.paid")
    event["data"]["amount"]["currency"] = "JPY"
    del event["data"]["customer_id"]
    paths = {v.path for v in EventValidator(catalog).validate(event).violations}
    assert paths == {"$.data.amount.currency", "$.data"}


def test_text_given_is_read_instead_of_the_file():
    text = DOC_30.read_text().replace("billing.invoice.paid", "billing.invoice.settled")
    assert "billing.invoice.settled" in types_of(Path("/nowhere/doc.yaml"), text)


def test_a_json_3_0_document_reads_like_its_yaml(tmp_path):
    doc = tmp_path / "billing.json"
    doc.write_text(json.dumps(yaml.safe_load(DOC_30.read_text()), indent=1))

    def comparable(path):
        return {name: replace(entry, source_file=entry.source_file.split("#")[1])
                for name, entry in types_of(path).items()}  # fmt: skip

    assert comparable(doc) == comparable(DOC_30)


def test_draft_07_keywords_of_asyncapi_schemas_keep_their_meaning():
    text = edited("        overdue: {type: boolean}",
                  "        overdue: {type: boolean}\n"
                  "        history: {type: array, items: [{type: string}, {type: integer}], additionalItems: false}\n"
                  "        tags: {type: array, items: {type: string}, additionalItems: false}\n"
                  "      dependencies: {overdue: [history], history: {required: [tags]}}")
    schema = types_of(DOC_30, text)["billing.balance.updated"].data_schema
    history = {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": False}
    assert schema["properties"]["history"] == history
    assert schema["properties"]["tags"] == {"type": "array", "items": {"type": "string"}}
    assert schema["dependentRequired"] == {"overdue": ["history"]}
    assert schema["dependentSchemas"] == {"history": {"required": ["tags"]}}
    validator = jsonschema.Draft202012Validator(schema)
    base = {"account_id": "acct_00000001", "lead_id": "l1", "balance": {"amount_cents": 1, "currency": "USD"}}
    assert validator.is_valid({**base, "history": ["a", 1], "tags": ["x"]})
    assert not validator.is_valid({**base, "history": ["a", 1, "more"], "tags": ["x"]})  # additionalItems: false
    assert not validator.is_valid({**base, "overdue": True})  # dependencies: overdue needs history
    assert not validator.is_valid({**base, "history": ["a", 1]})  # history needs tags


def test_json_without_the_suffix_and_yaml_in_flow_style_are_both_read():
    as_json = json.dumps(yaml.safe_load(DOC_30.read_text()))
    assert set(types_of(DOC_30, as_json)) == BILLING
    flow = yaml.safe_dump(yaml.safe_load(DOC_30.read_text()), default_flow_style=True)
    assert flow.startswith("{") and set(types_of(DOC_30, flow)) == BILLING


def test_the_name_falls_back_to_the_message_name_then_its_key():
    text = edited("              type:\n                const: billing.invoice.paid\n", "")
    text = text.replace("      name: InvoicePaid\n", "      name: billing.invoice.cleared\n")
    text = text.replace("                const: billing.payment.failed\n", "                type: string\n")
    text = text.replace("    PaymentFailed:\n      name: PaymentFailed\n", "    billing.payment.bounced:\n")
    text = text.replace("#/components/messages/PaymentFailed", "#/components/messages/billing.payment.bounced")
    assert {"billing.invoice.cleared", "billing.payment.bounced"} <= set(types_of(DOC_30, text))


def test_a_name_outside_the_type_name_rule_is_refused_where_it_comes_from():
    text = edited("              type:\n                const: billing.invoice.paid\n", "")
    message = error_of(text)
    assert message.startswith(f"{DOC_30}:{line_of(text, 'name: InvoicePaid')}: $.components.messages.InvoicePaid.name:")
    assert "'InvoicePaid' (from the message name) is not a dotted lower-case name" in message
    assert "properties.type to a const such as billing.invoice.paid" in message


def test_x_ocelot_channels_win_and_a_parameter_without_location_is_the_field_of_its_name():
    text = edited("      summary: An account's outstanding balance changed (pushed to agents' dashboards).\n",
                  "      summary: Balance changed.\n"
                  "      x-ocelot-channels: ['lead:{lead_id|data.lead_id}:timeline']\n")
    assert types_of(DOC_30, text)["billing.balance.updated"].channels == ("lead:{lead_id|data.lead_id}:timeline",)
    text = edited("        location: $message.payload#/data/lead_id\n", "")
    assert types_of(DOC_30, text)["billing.balance.updated"].channels[1] == "lead:{leadId}:timeline"


def test_a_platform_message_also_on_a_real_time_channel_keeps_its_routing_key_and_is_bridged_there():
    text = edited("      balanceUpdated:\n        $ref: '#/components/messages/BalanceUpdated'\n  leadTimeline:",
                  "      balanceUpdated:\n        $ref: '#/components/messages/BalanceUpdated'\n"
                  "      paid:\n        $ref: '#/components/messages/InvoicePaid'\n  leadTimeline:")
    paid = types_of(DOC_30, text)["billing.invoice.paid"]
    assert paid.routing_key == "billing.invoice.paid" and paid.channels == ("tenant:{tenant_id}:events",)


def test_unused_component_messages_are_not_types_and_headers_are_accepted():
    text = edited("  messages:\n    InvoiceIssued:\n", "  messages:\n    Unused:\n      payload: {type: string}\n"
                  "    InvoiceIssued:\n")
    assert set(types_of(DOC_30, text)) == BILLING  # InvoiceIssued has headers; Unused is on no channel


# -- errors: FILE:LINE: JSON-PATH: what; what to do -------------------------------------------------


def test_an_unresolvable_ref_names_its_line_and_path():
    text = edited("                $ref: '#/components/schemas/InvoicePaidData'",
                  "                $ref: '#/components/schemas/InvoicePayedData'")
    message = error_of(text)
    line = line_of(text, "InvoicePayedData")
    assert message == (f"{DOC_30}:{line}: $.components.messages.InvoicePaid.payload.allOf[1].properties.data.$ref: "
                       "$ref '#/components/schemas/InvoicePayedData' points to nothing in the document; "
                       "define it there or correct the reference")


def test_a_ref_into_another_file_asks_for_a_bundled_document():
    text = edited("$ref: '#/components/schemas/Money'", "$ref: 'common.yaml#/Money'")
    message = error_of(text)
    assert f":{line_of(text, 'common.yaml')}: $.components.schemas.LineItem.properties.unit_price.$ref:" in message
    assert "points outside this document" in message and "asyncapi bundle" in message


def test_a_message_without_payload():
    text = edited("      payload:\n        allOf:\n          - $ref: '#/components/schemas/RealtimeEnvelope'\n"
                  "          - type: object\n            properties:\n              event:\n"
                  "                const: billing.balance.updated\n              data:\n"
                  "                $ref: '#/components/schemas/BalanceUpdatedData'\n", "")
    message = error_of(text)
    line = line_of(text, "    BalanceUpdated:\n")  # the message's key
    assert message.startswith(f"{DOC_30}:{line}: $.components.messages.BalanceUpdated:")
    assert "the message has no payload; give it a payload schema" in message


def test_a_payload_that_is_neither_envelope():
    text = edited("          - $ref: '#/components/schemas/RealtimeEnvelope'\n", "")
    text = text.replace("              event:\n                const: billing.balance.updated",
                        "              kind:\n                const: billing.balance.updated")
    message = error_of(text)
    line = line_of(text, "kind:\n                const: billing.balance.updated") - 4  # the payload's first line
    assert message.startswith(f"{DOC_30}:{line}: $.components.messages.BalanceUpdated.payload: the payload is neither "
                              "an Ocelot platform event nor an OttoAI real-time event; describe the envelope's fields")
    assert "platform id, type, source" in message and "real-time version, event, ts" in message


def test_a_platform_message_on_a_channel_without_address():
    text = edited("    address: billing.invoice.paid\n", "")
    message = error_of(text)
    assert message.startswith(f"{DOC_30}:{line_of(text, '  invoicePaid:')}: $.channels.invoicePaid:")
    assert "the channel of a platform message has no address; set its address to the routing key" in message


def test_a_platform_message_whose_address_has_parameters():
    text = edited("    address: billing.payment.failed\n    servers:",
                  "    address: 'billing.{region}.payment.failed'\n    servers:")
    text = text.replace("    bindings:\n      $ref: '#/components/channelBindings/platformTopic'\n  tenantEvents:",
                        "  tenantEvents:")
    message = error_of(text)
    assert f":{line_of(text, 'billing.{region}')}: $.channels.paymentFailed.address:" in message
    assert "has parameters; a platform event's routing key is one fixed address" in message


def test_a_platform_message_on_two_routing_keys():
    text = edited("      invoicePaid:\n        $ref: '#/components/messages/InvoicePaid'\n",
                  "      invoicePaid:\n        $ref: '#/components/messages/InvoicePaid'\n"
                  "      alsoIssued:\n        $ref: '#/components/messages/InvoiceIssued'\n")
    message = error_of(text)
    assert "$.components.messages.InvoiceIssued: the channels that carry it have different addresses " \
           "(billing.invoice.issued, billing.invoice.paid)" in message


def test_invalid_json_schema_in_a_payload_is_reported_at_the_keyword():
    text = edited("        quantity: {type: integer, minimum: 1, maximum: 50}",
                  "        quantity: {type: integer, minimum: one, maximum: 50}")
    message = error_of(text)
    line = line_of(text, "minimum: one")
    assert message.startswith(f"{DOC_30}:{line}: $.components.schemas.LineItem.properties.quantity.minimum: "
                              "not a valid JSON Schema: ")
    assert '"one" is not of type "number"' in message


def test_an_unknown_x_ocelot_format():
    text = edited("          x-ocelot-sample: 'inv_{hex:8}'", "          x-ocelot-format: invoice-number")
    message = error_of(text)
    assert f":{line_of(text, 'invoice-number')}: $.components.schemas.InvoiceRef.properties.invoice_id." \
           "x-ocelot-format: unknown x-ocelot-format 'invoice-number'; use one of e164, bcp47" in message


@pytest.mark.parametrize("version", ["2.4.0", "2.0.0", "1.2.0", "3.2.0"])
def test_unsupported_versions_say_which_are_supported(version):
    message = error_of(edited("asyncapi: 3.0.0", f"asyncapi: {version}"))
    assert message.startswith(f"{DOC_30}:{line_of(DOC_30.read_text(), 'asyncapi: 3.0.0')}: $.asyncapi: "
                              f"AsyncAPI {version} is not supported; ocelot reads AsyncAPI 2.6, 3.0 and 3.1 documents")
    assert ("asyncapi convert" in message) == (version != "3.2.0")


def test_a_3_1_document_is_read_as_3_0():
    assert set(types_of(DOC_30, edited("asyncapi: 3.0.0", "asyncapi: 3.1.0"))) == BILLING


def test_a_file_that_is_not_an_asyncapi_document(tmp_path):
    entry = tmp_path / "billing.invoice.paid.yaml"
    entry.write_text("type: billing.invoice.paid\nenvelope: platform\ndescription: d\ndata_schema: {}\n")
    with pytest.raises(CatalogError) as info:
        read_asyncapi(entry)
    assert "not an AsyncAPI document (no 'asyncapi' version key at the top)" in info.value.message
    assert "pass the directory that holds it" in info.value.hint
    notes = tmp_path / "notes.txt"
    notes.write_text("just words\n")
    with pytest.raises(CatalogError, match="not an AsyncAPI document") as info:
        load_catalog([notes])
    assert "AsyncAPI 2.6/3.0/3.1 document" in info.value.hint


def test_a_document_inside_a_catalog_directory_is_pointed_out(tmp_path):
    (tmp_path / "billing.asyncapi.yaml").write_text(DOC_30.read_text())
    with pytest.raises(CatalogError, match="an AsyncAPI document in a directory of catalog files") as info:
        load_catalog([tmp_path])
    assert info.value.hint == f"give the document to --catalog itself: --catalog {tmp_path / 'billing.asyncapi.yaml'}"


def test_a_missing_source_is_named(tmp_path):
    with pytest.raises(CatalogError, match=f"catalog {tmp_path / 'nope.yaml'} does not exist") as info:
        load_catalog([tmp_path / "nope.yaml"])
    assert "AsyncAPI" in info.value.hint


def test_two_messages_of_one_type():
    text = edited("                const: billing.payment.failed", "                const: billing.invoice.paid")
    message = error_of(text)
    assert "$.components.messages.PaymentFailed: event type 'billing.invoice.paid' is also the type of the message " \
           "#/components/messages/InvoicePaid; give each message its own type" in message


def test_a_recursive_schema_is_refused_at_the_inner_reference():
    text = edited("        overdue: {type: boolean}",
                  "        overdue: {type: boolean}\n"
                  "        previous: {$ref: '#/components/schemas/BalanceUpdatedData'}")
    message = error_of(text)
    assert f":{line_of(text, 'previous:')}: $.components.schemas.BalanceUpdatedData.properties.previous.$ref: " \
           "$ref '#/components/schemas/BalanceUpdatedData' is recursive" in message


def test_a_document_whose_channels_carry_no_messages():
    text = "asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\nchannels:\n  a: {address: x.y}\n"
    assert error_of(text).startswith(f"{DOC_30}:3: $.channels: no channel carries a message;")


def test_payload_schema_formats_other_than_json_schema_are_refused():
    text = edited("      payload:\n        allOf:\n          - $ref: '#/components/schemas/RealtimeEnvelope'",
                  "      payload:\n        schemaFormat: application/vnd.apache.avro;version=1.9.0\n        schema:\n"
                  "          allOf:\n          - $ref: '#/components/schemas/RealtimeEnvelope'")
    message = error_of(text)
    assert "$.components.messages.BalanceUpdated.payload.schema: payload schema format " \
           "'application/vnd.apache.avro;version=1.9.0' is not supported" in message
    json_schema = text.replace("application/vnd.apache.avro;version=1.9.0", "application/schema+json;version=draft-07")
    assert types_of(DOC_30, json_schema)["billing.balance.updated"].data_schema == \
        types_of(DOC_30)["billing.balance.updated"].data_schema  # a multi-format payload in JSON Schema is read


def test_a_parameter_located_in_a_header_is_refused():
    text = edited("location: $message.payload#/data/lead_id", "location: $message.header#/x-lead")
    message = error_of(text)
    assert f":{line_of(text, 'x-lead')}: $.channels.leadTimeline.parameters.leadId.location: " \
           "location '$message.header#/x-lead' is not a field of the event" in message


def test_yaml_and_json_syntax_errors_have_line_and_column(tmp_path):
    assert error_of("asyncapi: 3.0.0\ninfo: [unclosed\n").startswith(f"{DOC_30}:3:1:")
    doc = tmp_path / "doc.json"
    assert error_of('{"asyncapi": "3.0.0",\n  "info": }', doc).startswith(f"{doc}:2:11: Expecting value")


def test_errors_in_a_json_document_name_the_json_line():
    doc = DOC_26
    text = doc.read_text().replace('"$ref": "#/components/schemas/InvoicePaidData"',
                                   '"$ref": "#/components/schemas/Nope"')
    message = error_of(text, doc)
    line = line_of(text, "#/components/schemas/Nope")
    assert message.startswith(f"{doc}:{line}: $.channels[\"billing.invoice.paid\"].publish.message.payload.allOf[1]"
                              ".properties.data.$ref: $ref '#/components/schemas/Nope' points to nothing")


# -- the pieces -------------------------------------------------------------------------------------


def test_allof_is_merged_only_where_that_keeps_its_meaning():
    a = {"type": "object", "required": ["x"], "properties": {"x": {"type": "string"}}}
    b = {"type": "object", "required": ["y"], "properties": {"y": {"type": "integer"}}, "description": "d"}
    assert merge_all_of({"allOf": [a, b]}) == {"type": "object", "required": ["x", "y"], "description": "d",
                                               "properties": {"x": {"type": "string"}, "y": {"type": "integer"}}}
    closed = {**b, "additionalProperties": False}  # refuses x: merging would change what is valid
    assert merge_all_of({"allOf": [a, closed]}) is None
    assert merge_all_of({"allOf": [{"type": "string"}, {"type": "integer"}]}) is None
    both = merge_all_of({"allOf": [{"properties": {"x": {"minLength": 1}}}, {"properties": {"x": {"type": "string"}}}]})
    assert both == {"properties": {"x": {"minLength": 1, "type": "string"}}}


def test_the_json_line_finder_knows_every_value():
    text = '{\n "a": [1,\n  {"b": "x\\n}"}],\n "c": {}\n}'
    lines = _json_lines(text)
    assert lines[()] == 1 and lines[("a",)] == 2 and lines[("a", 0)] == 2 and lines[("a", 1)] == 3
    assert lines[("a", 1, "b")] == 3 and lines[("c",)] == 4


# -- any damage is a CatalogError naming the place, never a crash ----------------------------------

JUNK = [None, 1, "x", "{a}", True, [], [1], {}, {"a": None}, {"type": "strng"}, {"$ref": 5}, {"$ref": "#"},
        {"$ref": "#/nope"}, {"$ref": "#/components"}, {"$ref": "#/components/messages"},
        {"$ref": "#/channels/invoiceIssued"}, {"$ref": "other.yaml#/x"}]  # fmt: skip


def _places(node, at=()):
    if at:
        yield at
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        yield from _places(value, (*at, key))


_DOCS = {path: yaml.safe_load(path.read_text()) for path in (DOC_30, DOC_26)}
_PLACES = {path: list(_places(doc)) for path, doc in _DOCS.items()}


@st.composite
def damaged(draw):
    """A fixture document (as text) with one to three of its nodes replaced by junk."""
    path = draw(st.sampled_from(sorted(_DOCS)))
    doc = json.loads(json.dumps(_DOCS[path]))
    for at in draw(st.lists(st.sampled_from(_PLACES[path]), min_size=1, max_size=3)):
        try:
            node = doc
            for part in at[:-1]:
                node = node[part]
            node[at[-1]] = json.loads(json.dumps(draw(st.sampled_from(JUNK))))
        except (KeyError, IndexError, TypeError):  # an earlier replacement took that place away
            pass
    return path, json.dumps(doc) if path.suffix == ".json" else yaml.safe_dump(doc)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_any_damage_to_a_document_is_a_catalog_error_naming_file_and_line_never_a_crash(case):
    path, text = case
    try:
        read_asyncapi(path, text)
    except CatalogError as exc:
        assert exc.message.startswith(f"{path}:") and "\n" not in exc.message


def test_constraints_beside_a_ref_are_ignored_as_draft_07_and_the_official_parser_ignore_them():
    text = edited("        unit_price:\n          $ref: '#/components/schemas/Money'\n",
                  "        unit_price:\n          $ref: '#/components/schemas/Money'\n          maxProperties: 0\n"
                  "          description: what one unit costs\n")  # fmt: skip
    money = types_of(DOC_30, text)["billing.invoice.issued"].data_schema["properties"]["line_items"]["items"][
        "properties"]["unit_price"]  # fmt: skip
    assert "maxProperties" not in money and money["description"] == "what one unit costs"
    assert money["properties"]["currency"]["enum"] == ["USD", "EUR", "GBP"]
