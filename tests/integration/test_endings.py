"""Every way a publish, replay or tail ends prints the same summary, with counts that add up, where
to resume, and the exit status of what ended it: done, gave up, SIGINT, SIGTERM; a recording is on
disk within a second and marks the gaps of a reconnect."""

from __future__ import annotations

import contextlib
import json
import re
import signal
import time

import pytest

from tests.faultproxy import FaultProxy
from tests.integration.conftest import run_ocelot, wait_for

pytestmark = pytest.mark.integration


def summary_counts(stderr: str) -> dict[str, int]:
    """``published 300, confirmed 298, ...`` as numbers by name."""
    line = next(line for line in stderr.splitlines() if line.startswith("published ")).split(" in ")[0]
    return {m.group(1): int(m.group(2).replace(",", "")) for m in re.finditer(r"(\w[\w ]*?) ([\d,]+)", line)}


def adds_up(report: dict) -> bool:
    sent = report["confirmed"] + report["unroutable"] + report["nacked"] + report["unconfirmed"]
    return sent == report["published"] and report["published"] + report["unsent"] == report["total"]


@pytest.fixture
def events_file(tmp_path):
    path = tmp_path / "events.jsonl"
    result = run_ocelot("catalog", "sample", "call.ended", "call.started", "--count", "1000", "--seed", "4")
    path.write_bytes(result.stdout)
    return path, [json.loads(line)["id"] for line in result.stdout.splitlines()]


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)], ids=["TERM", "HUP"])
def test_a_signal_mid_replay_ends_with_the_summary_the_resume_point_and_its_status(
    rabbit, start_ocelot, events_file, signum, status
):
    path, ids = events_file
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    running = start_ocelot("replay", str(path), "--rate", "400", "--exchange", exchange, "--json")
    wait_for(lambda: rabbit.depth(queue) > 200, 30, "the replay to be under way")
    started = time.monotonic()
    running.proc.send_signal(signum)
    code, out = running.finish(timeout=30)
    assert code == status, running.stderr
    assert time.monotonic() - started < 8  # stop sending at once, then at most the 5 s drain
    report = json.loads(out)
    assert report["interrupted"] is True and adds_up(report)
    position = int(re.search(r"continue with --resume-from (\d+)", running.stderr).group(1))
    assert report["confirmed"] <= position < len(ids)
    rest = run_ocelot("replay", str(path), "--no-delay", "--exchange", exchange, "--resume-from", str(position))
    assert rest.returncode == 0, rest.stderr
    assert {e["id"] for e in rabbit.events(queue)} == set(ids)  # nothing lost between the two runs


def test_a_publish_that_gives_up_reconnecting_prints_the_summary_and_where_to_resume(rabbit, start_ocelot, tmp_path,
                                                                                     events_file):  # fmt: skip
    path, _ids = events_file
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    with FaultProxy(5672) as proxy:
        url = f"amqp://guest:guest@127.0.0.1:{proxy.port}/%2F"
        running = start_ocelot("publish", "-f", str(path), "--rate", "300", "--exchange", exchange,
                               "--reconnect-for", "2s", OCELOT_AMQP_URL=url)  # fmt: skip
        wait_for(lambda: rabbit.depth(queue) > 100, 30, "the publish to be under way")
        proxy.shutdown()  # the connection is cut, and nothing accepts a new one
        code, _out = running.finish(timeout=60)
    assert code == 5, running.stderr
    assert "connection to amqp://guest:****@127.0.0.1:" in running.stderr
    counts = summary_counts(running.stderr)
    sent = counts["confirmed"] + counts["unroutable"] + counts["nacked"] + counts["unconfirmed"]
    assert counts["published"] == sent and counts["confirmed"] >= 100
    position = int(re.search(r"continue with --resume-from (\d+)", running.stderr).group(1))
    assert counts["confirmed"] <= position < 2000


