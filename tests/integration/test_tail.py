import json
import os
import re
import signal
import subprocess

import pytest

from ocelot_cli.formats.recording import body_of, is_recording
from tests.integration.conftest import (
    BIN,
    ocelot_env,
    rabbitmqctl,
    run_ocelot,
    tail_on_terminal,
    wait_for,
)

pytestmark = pytest.mark.integration


def queue_names() -> set[str]:
    return {line.split("\t")[0] for line in rabbitmqctl("list_queues", "name").splitlines() if line}


def publish(exchange: str, *args: str) -> None:
    result = run_ocelot("publish", *args, "--exchange", exchange)
    assert result.returncode == 0, result.stderr


def lines_of(out: bytes) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def test_tail_shows_published_events_as_json_lines_when_piped(rabbit, start_tail):
    exchange = rabbit.exchange()
    tail = start_tail("--exchange", exchange, "--count", "3")
    publish(exchange, "call.started", "call.ended", "sentiment.analyzed", "--org", "org-9")
    code, out = tail.finish()
    assert code == 0
    assert [e["type"] for e in lines_of(out)] == ["call.started", "call.ended", "sentiment.analyzed"]
    assert "received 3, shown 3" in tail.stderr


def own_queue(tail) -> str:
    return re.search(r"own queue (amq\.gen-\S+)", tail.stderr).group(1)


def test_tail_never_takes_messages_from_real_queues_and_leaves_nothing_behind(rabbit, start_ocelot):
    exchange = rabbit.exchange()
    real = rabbit.queue(exchange, "comms.#")
    tail = start_ocelot("-v", "tail", "--exchange", exchange, "--count", "5")
    tail.wait_for_stderr("tailing ")
    queue = own_queue(tail)
    assert queue in queue_names()
    publish(exchange, "call.ended", "--count", "5")
    code, _ = tail.finish()
    assert code == 0
    assert rabbit.depth(real) == 5  # the real consumer's queue still has every message
    wait_for(lambda: queue not in queue_names(), 20, "the tail's queue to disappear")


def test_killed_tail_leaves_no_queue_behind(rabbit, start_ocelot):
    exchange = rabbit.exchange()
    tail = start_ocelot("-v", "tail", "--exchange", exchange)
    tail.wait_for_stderr("tailing ")
    queue = own_queue(tail)
    assert queue in queue_names()
    tail.proc.kill()
    tail.proc.wait(timeout=10)
    wait_for(lambda: queue not in queue_names(), 30, "the exclusive queue to go with the dead connection")


def test_patterns_and_several_exchanges(rabbit, start_tail):
    first, second = rabbit.exchange(), rabbit.exchange()
    rabbit.queue(first)  # a real consumer, so that unmatched messages are still routable
    tail = start_tail("comms.call.*", "comms.sentiment.#", "--exchange", first, "--exchange", second, "--count", "3")
    publish(first, "call.started")
    publish(first, "campaign.completed")  # not matched by the patterns
    publish(second, "sentiment.analyzed")
    publish(second, "call.ended")
    code, out = tail.finish()
    assert code == 0
    assert sorted(e["type"] for e in lines_of(out)) == ["call.ended", "call.started", "sentiment.analyzed"]


def test_filters_on_type_org_and_conditions(rabbit, start_tail):
    exchange = rabbit.exchange()
    rabbit.queue(exchange)
    tail = start_tail("--exchange", exchange, "--type", "call.*", "--org", "org-a",
                      "--where", "data.outcome=callback_requested", "--where", "data.duration>=100",
                      "--count", "1")  # fmt: skip
    publish(exchange, "call.ended", "--org", "org-b", "--set", "data.outcome=callback_requested")
    publish(exchange, "call.ended", "--org", "org-a", "--set", "data.outcome=completed")
    publish(exchange, "call.ended", "--org", "org-a", "--set", "data.outcome=callback_requested", "--set",
            "data.duration=50")  # fmt: skip
    publish(exchange, "sentiment.analyzed", "--org", "org-a")
    publish(exchange, "call.ended", "--org", "org-a", "--set", "data.outcome=callback_requested", "--set",
            "data.duration=180")  # fmt: skip
    code, out = tail.finish()
    assert code == 0
    [event] = lines_of(out)
    assert (event["organizationId"], event["data"]["outcome"], event["data"]["duration"]) == (
        "org-a", "callback_requested", 180
    )  # fmt: skip
    assert "received 5, shown 1, filtered out 4" in tail.stderr  # the counts add up


