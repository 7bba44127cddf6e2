import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocelot_cli.envelope.model import EnvelopeKind
from ocelot_cli.envelope.samples import SampleFactory, SampleOptions
from ocelot_cli.envelope.strategies import events
from ocelot_cli.envelope.validate import ERROR, WARNING, EventValidator, json_path


@pytest.fixture(scope="module")
def validator(catalog):
    return EventValidator(catalog)


@pytest.fixture(scope="module")
def strict(catalog):
    return EventValidator(catalog, strict=True)


@pytest.fixture
def call_ended(catalog):
    return SampleFactory(catalog, SampleOptions(seed=1)).make("call.ended")


def errors_by_path(result):
    return {v.path: v.message for v in result.violations if v.severity == ERROR}


def test_every_sample_of_every_type_validates_strictly(catalog, strict):
    factory = SampleFactory(catalog, SampleOptions(seed=11))
    for name in catalog.names():
        for _ in range(25):
            result = strict.validate(factory.make(name))
            assert result.ok and not result.violations, (name, result.violations)


@settings(max_examples=300)
@given(events())
def test_every_generated_event_of_any_type_validates(strict, event):
    assert strict.validate(event).violations == []


def test_all_violations_are_reported_at_once_with_json_paths(validator, call_ended):
    call_ended["data"]["outcome"] = "done"
    call_ended["data"]["duration"] = -3
    del call_ended["data"]["call_id"]
    call_ended["organizationId"] = 42
    found = errors_by_path(validator.validate(call_ended))
    assert set(found) == {"$.data.outcome", "$.data.duration", "$.data", "$.organizationId"}
    assert "completed, callback_requested, voicemail, failed" in found["$.data.outcome"]
    assert "minimum of 0" in found["$.data.duration"]
    assert found["$.data"] == "missing required field: call_id"


@pytest.mark.parametrize(
    ("type_name", "path", "bad", "says"),
    [
        ("call.started", ("data", "from_number"), "0601 123 456", "E.164 phone number"),
        ("call.transcribed", ("data", "language"), "en_US", "BCP-47 language tag"),
        ("call.transcribed", ("data", "confidence"), 1.5, "maximum of 1"),
        ("sentiment.analyzed", ("data", "score"), -1.01, "minimum of -1"),
        ("sentiment.analyzed", ("data", "sentiment"), "angry", "positive, neutral, negative"),
        ("call.ended", ("data", "transcript"), 7, "not of types"),
        ("call.started", ("id",), "not-a-uuid", "UUID"),
        ("call.started", ("timestamp",), "2025-13-40T00:00:00Z", "ISO 8601 date-time"),
        ("task.updated", ("data", "due_date"), "next week", "ISO 8601 date or date-time"),
        ("task.updated", ("severity",), "fatal", "info, warn, error"),
        ("campaign.completed", ("data", "total_calls"), 10.5, "integer"),
        ("analytics.daily_recap.ready", ("data", "metrics", "conversion_rate"), 2, "maximum of 1"),
        ("telephony.call.completed", ("data", "objections", 0), 3, "string"),
    ],
)
def test_spec_constraints_are_enforced(catalog, validator, type_name, path, bad, says):
    event = SampleFactory(catalog, SampleOptions(seed=2)).make(type_name)
    node = event
    for part in path[:-1]:
        if isinstance(node, list) or part not in node:
            node[part] = ["x"] if isinstance(part, str) and path[-1] == 0 else node[part]
        node = node[part]
    if isinstance(node, list) and not node:
        node.append("x")
    node[path[-1]] = bad
    found = errors_by_path(validator.validate(event))
    assert json_path(list(path)) in found, found
    assert says in found[json_path(list(path))]


def test_nullable_fields_accept_null_and_required_ones_refuse_it(catalog, validator):
    factory = SampleFactory(catalog, SampleOptions(seed=3))
    started = factory.make("call.started")
    started["data"]["campaign_id"] = None
    assert validator.validate(started).ok
    started["data"]["call_id"] = None
    assert "$.data.call_id" in errors_by_path(validator.validate(started))


