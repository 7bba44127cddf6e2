"""Publishing OttoAI events to Redis pub/sub channels, against the real Redis on 127.0.0.1."""

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import redis

from ocelot_cli.envelope.catalog import load_catalog
from ocelot_cli.envelope.validate import EventValidator
from tests.cluster import free_port
from tests.integration.conftest import run_ocelot, wait_for

pytestmark = pytest.mark.integration
REDIS_URL = "redis://127.0.0.1:6379/0"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.fixture
def subscriber():
    """Subscribe to channels; collect what arrives, in order."""
    try:
        client = redis.Redis.from_url(REDIS_URL)
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is not reachable at 127.0.0.1:6379 ({exc}); .ci/run starts it", pytrace=False)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    received: list[tuple[str, dict]] = []

    def subscribe(*channels: str):
        pubsub.subscribe(*channels)
        wait_for(lambda: pubsub.get_message(timeout=0.05) is None and pubsub.subscribed, 5, "subscription")
        return received

    def drain(count: int, timeout: float = 20):
        def take():
            message = pubsub.get_message(timeout=0.05)
            if message:
                received.append((message["channel"].decode(), json.loads(message["data"])))
            return len(received) >= count

        wait_for(take, timeout, f"{count} messages")
        return received

    subscribe.drain = drain
    yield subscribe
    pubsub.close()
    client.close()


