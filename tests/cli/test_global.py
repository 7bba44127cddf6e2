import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command

from ocelot_cli import __version__
from ocelot_cli.app import app
from ocelot_cli.errors import EXIT_STATUS_HELP

OCELOT = str(Path(sys.executable).with_name("ocelot"))


def all_commands():
    def walk(command, path):
        sub = getattr(command, "commands", None)
        if sub:
            for name, child in sub.items():
                yield from walk(child, [*path, name])
        else:
            yield path, command

    return list(walk(get_command(app), []))


def test_version(cli):
    result = cli("--version")
    assert (result.code, result.out) == (0, f"ocelot {__version__}\n")


def test_help_shows_every_exit_code_and_environment_variable(cli):
    result = cli("--help")
    assert result.code == 0
    for code, text in EXIT_STATUS_HELP.items():
        assert f"{int(code):>3}  {text}" in result.out
    for name in ("OCELOT_AMQP_URL", "OCELOT_EXCHANGE", "OCELOT_CATALOG", "OCELOT_PROFILE", "NO_COLOR"):
        assert name in result.out


@pytest.mark.parametrize(("path", "command"), all_commands(), ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_every_command_has_help_with_an_example(cli, path, command):
    result = cli(*path, "--help")
    assert result.code == 0
    assert command.help and len(command.help.strip()) > 20
    assert "Example" in result.out and "ocelot " in result.out.split("Example", 1)[1]


def test_unknown_command_and_bad_option_are_usage_errors(cli):
    assert cli("frobnicate").code == 2
    result = cli("validate", "--format", "xml", "x.json")
    assert result.code == 2
    assert "xml" in result.err


def test_internal_error_gives_no_traceback_unless_debug(cli, monkeypatch):
    import ocelot_cli.envelope.catalog as catalog_module

    def broken(*_a, **_k):
        raise RuntimeError("boom at amqp://u:hunter22@h")

    monkeypatch.setattr(catalog_module, "load_catalog", broken)
    result = cli("catalog", "list")
    assert result.code == 70
    assert "Traceback" not in result.err and "hunter22" not in result.err
    assert "rerun with --debug" in result.err
    result = cli("--debug", "catalog", "list")
    assert result.code == 70 and "Traceback" in result.err
    assert "amqp://u:****@h" in result.err and "hunter22" not in result.err


def test_expected_errors_show_the_message_and_a_traceback_only_with_debug(cli):
    result = cli("catalog", "show", "call.endd")
    assert result.code == 1
    assert "unknown event type 'call.endd'" in result.err and "did you mean 'call.ended'" in result.err
    assert "Traceback" not in result.err
    assert "Traceback" in cli("--debug", "catalog", "show", "call.endd").err


def test_bad_profile_is_a_config_error(cli):
    result = cli("--profile", "nope", "config", "show")
    assert result.code == 4
    assert "profile 'nope' is not defined" in result.err


def run(args, **kw):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCELOT_")}
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=60, **kw)


def test_console_script_and_python_dash_m_both_work():
    assert run([OCELOT, "--version"]).stdout == f"ocelot {__version__}\n"
    assert run([sys.executable, "-m", "ocelot_cli", "--version"]).stdout == f"ocelot {__version__}\n"


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_version_and_help_import_no_broker_driver(args):
    result = run([sys.executable, "-X", "importtime", "-m", "ocelot_cli", *args])
    assert result.returncode == 0
    imported = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line}
    assert not imported & {"pika", "websocket", "redis", "websockets", "jsonschema_rs", "hypothesis"}


def test_output_cut_by_head_exits_quietly():
    result = run(f"{OCELOT} catalog sample --all --count 2000 | head -1", shell=True)
    assert result.returncode == 0
    assert result.stdout.count("\n") == 1
    assert result.stderr == ""


def test_no_color_env_and_flag_remove_escape_sequences_on_a_terminal():
    script = f"{OCELOT} --no-color catalog list"
    result = run(["script", "-qec", script, "/dev/null"])
    assert result.returncode == 0 and "call.ended" in result.stdout
    assert "\x1b[" not in result.stdout
    colored = run(["script", "-qec", f"{OCELOT} catalog list", "/dev/null"])
    assert "\x1b[" in colored.stdout
    env_run = subprocess.run(["script", "-qec", f"{OCELOT} catalog list", "/dev/null"], capture_output=True,
                             text=True, env={**os.environ, "NO_COLOR": "1"}, timeout=60)  # fmt: skip
    assert "\x1b[" not in env_run.stdout


def test_catalog_show_on_a_terminal_lists_fields_with_constraints():
    result = run(["script", "-qec", f"{OCELOT} --no-color catalog show call.transcribed", "/dev/null"])
    assert result.returncode == 0
    text = result.stdout
    assert "routing key: comms.call.transcribed" in text
    assert "data.language" in text and "BCP-47" in text
    assert "data.confidence" in text and "0.0..1.0" in text


COMMANDS = ["publish", "tail", "replay", "load", "load merge", "smoke", "doctor", "gateway", "validate", "token",
            "catalog list", "catalog show", "catalog schema", "catalog sample", "config show", "config path",
            "completions"]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_readable_metavars_not_python_types(cli, command):
    result = cli(*command.split(), "--help")
    assert result.code == 0
    options = [line for line in result.out.splitlines() if line.startswith("  ")]
    python_types = [line for line in options if re.search(r"<(list|str|int|float|bool)\b|<\w+ range>", line)]
    assert python_types == []
    usage = result.out.splitlines()[0]
    assert "[[" not in usage and "{" not in usage and "]...]" not in usage
