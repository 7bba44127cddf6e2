"""URLs as users give them: each option takes its own kind of URL, malformed URLs and timeouts are
usage errors that name where the value came from, and passwords on the command line are warned of."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("args", "message"), [
    (["smoke", "--amqp-url", "redis://127.0.0.1:6379"],
     "--amqp-url redis://127.0.0.1:6379: give an amqp:// or amqps:// URL"),
    (["publish", "call.ended", "--amqp-url", "redis://127.0.0.1:6379"], "--amqp-url redis://127.0.0.1:6379: give an amqp://"),
    (["tail", "--amqp-url", "ws://x/ws"], "--amqp-url ws://x/ws: give an amqp:// or amqps:// URL"),
    (["load", "--ws-url", "ws://127.0.0.1:1/ws", "--channel", "tenant:t1:events", "--redis-url", "amqp://h/%2F"],
     "--redis-url amqp://h/%2F: give a redis:// or rediss:// URL"),
    (["gateway", "--redis-url", "amqp://127.0.0.1:5672/%2F"], "--redis-url amqp://127.0.0.1:5672/%2F: give a redis://"),
    (["smoke", "--ws-url", "redis://127.0.0.1:6379", "--channel", "tenant:t1:events"],
     "--ws-url redis://127.0.0.1:6379: give a ws://"),
], ids=["smoke-amqp", "publish-amqp", "tail-amqp", "load-redis", "gateway-redis", "smoke-ws"])  # fmt: skip
def test_an_option_refuses_a_url_of_another_kind_and_says_where_it_belongs(cli, args, message):
    result = cli(*args)
    assert result.code == 2, result.err
    assert message in result.err
    assert "hint:" in result.err and "Traceback" not in result.err


def test_the_environment_variable_is_named_when_it_holds_the_wrong_kind_of_url(cli, monkeypatch):
    monkeypatch.setenv("OCELOT_AMQP_URL", "redis://127.0.0.1:6379")
    result = cli("smoke")
    assert result.code == 2
    assert "OCELOT_AMQP_URL redis://127.0.0.1:6379: give an amqp:// or amqps:// URL" in result.err


def test_doctor_fails_the_check_of_a_url_of_the_wrong_kind(cli):
    result = cli("doctor", "--redis-url", "amqp://127.0.0.1:5672/%2F", "--amqp-url", "amqp://127.0.0.1:1/%2F")
    assert "FAIL  redis       --redis-url amqp://127.0.0.1:5672/%2F: give a redis:// or rediss:// URL" in result.out
    assert result.code != 70


@pytest.mark.parametrize(("args", "message"), [
    (["tail", "ws://127.0.0.1:abc/ws", "--channel", "tenant:t1:events"],
     "the tail URL ws://127.0.0.1:abc/ws: cannot use this URL (its port is not a number from 1 to 65535)"),
    (["tail", "ws://u:pa[ss@127.0.0.1:8765/ws", "--channel", "tenant:t1:events"],
     "the tail URL ws://u:****@127.0.0.1:8765/ws: cannot use this URL (a bracket or other special character is not"),
    (["smoke", "--ws-url", "ws://[::1/ws", "--channel", "tenant:t1:events", "--check", "gateway"],
     "--ws-url ws://[::1/ws: cannot use this URL"),
    (["tail", "amqp://127.0.0.1:99999/%2F"], "its port is not a number from 1 to 65535"),
], ids=["port", "bracket-in-password", "broken-ipv6", "port-range"])  # fmt: skip
def test_a_malformed_url_is_a_usage_error_naming_its_source(cli, monkeypatch, args, message):
    monkeypatch.setenv("OCELOT_WS_TOKEN", "not-used")
    result = cli(*args)
    shown = result.out + result.err  # smoke reports it as its failed gateway check
    assert result.code == 2, shown
    assert message in shown
    assert "pa[ss" not in shown and "Traceback" not in shown


@pytest.mark.parametrize("args", [
    ["tail", "amqp://user:pass/word@127.0.0.1/%2F"],  # the parser reads "pass" as the port
    ["tail", "redis://user:pass/word@127.0.0.1/0", "--channel", "c"],
    ["tail", "ws://user:pass/word@127.0.0.1/ws", "--channel", "tenant:t1:events"],
    ["publish", "call.ended", "--amqp-url", "amqp://user:pa[ss@127.0.0.1/%2F"],
], ids=["amqp-port", "redis-port", "ws-port", "bracket"])  # fmt: skip
def test_no_complaint_about_a_url_quotes_its_password(cli, args):
    result = cli(*args)
    shown = result.out + result.err
    assert result.code == 2, shown
    assert "cannot use" in shown and "****" in shown
    assert "pass" not in shown.replace("password", "")


def test_a_url_after_a_binding_pattern_is_refused_not_taken_as_a_pattern(cli):
    result = cli("tail", "comms.#", "amqp://127.0.0.1:5672/%2F")
    assert result.code == 2
    assert "the URL to tail comes first: ocelot tail URL [PATTERN]..." in result.err


@pytest.mark.parametrize(("env", "flag", "message"), [
    ({"OCELOT_CONNECT_TIMEOUT": "abc"}, [], "OCELOT_CONNECT_TIMEOUT 'abc' is not a duration"),
    ({}, ["--connect-timeout="], "--connect-timeout '' is not a duration"),
    ({}, ["--connect-timeout", "0"], "--connect-timeout 0: give a time above zero"),
    ({}, ["--connect-timeout", "-1s"], "--connect-timeout '-1s' is not a duration"),
])  # fmt: skip
def test_a_bad_connect_timeout_names_where_it_came_from(cli, monkeypatch, env, flag, message):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = cli("tail", *flag)
    assert result.code == 2
    assert message in result.err


def test_a_bad_connect_timeout_in_a_profile_is_a_configuration_error(cli, tmp_path, monkeypatch):
    config = tmp_path / "config.yaml"
    config.write_text("default_profile: p\nprofiles:\n  p:\n    connect_timeout: abc\n")
    monkeypatch.setenv("OCELOT_CONFIG", str(config))
    result = cli("tail")
    assert result.code == 4
    assert "connect_timeout of profile p 'abc' is not a duration" in result.err


@pytest.mark.parametrize(("args", "env"), [
    (["publish", "--to", "amqp://guest:pw-on-argv@127.0.0.1:5672/%2F", "call.ended", "--dry-run"], "OCELOT_AMQP_URL"),
    (["publish", "--to", "redis://:pw-on-argv@127.0.0.1:6379/0", "task.updated", "--tenant", "t1", "--dry-run"],
     "OCELOT_REDIS_URL"),
])  # fmt: skip
def test_a_password_on_the_command_line_is_warned_of_naming_the_option_and_the_variable(cli, args, env):
    result = cli(*args)
    assert result.code == 0, result.err
    assert f"warning: --to holds a password, which other users can see in the process list; set {env}" in result.err
    assert "pw-on-argv" not in result.err


def test_a_token_with_control_characters_is_refused_before_anything_is_sent(cli, monkeypatch):
    monkeypatch.setenv("OCELOT_WS_TOKEN", "abc\r\nX-Injected: yes")
    result = cli("tail", "ws://127.0.0.1:1/ws", "--channel", "tenant:t1:events")
    assert result.code == 4
    assert "the gateway token holds spaces or control characters" in result.err
    assert "X-Injected" not in result.err


def test_a_password_of_any_characters_is_masked_by_config_show_and_doctor(cli, monkeypatch):
    monkeypatch.setenv("OCELOT_AMQP_URL", "amqp://user:p/a?ss#w0rd@127.0.0.1:1/%2F")
    monkeypatch.setenv("OCELOT_REDIS_URL", "redis://:r/e?d#is@127.0.0.1:1/0")
    for args in (["config", "show", "--json"], ["doctor"]):
        result = cli(*args)
        shown = result.out + result.err
        assert "p/a?ss#w0rd" not in shown and "r/e?d#is" not in shown, args
        assert "amqp://user:****@127.0.0.1:1/%2F" in shown, args


def test_a_bracket_in_the_password_of_the_amqp_url_variable_is_a_usage_error(cli, monkeypatch):
    monkeypatch.setenv("OCELOT_AMQP_URL", "amqp://guest:pa[ss@127.0.0.1:5672/%2F")
    for args in (["publish", "call.ended"], ["tail"], ["smoke"], ["load", "--duration", "1s"]):
        result = cli(*args)
        shown = result.out + result.err
        assert result.code == 2, (args, shown)
        assert ("OCELOT_AMQP_URL amqp://guest:****@127.0.0.1:5672/%2F: cannot use this URL (a bracket or other special "
                "character is not percent-encoded)") in shown
        assert "pa[ss" not in shown