def test_idle_timeout_and_for_end_a_tail_by_themselves(rabbit):
    exchange = rabbit.exchange()
    idle = run_ocelot("tail", "--exchange", exchange, "--idle-timeout", "1s", timeout=30)
    assert idle.returncode == 0 and b"received 0" in idle.stderr
    timed = run_ocelot("tail", "--exchange", exchange, "--for", "1s", timeout=30)
    assert timed.returncode == 0


def test_format_template_and_validation_marks(rabbit, start_tail):
    exchange = rabbit.exchange()
    tail = start_tail("--exchange", exchange, "--count", "2", "--validate",
                      "--format", "{routing_key} {type} {data.outcome} {data.score}")  # score: sentiment events only
    publish(exchange, "call.ended", "--set", "data.outcome=voicemail")
    publish(exchange, "call.ended", "--set", "data.outcome=bogus", "--no-validate")
    code, out = tail.finish()
    assert code == 1  # --validate gates CI: an invalid event was seen
    assert out.decode().splitlines() == [
        "comms.call.ended call.ended voicemail -",
        "comms.call.ended call.ended bogus -",
    ]
    assert "invalid: $.data.outcome: 'bogus' is not one of" in tail.stderr
    assert "invalid 1" in tail.stderr and "error: 1 invalid event(s) seen" in tail.stderr


def test_validate_warns_of_naive_times_as_validate_does_and_exits_0_without_errors(rabbit, start_tail):
    exchange = rabbit.exchange()
    tail = start_tail("--exchange", exchange, "--count", "1", "--validate", "--format", "text")
    publish(exchange, "call.ended", "--set", "timestamp=2026-05-01T10:00:00")
    code, out = tail.finish()
    assert code == 0, tail.stderr
    assert "WARNING $.timestamp" in out.decode() and "with warnings 1" in tail.stderr
    naive = run_ocelot("catalog", "sample", "call.ended", "--set", "timestamp=2026-05-01T10:00:00")
    shown = run_ocelot("validate", "-", stdin=naive.stdout)
    assert "warning: call.ended $.timestamp" in shown.stdout.decode()  # the same warning as validate's


def test_recording_holds_everything_needed_to_replay(rabbit, start_tail, tmp_path):
    exchange = rabbit.exchange()
    recording = tmp_path / "recorded.jsonl"
    tail = start_tail("--exchange", exchange, "--count", "3", "--output", str(recording))
    publish(exchange, "call.started", "call.ended", "--org", "org-r")
    rabbit.publish(exchange, "comms.raw", b"\xff\xfe not utf-8", message_id="raw-1", headers={"x": 1})
    code, out = tail.finish()
    assert code == 0
    records = [json.loads(line) for line in recording.read_text().splitlines()]
    assert len(records) == 3 and all(is_recording(r) for r in records)
    assert [r["routing_key"] for r in records] == ["comms.call.started", "comms.call.ended", "comms.raw"]
    assert all(r["exchange"] == exchange for r in records)
    event_lines = out.splitlines()
    assert body_of(records[0]) == event_lines[0] and records[0]["event"]["organizationId"] == "org-r"
    assert records[0]["properties"]["message_id"] == records[0]["event"]["id"]
    assert records[0]["properties"]["headers"] == {"organizationId": "org-r", "source": "communications"}
    assert body_of(records[2]) == b"\xff\xfe not utf-8" and records[2]["properties"]["message_id"] == "raw-1"
    assert "recorded 3 to" in tail.stderr
    assert run_ocelot("validate", str(recording)).returncode == 1  # the raw body is not an event
    records.pop()
    recording.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert run_ocelot("validate", str(recording)).returncode == 0