def test_ctrl_c_while_reconnecting_stops_at_once_with_the_summary(rabbit, start_ocelot, events_file):
    path, _ids = events_file
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    with FaultProxy(5672) as proxy:
        url = f"amqp://guest:guest@127.0.0.1:{proxy.port}/%2F"
        running = start_ocelot("replay", str(path), "--rate", "300", "--exchange", exchange, OCELOT_AMQP_URL=url)
        wait_for(lambda: rabbit.depth(queue) > 50, 30, "the replay to be under way")
        proxy.shutdown()
        running.wait_for_stderr("reconnecting in")
        started = time.monotonic()
        running.proc.send_signal(signal.SIGINT)
        code, _out = running.finish(timeout=30)
    assert code == 130, running.stderr
    assert time.monotonic() - started < 2
    assert "published " in running.stderr and "continue with --resume-from" in running.stderr


def test_ctrl_c_during_a_replay_delay_stops_at_once_and_counts_what_was_not_sent(rabbit, start_ocelot, tmp_path):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    scenario = tmp_path / "slow.yaml"
    scenario.write_text("steps:\n  - type: call.started\n  - type: call.ended\n    after: 60s\n")
    running = start_ocelot("replay", str(scenario), "--exchange", exchange, "--json")
    wait_for(lambda: rabbit.depth(queue) == 1, 30, "the first event")
    started = time.monotonic()
    running.proc.send_signal(signal.SIGINT)
    code, out = running.finish(timeout=30)
    assert code == 130
    assert time.monotonic() - started < 2  # not the 5 s drain: nothing was in flight
    report = json.loads(out)
    assert (report["total"], report["published"], report["confirmed"], report["unsent"]) == (2, 1, 1, 1)
    assert "not sent 1" in running.stderr and "continue with --resume-from 1" in running.stderr


def test_a_recording_is_on_disk_within_a_second_and_complete_after_sigterm(rabbit, start_tail, tmp_path):
    exchange = rabbit.exchange()
    recording = tmp_path / "rec.jsonl"
    tail = start_tail("--exchange", exchange, "--output", str(recording))
    assert run_ocelot("publish", "call.ended", "--count", "3", "--exchange", exchange).returncode == 0
    # the tail is still running: the three lines reach the file without waiting for it to end
    wait_for(lambda: recording.exists() and len(recording.read_text().splitlines()) == 3, 5, "three recorded lines")
    assert run_ocelot("publish", "call.started", "--count", "2", "--exchange", exchange).returncode == 0
    wait_for(lambda: "received 5" in tail.stderr or len(recording.read_text().splitlines()) == 5, 5, "five lines")
    tail.proc.send_signal(signal.SIGTERM)
    code, _out = tail.finish()
    assert code == 143
    assert "recorded 5 to" in tail.stderr
    assert [json.loads(line)["event"]["type"] for line in recording.read_text().splitlines()] == [
        "call.ended"] * 3 + ["call.started"] * 2  # fmt: skip


def test_a_recording_on_a_full_disk_ends_the_tail_with_its_summary_and_exit_74(rabbit, start_tail):
    exchange = rabbit.exchange()
    tail = start_tail("--exchange", exchange, "--count", "3", "--output", "/dev/full")
    assert run_ocelot("publish", "call.ended", "--count", "3", "--exchange", exchange).returncode == 0
    code, _out = tail.finish()
    assert code == 74, tail.stderr
    assert "received 3, shown 3" in tail.stderr and "recording failed: /dev/full" in tail.stderr
    assert "error: cannot write /dev/full: No space left on device" in tail.stderr
    assert "internal error" not in tail.stderr


def test_a_reconnect_leaves_a_gap_record_that_validate_reports_and_replay_skips(rabbit, start_tail, tmp_path):
    exchange = rabbit.exchange()
    recording = tmp_path / "rec.jsonl"
    tail = start_tail("--exchange", exchange, "--output", str(recording), "--count", "2")
    assert run_ocelot("publish", "call.started", "--exchange", exchange).returncode == 0
    wait_for(lambda: tail.close_connections("ocelot tail"), 20, "the tail's connection to close")
    tail.wait_for_stderr("reconnected and re-bound", timeout=30)
    assert run_ocelot("publish", "call.ended", "--exchange", exchange).returncode == 0
    code, _out = tail.finish()
    assert code == 0, tail.stderr
    lines = [json.loads(line) for line in recording.read_text().splitlines()]
    assert [line.get("gap", False) for line in lines] == [False, True, False]
    assert "reconnected" in lines[1]["reason"]
    validated = run_ocelot("validate", str(recording))
    assert validated.returncode == 0
    assert f"{recording}:2: warning: gap in the recording: the tail reconnected" in validated.stdout.decode()
    schedule = run_ocelot("replay", str(recording), "--dry-run")
    assert schedule.returncode == 0
    assert "warning: " in schedule.stderr.decode() and "gap in the recording" in schedule.stderr.decode()
    scheduled = [json.loads(line)["event"]["type"] for line in schedule.stdout.splitlines()]
    assert scheduled == ["call.started", "call.ended"]


