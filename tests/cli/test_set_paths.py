"""`--set` paths are checked against the type's schema before anything is sent or printed: a typo
is an error with the nearest field, not an event with a random value and an extra field."""

import json

import pytest


@pytest.mark.parametrize(
    ("command", "assignment", "message"),
    [
        (["publish", "call.ended", "--dry-run"], "data.outcom=completed",
         "--set data.outcom=completed: call.ended has no field data.outcom; did you mean data.outcome?"),
        (["publish", "call.ended", "--dry-run"], "outcome=completed",
         "call.ended has no field outcome; did you mean data.outcome?"),
        (["catalog", "sample", "call.ended"], "data.outcom=completed", "did you mean data.outcome?"),
    ],
)  # fmt: skip
def test_an_unknown_set_path_is_a_usage_error_naming_the_nearest_field(cli, command, assignment, message):
    result = cli(*command, "--set", assignment)
    assert result.code == 2 and result.out == ""
    assert message in result.err and "--no-validate" in result.err


def test_no_validate_still_adds_new_fields_and_json_values(cli):
    result = cli("publish", "call.ended", "--dry-run", "--no-validate", "--set", "data.outcom=completed",
                 "--set", 'data.extra:=["x", 1]')  # fmt: skip
    assert result.code == 0, result.err
    event = json.loads(result.out)["event"]
    assert event["data"]["outcom"] == "completed" and event["data"]["extra"] == ["x", 1]


def test_catalog_sample_refuses_an_invalid_override_as_publish_does(cli):
    sample = cli("catalog", "sample", "call.ended", "--set", "data.outcome=bogus")
    publish = cli("publish", "call.ended", "--dry-run", "--set", "data.outcome=bogus")
    assert sample.code == publish.code == 1 and sample.out == ""
    assert "'bogus' is not one of" in sample.err and "'bogus' is not one of" in publish.err
    allowed = cli("catalog", "sample", "call.ended", "--set", "data.outcome=bogus", "--no-validate")
    assert allowed.code == 0 and json.loads(allowed.out)["data"]["outcome"] == "bogus"


@pytest.mark.parametrize("assignment", ["data=1", "data:=null", "data:=[1]", "data.outcome.x=1"])
@pytest.mark.parametrize("command", [["publish", "call.ended", "--dry-run"], ["catalog", "sample", "call.ended"]],
                         ids=["publish", "sample"])  # fmt: skip
def test_a_field_set_to_a_shape_its_type_does_not_have_is_invalid_not_a_crash(cli, command, assignment):
    result = cli(*command, "--set", assignment)
    assert result.code == 1, result.err
    assert "breaks the catalog: $.data" in result.err and "internal error" not in result.err


def test_sample_flags_are_refused_with_a_file_whose_events_are_sent_as_they_are(cli, tmp_path):
    events = tmp_path / "one.jsonl"
    events.write_text(cli("catalog", "sample", "call.ended").out)
    result = cli("publish", "-f", str(events), "--dry-run", "--set", "data.outcome=completed", "--org", "zz")
    assert result.code == 2 and result.out == ""
    assert "--set, --org shape samples of event types" in result.err and "ocelot replay FILE" in result.err


@pytest.mark.parametrize("number", ["1e400", "nan", "-inf"])
def test_a_number_json_cannot_carry_is_a_usage_error_naming_the_set(cli, number):
    result = cli("publish", "call.ended", "--dry-run", "--set", f"data.duration={number}")
    assert result.code == 2 and f"--set data.duration={number}: {number} is not a number JSON can carry" in result.err
