"""Every reader has bounds: stdin copies, YAML aliases, nesting, scenario expansion, times; beyond them
a clear error with file:line, never exit 70, never unbounded memory, nothing left behind."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BIN = Path(sys.executable).parent


def stdin_copies() -> set[str]:
    return set(glob.glob(os.path.join(tempfile.gettempdir(), "ocelot-*.stdin")))


def alias_bomb(levels: int = 9) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_is_refused_with_its_line(cli, tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb())
    result = cli("validate", str(bomb))
    assert result.code == 3
    assert f"{bomb}:6:5: error: invalid YAML: in this document: more than 1,000,000 nodes in the file" in result.out


def test_an_alias_bomb_inside_an_event_is_refused_by_replay_and_publish_too(cli, tmp_path):
    bomb = tmp_path / "event.yaml"
    bomb.write_text("type: call.ended\nx: " + alias_bomb(8).replace("\n", "\n  ").replace("a0:", "{a0:", 1))
    for args in (["replay", str(bomb), "--dry-run"], ["publish", "-f", str(bomb), "--dry-run"]):
        result = cli(*args)
        assert result.code == 3, (args, result.err)
        assert "nothing was" in result.err


def test_a_yaml_alias_inside_itself_is_refused(cli, tmp_path):
    loop = tmp_path / "loop.yaml"
    loop.write_text("a: &a [1, *a]\n")
    result = cli("validate", str(loop))
    assert result.code == 3 and result.code != 70


@pytest.mark.parametrize(("name", "text", "where"), [
    ("deep.json", "[" * 1100 + "]" * 1100, ":1:102: error: nesting deeper than 100 levels"),
    ("deep.jsonl", '{"a":' * 150 + "1" + "}" * 150 + "\n", ":1:501: error: nesting deeper than 100 levels"),
    ("deep.yaml", "[" * 1100 + "]" * 1100, ":1:"),
], ids=["json", "json-lines", "yaml"])  # fmt: skip
def test_nesting_beyond_the_bound_is_an_input_error_with_its_place(cli, tmp_path, name, text, where):
    path = tmp_path / name
    path.write_text(text)
    commands = (["validate", str(path)], ["publish", "-f", str(path), "--dry-run"], ["replay", str(path), "--dry-run"])
    for args in commands:
        result = cli(*args)
        assert result.code == 3, (args, result.err)
        assert f"{path}{where}" in result.out


def test_a_scenario_too_long_or_too_repeated_is_refused_at_its_step(cli, tmp_path):
    far = tmp_path / "far.yaml"
    far.write_text("steps:\n  - type: call.started\n  - type: call.ended\n    after: 999999999h\n")
    result = cli("replay", str(far), "--dry-run")
    assert result.code == 1
    assert f"{far}:4: error: 'after: 999999999h' puts the scenario more than a year past its start" in result.out
    many = tmp_path / "many.yaml"
    many.write_text("steps:\n  - type: call.ended\n    repeat: 100000000\n")
    result = cli("validate", str(many))
    assert result.code == 1
    assert f"{many}:3: error: 'repeat: 100000000' is more than a scenario may expand to" in result.out


def test_many_yaml_documents_are_bounded_as_a_whole_file(cli, tmp_path):
    # Each document expands to ~111,000 nodes, under the bound; twelve of them are not.
    many = tmp_path / "many-documents.yaml"
    many.write_text(("---\n" + alias_bomb(levels=5)) * 12)
    result = cli("validate", str(many))
    assert result.code == 3
    assert "more than 1,000,000 nodes in the file once aliases are expanded" in result.out


@pytest.mark.parametrize(("text", "where", "problem"), [
    ("type: call.ended\ndata:\n  ? [a, b]\n  : 1\n", ":3:5:", "a key that is not text (a collection); quote it"),
    ("type: call.ended\ndata:\n  score: .nan\n", ":3:10:", ".nan is not a JSON number"),
    ("type: call.ended\ndata:\n  score: -.inf\n", ":3:10:", "-.inf is not a JSON number"),
], ids=["collection-key", "nan", "infinity"])  # fmt: skip
def test_yaml_values_json_cannot_carry_are_refused_at_their_place(cli, tmp_path, text, where, problem):
    path = tmp_path / "event.yaml"
    path.write_text(text)
    for args in (["validate", str(path)], ["publish", "-f", str(path), "--no-validate", "--dry-run"]):
        result = cli(*args)
        assert result.code == 3, (args, result.err)
        assert f"{path}{where} error: invalid YAML: in this document: {problem}" in result.out


@pytest.mark.parametrize(("line", "problem"), [
    ('{"type": "call.ended", "id": "x\\udc9b"}', "a lone surrogate escape (\\ud800-\\udfff) is no character"),
    ('{"type": "call.ended", "data": {"score": 1e400}}', "1e400 is beyond a double"),
    ('{"type": "call.ended", "data": {"score": NaN}}', "NaN is not JSON"),
    ('{"type": "call.ended", "data": {"score": -Infinity}}', "-Infinity is not JSON"),
], ids=["surrogate", "overflow", "nan", "infinity"])  # fmt: skip
def test_json_no_other_reader_accepts_is_refused_even_with_no_validate(cli, tmp_path, line, problem):
    path = tmp_path / "events.jsonl"
    path.write_text('{"type": "call.ended"}\n' + line + "\n")
    commands = (["validate", str(path)], ["publish", "-f", str(path), "--no-validate", "--dry-run"],
                ["replay", str(path), "--no-validate", "--dry-run"])  # fmt: skip
    for args in commands:
        result = cli(*args)
        assert result.code == 3, (args, result.err)
        assert f"{path}:2: error: invalid JSON: {problem}" in result.out


def test_a_scenario_is_bounded_in_all_its_steps_and_in_huge_numbers(cli, tmp_path):
    total = tmp_path / "total.yaml"
    total.write_text("steps:\n" + "  - type: call.ended\n    repeat: 10000\n" * 11)
    result = cli("validate", str(total))
    assert result.code == 1
    assert f"{total}:23: error: 'repeat: 10000' is more than a scenario may expand to" in result.out
    digits = tmp_path / "digits.yaml"
    digits.write_text("steps:\n  - type: call.ended\n    after: " + "9" * 400 + "\n")
    result = cli("replay", str(digits), "--dry-run")
    assert result.code == 1
    assert f"{digits}:3: error: 'after: 999" in result.out and "more than a year past its start" in result.out


@pytest.mark.parametrize("stdin", [b"plain text\n", b"[1, 2]\n", b"\"text\"\n"], ids=["text", "list", "string"])
def test_values_that_are_no_event_are_refused_even_with_no_validate(cli, stdin):
    result = cli("publish", "-f", "-", "--no-validate", "--dry-run", stdin=stdin)
    assert result.code == 1, result.err
    assert "an event must be a JSON object" in result.out and "nothing was published" in result.err


def test_stdin_beyond_the_copy_limit_is_refused_and_no_copy_is_left(cli, monkeypatch):
    from ocelot_cli.formats import sources

    monkeypatch.setattr(sources, "MAX_STDIN_BYTES", 1024 * 1024)
    before = stdin_copies()
    line = json.dumps({"type": "call.ended", "x": "y" * 200}).encode() + b"\n"
    result = cli("replay", "-", "--dry-run", stdin=line * 6000)
    assert result.code == 3
    assert "<stdin>: more than 1 MB, more than ocelot keeps a copy of" in result.err
    assert stdin_copies() == before


def test_a_stdin_replay_stopped_by_sigterm_leaves_no_copy(tmp_path):
    before = stdin_copies()
    env = {**os.environ, "OCELOT_CONFIG": str(tmp_path / "none.yaml")}
    proc = subprocess.Popen([str(BIN / "ocelot"), "replay", "-", "--dry-run"], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)  # fmt: skip
    proc.stdin.write(b'{"type": "call.ended"}\n' * 1000)
    proc.stdin.flush()
    deadline = 50
    while not (stdin_copies() - before) and deadline:  # the copy exists while stdin is being read
        deadline -= 1
        subprocess.run(["sleep", "0.1"], check=True)
    assert stdin_copies() - before, "the replay never started copying stdin"
    proc.terminate()
    _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 143, err
    assert b"terminated" in err and b"Traceback" not in err
    assert stdin_copies() == before


def test_publishing_a_big_file_streams_it_in_bounded_memory(tmp_path):
    """publish -f reads a file twice (check, then send) and holds no more than a window of it."""
    big = tmp_path / "big.jsonl"
    sample = subprocess.run([str(BIN / "ocelot"), "catalog", "sample", "call.ended", "--seed", "1"],
                            capture_output=True, check=True, env={**os.environ, "OCELOT_CONFIG": "/nonexistent"})
    line = json.dumps(json.loads(sample.stdout)).encode() + b"\n"
    with big.open("wb") as out:
        for _ in range(60_000):  # about 40 MB
            out.write(line)
    probe = (
        "import resource, subprocess, sys\n"
        f"subprocess.run([{str(BIN / 'ocelot')!r}, 'publish', '-f', {str(big)!r}, '--dry-run'],"
        " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    peak_kb = int(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                                 env={**os.environ, "OCELOT_CONFIG": "/nonexistent"}).stdout)  # fmt: skip
    assert peak_kb < 200 * 1024, f"peak RSS {peak_kb / 1024:.0f} MB for a {big.stat().st_size / 1e6:.0f} MB file"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=400), st.text(max_size=400).map(str.encode),
                      st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                                   lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3),
                                                                                                inner, max_size=3),
                                   max_leaves=30).map(lambda v: json.dumps(v).encode())),
       suffix=st.sampled_from([".json", ".jsonl", ".yaml", ".txt"]))  # fmt: skip
def test_no_reader_crashes_on_arbitrary_input(cli, tmp_path, data, suffix):
    path = tmp_path / f"input{suffix}"
    path.write_bytes(data)
    for args in (["validate", str(path)], ["publish", "-f", str(path), "--dry-run", "--no-validate"],
                 ["replay", str(path), "--dry-run"]):  # fmt: skip
        result = cli(*args)
        assert result.code in (0, 1, 2, 3), (args, data, result.err)  # 2: a real-time event has no routing key
        assert "internal error" not in result.err


@pytest.mark.parametrize("command", [
    "catalog sample --all --count 40", "publish call.ended --count 3000 --dry-run", "catalog list --json",
    "replay fixtures/campaign.yaml --dry-run --no-delay --loop 2000",
], ids=["sample", "publish-dry-run", "catalog-list", "replay-dry-run"])  # fmt: skip
def test_a_reader_that_stops_early_ends_the_command_quietly_with_0_or_141(command, tmp_path):
    env = {**os.environ, "OCELOT_CONFIG": str(tmp_path / "none.yaml"), "PATH": f"{BIN}:{os.environ['PATH']}"}
    script = f"set -o pipefail; ocelot {command} | head -c 10 >/dev/null"
    shell = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60,
                           cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    assert shell.returncode in (0, 141), shell.stderr
    assert shell.stderr == ""


def test_a_run_cut_short_by_its_reader_is_not_a_success_under_pipefail(tmp_path):
    # `validate bad-events | head -1` must not read as "all valid" to a CI script with pipefail.
    events = tmp_path / "bad.jsonl"
    events.write_text('{"type": "call.nope"}\n' * 20000)
    env = {**os.environ, "OCELOT_CONFIG": str(tmp_path / "none.yaml"), "PATH": f"{BIN}:{os.environ['PATH']}"}
    script = f"set -o pipefail; ocelot validate {events} | head -1 >/dev/null"
    shell = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert shell.returncode == 141, shell.stderr
    assert "Traceback" not in shell.stderr and "internal error" not in shell.stderr


@pytest.mark.parametrize("command", [["publish", "call.ended", "--dry-run"], ["catalog", "list"],
                                     ["validate", "fixtures/recorded/callback-flow.jsonl", "--format", "json"]],
                         ids=["publish-dry-run", "catalog-list", "validate-json"])  # fmt: skip
def test_output_to_a_full_disk_is_a_clear_error_with_exit_74(command, tmp_path):
    env = {**os.environ, "OCELOT_CONFIG": str(tmp_path / "none.yaml")}
    with open("/dev/full", "w") as full:
        result = subprocess.run([str(BIN / "ocelot"), *command], stdout=full, stderr=subprocess.PIPE, text=True,
                                env=env, timeout=60, cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    assert result.returncode == 74, result.stderr
    assert "error: cannot write the output: No space left on device" in result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.parametrize("args", [
    ["publish", "-f", "-", "-f", "-", "--dry-run"], ["validate", "-", "-"], ["replay", "-", "-", "--dry-run"],
], ids=["publish", "validate", "replay"])  # fmt: skip
def test_stdin_named_twice_is_a_usage_error_not_a_silent_empty_second_read(cli, args):
    result = cli(*args, stdin=b'{"type": "call.ended"}\n')
    assert result.code == 2
    assert "'-' (stdin) is given more than once; it can be read only once" in result.err