HOSTILE = [
    b"\x1b]0;pwned\x07\x1b[2J\x1b[31mred",
    b"[bold red]not markup[/bold red] [link=http://x]y[/link]",
    b"\xff\xfe\x00binary",
    json.dumps({"type": "call.ended\x1b[2J", "organizationId": "\x9b31m", "data": {"call_id": "[bold]x[/]"}}).encode(),
]


def test_hostile_payloads_are_shown_escaped_in_the_pretty_view(rabbit, tmp_path):
    exchange = rabbit.exchange()

    def feed():
        for body in HOSTILE:
            rabbit.publish(exchange, "comms.x", body)

    screen = tail_on_terminal(f"--exchange {exchange} --pretty --count {len(HOSTILE)}", tmp_path / "screen.txt", feed)
    assert b"\x1b]0;" not in screen and b"\x1b[2J" not in screen and b"\x9b" not in screen and b"\x07" not in screen
    assert b"\\e]0;pwned\\x07\\e[2J" in screen
    assert b"[bold red]not markup[/bold red]" in screen  # literally, never interpreted as rich markup
    assert b"(not JSON, 9 bytes)" in screen
    assert b"call.ended\\e[2J" in screen and b"\\x9b31m" in screen


def test_hostile_payloads_stay_valid_json_lines_when_piped(rabbit, start_tail):
    exchange = rabbit.exchange()
    tail = start_tail("--exchange", exchange, "--count", str(len(HOSTILE)))
    for body in HOSTILE:
        rabbit.publish(exchange, "comms.x", body)
    code, out = tail.finish()
    assert code == 0
    values = lines_of(out)
    assert values[0]["_ocelot"]["body_text"] == HOSTILE[0].decode()
    assert "body_base64" in values[2]["_ocelot"]
    assert values[3]["data"]["call_id"] == "[bold]x[/]"
    assert "not JSON 3" in tail.stderr


def test_piping_into_head_exits_quietly(rabbit, start_ocelot):
    exchange = rabbit.exchange()
    rabbit.queue(exchange)  # routable even before the tail's binding exists
    shell = subprocess.Popen(f"{BIN}/ocelot tail --exchange {exchange} | head -1", shell=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ocelot_env())  # fmt: skip
    for _ in range(30):
        publish(exchange, "call.ended")
        if shell.poll() is not None:
            break
    out, err = shell.communicate(timeout=30)
    assert shell.returncode == 0
    assert json.loads(out)["type"] == "call.ended"
    assert b"Traceback" not in err and b"error" not in err.lower() and b"Broken pipe" not in err


def test_broker_closing_the_connection_makes_the_tail_reconnect_and_go_on(rabbit, start_tail):
    exchange = rabbit.exchange()
    tail = start_tail("--exchange", exchange, "--count", "2")
    publish(exchange, "call.started")
    wait_for(lambda: tail.close_connections("ocelot tail"), 20, "the tail's connection to close")
    tail.wait_for_stderr("reconnected and re-bound", timeout=30)
    assert "gap" in tail.stderr
    publish(exchange, "call.ended")
    code, out = tail.finish()
    assert code == 0
    assert [e["type"] for e in lines_of(out)] == ["call.started", "call.ended"]
    assert "reconnects 1 (gaps possible)" in tail.stderr


