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
