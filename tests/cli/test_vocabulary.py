"""One vocabulary: every command's options are walked, and an option means the same thing with
the same spelling, short name and value syntax wherever it appears, as the README's table says."""

import re
from collections import defaultdict
from pathlib import Path

import pytest
from typer.main import get_command

from ocelot_cli.app import app

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
DURATION_NAMES = re.compile(r"timeout|^--for$|after|within|interval|ttl|duration|warmup|drain|reconnect-for|"
                            r"subscribe-window")  # fmt: skip
# Where one command takes more than the shared syntax (and the README's table says so).
# catalog export: --format names the kind of document and -o the document's file, not a report or a recording.
EXTENDED = {("load", "--rate"): "N|max", ("catalog export", "--format"): "asyncapi",
            ("catalog export", "--output"): "FILE"}  # fmt: skip


def commands():
    """(path, command) of every command, groups that take options of their own included."""

    def walk(command, path):
        if any(p.param_type_name == "option" and p.name != "help" for p in command.params) and path:
            yield path, command
        for name, child in (getattr(command, "commands", None) or {}).items():
            yield from walk(child, [*path, name])

    return list(walk(get_command(app), []))


def visible_options():
    """(command, long, short, metavar) of every option a user sees in --help."""
    rows = []
    for path, command in commands():
        for param in command.params:
            if param.param_type_name != "option" or param.hidden:
                continue
            names = param.opts + param.secondary_opts
            long = next(n for n in names if n.startswith("--"))
            short = next((n for n in names if re.fullmatch(r"-[A-Za-z]", n)), None)
            rows.append((" ".join(path), long, short, None if param.is_flag else param.metavar))
    return rows


def readme_table():
    """{long: (short, value)} from the README's vocabulary table."""
    block = re.search(r"<!-- vocabulary -->\n(.*?)<!-- /vocabulary -->", README, re.S)
    assert block, "README lacks the vocabulary table"
    table = {}
    for line in block.group(1).splitlines()[2:]:
        names, value, _meaning = [cell.strip() for cell in line.strip("|").replace("\\|", "¦").split("|")]
        value = value.strip("`").replace("¦", "|") or None
        options = re.findall(r"`(-[^`]+)`", names)
        short = next((o for o in options if not o.startswith("--")), None)
        for long in (o for o in options if o.startswith("--")):
            table[long] = (short, value)
    return table


OPTIONS = visible_options()


def test_the_walk_sees_every_command():
    seen = {command for command, *_ in OPTIONS}
    assert {"publish", "tail", "replay", "validate", "smoke", "doctor", "load", "load merge", "gateway", "token",
            "catalog list", "catalog sample", "config show"} <= seen  # fmt: skip


def test_a_long_option_has_one_short_name_and_one_value_syntax_everywhere():
    by_long = defaultdict(set)
    for command, long, short, metavar in OPTIONS:
        if (command, long) in EXTENDED:
            assert metavar == EXTENDED[command, long]
            metavar = "(as elsewhere)"
        elif long == "--format":
            assert metavar.startswith("text|json"), f"{command} --format {metavar}: text and json come first"
            metavar = "text|json…"
        by_long[long].add((short, metavar))
    for long, forms in by_long.items():
        spelled = {form for form in forms if form[1] != "(as elsewhere)"}
        shorts = {short for short, _ in forms}
        assert len(spelled) == 1 and len(shorts) == 1, f"{long} is spelled {sorted(map(str, forms))} across commands"


def test_a_short_name_means_one_option_everywhere():
    by_short = defaultdict(set)
    for _command, long, short, _metavar in OPTIONS:
        if short:
            by_short[short].add(long)
    assert {short: longs for short, longs in by_short.items() if len(longs) > 1} == {}


def test_every_shared_option_is_in_the_readme_table_as_the_commands_spell_it():
    table = readme_table()
    used_by = defaultdict(set)
    for command, long, short, metavar in OPTIONS:
        used_by[long].add(command)
        if long in table:
            want_short, want_value = table[long]
            if long == "--format":
                metavar = "text|json…"
            assert short == want_short, f"{command} {long}: short {short}, README says {want_short}"
            if (command, long) not in EXTENDED:
                assert metavar == want_value, f"{command} {long} {metavar}: README says {want_value}"
    shared = {long for long, commands in used_by.items() if len(commands) > 1}
    assert shared - set(table) == set(), "shared options missing from the README's table"
    assert set(table) - set(used_by) - {"--help"} == set(), "the README's table names options no command has"


@pytest.mark.parametrize("path", [path for path, _ in commands()], ids=" ".join)
def test_h_is_help_everywhere(cli, path):
    result = cli(*path, "-h")
    assert result.code == 0 and result.out.startswith("Usage: ocelot")


def test_every_command_that_takes_format_takes_json_as_its_alias_and_the_other_way_round():
    by_command = defaultdict(set)
    for command, long, *_ in OPTIONS:
        by_command[command].add(long)
    for command, longs in by_command.items():
        assert ("--format" in longs) == ("--json" in longs), f"{command}: --format and --json go together"


def test_every_duration_is_a_time_and_nothing_else_is_called_one():
    for command, long, _short, metavar in OPTIONS:
        if DURATION_NAMES.search(long):
            assert metavar == "TIME", f"{command} {long} takes a duration: metavar TIME, not {metavar}"
        assert metavar not in ("DURATION", "SECONDS", "MS"), f"{command} {long} {metavar}"


