"""ocelot info's mistakes are caught before connecting, and the management URL is a setting like the others
(tests/integration/test_info.py runs it against the real broker and management API)."""

import json

import pytest


@pytest.mark.parametrize(("args", "message"), [
    (["--vhost", "a", "--all-vhosts"], "--vhost a and --all-vhosts: choose one"),
    (["--mgmt-url", "redis://127.0.0.1:6379/0"], "--mgmt-url redis://127.0.0.1:6379/0: give an http:// or https://"),
    (["--mgmt-url", "http://h:notaport/"], "--mgmt-url http://h:notaport/: cannot use this URL (its port is not a"),
    (["--queue", " "], "--queue '': give a name"),
    (["--exchange", ""], "--exchange '': the default exchange has no bindings to show"),
    (["--name", ""], "--name '': give a name or a glob such as 'billing.*'"),
    (["--json", "--format", "text"], "--json and --format text disagree"),
    (["--mgmt-url", "http://a:15672/,http://b:15672/"], "--mgmt-url http://a:15672/,http://b:15672/: give one "),
])  # fmt: skip
def test_info_refuses_unusable_options_before_connecting(cli, args, message):
    result = cli("info", *args)
    assert result.code == 2, result.err
    assert message in result.err and "Traceback" not in result.err


def test_a_management_url_of_the_wrong_kind_in_the_environment_names_the_variable(cli, monkeypatch):
    monkeypatch.setenv("OCELOT_MGMT_URL", "amqp://guest:s3cret@rabbit:5672/")
    result = cli("info")
    assert result.code == 2
    assert "OCELOT_MGMT_URL amqp://guest:****@rabbit:5672/: give an http:// or https:// URL" in result.err
    assert "s3cret" not in result.err


def test_config_show_gives_the_management_url_masked_with_its_origin(cli, monkeypatch):
    shown = json.loads(cli("config", "show", "--json").out)["settings"]["mgmt_url"]
    assert shown == {"value": "http://127.0.0.1:15672/", "origin": "derived from amqp_url (default)"}
    monkeypatch.setenv("OCELOT_AMQP_URL", "amqps://ops:amqp-pw@rabbit.example:5671/prod")
    result = cli("config", "show", "--json")
    assert json.loads(result.out)["settings"]["mgmt_url"] == {
        "value": "https://rabbit.example:15671/", "origin": "derived from amqp_url (env OCELOT_AMQP_URL)"}
    monkeypatch.setenv("OCELOT_MGMT_URL", "http://ops:mgmt-pw@mgmt.example:15672/")
    result = cli("config", "show", "--json")
    assert json.loads(result.out)["settings"]["mgmt_url"] == {
        "value": "http://ops:****@mgmt.example:15672/", "origin": "env OCELOT_MGMT_URL"}
    assert "mgmt-pw" not in result.out + result.err and "amqp-pw" not in result.out + result.err
