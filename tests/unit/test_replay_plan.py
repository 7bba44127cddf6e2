"""The replay plan without a broker: what would be sent, when, and with which rewrites."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocelot_cli.envelope import formats
from ocelot_cli.envelope.codec import dump_compact
from ocelot_cli.envelope.paths import parse_assignment
from ocelot_cli.envelope.strategies import events
from ocelot_cli.formats.recording import body_of, make_record
from ocelot_cli.publishing.messages import amqp_properties
from ocelot_cli.publishing.replay import ReplayOptions, ReplayPlan

BASE = datetime(2025, 9, 20, 10, 30, tzinfo=UTC)
platform_events = events(envelope="platform")


def recording_file(path, batch, gaps):
    """Write a recording of ``batch`` received with the given gaps (seconds)."""
    lines, moment = [], BASE
    for event, gap in zip(batch, gaps, strict=True):
        moment += timedelta(seconds=gap)
        body = dump_compact(event)
        lines.append(json.dumps(make_record(received_at=formats.format_timestamp(moment), body=body,
                                            exchange="ocelot.events", routing_key=f"comms.{event['type']}",
                                            properties=amqp_properties(event))))  # fmt: skip
    path.write_text("\n".join(lines) + "\n")
    return [json.loads(line) for line in lines]


gaps_strategy = st.lists(st.integers(min_value=0, max_value=5000).map(lambda ms: ms / 1000), min_size=1, max_size=6)


@settings(max_examples=40)
@given(data=st.data(), gaps=gaps_strategy)
def test_a_recording_replays_byte_for_byte_with_its_gaps(tmp_path_factory, catalog, data, gaps):
    batch = data.draw(st.lists(platform_events, min_size=len(gaps), max_size=len(gaps)))
    path = tmp_path_factory.mktemp("rec") / "recorded.jsonl"
    records = recording_file(path, batch, [0.0, *gaps[1:]])
    messages = list(ReplayPlan([str(path)], catalog, ReplayOptions(), exchange="ocelot.events").messages())
    assert [m.body for m in messages] == [body_of(r) for r in records]
    assert [m.routing_key for m in messages] == [r["routing_key"] for r in records]
    assert [m.properties for m in messages] == [r["properties"] for r in records]
    expected = [0.0]
    for gap in gaps[1:]:
        expected.append(expected[-1] + gap)
    assert [m.due for m in messages] == pytest.approx(expected, abs=2e-3)


@settings(max_examples=30)
@given(data=st.data(), gaps=gaps_strategy, speed=st.sampled_from([0.5, 2.0, 10.0]))
def test_rewrites_change_only_what_was_asked_and_keep_the_timing(tmp_path_factory, catalog, data, gaps, speed):
    batch = data.draw(st.lists(platform_events, min_size=len(gaps), max_size=len(gaps)))
    path = tmp_path_factory.mktemp("rec") / "recorded.jsonl"
    recording_file(path, batch, [0.0, *gaps[1:]])
    plain = list(ReplayPlan([str(path)], catalog, ReplayOptions(speed=speed), exchange="x").messages())
    options = ReplayOptions(speed=speed, fresh_ids=True, now=True, org="org-new",
                            assignments=[parse_assignment("metadata.module=replayed")])  # fmt: skip
    plan = ReplayPlan([str(path)], catalog, options, exchange="x")
    rewritten = list(plan.messages())
    assert [m.due for m in rewritten] == pytest.approx([m.due for m in plain])
    before = [json.loads(m.body) for m in plain]
    after = [json.loads(m.body) for m in rewritten]
    for old, new, message in zip(before, after, rewritten, strict=True):
        assert new["id"] != old["id"] and message.properties["message_id"] == new["id"]
        assert new["organizationId"] == "org-new" and message.properties["headers"]["organizationId"] == "org-new"
        assert new["metadata"]["module"] == "replayed"
        assert new["data"] == old["data"] and new["type"] == old["type"] and new["userId"] == old["userId"]
    times = [formats.parse_iso_datetime(e["timestamp"]).timestamp() for e in after]
    old_times = [formats.parse_iso_datetime(e["timestamp"]).timestamp() for e in before]
    # Moved to the present and, under --speed, as much closer together as the sends: each event
    # keeps its own distance from the moment it was received, and the moments are scaled.
    offsets = [sum([0.0, *gaps[1:]][: i + 1]) for i in range(len(gaps))]
    expected = [(b - old_times[0]) - offset * (1 - 1 / speed) for b, offset in zip(old_times, offsets, strict=True)]
    assert [b - times[0] for b in times] == pytest.approx(expected, abs=2e-3)
    assert abs(times[0] - plan.start) < 0.01


def test_speed_no_delay_rate_loop_and_resume(tmp_path, catalog):
    path = tmp_path / "r.jsonl"
    from ocelot_cli.envelope.samples import SampleFactory, SampleOptions

    factory = SampleFactory(catalog, SampleOptions(seed=1))
    recording_file(path, [factory.make("call.ended") for _ in range(4)], [0.0, 1.0, 2.0, 3.0])

    def dues(**kw):
        return [m.due for m in ReplayPlan([str(path)], catalog, ReplayOptions(**kw), exchange="x").messages()]

    assert dues() == pytest.approx([0, 1, 3, 6], abs=2e-3)
    assert dues(speed=10) == pytest.approx([0, 0.1, 0.3, 0.6], abs=2e-3)
    assert dues(no_delay=True) == [0, 0, 0, 0]
    assert dues(rate=4) == pytest.approx([0, 0.25, 0.5, 0.75])
    assert dues(loop=2) == pytest.approx([0, 1, 3, 6, 8, 9, 11, 14], abs=2e-3)
    assert dues(loop=2, resume_from=5) == pytest.approx([0, 2, 5], abs=2e-3)
    seqs = [m.seq for m in ReplayPlan([str(path)], catalog, ReplayOptions(loop=2, resume_from=5),
                                      exchange="x").messages()]  # fmt: skip
    assert seqs == [5, 6, 7]
