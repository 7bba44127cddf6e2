"""Start-up shortcuts change nothing a user sees: `--version` without Typer, commands imported only when
looked up, the top-level help from a table of summaries. What each run imports is checked here;
how long it takes is benchmarks/bench_startup.py's business."""

import importlib.metadata
import os
import subprocess
import sys

import pytest
from typer.core import TyperGroup
from typer.main import get_command

from ocelot_cli import __version__
from ocelot_cli.app import COMMANDS, app

DRIVERS = {"pika", "websocket", "redis", "websockets"}
WIDTHS = (40, 60, 80, 100, 200)


def imported(tmp_path, *args: str) -> set[str]:
    """Every module ``ocelot ARGS`` imports, by full name (from -X importtime); no user config is read."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("OCELOT_")}
    env["OCELOT_CONFIG"] = str(tmp_path / "no-config.yaml")
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "ocelot_cli", *args],
                            capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return {line.rpartition("|")[2].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}


def roots(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def help_of(command, *, width: int) -> str:
    ctx = command.make_context("ocelot", [], resilient_parsing=True, max_content_width=width, terminal_width=width)
    return command.get_help(ctx)


def test_version_alone_prints_what_the_version_option_prints(cli):
    fast = cli("--version")
    through_typer = cli("--debug", "--version")  # not alone: parsed by Typer, printed by the eager option
    assert (fast.code, fast.out, fast.err) == (0, f"ocelot {__version__}\n", "")
    assert (through_typer.code, through_typer.out) == (fast.code, fast.out)


def test_the_version_printed_is_the_installed_packages():
    assert importlib.metadata.version("ocelot-cli") == __version__


@pytest.mark.parametrize("args", [["--version", "publish"], ["-q", "--version"], ["--version", "--debug"]])
def test_version_with_other_options_still_prints_the_version(cli, args):
    assert (cli(*args).code, cli(*args).out) == (0, f"ocelot {__version__}\n")


def test_version_alone_imports_neither_typer_nor_rich(tmp_path):
    assert not roots(imported(tmp_path, "--version")) & {"typer", "click", "rich", "pydantic", *DRIVERS}


def test_top_level_help_imports_no_command_module_and_no_broker_driver(tmp_path):
    modules = imported(tmp_path, "--help")
    assert not roots(modules) & (DRIVERS | {"rich", "pydantic", "yaml", "jsonschema_rs"})
    assert not {f"ocelot_cli.commands.{name}" for name in COMMANDS} & modules


def test_a_dry_run_imports_no_pydantic_yaml_or_broker_driver(tmp_path):
    """Typer's pydantic coercion is skipped for plain values, and the built-in catalog comes from its snapshot."""
    modules = imported(tmp_path, "publish", "call.ended", "--dry-run")
    assert not roots(modules) & (DRIVERS | {"pydantic", "yaml", "rich"})
    assert "ocelot_cli.commands.tail" not in modules


def test_the_table_summarises_each_command_with_its_own_help():
    group = get_command(app)
    for name, entry in COMMANDS.items():
        command = group.commands[name]
        assert command.name == name and not command.hidden and not command.deprecated and not command.short_help
        first_paragraph = " ".join(command.help.split("\n\n")[0].split())
        assert entry.summary == first_paragraph, f"{name}: the summary in app.COMMANDS differs from its help"


@pytest.mark.parametrize("width", WIDTHS)
def test_top_level_help_lists_the_commands_as_the_commands_themselves_would(width):
    lazy = get_command(app)
    eager = get_command(app)
    for name in COMMANDS:  # a group whose commands are all built, listed by Typer's own code
        eager.commands[name]
    eager.format_commands = TyperGroup.format_commands.__get__(eager)
    assert help_of(lazy, width=width) == help_of(eager, width=width)


def test_top_level_help_lists_every_command_in_the_table_order(cli):
    out = cli("--help").out
    listing = out.split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
    assert [line.split()[0] for line in listing.splitlines() if line.startswith("  ") and line.split()] == [
        *COMMANDS
    ]


def test_a_mistyped_command_is_a_usage_error_with_a_suggestion(cli):
    result = cli("publsh")
    assert result.code == 2
    assert "No such command 'publsh'. Did you mean 'publish'?" in result.err


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_command_help_comes_from_the_command(cli, name):
    result = cli(name, "--help")
    assert result.code == 0
    assert result.out.startswith(f"Usage: ocelot {name} ")
    assert " ".join(COMMANDS[name].summary.split()[:4]) in " ".join(result.out.split())


@pytest.mark.parametrize(("args", "message"), [
    (["--count", "abc"], "Invalid value for '--count' / '-n': Input should be a valid integer, unable to parse string "
                         "as an integer"),
    (["--count", "0"], "Invalid value for '--count' / '-n': Input should be greater than or equal to 1"),
    (["--rate", "0"], "Invalid value for '--rate' / '-r': Input should be greater than or equal to 0.001"),
    (["--format", "xml"], "Invalid value for '--format': Value error, 'xml' is not one of 'text', 'json'."),
])  # fmt: skip
def test_a_bad_option_value_is_still_refused_in_typers_words(cli, args, message):
    result = cli("publish", "call.ended", "--dry-run", *args)
    assert result.code == 2
    assert message in result.err


def test_option_values_taken_without_typer_reach_the_command(cli):
    result = cli("-vv", "publish", "call.ended", "--dry-run", "-n", "3", "--rate", "500.5", "--format", "json",
                 "--seed", "7", "--set", "data.duration=12")  # fmt: skip
    assert result.code == 0
    lines = result.out.splitlines()
    assert len(lines) == 3 and all('"duration":12,' in line for line in lines)
    assert "catalog: 19 built-in types" in result.err  # -v counted