@pytest.fixture(scope="module")
def private_redis():
    """A Redis server of this module's own, on a free port, for what any other subscriber would change (a
    gateway someone runs on the shared Redis subscribes to every tenant's channel): its URL."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is not installed; .ci/run installs it", pytrace=False)
    port = free_port()
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)

    def answers() -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    try:
        wait_for(answers, 10, "the private Redis server")
        yield url
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:8]}"


def test_publish_reaches_every_channel_the_spec_lists(subscriber):
    t = tenant()
    subscriber(f"tenant:{t}:events", "lead:l-77:timeline", "user:u-5:tasks")
    result = run_ocelot("publish", "--to", REDIS_URL, "telephony.sms.sent", "--tenant", t, "--lead", "l-77",
                        "--user", "u-5")  # fmt: skip
    assert result.returncode == 0, result.stderr
    got = subscriber.drain(3)
    assert sorted(channel for channel, _ in got) == sorted([f"tenant:{t}:events", "lead:l-77:timeline",
                                                            "user:u-5:tasks"])  # fmt: skip
    event = got[0][1]
    assert event["tenant_id"] == t and event["event"] == "telephony.sms.sent"
    assert EventValidator(load_catalog(), strict=True).validate(event).violations == []
    assert b"received 3, no subscriber 0" in result.stderr


def test_nobody_listening_is_a_failure_not_a_silent_success(private_redis):
    result = run_ocelot("publish", "--to", private_redis, "task.updated", "--tenant", tenant())
    assert result.returncode == 8
    assert b"reached no subscriber" in result.stderr


def test_oversized_events_go_as_pointers_or_are_refused(subscriber):
    t = tenant()
    subscriber(f"tenant:{t}:events")
    big = "x" * 40_000
    args = ["publish", "--to", REDIS_URL, "telephony.sms.received", "--tenant", t, "--set", f"data.content={big}",
            "--channel", f"tenant:{t}:events"]  # fmt: skip
    refused = run_ocelot(*args, "--oversize", "refuse")
    assert refused.returncode == 2 and b"over the real-time limit of 32,768 bytes" in refused.stderr
    sent = run_ocelot(*args)
    assert sent.returncode == 0, sent.stderr
    [(_channel, pointer)] = subscriber.drain(1)
    assert pointer["data"]["_truncated"] is True and pointer["data"]["original_size"] > 40_000
    assert "message_id" in pointer["data"] and "content" not in pointer["data"]


def test_channel_names_are_checked_before_sending():
    result = run_ocelot("publish", "--to", REDIS_URL, "task.updated", "--channel", "tenant:*:events")
    assert result.returncode == 2 and b"not a channel name" in result.stderr


def test_a_platform_event_reaches_a_gateway_client_in_the_real_time_envelope(gateway, private_redis):
    # It used to go out in the platform envelope, which the gateway dropped as no tenant's. On a Redis of
    # its own: another gateway's subscription would let the publish below succeed before this one's.
    from ocelot_cli.gateway.auth import mint
    from tests.integration.conftest import SECRET

    server = gateway("--redis-url", private_redis)
    client = server.connect(token=mint(SECRET.encode(), tenant="org-rt", user="u1"))
    assert client.recv()["type"] == "welcome"
    assert client.subscribe("tenant:org-rt:events")["success"] is True

    def publish_once() -> bool:
        result = run_ocelot("publish", "--to", private_redis, "call.ended", "--org", "org-rt", "--set",
                            "data.call_id=call-rt-1")  # fmt: skip
        return result.returncode == 0  # exit 8 until the gateway's Redis subscription is up

    wait_for(publish_once, 20, "a subscriber on the channel")
    message = client.recv()
    assert (message["event"], message["tenant_id"], message["data"]["call_id"]) == ("call.ended", "org-rt", "call-rt-1")


def test_replay_of_an_ottoai_scenario_reaches_every_channel_in_order(subscriber):
    t = tenant()
    subscriber(f"tenant:{t}:events", "lead:lead-5521:timeline", "user:user-rep-12:tasks")
    result = run_ocelot("replay", str(FIXTURES / "ottoai" / "sms-thread.yaml"), "--to", REDIS_URL, "--no-delay",
                        "--tenant", t)  # fmt: skip
    assert result.returncode == 0, result.stderr
    got = subscriber.drain(10)  # 2 received (tenant, lead) + 2 sent (tenant, user, lead)
    timeline = [e["event"] for channel, e in got if channel == "lead:lead-5521:timeline"]
    assert timeline == ["telephony.sms.received", "telephony.sms.sent", "telephony.sms.sent", "telephony.sms.received"]
    assert [e["event"] for channel, e in got if channel.startswith("user:")] == ["telephony.sms.sent"] * 2
    assert {e["tenant_id"] for _, e in got} == {t}


def test_unreachable_redis_names_the_masked_url():
    result = run_ocelot("publish", "--to", "redis://:hunter22@127.0.0.1:1/0", "task.updated")
    assert result.returncode == 5
    assert b"cannot connect to Redis at redis://:****@127.0.0.1:1/0" in result.stderr
    assert b"hunter22" not in result.stderr + result.stdout


@pytest.mark.parametrize("database", ["99", "99999999999999999999"])
def test_a_redis_database_the_server_does_not_have_is_named_as_such(database):
    url = f"redis://127.0.0.1:6379/{database}"
    result = run_ocelot("publish", "--to", url, "task.updated", "--tenant", tenant())
    assert result.returncode == 2, result.stderr
    assert f"Redis at {url} has no such database".encode() in result.stderr


def test_a_file_event_that_has_no_channel_is_named_at_its_line_and_nothing_is_sent(private_redis, tmp_path):
    t = tenant()
    client = redis.Redis.from_url(private_redis)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.psubscribe("*")
    wait_for(lambda: pubsub.get_message(timeout=0.05) is None and pubsub.subscribed, 5, "subscription")
    good = json.loads(run_ocelot("catalog", "sample", "task.updated", "--tenant", t).stdout)
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(json.dumps(e) for e in [good, {**good, "event": "no.such.type"}, good]) + "\n")
    result = run_ocelot("publish", "-f", str(events), "--to", private_redis, "--no-validate")
    assert result.returncode == 1, result.stderr
    assert f"{events}:2: unknown event type 'no.such.type'".encode() in result.stderr, result.stderr
    assert b"nothing was sent" in result.stderr
    assert pubsub.get_message(timeout=0.5) is None  # not even the first line went out
    pubsub.close()
    client.close()
