import pytest

from ocelot_cli.envelope.paths import parse_assignment
from ocelot_cli.envelope.samples import SampleFactory, SampleOptions, make_sample
from ocelot_cli.envelope.validate import EventValidator
from ocelot_cli.errors import UnknownEventType


def test_same_seed_gives_identical_events_timestamps_included(catalog):
    first = [SampleFactory(catalog, SampleOptions(seed=42)).make(n) for n in catalog.names()]
    second = [SampleFactory(catalog, SampleOptions(seed=42)).make(n) for n in catalog.names()]
    assert first == second
    third = [SampleFactory(catalog, SampleOptions(seed=43)).make(n) for n in catalog.names()]
    assert third != first


def test_without_seed_events_get_fresh_ids_and_current_times(catalog):
    a, b = make_sample(catalog, "call.ended"), make_sample(catalog, "call.ended")
    assert a["id"] != b["id"]
    assert a["timestamp"][:4] >= "2026"


def test_overrides_are_typed_by_the_schema(catalog):
    texts = ("data.outcome=callback_requested", "data.duration=180", "data.call_id=123", "data.transcript=null")
    options = SampleOptions(seed=1, assignments=[parse_assignment(a) for a in texts])
    event = make_sample(catalog, "call.ended", options)
    assert event["data"] == {"call_id": "123", "duration": 180, "outcome": "callback_requested", "transcript": None}


def test_json_assignment_sets_raw_json(catalog):
    options = SampleOptions(seed=1, assignments=[parse_assignment('data.keywords:=["refund", "manager"]')])
    assert make_sample(catalog, "sentiment.analyzed", options)["data"]["keywords"] == ["refund", "manager"]


def test_org_user_tenant_and_lead_options_land_in_the_envelope(catalog):
    options = SampleOptions(seed=1, org="org-1", user="user-9", tenant="t1", lead="lead-7")
    platform = make_sample(catalog, "call.ended", options)
    assert (platform["organizationId"], platform["userId"]) == ("org-1", "user-9")
    realtime = make_sample(catalog, "telephony.sms.received", options)
    assert (realtime["tenant_id"], realtime["user_id"], realtime["lead_id"]) == ("t1", "user-9", "lead-7")
    assert realtime["data"]["lead_id"] == "lead-7"


def test_org_alone_sets_the_tenant_too(catalog):
    event = make_sample(catalog, "task.updated", SampleOptions(org="acme"))
    assert event["tenant_id"] == "acme"


@pytest.mark.parametrize("seed", range(20))
def test_campaign_counts_add_up_and_success_rate_agrees(catalog, seed):
    data = make_sample(catalog, "campaign.completed", SampleOptions(seed=seed))["data"]
    assert data["successful_calls"] + data["failed_calls"] == data["total_calls"]
    assert data["success_rate"] == pytest.approx(data["successful_calls"] / data["total_calls"], abs=1e-4)


def test_campaign_rule_follows_a_user_set_total(catalog):
    options = SampleOptions(seed=1, assignments=[parse_assignment("data.total_calls=10")])
    data = make_sample(catalog, "campaign.completed", options)["data"]
    assert data["total_calls"] == 10 and data["successful_calls"] + data["failed_calls"] == 10


@pytest.mark.parametrize(
    ("mood", "low", "high"), [("negative", -1, -0.5), ("neutral", -0.3, 0.3), ("positive", 0.3, 1)]
)
def test_sentiment_score_agrees_with_the_sentiment(catalog, mood, low, high):
    options = SampleOptions(seed=1, assignments=[parse_assignment(f"data.sentiment={mood}")])
    data = make_sample(catalog, "sentiment.analyzed", options)["data"]
    assert low <= data["score"] <= high


def test_callback_requested_sample_has_a_matching_transcript(catalog):
    options = SampleOptions(seed=1, assignments=[parse_assignment("data.outcome=callback_requested")])
    assert "callback" in make_sample(catalog, "call.ended", options)["data"]["transcript"]


def test_overrides_that_break_the_schema_give_an_invalid_event_not_a_crash(catalog):
    options = SampleOptions(seed=1, assignments=[parse_assignment("data.outcome=maybe")])
    event = make_sample(catalog, "call.ended", options)
    assert not EventValidator(catalog).validate(event).ok


def test_platform_type_can_be_sampled_in_the_realtime_envelope_only_if_allowed(catalog):
    from ocelot_cli.envelope.model import EnvelopeKind

    event = make_sample(catalog, "call.ended", SampleOptions(seed=1, envelope=EnvelopeKind.REALTIME))
    assert event["event"] == "call.ended" and "tenant_id" in event


def test_unknown_type_raises_with_suggestion(catalog):
    with pytest.raises(UnknownEventType, match="call.ended"):
        make_sample(catalog, "call.ende")
