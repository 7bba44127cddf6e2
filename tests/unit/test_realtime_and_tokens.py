import json
import time

import pytest

from ocelot_cli.envelope.channels import MAX_MESSAGE_BYTES, Oversize, check_channel, is_pointer, pointer_for
from ocelot_cli.envelope.samples import SampleFactory, SampleOptions
from ocelot_cli.errors import ConfigError, UsageProblem
from ocelot_cli.gateway.auth import load_secret, mint, verify
from ocelot_cli.publishing.channels import fan_out
from ocelot_cli.publishing.messages import build_message

SECRET = b"s" * 32


@pytest.mark.parametrize("name", ["tenant:t1:events", "user:u-9:tasks", "lead:CAL123:timeline"])
def test_exact_channel_names_are_accepted(name):
    assert check_channel(name) == name


@pytest.mark.parametrize("name", ["tenant:*:events", "tenant:t1:events:x", "tenant:t1", "user:u1:events",
                                  "lead::timeline", "tenant:t 1:events", " tenant:t1:events"])  # fmt: skip
def test_wildcards_and_malformed_channels_are_refused(name):
    with pytest.raises(UsageProblem, match="not a channel name"):
        check_channel(name)


def test_pointer_keeps_ids_and_the_original_size():
    event = {"event": "telephony.sms.received", "tenant_id": "t", "data": {"message_id": "SM1", "lead_id": "l1",
                                                                            "content": "x" * 10}}  # fmt: skip
    pointer = pointer_for(event, 40000)
    assert pointer["data"] == {"_truncated": True, "original_size": 40000, "message_id": "SM1", "lead_id": "l1"}
    assert pointer["event"] == "telephony.sms.received" and is_pointer(pointer) and not is_pointer(event)


def messages_for(catalog, **set_data):
    factory = SampleFactory(catalog, SampleOptions(seed=1, tenant="t1", lead="l1"))
    event = factory.make("telephony.sms.sent")
    event["data"].update(set_data)
    return iter([build_message(event, exchange="", catalog=catalog, for_channels=True)])


def test_fan_out_sends_to_every_channel_of_the_spec(catalog):
    out = list(fan_out(messages_for(catalog), catalog))
    assert [m.channel for m in out] == ["tenant:t1:events", f"user:{json.loads(out[0].body)['user_id']}:tasks",
                                        "lead:l1:timeline"]  # fmt: skip
    assert len({m.body for m in out}) == 1


def test_oversized_events_become_pointers_or_are_refused(catalog):
    big = "x" * (MAX_MESSAGE_BYTES + 10)
    [first, *_] = list(fan_out(messages_for(catalog, content=big), catalog))
    pointer = json.loads(first.body)
    assert is_pointer(pointer) and pointer["data"]["original_size"] > MAX_MESSAGE_BYTES
    assert len(first.body) < 1000
    with pytest.raises(UsageProblem, match="over the real-time limit of 32,768 bytes"):
        list(fan_out(messages_for(catalog, content=big), catalog, oversize=Oversize.refuse))


def test_platform_events_go_converted_to_their_tenant_and_direct_only_types_need_a_channel(catalog):
    factory = SampleFactory(catalog, SampleOptions(seed=1, org="org-9"))
    event = factory.make("call.ended")
    event["metadata"]["lead_id"] = "lead-3"
    platform = build_message(event, exchange="", catalog=catalog, for_channels=True)
    sent = list(fan_out(iter([platform]), catalog))
    assert [m.channel for m in sent] == ["tenant:org-9:events", "lead:lead-3:timeline"]
    delivered = json.loads(sent[0].body)  # the documented mapping, as the gateway's bridge sends it
    assert (delivered["event"], delivered["tenant_id"], delivered["key"]) == ("call.ended", "org-9", event["id"])
    assert delivered["data"] == event["data"] and "organizationId" not in delivered
    dropped = build_message(factory.make("system.buffer_dropped"), exchange="", catalog=catalog, for_channels=True)
    with pytest.raises(UsageProblem, match="has no channel"):
        list(fan_out(iter([dropped]), catalog))
    assert [m.channel for m in fan_out(iter([dropped]), catalog, channels=["user:u1:tasks"])] == ["user:u1:tasks"]


def test_tokens_round_trip_and_carry_tenant_and_user():
    claims = verify(mint(SECRET, tenant="t1", user="u1", role="rep"), SECRET)
    assert (claims["tenant_id"], claims["sub"], claims["role"]) == ("t1", "u1", "rep")
    assert claims["exp"] > time.time()


@pytest.mark.parametrize(
    ("token", "says"),
    [(mint(SECRET, tenant="t1", user="u1", ttl=-10), "expired"), (mint(b"o" * 32, tenant="t1", user="u1"), "Signature"),
     ("not.a.token", "Invalid header|Not enough segments|decode")],
)  # fmt: skip
def test_bad_tokens_are_refused(token, says):
    with pytest.raises(ValueError, match=says):
        verify(token, SECRET)


def test_secret_comes_from_env_or_file_and_must_be_long_enough(tmp_path, monkeypatch):
    monkeypatch.delenv("OCELOT_JWT_SECRET", raising=False)
    with pytest.raises(ConfigError, match="no JWT secret"):
        load_secret()
    monkeypatch.setenv("OCELOT_JWT_SECRET", "short")
    with pytest.raises(ConfigError, match="at least 32"):
        load_secret()
    path = tmp_path / "secret"
    path.write_text("k" * 40 + "\n")
    assert load_secret(str(path)) == b"k" * 40


def test_bridge_converts_platform_events_to_the_tenant_channel(catalog):
    from ocelot_cli.gateway.bridge import bridge

    platform = SampleFactory(catalog, SampleOptions(seed=2, org="org-x")).make("call.ended")
    [(channel, body)] = bridge(json.dumps(platform).encode(), catalog)
    event = json.loads(body)
    assert channel == "tenant:org-x:events"
    assert (event["event"], event["tenant_id"], event["key"], event["data"]) == (
        "call.ended", "org-x", platform["id"], platform["data"]
    )  # fmt: skip
    realtime = SampleFactory(catalog, SampleOptions(seed=2, tenant="t1", lead="l1")).make("telephony.sms.received")
    assert [c for c, _ in bridge(json.dumps(realtime).encode(), catalog)] == ["tenant:t1:events", "lead:l1:timeline"]
    assert bridge(b"not json", catalog) == [] and bridge(b'{"hello": 1}', catalog) == []
