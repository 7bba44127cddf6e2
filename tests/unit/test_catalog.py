import json

import jsonschema
import pytest

from ocelot_cli.envelope.catalog import load_catalog
from ocelot_cli.envelope.model import EnvelopeKind
from ocelot_cli.envelope.samples import SampleFactory, SampleOptions
from ocelot_cli.errors import CatalogError, UnknownEventType

PLATFORM_TYPES = {"call.started", "call.ended", "call.transcribed", "campaign.completed", "sentiment.analyzed"}
REALTIME_CHANNELS = {  # as the real-time spec lists them
    "telephony.call.received": {"tenant:{tenant_id}:events", "lead:{data.call_id}:timeline"},
    "telephony.call.completed": {"tenant:{tenant_id}:events", "lead:{data.call_id}:timeline"},
    "telephony.sms.received": {"tenant:{tenant_id}:events", "lead:{lead_id|data.lead_id}:timeline"},
    "telephony.sms.sent": {
        "tenant:{tenant_id}:events", "user:{user_id|data.sent_by}:tasks", "lead:{lead_id|data.lead_id}:timeline"
    },
    "telephony.call.status": {"tenant:{tenant_id}:events", "lead:{lead_id|data.lead_id}:timeline"},
    "system.webhook.processed": {"tenant:{tenant_id}:events"},
    "system.buffer_dropped": set(),
    "identity.user.created": {"tenant:{tenant_id}:events"},
    "identity.user.updated": {"tenant:{tenant_id}:events", "user:{data.user_id|user_id}:tasks"},
    "task.updated": {"user:{data.assigned_to}:tasks", "tenant:{tenant_id}:events"},
    "analytics.daily_recap.ready": {"tenant:{tenant_id}:events"},
    "appointment.assigned": {"user:{data.assigned_to}:tasks", "tenant:{tenant_id}:events"},
    "worker.task.finished": {"tenant:{tenant_id}:events"},
    "worker.task.failed": {"tenant:{tenant_id}:events"},
}  # fmt: skip


def test_catalog_holds_every_type_of_both_specs(catalog):
    assert set(catalog.names()) == PLATFORM_TYPES | set(REALTIME_CHANNELS)
    assert len(catalog) == 19


@pytest.mark.parametrize("name", sorted(PLATFORM_TYPES))
def test_platform_types_route_as_comms_dot_type(catalog, name):
    entry = catalog.get(name)
    assert entry.envelope is EnvelopeKind.PLATFORM
    assert entry.routing_key == f"comms.{name}"


@pytest.mark.parametrize("name", sorted(REALTIME_CHANNELS))
def test_realtime_types_list_the_specs_channels(catalog, name):
    entry = catalog.get(name)
    assert entry.envelope is EnvelopeKind.REALTIME
    assert set(entry.channels) == REALTIME_CHANNELS[name]
    assert entry.description


def test_channels_resolve_from_envelope_and_data_and_skip_unset_ones(catalog):
    event = {"tenant_id": "t1", "user_id": None, "lead_id": None, "data": {"sent_by": "u9", "lead_id": None}}
    assert catalog.get("telephony.sms.sent").resolve_channels(event) == ["tenant:t1:events", "user:u9:tasks"]
    event = {"tenant_id": "t1", "data": {"call_id": "CAL1"}}
    assert catalog.get("telephony.call.received").resolve_channels(event) == ["tenant:t1:events", "lead:CAL1:timeline"]


def test_unknown_type_suggests_close_names(catalog):
    with pytest.raises(UnknownEventType) as info:
        catalog.get("call.endd")
    assert "call.ended" in info.value.suggestions
    with pytest.raises(UnknownEventType) as info:
        catalog.get("sms.sent")
    assert info.value.suggestions == ["telephony.sms.sent"]


@pytest.mark.parametrize("name", sorted(PLATFORM_TYPES | set(REALTIME_CHANNELS)))
def test_exported_schemas_are_standard_json_schema_that_accepts_our_samples(catalog, name):
    schema = catalog.event_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    standard = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    factory = SampleFactory(catalog, SampleOptions(seed=5))
    for _ in range(10):
        assert list(standard.iter_errors(factory.make(name))) == []


def test_spec_constraints_are_in_the_schemas(catalog):
    ended = catalog.get("call.ended").data_schema["properties"]
    assert ended["outcome"]["enum"] == ["completed", "callback_requested", "voicemail", "failed"]
    assert ended["transcript"]["type"] == ["string", "null"]
    transcribed = catalog.get("call.transcribed").data_schema["properties"]
    assert (transcribed["confidence"]["minimum"], transcribed["confidence"]["maximum"]) == (0, 1)
    score = catalog.get("sentiment.analyzed").data_schema["properties"]["score"]
    assert (score["minimum"], score["maximum"]) == (-1, 1)
    started = catalog.get("call.started").data_schema["properties"]
    assert started["campaign_id"]["type"] == ["string", "null"]
    assert "pattern" in started["from_number"]
    task = catalog.get("task.updated").data_schema["properties"]
    assert task["priority"]["enum"] == ["low", "medium", "high", "urgent"]
    assert catalog.get("system.webhook.processed").data_schema["properties"]["provider"]["enum"] == [
        "callrail", "twilio", "clerk", "bland"
    ]  # fmt: skip


def _write(directory, name, text):
    path = directory / name
    path.write_text(text)
    return path


CUSTOM = """\
type: planning.task.created
envelope: platform
description: Focus-Lite created a task.
routing_key: planning.task.created
data_schema:
  type: object
  required: [task_id]
  properties:
    task_id: {type: string}
"""


def test_user_directory_adds_types(tmp_path):
    _write(tmp_path, "planning.task.created.yaml", CUSTOM)
    catalog = load_catalog([tmp_path])
    entry = catalog.get("planning.task.created")
    assert not entry.builtin and entry.routing_key == "planning.task.created"
    assert len(catalog) == 20


def test_user_directory_overrides_a_builtin_type(tmp_path):
    override = CUSTOM.replace("planning.task.created", "call.ended").replace("Focus-Lite created a task.", "Ours.")
    _write(tmp_path, "call.ended.json", json.dumps(__import__("yaml").safe_load(override)))
    entry = load_catalog([tmp_path]).get("call.ended")
    assert entry.description == "Ours." and entry.data_schema["required"] == ["task_id"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (CUSTOM.replace("envelope: platform", "envelope: kafka"), "'envelope' must be 'platform' or 'realtime'"),
        (CUSTOM.replace("routing_key: planning.task.created\n", ""), "needs 'routing_key'"),
        (CUSTOM + "colour: red\n", "unknown key(s) colour"),
        (CUSTOM.replace("{type: string}", "{type: strin}"), "not a valid JSON Schema"),
        (CUSTOM.replace("type: planning.task.created", "type: Planning Task"), "dotted lower-case event name"),
        (
            CUSTOM + "type: again\n",
            "custom.yaml:10:1: while constructing a mapping: found duplicate key 'type' (first defined on line 1)",
        ),
        ("type: [unclosed\n", "custom.yaml:2:1"),
    ],
)
def test_bad_catalog_files_are_refused_naming_the_file_and_problem(tmp_path, text, expected):
    _write(tmp_path, "custom.yaml", text)
    with pytest.raises(CatalogError) as info:
        load_catalog([tmp_path])
    assert expected in str(info.value)
    assert "custom.yaml" in str(info.value)


def test_missing_catalog_directory_is_a_clear_error(tmp_path):
    with pytest.raises(CatalogError, match="does not exist"):
        load_catalog([tmp_path / "nope"])