@contextlib.contextmanager
def stalled_replay(rabbit, start_ocelot, events_file):
    """A replay under way whose broker then stalls, holding messages it never confirms."""
    path, _ids = events_file
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    with FaultProxy(5672) as proxy:
        url = f"amqp://guest:guest@127.0.0.1:{proxy.port}/%2F"
        running = start_ocelot("replay", str(path), "--rate", "400", "--exchange", exchange, "--json",
                               OCELOT_AMQP_URL=url)  # fmt: skip
        wait_for(lambda: rabbit.depth(queue) > 100, 30, "the replay to be under way")
        proxy.stall()  # nothing moves any more, and nothing says so
        wait_for(lambda: proxy.held, 30, "messages sent that the stalled broker never confirms")
        yield running


def test_ctrl_c_while_the_broker_stalls_ends_within_the_drain_and_the_summary_adds_up(rabbit, start_ocelot,
                                                                                      events_file):  # fmt: skip
    with stalled_replay(rabbit, start_ocelot, events_file) as running:
        running.proc.send_signal(signal.SIGINT)
        started = time.monotonic()
        code, out = running.finish(timeout=60)
        elapsed = time.monotonic() - started
    assert code == 130, running.stderr
    assert elapsed < 5 + 1 + 3  # the drain, the close that is never answered, a margin for a busy machine
    report = json.loads(out)
    assert adds_up(report) and report["unconfirmed"] > 0
    assert f"continue with --resume-from {report['stopped_at']}" in running.stderr


def test_a_second_sigterm_while_draining_quits_at_once_with_the_summary_and_143(rabbit, start_ocelot, events_file):
    with stalled_replay(rabbit, start_ocelot, events_file) as running:
        running.proc.send_signal(signal.SIGTERM)
        running.wait_for_stderr("stopping: waiting up to 5s for outstanding confirms")
        started = time.monotonic()
        running.proc.send_signal(signal.SIGTERM)
        code, out = running.finish(timeout=60)
        elapsed = time.monotonic() - started
    assert code == 143, running.stderr
    assert elapsed < 3, "the second signal should not wait for the drain"
    report = json.loads(out)
    assert adds_up(report) and report["unconfirmed"] > 0
    assert f"continue with --resume-from {report['stopped_at']}" in running.stderr
    assert "Traceback" not in running.stderr


def test_sigterm_to_the_process_group_of_a_parallel_validation_ends_it_without_a_traceback(tmp_path):
    # A big JSON-lines file is checked by worker processes; a SIGTERM reaches all of them (a CI
    # runner's timeout, `kill -- -PGID`): the workers end quietly and the command ends with 143.
    import os
    import subprocess
    from pathlib import Path

    from tests.integration.conftest import BIN, ocelot_env

    line = (Path(__file__).resolve().parents[2] / "fixtures" / "recorded" / "callback-flow.jsonl").read_text()
    big = tmp_path / "big.jsonl"
    big.write_text(line * (24 * 1024 * 1024 // len(line)))  # over the size checked in parallel
    proc = subprocess.Popen([str(BIN / "ocelot"), "validate", str(big)], env=ocelot_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)  # fmt: skip

    def workers() -> list[str]:
        path = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
        return path.read_text().split() if path.exists() else []

    try:
        wait_for(lambda: len(workers()) >= 2 or proc.poll() is not None, 30, "the worker processes")
        assert proc.poll() is None, "validation ended before it could be interrupted: make the file bigger"
        os.killpg(proc.pid, signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    finally:  # nothing left behind, even when it hangs
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 143, err
    assert b"Traceback" not in err and b"SignalInterrupt" not in err
