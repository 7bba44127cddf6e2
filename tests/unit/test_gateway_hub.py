import json

from ocelot_cli.gateway.hub import Hub, Limits


def test_rate_limit_window_slides():
    hub = Hub(Limits(subscribe_ops=2, subscribe_window=10))
    client = hub.join("t1", "u1", lambda _t: True)
    ok = [hub.control(client, {"type": "subscribe", "channel": f"lead:{n}:timeline"}, now=n)["type"] for n in (0, 1)]
    assert ok == ["subscribe_result"] * 2
    refused = hub.control(client, {"type": "subscribe", "channel": "lead:x:timeline"}, now=5)
    assert refused["code"] == "rate_limited" and refused["retry_after"] == 5
    assert hub.control(client, {"type": "subscribe", "channel": "lead:y:timeline"}, now=10)["success"] is True


def test_full_buffers_drop_and_the_connection_is_told_how_many():
    hub = Hub(Limits(buffer=2))
    room = [True, True, False, False]
    client = hub.join("t1", "u1", lambda _t: room.pop(0))
    hub.control(client, {"type": "subscribe", "channel": "tenant:t1:events"})
    event = json.dumps({"event": "task.updated", "tenant_id": "t1", "data": {}})
    assert [hub.publish("tenant:t1:events", event) for _ in range(4)] == [1, 1, 0, 0]
    notice = json.loads(hub.dropped_notice(client))
    assert notice["event"] == "system.buffer_dropped"
    assert notice["data"] == {"reason": "Queue overflow", "max_size": 2, "dropped_count": 2}
    assert hub.dropped_notice(client) is None and hub.metrics.dropped["buffer_overflow"] == 2


def test_events_of_another_tenant_are_never_delivered_whatever_the_subscription():
    hub = Hub()
    got = []
    client = hub.join("t1", "u1", lambda text: got.append(text) or True)
    hub.control(client, {"type": "subscribe", "channel": "lead:L:timeline"})
    assert hub.publish("lead:L:timeline", json.dumps({"tenant_id": "t2", "data": {}})) == 0
    assert hub.publish("lead:L:timeline", json.dumps({"tenant_id": "t1", "data": {}})) == 1
    assert len(got) == 1 and hub.metrics.dropped["tenant_mismatch"] == 1


def test_a_channel_nobody_listens_on_is_forgotten_and_names_are_bounded():
    hub = Hub(Limits(max_channel_length=60, max_channels=3, subscribe_ops=10_000))
    client = hub.join("t1", "u1", lambda _t: True)
    for n in range(200):  # unique names subscribed and dropped again: nothing accumulates
        name = f"lead:{n:040d}:timeline"
        assert hub.control(client, {"type": "subscribe", "channel": name}, now=n)["success"] is True
        assert hub.control(client, {"type": "unsubscribe", "channel": name}, now=n)["success"] is True
    assert hub.by_channel == {} and client.channels == set()
    long = hub.control(client, {"type": "subscribe", "channel": "lead:" + "x" * 60_000 + ":timeline"}, now=300)
    assert long["success"] is False and "longer than 60" in long["reason"] and len(long["channel"]) == 60
    for n in range(3):
        hub.control(client, {"type": "subscribe", "channel": f"lead:{n}:timeline"}, now=400)
    fourth = hub.control(client, {"type": "subscribe", "channel": "lead:9:timeline"}, now=400)
    assert fourth["success"] is False and "at most 3" in fourth["reason"]
    hub.leave(client)
    assert hub.by_channel == {}


def test_messages_no_reader_can_parse_are_counted_and_dropped():
    hub = Hub()
    got = []
    client = hub.join("t1", "u1", lambda text: got.append(text) or True)
    hub.control(client, {"type": "subscribe", "channel": "tenant:t1:events"})
    for hostile in (b"[" * 200_000, b"\xff\xfe", b"not json", "{" * 5000):
        assert hub.publish("tenant:t1:events", hostile) == 0
    assert hub.publish("tenant:t1:events", json.dumps({"tenant_id": "t1", "data": {}})) == 1
    assert len(got) == 1 and hub.metrics.dropped["not_json"] == 4


def test_metrics_name_tenants_only_when_asked():
    hub = Hub()
    hub.join("secret-tenant", "u1", lambda _t: True)
    plain = hub.metrics.render(hub.clients)
    assert "secret-tenant" not in plain and "ws_connections 1" in plain
    assert 'ws_connections{tenant_id="secret-tenant"} 1' in hub.metrics.render(hub.clients, tenant_labels=True)


def test_frames_read_in_both_dialects_the_hubs_and_ocelots():
    from ocelot_cli.gateway.hub import Hub, Limits

    hub = Hub(Limits(subscribe_ops=1, subscribe_window=10.0))
    client = hub.join("t1", "u1", lambda _text: True)
    welcome = hub.welcome(client)
    assert {"connection_id", "tenant_id", "user_id", "ts"} <= set(welcome) and welcome["ts"].endswith("Z")
    assert hub.control(client, {"type": "ping"}, now=0.0)["type"] == "pong"
    assert {"channel", "success", "ts"} <= set(hub.control(client, {"type": "subscribe", "channel": "tenant:t1:events"},
                                                           now=0.0))  # fmt: skip
    limited = hub.control(client, {"type": "subscribe", "channel": "user:u1:tasks"}, now=0.5)
    assert (limited["error"], limited["code"]) == ("rate_limited", "rate_limited")
    assert isinstance(limited["retry_after"], int) and limited["retry_after"] == 10  # whole seconds, as hubs send
    assert 9.0 < limited["retry_after_s"] <= 9.5
    assert hub.control(client, "not an object")["error"] == "invalid_json"
