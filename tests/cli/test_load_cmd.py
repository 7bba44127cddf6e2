"""ocelot load: options refused before anything runs, and merge of reports (no broker needed)."""

import json
import re

import pytest

from ocelot_cli.load import report as reporting
from ocelot_cli.load import stats


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rate", "fast"], "--rate must be a number of messages per second or 'max'"),
        (["--duration", "soon"], "--duration 'soon' is not a duration"),
        (["--duration", "500ms"], "a load test measures at least 1s"),
        (["--assert", "p99"], "--assert 'p99' is not METRIC OP VALUE"),
        (["--plot", "x.gif"], "--plot x.gif: unknown picture type"),
        (["--report", "/nonexistent/dir/r.json"], "--report /nonexistent/dir/r.json: the directory"),
        (["--mix", "call.endd=1"], "--mix: unknown event type 'call.endd'"),
        (["--queue-type", "stream"], "--queue-type 'stream': choose classic or quorum"),
        (["--ws-url", "ws://127.0.0.1:1/ws"], "WebSocket mode needs both --ws-url URL and --channel CHANNEL"),
        (["--ws-url", "http://x/ws", "--channel", "tenant:t1:events"], "give a ws:// or wss:// URL"),
        (["--ws-url", "ws://a/ws,http://u:s3cret@b/ws", "--channel", "tenant:t1:events"],
         "--ws-url entry 2 of 2, http://u:****@b/ws: give a ws:// or wss:// URL"),
        (["--ws-url", "ws://a/ws", "--ws-url", "ws://b/ws,redis://c:6379", "--channel", "tenant:t1:events"],
         "--ws-url entry 3 of 3, redis://c:6379: give a ws:// or wss:// URL"),
        (["--ws-url", "ws://a/ws,,ws://b/ws", "--channel", "tenant:t1:events"], "--ws-url entry 2 of 3 is empty"),
        (["--run-id", "a.b"], "--run-id 'a.b': use 1 to 32 letters"),
    ],
)
def test_bad_options_exit_2_and_say_what_to_fix(cli, args, message):
    result = cli("load", *args)
    assert result.code == 2, result.err
    assert message in result.err
    assert "Traceback" not in result.err and "s3cret" not in result.err


def test_help_has_examples_and_the_merge_command(cli):
    result = cli("load", "--help")
    assert result.code == 0
    assert "ocelot load --rate 5000 --duration 60s --warmup 10s" in result.out
    assert "merge" in result.out and "coordinated omission" in result.out


def _report(tmp_path, name, values_ms, *, lost=0, duration=1):
    agg = stats.Aggregate()
    bucket = stats.Bucket()
    for value in values_ms:
        stats.record_ns(bucket.hist("end_to_end"), int(value * 1_000_000))
    bucket.counts.update(sent=len(values_ms), acked=len(values_ms), received=len(values_ms) - lost)
    agg.add_delta(bucket.to_delta(0))
    agg.counts["lost"] = lost
    report = reporting.build(agg, {"duration": duration, "target_rate": float(len(values_ms)), "run_id": "r1",
                                   "plan": {"publishers": 1, "consumers": 1}})  # fmt: skip
    path = tmp_path / name
    path.write_text(json.dumps(report))
    return path


def test_merge_combines_reports_and_writes_every_output(cli, tmp_path):
    a = _report(tmp_path, "a.json", [1.0] * 90)
    b = _report(tmp_path, "b.json", [50.0] * 10, lost=1)
    out = tmp_path / "all.json"
    result = cli("load", "merge", str(a), str(b), "--report", str(out), "--hgrm", str(tmp_path / "all"),
                 "--plot", str(tmp_path / "all.html"), "--plot", str(tmp_path / "all.svg"))  # fmt: skip
    assert result.code == 8, result.err  # a lost message fails the run, merged or not
    assert "not delivered: 1 lost" in result.err
    merged = json.loads(out.read_text())
    assert merged["published"]["sent"] == 100 and merged["lost"] == 1 and merged["target_rate"] == 100
    assert merged["latency"]["end_to_end"]["p90_ms"] == pytest.approx(1.0, rel=0.01)
    assert merged["latency"]["end_to_end"]["p99_ms"] == pytest.approx(50.0, rel=0.01)  # not an average of p99s
    assert "100 sent, 100 acked" in result.out
    page = (tmp_path / "all.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert not re.search(r"(src|href)=\"https?://", page)  # self-contained
    assert (tmp_path / "all.svg").read_text().lstrip().startswith("<?xml")
    assert "TotalCount" in (tmp_path / "all.end_to_end.hgrm").read_text()


def test_merge_gates_on_thresholds_with_exit_10(cli, tmp_path):
    a = _report(tmp_path, "a.json", [1.0] * 99 + [80.0])
    result = cli("load", "merge", str(a), "--assert", "max<50ms", "--assert", "lost==0")
    assert result.code == 10
    assert "threshold breached: max<50ms (actual 80" in result.err
    assert "assert lost==0: ok" in result.out


def test_merge_refuses_unreadable_or_foreign_files_naming_them(cli, tmp_path):
    missing = cli("load", "merge", str(tmp_path / "missing.json"))
    assert missing.code == 3 and "missing.json: cannot read it" in missing.err
    (tmp_path / "junk.json").write_text("{nope")
    junk = cli("load", "merge", str(tmp_path / "junk.json"))
    assert junk.code == 3 and "junk.json: not JSON" in junk.err
    (tmp_path / "other.json").write_text('{"hello": 1}')
    other = cli("load", "merge", str(tmp_path / "other.json"))
    assert other.code == 3 and "other.json: not an ocelot load report" in other.err