def test_naive_timestamp_is_a_warning_by_default_and_an_error_when_strict(validator, strict, call_ended):
    call_ended["timestamp"] = "2025-09-20T10:30:00"
    lenient = validator.validate(call_ended)
    assert lenient.ok
    assert [(v.path, v.severity) for v in lenient.violations] == [("$.timestamp", WARNING)]
    assert "treated as UTC" in lenient.violations[0].message
    assert "$.timestamp" in errors_by_path(strict.validate(call_ended))


def test_naive_timestamp_warning_comes_with_other_errors_still_reported(validator, call_ended):
    call_ended["timestamp"] = "2025-09-20T10:30:00"
    call_ended["data"]["outcome"] = "nope"
    result = validator.validate(call_ended)
    assert [v.path for v in result.warnings] == ["$.timestamp"]
    assert [v.path for v in result.errors] == ["$.data.outcome"]


def test_strict_mode_refuses_unknown_fields_in_envelope_and_data(validator, strict, call_ended):
    call_ended["data"]["colour"] = "red"
    call_ended["x-extra"] = 1
    assert validator.validate(call_ended).ok
    found = errors_by_path(strict.validate(call_ended))
    assert "'colour' was unexpected" in found["$.data"]
    assert "'x-extra' was unexpected" in found["$"]


def test_unknown_type_is_reported_with_suggestions_and_the_envelope_still_checked(validator, call_ended):
    call_ended["type"] = "call.endd"
    del call_ended["organizationId"]
    found = errors_by_path(validator.validate(call_ended))
    assert found["$.type"] == "unknown event type 'call.endd'; did you mean call.ended or call.started?"
    assert found["$"] == "missing required field: organizationId"


def test_realtime_type_in_the_platform_envelope_is_a_wrong_envelope_error(catalog, validator):
    event = SampleFactory(catalog, SampleOptions(seed=1)).make("call.ended")
    event["type"] = "task.updated"
    found = errors_by_path(validator.validate(event))
    assert "wrong envelope: task.updated is an OttoAI real-time event" in found["$.type"]


def test_platform_events_bridged_into_the_realtime_envelope_validate(catalog, validator):
    from ocelot_cli.envelope.model import PlatformEvent, platform_to_realtime

    platform = SampleFactory(catalog, SampleOptions(seed=1)).make("call.ended")
    bridged = platform_to_realtime(PlatformEvent.from_dict(platform)).to_dict()
    assert validator.validate(bridged).violations == []


def test_required_envelope_kind_refuses_the_other_kind(catalog, call_ended):
    only_realtime = EventValidator(catalog, envelope=EnvelopeKind.REALTIME)
    found = errors_by_path(only_realtime.validate(call_ended))
    assert "expected an OttoAI real-time event" in found["$"]


@pytest.mark.parametrize("value", [[1, 2], "text", 3, None, {"hello": "world"}])
def test_things_that_are_not_events_are_refused_clearly(validator, value):
    result = validator.validate(value)
    assert not result.ok
    assert result.violations[0].path == "$"


@settings(max_examples=200)
@given(event=events(), data=st.data())
def test_breaking_any_required_data_field_type_is_caught_at_its_path(catalog, validator, event, data):
    required = [k for k in catalog.get(event.get("type") or event.get("event")).data_schema.get("required", [])]
    field = data.draw(st.sampled_from(required))
    broken = copy.deepcopy(event)
    broken["data"][field] = {"not": "valid"}  # no catalog field accepts an object
    if field == "result":  # worker.task.finished's result is "any"
        return
    assert f"$.data.{field}" in errors_by_path(validator.validate(broken))


@settings(max_examples=100)
@given(data=st.data())
def test_event_data_strategy_gives_valid_payloads_for_every_type(catalog, validator, data):
    from ocelot_cli.envelope.samples import make_sample
    from ocelot_cli.envelope.strategies import event_data

    name = data.draw(st.sampled_from(catalog.names()))
    event = make_sample(catalog, name)
    event["data"] = data.draw(event_data(name))
    assert validator.validate(event).ok
