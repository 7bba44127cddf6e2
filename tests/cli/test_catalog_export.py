"""``ocelot catalog export``: YAML or JSON on stdout, a file written whole (its name picks the
format), one side with --bus, servers from the settings without secrets, clear refusals."""

from __future__ import annotations

import json

import yaml

from tests.extra_catalog import write_user_catalog


def test_the_document_goes_to_stdout_as_yaml_or_as_json_with_json(cli):
    as_yaml = cli("catalog", "export")
    assert as_yaml.code == 0, as_yaml.err
    document = yaml.safe_load(as_yaml.out)
    assert document["asyncapi"] == "3.0.0" and "comms.call.ended" in document["channels"]
    as_json = cli("catalog", "export", "--format", "asyncapi", "--json")
    assert as_json.code == 0 and json.loads(as_json.out) == document


def test_o_writes_yaml_or_json_by_the_files_name_and_says_what_it_wrote(cli, tmp_path):
    for name, load in (("asyncapi.yaml", yaml.safe_load), ("asyncapi.yml", yaml.safe_load),
                       ("asyncapi.json", json.loads)):  # fmt: skip
        result = cli("catalog", "export", "-o", str(tmp_path / name))
        assert result.code == 0 and result.out == ""
        assert load((tmp_path / name).read_text())["info"]["title"] == "Ocelot event buses"
        assert f"wrote {tmp_path / name}: AsyncAPI 3.0.0, 9 channels, 18 operations, 32 messages" in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["asyncapi.json", "asyncapi.yaml", "asyncapi.yml"]


def test_bus_exports_one_side_and_catalog_adds_the_users_types(cli, tmp_path):
    directory = write_user_catalog(tmp_path / "events")
    platform = json.loads(cli("catalog", "export", "--bus", "platform", "--catalog", str(directory), "--json").out)
    assert set(platform["servers"]) == {"amqp"} and "comms.billing.invoice.paid" in platform["channels"]
    assert "crm.lead.assigned" not in platform["components"]["messages"]
    realtime = cli("catalog", "export", "--envelope", "realtime", "--catalog", str(directory), "--json")
    assert "--envelope is deprecated" in realtime.err
    document = json.loads(realtime.out)
    assert set(document["servers"]) == {"ws", "redis"} and "crm.lead.assigned" in document["components"]["messages"]


def test_servers_come_from_the_environment_without_passwords(cli, monkeypatch):
    monkeypatch.setenv("OCELOT_AMQP_URL", "amqp://user:secret@rabbit.internal/vhost")
    monkeypatch.setenv("OCELOT_REDIS_URL", "redis://:redispass@redis.internal:6379/3")
    monkeypatch.setenv("OCELOT_EXCHANGE", "team.events")
    result = cli("catalog", "export", "--ws-url", "wss://gw.example.com/ws")
    assert result.code == 0, result.err
    assert "secret" not in result.out + result.err and "redispass" not in result.out + result.err
    document = yaml.safe_load(result.out)
    assert document["servers"]["amqp"] == {**document["servers"]["amqp"], "host": "rabbit.internal",
                                           "pathname": "/vhost", "protocol": "amqp"}  # fmt: skip
    assert document["servers"]["ws"]["protocol"] == "wss"
    binding = document["channels"]["comms.call.ended"]["bindings"]["amqp"]["exchange"]
    assert (binding["name"], binding["vhost"]) == ("team.events", "vhost")


def test_a_password_on_the_command_line_is_warned_about_and_kept_out(cli):
    result = cli("catalog", "export", "--amqp-url", "amqp://user:hunter2@rabbit/", "--bus", "platform")
    assert result.code == 0
    assert "--amqp-url holds a password" in result.err and "hunter2" not in result.out + result.err


def test_mistakes_are_one_line_errors_before_anything_is_written(cli, tmp_path):
    cases = [
        (("-o", str(tmp_path / "a.yaml"), "--json"), 2, "--json and -o"),
        (("-o", str(tmp_path)), 2, "that is a directory"),
        (("-o", str(tmp_path / "missing" / "a.yaml")), 2, "does not exist"),
        (("--amqp-url", "redis://127.0.0.1:6379/0"), 2, "--amqp-url"),
        (("--format", "openapi"), 2, "openapi"),
        (("--ws-url", "ws:///ws"), 2, "--ws-url: ws:///ws has no host"),
    ]  # fmt: skip
    for args, code, message in cases:
        result = cli("catalog", "export", *args)
        assert result.code == code, (args, result.err)
        assert message in result.err and "Traceback" not in result.err
    assert list(tmp_path.iterdir()) == []


def test_a_catalog_that_cannot_be_exported_leaves_the_previous_file_alone(cli, tmp_path):
    directory = write_user_catalog(tmp_path / "events")
    target = tmp_path / "asyncapi.yaml"
    assert cli("catalog", "export", "--catalog", str(directory), "-o", str(target)).code == 0
    before = target.read_text()
    entry = directory / "crm.lead.assigned.yaml"
    entry.write_text(entry.read_text() + "    again: {$ref: '#/properties/score'}\n")
    result = cli("catalog", "export", "--catalog", str(directory), "-o", str(target))
    assert result.code == 4 and "'data_schema' uses $ref (at /properties/again)" in result.err
    assert target.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["asyncapi.yaml", "events"]
