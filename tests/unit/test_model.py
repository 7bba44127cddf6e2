import json

from hypothesis import given

from ocelot_cli.envelope.model import (
    EnvelopeKind,
    PlatformEvent,
    RealtimeEvent,
    detect_kind,
    parse_event,
    platform_to_realtime,
    realtime_to_platform,
    serialise,
)
from ocelot_cli.envelope.strategies import events

platform_events = events(envelope="platform")
realtime_events = events(envelope="realtime")


def test_detect_kind_tells_the_two_envelopes_apart():
    assert detect_kind({"id": "x", "type": "call.ended", "organizationId": "o"}) is EnvelopeKind.PLATFORM
    assert detect_kind({"event": "task.updated", "ts": "t", "tenant_id": "t"}) is EnvelopeKind.REALTIME
    assert detect_kind({"hello": 1}) is None
    assert detect_kind([1, 2]) is None


@given(platform_events)
def test_platform_event_parse_serialise_round_trips(event):
    parsed = parse_event(event)
    assert isinstance(parsed, PlatformEvent)
    assert json.loads(serialise(parsed)) == event


@given(realtime_events)
def test_realtime_event_parse_serialise_round_trips(event):
    parsed = parse_event(event)
    assert isinstance(parsed, RealtimeEvent)
    assert json.loads(serialise(parsed)) == event


def _with_optionals(event):
    # Conversion treats an absent optional field (trace_id, user_id, lead_id, key) as null.
    return {"trace_id": None, "user_id": None, "lead_id": None, "key": None, **event}


@given(realtime_events)
def test_realtime_to_platform_and_back_is_lossless(event):
    original = RealtimeEvent.from_dict(event)
    back = platform_to_realtime(realtime_to_platform(original)).to_dict()
    assert back == _with_optionals(original.to_dict())


@given(platform_events)
def test_platform_to_realtime_and_back_keeps_id_type_time_org_user_and_data(event):
    original = PlatformEvent.from_dict(event)
    back = realtime_to_platform(platform_to_realtime(original))
    assert (back.id, back.type, back.timestamp, back.organization_id, back.user_id, back.data) == (
        original.id, original.type, original.timestamp, original.organization_id, original.user_id, original.data
    )  # fmt: skip


def test_field_mapping_follows_the_documented_table():
    event = PlatformEvent(
        id="3fa85f64-5717-4562-b3fc-2c963f66afa6",
        type="call.ended",
        timestamp="2025-09-20T10:30:00.000Z",
        organization_id="org-1",
        user_id="user-9",
        data={"call_id": "c1", "lead_id": "lead-7"},
    )
    realtime = platform_to_realtime(event)
    assert realtime.event == "call.ended"
    assert realtime.ts == "2025-09-20T10:30:00.000Z"
    assert realtime.tenant_id == "org-1"
    assert realtime.user_id == "user-9"
    assert realtime.key == event.id
    assert realtime.trace_id == event.id
    assert realtime.lead_id == "lead-7"
    assert realtime.severity == "info"
    assert realtime.version == "1"


def test_converting_the_same_realtime_event_twice_gives_the_same_platform_id():
    event = RealtimeEvent(
        event="task.updated", tenant_id="t1", data={}, key="task.updated:task-1", ts="2025-09-20T10:30:00Z"
    )
    assert realtime_to_platform(event).id == realtime_to_platform(event).id


def test_unknown_top_level_fields_survive_parse_and_serialise():
    event = {"id": "i", "type": "call.ended", "source": "s", "timestamp": "t", "organizationId": "o",
             "userId": None, "data": {}, "metadata": {}, "x-extra": 1}  # fmt: skip
    assert json.loads(serialise(parse_event(event)))["x-extra"] == 1