TIME_OPTIONS = sorted({(command, long) for command, long, _s, metavar in OPTIONS if metavar == "TIME"})
REPO = Path(__file__).resolve().parents[2]
NEEDS = {"token": ["--tenant", "t1", "--user", "u1"], "smoke": ["--expect", "call.ended"],
         "replay": [str(REPO / "fixtures" / "callback-flow.yaml")]}


@pytest.mark.parametrize(("command", "option"), TIME_OPTIONS, ids=lambda v: v)
def test_every_duration_option_takes_units_and_names_itself_when_it_cannot(cli, command, option, tmp_path):
    result = cli(*command.split(), *NEEDS.get(command, []), option, "5 parsecs")
    assert result.code == 2, result.err
    assert f"{option} '5 parsecs' is not a duration" in result.err and "30s" in result.err


def test_publish_blocked_timeout_takes_units_like_every_other_duration(cli):
    result = cli("publish", "call.ended", "--blocked-timeout", "30s", "--dry-run")
    assert result.code == 0, result.err
    assert cli("publish", "call.ended", "--blocked-timeout", "0s", "--dry-run").code == 2


def test_load_and_publish_share_the_default_confirm_window(cli):
    windows = {command: metavar for command, long, _s, metavar in OPTIONS if long == "--window"}
    assert set(windows) == {"publish", "replay", "load"}
    for command in windows:
        help_text = " ".join(cli(*command.split(), "--help").out.split())
        assert re.search(r"--window N .*?\[default: 2048", help_text), command


@pytest.mark.parametrize(
    ("args", "warning", "same_as"),
    [
        (["validate", "-f", "json", "{file}"], "-f is deprecated", ["validate", "--format", "json", "{file}"]),
        (["validate", "--envelope", "realtime", "{file}"], "--envelope is deprecated",
         ["validate", "--bus", "realtime", "{file}"]),
        (["catalog", "list", "--envelope", "realtime", "--json"], "--envelope is deprecated",
         ["catalog", "list", "--bus", "realtime", "--json"]),
    ],
)  # fmt: skip
def test_old_spellings_still_work_for_a_release_with_a_warning(cli, tmp_path, args, warning, same_as):
    events = tmp_path / "e.jsonl"
    events.write_text(cli("catalog", "sample", "call.ended", "--seed", "1").out)
    old = cli(*[a.replace("{file}", str(events)) for a in args])
    new = cli(*[a.replace("{file}", str(events)) for a in same_as])
    assert (old.code, old.out) == (new.code, new.out)
    assert warning in old.err and "use --" in old.err and "deprecated" not in new.err


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["validate", "--json", "--format", "junit", "x.json"], "--json and --format junit disagree"),
        (["tail", "--format", "xml"], "give text, json, or a line template"),
        (["tail", "--json", "--headers"], "--headers and --expand show more under the text view"),
        (["tail", "--envelope", "--format", "text"], "--envelope is a JSON lines view"),
        (["validate", "-f", "json", "--format", "junit", "x.json"], "-f (the old spelling of --format) and --format"),
        (["catalog", "list", "--envelope", "realtime", "--bus", "platform"], "--envelope (the old spelling of --bus)"),
        (["smoke", "--ws", "ws://a/ws", "--ws-url", "ws://b/ws"], "--ws (the old spelling of --ws-url) and --ws-url"),
        (["load", "--ws", "ws://a/ws", "--ws-url", "ws://b/ws"], "--ws (the old spelling of --ws-url) and --ws-url"),
        (["tail", "--pretty", "--ndjson"], "--pretty (the old spelling of --format text) disagrees"),
        (["tail", "--ndjson", "--format", "text"], "--json (or the old --ndjson) and --format text disagree"),
        (["validate", "-f", "a.jsonl", "b.jsonl"], "in validate, -f is the old spelling of --format"),
    ],
)
def test_formats_that_disagree_are_usage_errors(cli, args, error):
    result = cli(*args)
    assert result.code == 2 and error in result.err


def test_json_is_format_json_for_reports_and_listings(cli, tmp_path):
    events = tmp_path / "e.jsonl"
    events.write_text(cli("catalog", "sample", "call.ended").out)
    assert cli("validate", "--json", str(events)).out == cli("validate", "--format", "json", str(events)).out
    report = cli("validate", str(events))  # a report is text unless asked (the verdict on stderr)
    assert report.out == "" and report.err.startswith("ok: 1 event")
    assert cli("catalog", "list", "--format", "text").out.startswith("TYPE")  # text even when piped, if asked
    assert cli("catalog", "list").out.startswith("[")  # a listing piped is JSON
    assert cli("config", "show", "--format", "text").out.startswith("config file:")


@pytest.mark.parametrize(
    "args",
    [["tail", "--for", "0"], ["smoke", "--timeout", "0s"], ["smoke", "--expect", "call.ended", "--within", "0"],
     ["gateway", "--ping-interval", "0"], ["load", "--blocked-timeout", "0s"], ["token", "--tenant", "t", "--user", "u",
     "--ttl", "0ms"]],
    ids=lambda a: " ".join(a[:2]),
)  # fmt: skip
def test_a_duration_that_must_pass_refuses_zero(cli, args):
    result = cli(*args)
    assert result.code == 2 and "give a time above zero" in result.err
