from pathlib import Path

import pytest

from ocelot_cli.envelope.validate import EventValidator
from ocelot_cli.formats import safe_yaml
from ocelot_cli.formats.scenarios import expand

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def load(text):
    [doc] = list(safe_yaml.load_documents(text, with_lines=True))
    return doc.value, doc.lines


def run(text, catalog, **kw):
    value, lines = load(text)
    return expand(value, lines, catalog, start=1_760_000_000.0, **kw)


def test_steps_become_events_with_cumulative_offsets_and_variables(catalog):
    result = run(
        """\
defaults: {org: org-1, user: u-1}
vars: {call_id: call-9, rate: 0.75}
steps:
  - type: call.started
    set: {data.call_id: "${call_id}"}
  - after: 2s
    type: call.transcribed
    repeat: 3
    set: {data.call_id: "${call_id}", data.transcript: "chunk ${i}", data.confidence: "${rate}"}
  - after: 500ms
    type: call.ended
    set: {data.call_id: "${call_id}"}
""",
        catalog,
    )
    assert result.problems == []
    assert [(e.event["type"], e.offset, e.line) for e in result.events] == [
        ("call.started", 0.0, 4), ("call.transcribed", 2.0, 6), ("call.transcribed", 4.0, 6),
        ("call.transcribed", 6.0, 6), ("call.ended", 6.5, 10),
    ]  # fmt: skip
    transcripts = [e.event["data"]["transcript"] for e in result.events[1:4]]
    assert transcripts == ["chunk 0", "chunk 1", "chunk 2"]
    assert result.events[1].event["data"]["confidence"] == 0.75  # a whole ${var} keeps its type
    assert {e.event["organizationId"] for e in result.events} == {"org-1"}
    assert {e.event["data"]["call_id"] for e in result.events} == {"call-9"}


def test_event_times_follow_the_offsets(catalog):
    result = run("steps:\n  - type: call.started\n  - after: 90s\n    type: call.ended\n", catalog)
    first, second = (e.event["timestamp"] for e in result.events)
    assert first.startswith("2025-10-09T08:53:20") and second.startswith("2025-10-09T08:54:50")


def test_every_problem_is_reported_with_its_line(catalog):
    result = run(
        """\
scenario: x
colour: red
steps:
  - type: call.endd
  - after: soon
    type: call.ended
  - type: call.ended
    event: {}
  - type: call.ended
    set: {data.call_id: "${missing}"}
  - after: 1s
    type: call.ended
    repeat: 0
""",
        catalog,
    )
    problems = [(p.line, p.message.split(";")[0].split(" (")[0]) for p in result.problems]
    assert problems == [
        (2, "unknown scenario key 'colour'"),
        (4, "unknown event type 'call.endd'"),
        (5, "after 'soon' is not a duration"),
        (7, "a step needs exactly one of 'type'"),
        (9, "unknown variable(s) ${missing}"),
        (13, "'repeat' must be a positive integer"),
    ]


def test_whole_event_steps_are_taken_as_written(catalog):
    result = run(
        """\
vars: {org: org-z}
steps:
  - event: {id: 3fa85f64-5717-4562-b3fc-2c963f66afa6, type: call.ended, source: s, timestamp: "2025-09-20T10:30:00Z",
            organizationId: "${org}", userId: null, metadata: {version: 1.0.0, module: m},
            data: {call_id: c, duration: 1, outcome: failed, transcript: null}}
    routing_key: comms.custom
""",
        catalog,
    )
    [event] = result.events
    assert event.event["organizationId"] == "org-z" and event.routing_key == "comms.custom"
    assert event.event["timestamp"] == "2025-09-20T10:30:00Z"


def test_seed_makes_scenarios_repeatable(catalog):
    text = "seed: 4\nsteps:\n  - type: call.ended\n"
    assert run(text, catalog).events[0].event == run(text, catalog).events[0].event
    unseeded = "steps:\n  - type: call.ended\n"
    assert run(unseeded, catalog).events[0].event["id"] != run(unseeded, catalog).events[0].event["id"]


@pytest.mark.parametrize("path", sorted(FIXTURES.rglob("*.yaml")), ids=lambda p: p.name)
def test_every_fixture_scenario_expands_to_strictly_valid_events(catalog, path):
    value, lines = load(path.read_text())
    result = expand(value, lines, catalog, start=1_760_000_000.0)
    assert result.problems == []
    validator = EventValidator(catalog, strict=True)
    assert all(validator.validate(e.event).violations == [] for e in result.events)


def test_campaign_fixture_counts_agree_with_its_calls(catalog):
    value, lines = load((FIXTURES / "campaign.yaml").read_text())
    events = [e.event for e in expand(value, lines, catalog, start=0.0).events]
    ended = [e["data"] for e in events if e["type"] == "call.ended"]
    [done] = [e["data"] for e in events if e["type"] == "campaign.completed"]
    successful = sum(1 for d in ended if d["outcome"] in ("completed", "callback_requested"))
    assert done["total_calls"] == len(ended) == len([e for e in events if e["type"] == "call.started"])
    assert (done["successful_calls"], done["failed_calls"]) == (successful, len(ended) - successful)
    assert done["success_rate"] == pytest.approx(successful / len(ended), abs=1e-4)
