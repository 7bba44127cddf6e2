import os
import subprocess
import sys
from pathlib import Path

import pytest

from ocelot_cli.commands.completions import completion_script

COMPLETIONS = Path(__file__).resolve().parents[2] / "completions"
BIN = str(Path(sys.executable).parent)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_committed_completion_scripts_are_what_the_app_generates(shell):
    committed = (COMPLETIONS / f"ocelot.{shell}").read_text()
    assert committed == completion_script(shell), (
        f"completions/ocelot.{shell} is stale: run 'ocelot completions {shell} > completions/ocelot.{shell}'"
    )


def bash_complete(words: str) -> list[str]:
    script = (
        f"source {COMPLETIONS / 'ocelot.bash'}\n"
        f"COMP_WORDS=({words}); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))\n"
        "_ocelot_completion ocelot\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line]


def test_bash_completes_commands_options_and_event_types():
    assert bash_complete("ocelot cat") == ["catalog"]
    assert bash_complete("ocelot catalog show call.") == ["call.ended", "call.started", "call.transcribed"]
    assert "--format" in bash_complete("ocelot validate --f")


def test_zsh_completion_protocol_offers_event_types():
    env = {
        **os.environ,
        "_TYPER_COMPLETE_ARGS": "ocelot catalog sample telephony.sms",
        "_OCELOT_COMPLETE": "complete_zsh",
    }
    result = subprocess.run([f"{BIN}/ocelot"], capture_output=True, text=True, env=env, timeout=60)
    assert '"telephony.sms.received"' in result.stdout and '"telephony.sms.sent"' in result.stdout


def test_completion_offers_the_vocabulary_and_hides_old_spellings():
    assert bash_complete("ocelot smoke --ws") == ["--ws-url"]
    assert bash_complete("ocelot validate --bu") == ["--bus"]
    assert "--ndjson" not in bash_complete("ocelot tail --")
    assert {"--format", "--json", "--envelope", "--headers"} <= set(bash_complete("ocelot tail --"))


def test_tail_type_completes_event_types_as_smoke_type_does():
    assert bash_complete("ocelot tail --type call.") == ["call.ended", "call.started", "call.transcribed"]


def test_info_and_its_options_complete():
    assert bash_complete("ocelot inf") == ["info"]
    assert bash_complete("ocelot info --mg") == ["--mgmt-url"]
    offered = set(bash_complete("ocelot info --"))
    assert {"--exchange", "--queue", "--name", "--vhost", "--all-vhosts", "--json"} <= offered


def test_queue_and_stream_reads_and_record_complete():
    assert bash_complete("ocelot rec") == ["record"]
    assert {"--queue", "--stream"} <= set(bash_complete("ocelot tail --"))
    assert set(bash_complete("ocelot tail --con")) == {"--consume", "--connect-timeout"}
    assert {"--since", "--until", "--yes"} <= set(bash_complete("ocelot tail --"))
    assert bash_complete("ocelot tail --stream s --since f") == ["first"]
    assert bash_complete("ocelot tail --stream s --since ''") == ["first", "last", "next", "offset:"]
    assert {"--stream", "--max-age", "--max-bytes", "--exchange"} <= set(bash_complete("ocelot record --"))