def test_overflow_of_the_bounded_queue_is_reported_with_a_count(rabbit, start_tail):
    exchange = rabbit.exchange()
    tail = start_tail("--exchange", exchange, "--max-queue", "10", "--prefetch", "1", "--idle-timeout", "2s")
    os.kill(tail.proc.pid, signal.SIGSTOP)  # a tail that falls behind
    try:
        publish(exchange, "call.ended", "--count", "60")
    finally:
        os.kill(tail.proc.pid, signal.SIGCONT)
    code, out = tail.finish(timeout=60)
    assert code == 0
    shown = len(out.splitlines())
    assert "fell behind" in tail.stderr
    dropped = int(tail.stderr.split("dropped by overflow ")[1].split()[0].rstrip(","))
    assert shown + dropped == 60 and dropped >= 40


def test_missing_exchange_is_a_clear_error(rabbit):
    exchange = rabbit.exchange(declare=False)
    result = run_ocelot("tail", "--exchange", exchange)
    assert result.returncode == 7
    assert b"tail never creates exchanges" in result.stderr


def test_ctrl_c_prints_the_summary_and_exits_130(rabbit, start_tail):
    exchange = rabbit.exchange()
    tail = start_tail("--exchange", exchange)
    publish(exchange, "call.ended")
    assert tail.proc.stdout.peek(1)  # blocks until the event has been written
    tail.proc.send_signal(signal.SIGINT)
    code, out = tail.finish()
    assert code == 130
    assert "received 1, shown 1" in tail.stderr


def test_expand_shows_the_whole_event_under_each_line(rabbit, tmp_path):
    exchange = rabbit.exchange()

    def feed():
        rabbit.queue(exchange)
        publish(exchange, "call.ended", "--org", "org-x", "--set", "data.outcome=voicemail")

    screen = tail_on_terminal(f"--exchange {exchange} --expand --count 1", tmp_path / "screen.txt", feed).decode()
    assert "comms.call.ended  call.ended  org-x" in screen
    assert '"outcome": "voicemail"' in screen and '"metadata": {' in screen  # the indented full event


def test_an_existing_recording_is_never_replaced_unless_asked(rabbit, start_tail, tmp_path):
    exchange = rabbit.exchange()
    recording = tmp_path / "kept.jsonl"
    recording.write_text("precious\n")
    refused = run_ocelot("tail", "--exchange", exchange, "--output", str(recording), "--count", "1", timeout=30)
    assert refused.returncode == 2
    assert f"--output {recording}: the file exists" in refused.stderr.decode()
    assert recording.read_text() == "precious\n"  # refused before connecting: untouched
    tail = start_tail("--exchange", exchange, "--output", str(recording), "--append", "--count", "1")
    publish(exchange, "call.ended")
    assert tail.finish()[0] == 0, tail.stderr
    lines = recording.read_text().splitlines()
    assert lines[0] == "precious" and json.loads(lines[1])["event"]["type"] == "call.ended"
    tail = start_tail("--exchange", exchange, "--output", str(recording), "--force", "--count", "1")
    publish(exchange, "call.started")
    assert tail.finish()[0] == 0, tail.stderr
    [line] = recording.read_text().splitlines()
    assert json.loads(line)["event"]["type"] == "call.started"


def test_output_dash_writes_the_recording_to_stdout_instead_of_the_view(rabbit, start_tail):
    exchange = rabbit.exchange()
    tail = start_tail("--exchange", exchange, "--output", "-", "--count", "2")
    publish(exchange, "call.ended", "--count", "2")
    code, out = tail.finish()
    assert code == 0, tail.stderr
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["recorded"] for r in records] == ["ocelot/1", "ocelot/1"]
    assert {r["routing_key"] for r in records} == {"comms.call.ended"}
    assert "recorded 2 to stdout" in tail.stderr


def raw_event_with_headers(rabbit, exchange: str) -> bytes:
    body = run_ocelot("catalog", "sample", "call.ended", "--set", "data.call_id=call-h1").stdout.strip()
    rabbit.publish(exchange, "comms.call.ended", body, message_id="m-77", app_id="raw-pika",
                   headers={"x-trace-id": "trace-42", "retries": 3})  # fmt: skip
    return body


