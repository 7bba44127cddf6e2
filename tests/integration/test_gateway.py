"""The reference gateway as a real server: real WebSocket clients, real Redis behind it."""

import json
import re
import time

import pytest
import redis
import websocket

from ocelot_cli.gateway.auth import mint
from tests.integration.conftest import REDIS_URL, SECRET, event_for, redis_publish, wait_for

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "token",
    ["", "not-a-jwt", mint(SECRET.encode(), tenant="t1", user="u1", ttl=-5), mint(b"x" * 40, tenant="t1", user="u1")],
    ids=["missing", "garbage", "expired", "wrong-secret"],
)
def test_only_a_valid_signed_token_opens_a_connection(gateway, token):
    server = gateway()  # as the hub: HTTP 403 before the upgrade, with the reason
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        server.connect(token=token)
    assert refused.value.status_code == 403 and refused.value.resp_body.startswith(b"unauthorized")
    closing = gateway("--auth-failure", "close1008")  # or the upgrade, then a policy-violation close
    code, reason = closing.connect(token=token).close_code()
    assert code == 1008 and reason.startswith("unauthorized")


def test_welcome_names_the_tenant_and_user_from_the_token(gateway):
    welcome = gateway().connect(tenant="acme", user="dana").recv()
    assert (welcome["type"], welcome["tenant_id"], welcome["user_id"]) == ("welcome", "acme", "dana")


def test_a_connection_may_subscribe_to_its_tenant_its_user_and_leads_only(gateway):
    client = gateway().connect(tenant="t1", user="u1")
    client.recv()
    channels = ("tenant:t1:events", "user:u1:tasks", "lead:L-1:timeline", "tenant:t2:events", "user:u2:tasks",
                "tenant:*:events")  # fmt: skip
    outcomes = {ch: client.subscribe(ch) for ch in channels}
    assert [outcomes[c]["success"] for c in outcomes] == [True, True, True, False, False, False]
    assert outcomes["tenant:t2:events"]["reason"] == "forbidden: not your tenant"
    assert outcomes["tenant:*:events"]["reason"].startswith("invalid channel")


def test_subscribe_operations_are_rate_limited(gateway):
    client = gateway("--subscribe-limit", "3").connect()
    client.recv()
    for n in range(3):
        assert client.subscribe(f"lead:L-{n}:timeline")["success"] is True
    refused = client.subscribe("lead:L-9:timeline")
    assert refused["type"] == "error" and refused["code"] == "rate_limited" and refused["retry_after"] > 0


def test_events_reach_subscribers_and_never_another_tenant(gateway):
    server = gateway()
    first, second = server.connect(tenant="t1", user="a"), server.connect(tenant="t2", user="b")
    first.recv(), second.recv()
    for client in (first, second):
        assert client.subscribe("lead:shared-lead:timeline")["success"] is True
    wait_for(lambda: redis_publish("lead:shared-lead:timeline", event_for("t1", task_id="for-t1")) > 0, 10,
             "the gateway's Redis subscription")  # fmt: skip
    assert first.recv()["data"]["task_id"] == "for-t1"
    redis_publish("lead:shared-lead:timeline", event_for("t2", task_id="for-t2"))
    redis_publish("lead:shared-lead:timeline", event_for("t1", task_id="marker-t1"))
    assert second.recv()["data"]["task_id"] == "for-t2"  # t2's first event is its own, not t1's
    assert first.recv()["data"]["task_id"] == "marker-t1"  # t1 never got t2's event, which came before


def test_heartbeat_pings_and_a_silent_connection_is_closed_as_stale(gateway):
    server = gateway()
    silent, lively = server.connect(), server.connect()
    silent.recv(), lively.recv()
    ping = lively.recv(skip_pings=False)
    assert ping["type"] == "ping" and ping["ts"].endswith("Z")
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:
        message = lively.recv(skip_pings=False)
        if message["type"] == "ping":
            lively.ws.send('{"type":"pong"}')
    code, reason = silent.close_code()
    assert code == 1001 and reason.startswith("stale")
    lively.ws.send(json.dumps({"type": "subscribe", "channel": "tenant:t1:events"}))
    assert lively.recv()["success"] is True  # still open after more than the stale time


def test_messages_over_32_kb_arrive_as_pointers(gateway):
    client = gateway().connect(tenant="t1")
    client.recv()
    client.subscribe("tenant:t1:events")
    big = event_for("t1", "telephony.sms.received", content="x" * 40_000)
    wait_for(lambda: redis_publish("tenant:t1:events", big) > 0, 10, "the gateway's Redis subscription")
    pointer = client.recv()
    assert pointer["event"] == "telephony.sms.received" and pointer["data"]["_truncated"] is True
    assert pointer["data"]["original_size"] > 40_000 and pointer["data"]["message_id"] == big["data"]["message_id"]


def test_a_slow_client_loses_messages_and_is_told_how_many(gateway):
    # this client reads nothing for a while and answers no ping: a stale time that is not raced by the burst
    client = gateway("--buffer", "5", "--stale-after", "60s").connect(tenant="t1")
    client.recv()
    client.subscribe("tenant:t1:events")
    wait_for(lambda: redis_publish("tenant:t1:events", event_for("t1")) > 0, 10, "the subscription")
    client.recv()
    payload = json.dumps(event_for("t1", task_id="x" * 2000))
    sender = redis.Redis.from_url(REDIS_URL)
    pipe = sender.pipeline(transaction=False)
    total = 6000
    for _ in range(total):
        pipe.publish("tenant:t1:events", payload)
    pipe.execute()
    sender.close()
    received, dropped = 0, 0
    client.ws.settimeout(3)
    try:
        while received + dropped < total:
            message = client.recv()
            if message.get("event") == "system.buffer_dropped":
                assert message["data"]["reason"] == "Queue overflow" and message["data"]["max_size"] == 5
                dropped += message["data"]["dropped_count"]
            else:
                received += 1
    except websocket.WebSocketTimeoutException:
        pass
    assert dropped > 0 and received + dropped == total


def test_ready_and_metrics(gateway):
    server = gateway("--metrics-tenant-labels")
    # ready once its Redis subscription is up (it says 503 until then): wait for it, do not race it
    wait_for(lambda: server.http("/ready") == (200, "ready\n"), 10, "the gateway to be ready")
    client = server.connect(tenant="t9")
    client.recv()
    client.subscribe("tenant:t9:events")
    wait_for(lambda: redis_publish("tenant:t9:events", event_for("t9")) > 0, 10, "the subscription")
    client.recv()
    assert server.http("/metrics")[0] == 401  # tenant ids are not for anyone who asks
    status, text = server.http("/metrics", token=mint(SECRET.encode(), tenant="ops", user="prometheus"))
    assert status == 200
    assert 'ws_connections{tenant_id="t9"} 1' in text
    assert 'ws_subscriptions_total{channel="tenant"} 1' in text
    assert re.search(r'ws_messages_sent_total\{channel="tenant"\} [1-9]', text)
    assert "# TYPE ws_messages_dropped_total counter" in text
    assert server.http("/nope")[0] == 404


def test_not_ready_while_redis_is_unreachable(gateway):
    server = gateway("--redis-url", "redis://127.0.0.1:1/0")
    assert server.http("/ready")[0] == 503
    wait_for(lambda: "Redis at redis://127.0.0.1:1/0 unavailable" in server.running.stderr, 10, "the warning")
