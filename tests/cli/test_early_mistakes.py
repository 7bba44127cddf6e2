"""Mistakes a command can see in its own options are reported before it connects to anything
(the URLs here point at a port where nothing listens: reaching it would say 'cannot connect')."""

import pytest

NOWHERE = "amqp://127.0.0.1:1/%2F"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["smoke", "--expect", "call.ended", "--within", "1s", "--where", "data.outcom=x"], 2,
         "--where 'data.outcom=x': call.ended has no field data.outcom; did you mean data.outcome?"),
        (["smoke", "--where", "data.outcome=completed"], 2, "--where goes with --expect TYPE"),
        (["tail", "-e", ""], 2, "the default exchange takes no bindings, so it cannot be tailed"),
        (["tail", "--output", "{tmp}/no/such/dir/x.jsonl"], 74, "cannot write --output {tmp}/no/such/dir/x.jsonl"),
        (["tail", "--output", "{tmp}"], 74, "is a directory"),
    ],
    ids=["smoke-where-typo", "smoke-where-alone", "tail-default-exchange", "output-no-dir", "output-dir"],
)  # fmt: skip
def test_a_mistake_in_the_options_is_reported_before_connecting(cli, tmp_path, args, code, message):
    result = cli(*[a.replace("{tmp}", str(tmp_path)) for a in args], "--amqp-url", NOWHERE)
    assert result.code == code, result.err
    assert message.replace("{tmp}", str(tmp_path)) in result.err and "cannot connect" not in result.err
