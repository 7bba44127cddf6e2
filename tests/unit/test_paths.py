import pytest

from ocelot_cli.envelope.paths import apply_assignments, coerce, parse_assignment, parse_path, set_path
from ocelot_cli.errors import UsageProblem


@pytest.mark.parametrize(
    ("text", "path"),
    [("data.outcome", ("data", "outcome")), ("data.keywords[1]", ("data", "keywords", 1)),
     ("data.keywords.0", ("data", "keywords", 0)), ("metadata.version", ("metadata", "version"))],
)  # fmt: skip
def test_paths_parse_dots_and_indexes(text, path):
    assert parse_path(text) == path


@pytest.mark.parametrize("text", ["", "data..x", "data.", ".x", "data[x]", "a=b"])
def test_bad_paths_are_usage_errors(text):
    with pytest.raises(UsageProblem, match="bad path"):
        parse_path(text)


def test_assignment_forms():
    plain = parse_assignment("data.call_id=a=b")
    assert (plain.path, plain.raw, plain.is_json) == (("data", "call_id"), "a=b", False)
    raw = parse_assignment('data.keywords:=["a"]')
    assert (raw.path, raw.raw, raw.is_json) == (("data", "keywords"), '["a"]', True)


@pytest.mark.parametrize("text", ["outcome", "=x", ":=1"])
def test_non_assignments_are_refused_with_a_hint(text):
    with pytest.raises(UsageProblem) as info:
        parse_assignment(text)
    assert "PATH=VALUE" in str(info.value)


def test_json_assignment_with_bad_json_names_the_problem():
    with pytest.raises(UsageProblem, match="not JSON"):
        parse_assignment("data.keywords:=[oops")


@pytest.mark.parametrize(
    ("raw", "schema", "value"),
    [("180", {"type": "number"}, 180), ("1.5", {"type": "number"}, 1.5), ("7", {"type": "integer"}, 7),
     ("123", {"type": "string"}, "123"), ("null", {"type": ["string", "null"]}, None),
     ("null", {"type": "string"}, "null"), ("true", {"type": "boolean"}, True),
     ("a, b", {"type": "array"}, ["a", "b"]), ('["a"]', {"type": "array"}, ["a"]), ("x", None, "x"),
     ("abc", {"type": "number"}, "abc")],
)  # fmt: skip
def test_values_are_coerced_by_schema_type(raw, schema, value):
    assert coerce(raw, schema) == value


def test_set_path_creates_missing_objects_and_list_items():
    event = {}
    set_path(event, ("data", "metrics", "calls"), 3)
    set_path(event, ("data", "keywords", 1), "b")
    assert event == {"data": {"metrics": {"calls": 3}, "keywords": [None, "b"]}}


def test_apply_assignments_uses_nested_schema():
    schema = {"properties": {"data": {"properties": {"metrics": {"properties": {"rate": {"type": "number"}}}}}}}
    event = {"data": {"metrics": {}}}
    apply_assignments(event, [parse_assignment("data.metrics.rate=0.5")], schema)
    assert event["data"]["metrics"]["rate"] == 0.5


def test_messages_over_the_broker_limit_are_refused_before_sending(catalog):
    from ocelot_cli.envelope.samples import make_sample
    from ocelot_cli.publishing.messages import build_message

    event = make_sample(catalog, "call.ended")
    event["data"]["transcript"] = "x" * 5000
    with pytest.raises(UsageProblem) as info:
        build_message(event, exchange="ocelot.events", catalog=catalog, max_bytes=4096)
    assert "over the broker's maximum of 4,096 bytes" in str(info.value)
    assert build_message(event, exchange="ocelot.events", catalog=catalog).routing_key == "comms.call.ended"


def test_realtime_events_need_a_routing_key_to_go_to_the_exchange(catalog):
    from ocelot_cli.envelope.samples import make_sample
    from ocelot_cli.publishing.messages import build_message

    event = make_sample(catalog, "telephony.call.received")
    with pytest.raises(UsageProblem, match="has no routing key"):
        build_message(event, exchange="ocelot.events", catalog=catalog)
    assert build_message(event, exchange="x", catalog=catalog, routing_key="otto.call").routing_key == "otto.call"
