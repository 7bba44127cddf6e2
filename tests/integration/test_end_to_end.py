"""ocelot publish (AMQP and Redis) -> ocelot gateway -> ocelot tail ws://, all real."""

import json

import pytest

from ocelot_cli.envelope.catalog import load_catalog
from ocelot_cli.envelope.validate import EventValidator
from ocelot_cli.gateway.auth import mint
from tests.integration.conftest import SECRET, run_ocelot, wait_for

pytestmark = pytest.mark.integration
REDIS_URL = "redis://127.0.0.1:6379/0"


def ws_tail(start_ocelot, port, tenant, user, *args):
    tail = start_ocelot("tail", f"ws://127.0.0.1:{port}/ws", *args,
                        OCELOT_WS_TOKEN=mint(SECRET.encode(), tenant=tenant, user=user))  # fmt: skip
    tail.wait_for_stderr("tailing ")
    return tail


def test_platform_events_published_to_rabbitmq_reach_a_websocket_tail(rabbit, gateway, start_ocelot):
    exchange = rabbit.exchange()
    server = gateway("--source", "amqp", "--exchange", exchange)
    wait_for(lambda: server.http("/ready")[0] == 200, 20, "the gateway's RabbitMQ source")
    tail = ws_tail(start_ocelot, server.port, "org-e2e", "u1", "--channel", "tenant:org-e2e:events", "--count", "1",
                   "--validate")  # fmt: skip
    sent = run_ocelot("publish", "call.ended", "--org", "org-e2e", "--set", "data.outcome=callback_requested",
                      "--exchange", exchange, "--json")  # fmt: skip
    assert sent.returncode == 0, sent.stderr  # routable: the gateway's own queue is bound
    code, out = tail.finish(timeout=30)
    assert code == 0, tail.stderr
    event = json.loads(out)
    assert (event["event"], event["tenant_id"], event["data"]["outcome"]) == ("call.ended", "org-e2e",
                                                                               "callback_requested")  # fmt: skip
    assert event["key"] and event["version"] == "1"  # the OttoAI envelope, the platform id as dedup key
    assert EventValidator(load_catalog()).validate(event).ok and "invalid" not in tail.stderr


def test_events_published_to_redis_reach_a_websocket_tail(gateway, start_ocelot):
    server = gateway()
    tail = ws_tail(start_ocelot, server.port, "t-e2e", "u-e2e", "--channel", "user:u-e2e:tasks", "--count", "1")

    def publish() -> bool:
        result = run_ocelot("publish", "--to", REDIS_URL, "task.updated", "--tenant", "t-e2e",
                            "--set", "data.assigned_to=u-e2e", "--set", "data.priority=urgent")  # fmt: skip
        return result.returncode == 0  # 8 until the gateway's Redis subscription is up

    wait_for(publish, 15, "a subscriber on the user channel")
    code, out = tail.finish(timeout=30)
    assert code == 0
    event = json.loads(out.splitlines()[0])
    assert (event["event"], event["data"]["assigned_to"], event["data"]["priority"]) == ("task.updated", "u-e2e",
                                                                                         "urgent")  # fmt: skip


def test_two_tenants_on_the_same_lead_channel_each_see_only_their_own(gateway, start_ocelot):
    server = gateway()
    first = ws_tail(start_ocelot, server.port, "t-a", "ua", "--channel", "lead:shared-9:timeline", "--count", "2")
    second = ws_tail(start_ocelot, server.port, "t-b", "ub", "--channel", "lead:shared-9:timeline", "--count", "2")

    def publish(tenant: str, note: str) -> int:
        args = ["--tenant", tenant, "--channel", "lead:shared-9:timeline", "--set", f"data.content={note}"]
        return run_ocelot("publish", "--to", REDIS_URL, "telephony.sms.received", *args).returncode

    wait_for(lambda: publish("t-a", "warm-up a") == 0, 15, "the gateway's Redis subscription")
    for tenant, note in (("t-b", "b1"), ("t-a", "a1"), ("t-b", "b2")):
        assert publish(tenant, note) == 0
    (code_a, out_a), (code_b, out_b) = first.finish(timeout=30), second.finish(timeout=30)
    assert code_a == code_b == 0
    assert [(e["tenant_id"], e["data"]["content"]) for e in map(json.loads, out_a.splitlines())] == [
        ("t-a", "warm-up a"), ("t-a", "a1")
    ]  # fmt: skip
    assert [(e["tenant_id"], e["data"]["content"]) for e in map(json.loads, out_b.splitlines())] == [
        ("t-b", "b1"), ("t-b", "b2")
    ]  # fmt: skip
