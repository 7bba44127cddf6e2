"""The plain logic of ocelot load: schedule, markers, mix, histograms, merge, thresholds, lost counts."""

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocelot_cli.envelope.formats import is_uuid
from ocelot_cli.envelope.model import EnvelopeKind
from ocelot_cli.envelope.validate import EventValidator
from ocelot_cli.errors import InputError, UsageProblem
from ocelot_cli.load import assertions, stats
from ocelot_cli.load import report as reporting
from ocelot_cli.load.coordinator import count_lost
from ocelot_cli.load.plan import LoadPlan, event_id, marker, mix_cycle, parse_marker, parse_mix, parse_rate, run_hex
from ocelot_cli.load.pool import MessagePool


def test_schedule_is_an_open_model_shared_evenly_by_publishers():
    plan = LoadPlan(rate=1000, duration=2, warmup=1, publishers=3)
    counts = [plan.count_for(p) for p in range(3)]
    assert sum(counts) == 3000  # rate x (warm-up + duration), nothing more, nothing less
    times = sorted(plan.intended(p, s) for p in range(3) for s in range(counts[p]))
    assert times[0] == 0 and times[-1] < 3.0
    gaps = {round(b - a, 9) for a, b in zip(times, times[1:], strict=False)}
    assert gaps == {0.001}  # one message every millisecond, whichever publisher sends it


def test_the_rate_of_a_multi_machine_run_is_shared_by_its_workers():
    plan = LoadPlan(rate=9000, duration=1, workers=3)
    assert plan.local_rate == 3000 and plan.expected_total() == 3000


def test_markers_round_trip_and_foreign_ones_are_recognised():
    text = marker("run1.2.", 3, 41, 123456789)
    assert parse_marker(text, "run1.2.") == (3, 41, 123456789)
    assert parse_marker(text, "run1.1.") is None  # another worker's
    assert parse_marker("something-else", "run1.2.") is None


@given(st.integers(0, 2**16 - 1), st.integers(0, 4095), st.integers(0, 2**60 - 1))
def test_event_ids_are_uuids_and_unique(worker, pub, seq):
    text = event_id(run_hex("r"), worker, pub, seq)
    assert is_uuid(text)
    assert text != event_id(run_hex("r"), worker, pub, seq + 1)


def test_mix_parsing_and_its_errors(catalog):
    mix = parse_mix("call.ended=70,call.started=30", catalog, EnvelopeKind.PLATFORM)
    assert mix == [("call.ended", 70.0), ("call.started", 30.0)]
    cycle = mix_cycle(mix, seed=1)
    assert cycle.count("call.ended") == 700 and cycle.count("call.started") == 300
    with pytest.raises(UsageProblem, match="unknown event type 'call.endd'") as excinfo:
        parse_mix("call.endd=1", catalog, EnvelopeKind.PLATFORM)
    assert "call.ended" in excinfo.value.hint
    with pytest.raises(UsageProblem, match="real-time event"):
        parse_mix("task.updated", catalog, EnvelopeKind.PLATFORM)
    with pytest.raises(UsageProblem, match="weight of call.ended is not a number"):
        parse_mix("call.ended=lots", catalog, EnvelopeKind.PLATFORM)
    with pytest.raises(UsageProblem, match="above 0"):
        parse_mix("call.ended=0", catalog, EnvelopeKind.PLATFORM)
    assert {n for n, _ in parse_mix(None, catalog, EnvelopeKind.PLATFORM)} == {
        t.name for t in catalog if t.envelope is EnvelopeKind.PLATFORM
    }


def test_rate_parsing():
    assert parse_rate("5000") == 5000 and parse_rate("max") is None
    for bad in ("fast", "0", "-3", "nan"):
        with pytest.raises(UsageProblem, match="--rate"):
            parse_rate(bad)


def test_pool_messages_are_valid_padded_and_carry_id_and_marker(catalog):
    plan = LoadPlan(rate=100, duration=1, mix=[("call.ended", 1.0), ("sentiment.analyzed", 1.0)], size=2048)
    pool = MessagePool(plan, catalog)
    validator = EventValidator(catalog)
    ids = set()
    for seq in range(50):
        message = pool.message(0, seq, plan.intended(0, seq), 0)
        event = json.loads(message.body)
        assert validator.validate(event).ok
        assert len(message.body) == 2048
        assert event["id"] == message.properties["message_id"] == message.event_id
        assert message.routing_key == catalog.get(event["type"]).routing_key
        assert parse_marker(message.properties["correlation_id"], plan.marker_prefix())[:2] == (0, seq)
        ids.add(event["id"])
    assert len(ids) == 50