def test_validate_fails_on_a_body_that_is_no_json_and_headers_still_show_what_it_carries(rabbit, start_tail):
    exchange = rabbit.exchange()
    tail = start_tail("--exchange", exchange, "--count", "1", "--validate", "--headers")
    rabbit.publish(exchange, "comms.weird", b"\xff\xfe plain", headers={"x-trace-id": "t2"})
    code, out = tail.finish()
    assert code == 1, tail.stderr  # a CI gate: what is no event at all fails it too
    assert "(not JSON, 8 bytes)" in out.decode() and "headers x-trace-id=t2" in out.decode()
    assert "error: 1 message(s) not JSON seen" in tail.stderr


def test_headers_and_properties_of_a_raw_producer_are_seen_in_every_view(rabbit, start_tail, start_ocelot):
    exchange = rabbit.exchange()
    verbose = start_ocelot("-v", "tail", "--exchange", exchange, "--count", "1", "--format", "text")
    verbose.wait_for_stderr("tailing ")
    views = {
        "verbose": verbose,
        "expand": start_tail("--exchange", exchange, "--count", "1", "--expand"),
        "headers": start_tail("--exchange", exchange, "--count", "1", "--headers"),
        "format": start_tail("--exchange", exchange, "--count", "1", "--format",
                             "{routing_key} {headers.x-trace-id} {headers.retries} {properties.message_id} {{ok}}"),
        "envelope": start_tail("--exchange", exchange, "--count", "1", "--envelope"),
    }  # fmt: skip
    body = raw_event_with_headers(rabbit, exchange)
    out = {}
    for name, tail in views.items():
        code, out[name] = tail.finish()
        assert code == 0, (name, tail.stderr)
    for name in ("expand", "headers", "verbose"):
        text = out[name].decode()
        assert "headers x-trace-id=trace-42 retries=3" in text, (name, text)
        assert "message_id=m-77" in text and "app_id=raw-pika" in text
    assert '"call_id": "call-h1"' in out["expand"].decode()
    assert out["format"].decode() == "comms.call.ended trace-42 3 m-77 {ok}\n"
    envelope = json.loads(out["envelope"])
    assert envelope["routing_key"] == "comms.call.ended" and envelope["exchange"] == exchange
    assert envelope["properties"]["headers"] == {"x-trace-id": "trace-42", "retries": 3}
    assert envelope["properties"]["message_id"] == "m-77"
    assert body_of(envelope) == body  # the recording format: replayable as it is


@pytest.mark.parametrize(("args", "message"), [
    (["--type", "call.endd"], "unknown event type 'call.endd'"),
    (["--type", "zzz.*"], "--type 'zzz.*' matches no event type of the catalog"),
    (["--where", "data.score<<-0.5"], "column 12: '<-0.5' is not a number, and < compares numbers"),
    (["--where", "data.outcom=x"], "no event type has field data.outcom; did you mean data.outcome?"),
    (["--type", "call.ended", "--where", "data.score<0"], "call.ended has no field data.score"),
    (["--format", "{routing_key"], "--format '{routing_key': column 1: '{' is not closed"),
    (["--format", "{type} {data.nope}"], "column 9: no event type has field data.nope"),
    (["--format", "x}"], "column 2: '}' closes nothing"),
], ids=["type", "glob", "where-op", "where-path", "where-typed", "brace", "field", "close"])  # fmt: skip
def test_mistakes_in_types_conditions_and_templates_are_errors_before_connecting(args, message):
    result = run_ocelot("tail", *args, "--amqp-url", "amqp://127.0.0.1:1/%2F", timeout=30)  # nothing listens there
    err = result.stderr.decode()
    assert result.returncode in (1, 2), err  # 1: an unknown type, as for publish
    assert message in err and "cannot connect" not in err
