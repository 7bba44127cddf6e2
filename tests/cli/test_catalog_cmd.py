import json

import jsonschema

from ocelot_cli.envelope.validate import EventValidator


def test_list_is_json_when_piped(cli):
    result = cli("catalog", "list")
    assert result.code == 0
    types = json.loads(result.out)
    assert len(types) == 19
    assert {"type": "call.ended", "envelope": "platform", "routing_key": "comms.call.ended"}.items() <= types[0].items()


def test_list_filters_by_envelope(cli):
    types = json.loads(cli("catalog", "list", "--bus", "realtime").out)
    assert len(types) == 14 and {t["envelope"] for t in types} == {"realtime"}


def test_list_includes_types_from_a_catalog_dir_given_by_flag_or_env(cli, tmp_path, monkeypatch):
    (tmp_path / "x.yaml").write_text(
        "type: planning.task.created\nenvelope: platform\ndescription: d\nrouting_key: planning.task.created\n"
        "data_schema: {type: object}\n"
    )
    names = [t["type"] for t in json.loads(cli("catalog", "list", "--catalog", str(tmp_path)).out)]
    assert "planning.task.created" in names
    monkeypatch.setenv("OCELOT_CATALOG", str(tmp_path))
    names = [t["type"] for t in json.loads(cli("catalog", "list").out)]
    assert "planning.task.created" in names


def test_bad_catalog_dir_is_a_config_error_naming_the_file(cli, tmp_path):
    (tmp_path / "bad.yaml").write_text("type: x.y\nenvelope: nope\n")
    result = cli("catalog", "list", "--catalog", str(tmp_path))
    assert result.code == 4
    assert "bad.yaml" in result.err and "'envelope' must be" in result.err


def test_show_gives_schema_and_route_as_json_when_piped(cli):
    shown = json.loads(cli("catalog", "show", "task.updated").out)
    assert shown["channels"] == ["user:{data.assigned_to}:tasks", "tenant:{tenant_id}:events"]
    assert shown["data_schema"]["properties"]["priority"]["enum"] == ["low", "medium", "high", "urgent"]


def test_schema_exports_standard_json_schema(cli):
    for args in (["call.ended"], ["call.ended", "--data-only"], ["task.updated", "--strict"]):
        schema = json.loads(cli("catalog", "schema", *args).out)
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    strict = json.loads(cli("catalog", "schema", "task.updated", "--strict").out)
    assert strict["additionalProperties"] is False and strict["properties"]["data"]["additionalProperties"] is False


def test_sample_with_overrides_is_valid_and_has_them(cli, catalog):
    result = cli("catalog", "sample", "call.ended", "--org", "org-1", "--set", "data.outcome=callback_requested")
    assert result.code == 0
    event = json.loads(result.out)
    assert event["organizationId"] == "org-1" and event["data"]["outcome"] == "callback_requested"
    assert EventValidator(catalog, strict=True).validate(event).violations == []


def test_sample_all_with_count_gives_json_lines_of_every_type(cli, catalog):
    result = cli("catalog", "sample", "--all", "--count", "3", "--seed", "9")
    lines = result.out.splitlines()
    assert len(lines) == 19 * 3
    validator = EventValidator(catalog, strict=True)
    assert all(validator.validate(json.loads(line)).ok for line in lines)
    assert cli("catalog", "sample", "--all", "--count", "3", "--seed", "9").out == result.out


def test_sample_refuses_unknown_types_before_printing_anything(cli):
    result = cli("catalog", "sample", "call.ended", "call.endd")
    assert result.code == 1 and result.out == ""
    assert "did you mean 'call.ended'" in result.err


def test_sample_without_type_is_a_usage_error(cli):
    result = cli("catalog", "sample")
    assert result.code == 2 and "--all" in result.err


def test_bad_set_is_a_usage_error_with_the_form_to_use(cli):
    result = cli("catalog", "sample", "call.ended", "--set", "outcome")
    assert result.code == 2 and "PATH=VALUE" in result.err


def test_config_show_masks_passwords_and_names_origins(cli, monkeypatch):
    monkeypatch.setenv("OCELOT_AMQP_URL", "amqp://ops:hunter22@rabbit:5672/%2F")
    monkeypatch.setenv("OCELOT_WS_TOKEN", "tok-secret-123")
    result = cli("config", "show", "--json")
    shown = json.loads(result.out)["settings"]
    assert shown["amqp_url"] == {"value": "amqp://ops:****@rabbit:5672/%2F", "origin": "env OCELOT_AMQP_URL"}
    assert shown["ws_token"]["value"] == "**** (set)"
    assert "hunter22" not in result.out + result.err and "tok-secret-123" not in result.out + result.err
    assert shown["exchange"] == {"value": "ocelot.events", "origin": "default"}


def test_config_show_flags_beat_env_and_password_flags_warn(cli, monkeypatch):
    monkeypatch.setenv("OCELOT_EXCHANGE", "env.events")
    result = cli("config", "show", "--json", "--exchange", "flag.events", "--amqp-url", "amqp://u:pw-secret@h/%2F")
    shown = json.loads(result.out)["settings"]
    assert shown["exchange"] == {"value": "flag.events", "origin": "flag"}
    assert shown["amqp_url"] == {"value": "amqp://u:****@h/%2F", "origin": "flag"}
    assert "--amqp-url holds a password" in result.err and "OCELOT_AMQP_URL" in result.err
    assert "pw-secret" not in result.out + result.err


def test_config_show_takes_the_profile_from_the_config_file(cli, tmp_path, monkeypatch):
    config = tmp_path / "config.yaml"
    config.write_text("profiles:\n  staging:\n    exchange: staging.events\n")
    monkeypatch.setenv("OCELOT_CONFIG", str(config))
    shown = json.loads(cli("--profile", "staging", "config", "show").out)
    assert shown["profile"] == "staging"
    assert shown["settings"]["exchange"] == {"value": "staging.events", "origin": "profile staging"}
    monkeypatch.setenv("OCELOT_PROFILE", "staging")
    monkeypatch.setenv("OCELOT_EXCHANGE", "env.events")
    assert json.loads(cli("config", "show").out)["settings"]["exchange"]["origin"] == "env OCELOT_EXCHANGE"


def test_verbose_reports_catalog_and_per_file_counts_and_quiet_hides_the_summary(cli):
    verbose = cli("-v", "validate", "fixtures/samples/every-type.jsonl")
    assert "catalog: 19 built-in types" in verbose.err
    assert "fixtures/samples/every-type.jsonl: 19 events, 0 invalid" in verbose.err
    quiet = cli("-q", "validate", "fixtures/samples/every-type.jsonl")
    assert quiet.code == 0 and quiet.err == ""


def test_catalog_show_in_text_names_the_channels_of_a_platform_type_as_its_json_does(cli):
    text = cli("catalog", "show", "call.ended", "--format", "text").out
    assert "routing key: comms.call.ended" in text
    assert "channels:    tenant:{tenant_id}:events (converted to the real-time envelope)" in text