def test_size_smaller_than_an_event_is_refused_with_the_minimum(catalog):
    plan = LoadPlan(rate=100, duration=1, mix=[("call.ended", 1.0)], size=10)
    with pytest.raises(UsageProblem, match=r"--size 10: a call.ended event is already \d+ bytes"):
        MessagePool(plan, catalog)


def _hist(values):
    h = stats.new_histogram()
    for v in values:
        stats.record_ns(h, v * 1000)
    return h


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.integers(1, 5_000_000), min_size=1, max_size=200), min_size=1, max_size=5))
def test_merging_reports_adds_histograms_exactly(parts):
    """The merged report's histogram is the histogram of all values together (not averaged percentiles)."""
    reports = []
    for i, values in enumerate(parts):
        agg = stats.Aggregate()
        bucket = stats.Bucket()
        bucket.hists["end_to_end"] = _hist(values)
        bucket.counts.update(sent=len(values), acked=len(values), received=len(values))
        agg.add_delta(bucket.to_delta(0))
        reports.append((f"r{i}", reporting.build(agg, {"duration": 1, "target_rate": 10.0, "run_id": "x"})))
    merged = reporting.merge(reports)
    together = _hist([v for values in parts for v in values])
    assert merged["latency"]["end_to_end"] == stats.summary(together)
    assert merged["published"]["sent"] == sum(len(v) for v in parts)
    assert merged["target_rate"] == 10.0 * len(parts)
    again = reporting.aggregate_of(merged)
    assert again.totals["end_to_end"].get_total_count() == together.get_total_count()


def test_a_merge_of_something_else_is_refused_with_the_file_name():
    with pytest.raises(InputError, match="other.json: not an ocelot load report"):
        reporting.merge([("other.json", {"hello": 1})])


def test_warm_up_seconds_are_kept_out_of_the_totals_but_in_the_series():
    agg = stats.Aggregate(warmup=1)
    for second, latency in ((0, 900), (1, 5), (2, 7)):
        bucket = stats.Bucket()
        stats.record_ns(bucket.hist("end_to_end"), latency * 1_000_000)
        bucket.counts["sent"] = 1
        agg.add_delta(bucket.to_delta(second))
    report = reporting.build(agg, {"duration": 2, "warmup": 1})
    assert report["latency"]["end_to_end"]["count"] == 2
    assert report["latency"]["end_to_end"]["max_ms"] < 10
    assert [row["measured"] for row in report["series"]] == [False, True, True]
    assert report["published"]["rate"] == 1.0  # two measured seconds, one message each


@pytest.mark.parametrize(
    ("text", "report", "ok"),
    [
        ("p99<20ms", {"latency": {"end_to_end": {"p99_ms": 19.9}}}, True),
        ("p99<20ms", {"latency": {"end_to_end": {"p99_ms": 20.0}}}, False),
        ("p99 < 0.02s", {"latency": {"end_to_end": {"p99_ms": 19.9}}}, True),
        ("confirm.p99.9<=500us", {"latency": {"confirm": {"p99_9_ms": 0.5}}}, True),
        ("send_delay.max<5", {"latency": {"send_delay": {"max_ms": 6}}}, False),
        ("rate>=4900", {"published": {"rate": 4950.0}}, True),
        ("rate>=4900/s", {"published": {"rate": 4000.0}}, False),
        ("lost==0", {"lost": 0}, True),
        ("lost==0", {"lost": 3}, False),
        ("p99<20ms", {"latency": {}}, False),  # nothing measured is not a pass
    ],
)
def test_thresholds(text, report, ok):
    assert assertions.parse(text).check(report)["ok"] is ok


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("p99", "is not METRIC OP VALUE"),
        ("p42<3ms", "unknown metric 'p42'"),
        ("p99<3hours", "unknown unit"),
        ("lost==0ms", "takes no unit"),
    ],
)
def test_bad_thresholds_are_refused_before_the_run(text, message):
    with pytest.raises(UsageProblem, match=message):
        assertions.parse(text)


def test_lost_counts_confirmed_messages_no_receiver_group_got():
    states = {0: bytearray([1, 1, 1, 2, 1]), 1: bytearray([1, 1])}  # 2 = nacked: not expected anywhere
    shared = [{0: bytearray([1, 0, 0, 0, 0])}, {0: bytearray([0, 0, 1, 0, 0]), 1: bytearray([1, 1])}]
    assert count_lost(states, [shared]) == 2  # seq 1 and 4 of publisher 0
    per_connection = [[{0: bytearray([1, 1, 1, 0, 1]), 1: bytearray([1, 1])}], [{0: bytearray([1, 1, 1, 0, 1])}]]
    assert count_lost(states, per_connection) == 2  # the second connection missed both of publisher 1
    big = bytearray(random.Random(3).choice([0, 1]) for _ in range(100_000))
    assert count_lost({0: bytearray([1]) * 100_000}, [[{0: big}]]) == 100_000 - sum(big)
