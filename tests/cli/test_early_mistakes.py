"""Mistakes a command can see in its own options are reported before it connects to anything
(the URLs here point at a port where nothing listens: reaching it would say 'cannot connect')."""

from pathlib import Path

import pytest

NOWHERE = "amqp://127.0.0.1:1/%2F"
FIXTURE = str(Path(__file__).resolve().parents[2] / "fixtures" / "callback-flow.yaml")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["smoke", "--expect", "call.ended", "--within", "1s", "--where", "data.outcom=x"], 2,
         "--where 'data.outcom=x': call.ended has no field data.outcom; did you mean data.outcome?"),
        (["smoke", "--where", "data.outcome=completed"], 2, "--where goes with --expect TYPE"),
        (["tail", "-e", ""], 2, "the default exchange takes no bindings, so it cannot be tailed"),
        (["tail", "--output", "{tmp}/no/such/dir/x.jsonl"], 2, "--output {tmp}/no/such/dir/x.jsonl: the directory"),
        (["tail", "--output", "{tmp}"], 2, "that is a directory"),
        (["tail", "--output", "/proc/x.jsonl"], 2, "--output /proc/x.jsonl: cannot write in /proc"),
        (["load", "--report", "/proc/r.json"], 2, "--report /proc/r.json: cannot write in /proc"),
        (["load", "--hgrm", "{tmp}/no/run"], 2, "--hgrm {tmp}/no/run.end_to_end.hgrm: the directory"),
        (["tail", "--output", "-", "--json"], 2, "--output - writes the recording to stdout: no view"),
        (["tail", "--format", "{headers.}"], 2, "column 2: headers.: name the header after the dot"),
        (["tail", "--format", "{properties.mesage_id}"], 2, "did you mean properties.message_id?"),
        (["publish", "--to", "redis://127.0.0.1:1", "task.updated", "-k", "x"], 2,
         "--routing-key goes with an exchange, not with real-time channels"),
        (["replay", "{fixture}", "--resume-from", "999"], 2, "--resume-from 999: the input has 6 message(s)"),
        (["tail", "--format", "{data.}"], 2, "column 2: 'data.' is not a field path (write e.g. data.call_id)"),
        (["smoke", "--within", "5s"], 2, "--within goes with --expect TYPE"),
        (["gateway", "--auth-failure", "x"], 2, "--auth-failure 'x': choose http403"),
    ],
    ids=["smoke-where-typo", "smoke-where-alone", "tail-default-exchange", "output-no-dir", "output-dir",
         "output-proc", "report-proc", "hgrm-dir",
         "output-stdout-view", "empty-header", "property-typo", "redis-routing-key", "resume-past-end",
         "field-path", "smoke-within-alone", "auth-failure"],
)  # fmt: skip
def test_a_mistake_in_the_options_is_reported_before_connecting(cli, tmp_path, args, code, message):
    args = [a.replace("{tmp}", str(tmp_path)).replace("{fixture}", FIXTURE) for a in args]
    result = cli(*args, *(["--amqp-url", NOWHERE] if "--to" not in args else []))
    assert result.code == code, result.err
    assert message.replace("{tmp}", str(tmp_path)) in result.err and "cannot connect" not in result.err


def test_a_token_names_a_tenant_and_a_user(cli, monkeypatch):
    monkeypatch.setenv("OCELOT_JWT_SECRET", "s" * 32)
    result = cli("token", "--tenant", " ", "--user", "u1")
    assert result.code == 2 and result.out == "" and "a token names its tenant and user" in result.err
