"""The gateway survives any client and any message: hostile Redis messages, malformed platform
events, clients that stop reading, expired tokens, broken frames, a stalled Redis link."""

from __future__ import annotations

import json
import socket
import time
import uuid

import pika
import pytest

from ocelot_cli.gateway.auth import mint
from ocelot_cli.gateway.server import CHANNEL_PATTERNS
from tests.faultproxy import FaultProxy
from tests.integration.conftest import AMQP_URL, REDIS_URL, SECRET, event_for, redis_publish, wait_for

pytestmark = pytest.mark.integration

HOSTILE = [b"[" * 200_000, b"{" * 3000, b"\xff\xfe\x00", b"not json at all", b'{"tenant_id": 7}', b"", b"x" * 70_000]


def ops_token() -> str:
    return mint(SECRET.encode(), tenant="ops", user="prometheus")


def test_hostile_redis_messages_never_cost_another_tenant_an_event(gateway):
    # the clients do not read (nor answer pings) while the hostile messages go out: no staleness here
    server = gateway("--stale-after", "60s")
    wait_for(lambda: server.http("/ready")[0] == 200, 10, "the gateway to be ready")
    tenant, lead = f"t-{uuid.uuid4().hex[:6]}", f"L{uuid.uuid4().hex[:6]}"
    victim = server.connect(tenant=tenant)
    victim.recv()
    victim.subscribe(f"tenant:{tenant}:events")
    attacker = server.connect(tenant="attacker")  # any user may subscribe to a lead channel
    attacker.recv()
    attacker.subscribe(f"lead:{lead}:timeline")
    wait_for(lambda: redis_publish(f"tenant:{tenant}:events", event_for(tenant, seq=-1)) > 0, 10, "the subscription")
    assert victim.recv()["data"]["seq"] == -1
    for n in range(20):
        for hostile in HOSTILE:
            redis_publish(f"lead:{lead}:timeline", hostile)
            redis_publish(f"tenant:{tenant}:events", hostile)
        redis_publish(f"tenant:{tenant}:events", event_for(tenant, seq=n))
    got = [victim.recv()["data"]["seq"] for _ in range(20)]
    assert got == list(range(20))
    assert server.http("/ready") == (200, "ready\n")
    status, metrics = server.http("/metrics", token=ops_token())
    assert status == 200
    dropped = int(next(line.split()[-1] for line in metrics.splitlines() if 'reason="not_json"' in line))
    assert dropped >= 20 * 4
    assert "Redis at" not in server.running.stderr  # the subscription was never lost


def test_the_bridge_survives_malformed_platform_events(gateway, rabbit):
    exchange = rabbit.exchange()
    server = gateway("--source", "amqp", "--exchange", exchange)
    wait_for(lambda: server.http("/ready")[0] == 200, 20, "the bridge to be up")
    org = f"org-{uuid.uuid4().hex[:6]}"
    client = server.connect(tenant=org)
    client.recv()
    client.subscribe(f"tenant:{org}:events")
    from ocelot_cli.envelope.catalog import load_catalog
    from ocelot_cli.envelope.samples import SampleFactory, SampleOptions

    good = SampleFactory(load_catalog(), SampleOptions(org=org)).make("call.ended")
    broken = {**good, "metadata": "oops"}
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    try:
        channel = connection.channel()
        for body in (json.dumps(broken), "[" * 100_000, json.dumps(good)):
            channel.basic_publish(exchange, "comms.call.ended", body.encode())
    finally:
        connection.close()
    arrived = client.recv()
    assert arrived["event"] == "call.ended" and arrived["tenant_id"] == org
    server.running.wait_for_stderr("dropped a message that cannot be bridged")
    assert server.http("/ready") == (200, "ready\n")


def subscribed_sleeper(server) -> tuple[object, str, str]:  # noqa: ANN001
    """A client of a fresh tenant, subscribed, whose receive buffer is tiny and which reads nothing more:
    (the client, kept open by the caller; its channel; a 30 KB event for it)."""
    wait_for(lambda: server.http("/ready")[0] == 200, 10, "the gateway to be ready")
    tenant = f"t-{uuid.uuid4().hex[:6]}"
    sleeper = server.connect(tenant=tenant)
    sleeper.ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sleeper.recv()
    sleeper.subscribe(f"tenant:{tenant}:events")
    return sleeper, f"tenant:{tenant}:events", json.dumps(event_for(tenant, note="y" * 30_000))


def test_a_client_that_stops_reading_is_closed_after_the_stale_time_even_while_sends_block(gateway):
    server = gateway("--buffer", "1000")
    _sleeper, channel, big = subscribed_sleeper(server)
    started = time.monotonic()
    while redis_publish(channel, big) and time.monotonic() - started < 3:
        pass  # it reads nothing from now on: the gateway's sends to it block
    closed = wait_for(lambda: "ws_connections 0" in server.http("/metrics", token=ops_token())[1], 15, "the close")
    assert closed


def test_a_connection_is_closed_when_its_token_expires(gateway):
    server = gateway("--stale-after", "60s")
    client = server.connect(token=mint(SECRET.encode(), tenant="t1", user="u1", ttl=2))
    client.recv()
    assert client.subscribe("tenant:t1:events")["success"] is True
    started = time.monotonic()
    client.ws.settimeout(10)
    code, reason = client.close_code()
    assert (code, reason) == (1008, "token expired")
    assert time.monotonic() - started < 5


def test_a_malformed_frame_gets_an_error_frame_and_the_connection_stays(gateway):
    server = gateway()
    client = server.connect()
    client.recv()
    for frame in ("[" * 5000, "not json", "[1, 2]"):
        client.ws.send(frame)
        error = client.recv()
        assert (error["type"], error["error"], error["code"]) == ("error", "invalid_json", "bad_message")
        assert error["message"] == "send JSON objects with a 'type'" and error["ts"].endswith("Z")
    assert client.subscribe("tenant:t1:events")["success"] is True


def test_metrics_need_a_token_or_their_own_address_and_name_no_tenant_unless_asked(gateway):
    server = gateway("--metrics-listen", "127.0.0.1:0")
    port = int(server.running.stderr.split("http://127.0.0.1:")[1].split("/")[0])
    client = server.connect(tenant="quiet-tenant")
    client.recv()
    assert server.http("/metrics", token=ops_token())[0] == 404  # not on the WebSocket address any more
    status, text = server.http("/metrics", port=port)
    assert status == 200 and "ws_connections 1" in text and "quiet-tenant" not in text
    assert server.http("/ws", port=port)[0] == 404


def test_a_stalled_redis_link_makes_the_gateway_not_ready(gateway):
    with FaultProxy(6379) as proxy:
        server = gateway("--redis-url", f"redis://127.0.0.1:{proxy.port}/0", "--connect-timeout", "2s")
        wait_for(lambda: server.http("/ready")[0] == 200, 10, "the gateway to be ready")
        proxy.stall()
        started = time.monotonic()
        wait_for(lambda: server.http("/ready")[0] == 503, 15, "the stalled link to be noticed")
        assert time.monotonic() - started < 10
        proxy.resume()
        wait_for(lambda: server.http("/ready")[0] == 200, 20, "the gateway to be ready again")


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer"])
def test_the_bearer_scheme_name_is_case_insensitive(gateway, scheme):
    import websocket

    server = gateway()
    token = mint(SECRET.encode(), tenant="t1", user="u1")
    ws = websocket.create_connection(f"ws://127.0.0.1:{server.port}/ws", header=[f"Authorization: {scheme} {token}"],
                                     timeout=5)  # fmt: skip
    try:
        assert json.loads(ws.recv())["type"] == "welcome"
    finally:
        ws.close()


def test_a_token_too_large_for_the_gateway_is_told_as_such_with_exit_6(gateway):
    from tests.integration.conftest import run_ocelot

    server = gateway()
    result = run_ocelot("tail", f"ws://127.0.0.1:{server.port}/ws", "--channel", "tenant:t1:events", "--count", "1",
                        OCELOT_WS_TOKEN="x" * 20_000, timeout=30)  # fmt: skip
    err = result.stderr.decode()
    assert result.returncode == 6, err
    assert "refused the request headers as too large (HTTP 431): the token is too long for it" in err
    assert "x" * 50 not in err


def test_sighup_stops_the_gateway_like_sigterm_with_exit_0(gateway):
    import signal

    server = gateway()
    server.running.proc.send_signal(signal.SIGHUP)
    code, _out = server.running.finish(timeout=30)
    assert code == 0, server.running.stderr
    assert "gateway stopped" in server.running.stderr


def test_with_v_the_gateway_logs_connections_opened_refused_and_closed(start_ocelot):
    import re

    running = start_ocelot("-v", "gateway", "--listen", "127.0.0.1:0", OCELOT_JWT_SECRET=SECRET)
    running.wait_for_stderr("gateway listening on")
    port = int(re.search(r"ws://127\.0\.0\.1:(\d+)/ws", running.stderr).group(1))
    import websocket

    ws = websocket.create_connection(f"ws://127.0.0.1:{port}/ws", timeout=5, header=[
        f"Authorization: Bearer {mint(SECRET.encode(), tenant='t-log', user='u-log')}"])  # fmt: skip
    ws.recv()
    running.wait_for_stderr("connected as tenant 't-log', user 'u-log'")
    ws.close()
    running.wait_for_stderr("closed (1000")
    with pytest.raises(websocket.WebSocketBadStatusException):  # HTTP 403 before the upgrade
        websocket.create_connection(f"ws://127.0.0.1:{port}/ws", timeout=5, header=["Authorization: Bearer forged"])
    running.wait_for_stderr("refused before the upgrade: ")
    assert "forged" not in running.stderr  # the token itself is never logged


def test_a_gateway_told_to_stop_does_not_wait_for_a_client_that_stopped_reading(gateway):
    """SIGTERM with a client whose receive buffer is full: the close frame cannot reach it; the gateway
    cuts it after a moment and ends (it waited for the stale time, here a minute)."""
    import signal

    server = gateway("--buffer", "1000", "--stale-after", "60s", "--ping-interval", "20s")
    _sleeper, channel, big = subscribed_sleeper(server)
    for _ in range(300):  # far more than its buffers hold: the gateway's sends to it block
        redis_publish(channel, big)
    server.running.proc.send_signal(signal.SIGTERM)
    assert server.running.proc.wait(timeout=20) == 0, server.running.stderr  # the stale time would be 60 s


def test_a_redis_link_cut_under_the_gateway_is_opened_again_and_events_flow_on(gateway):
    """The Redis source runs on the gateway's event loop: its link killed by Redis (CLIENT KILL of this
    gateway's connection, by its name) makes the gateway open it again, saying that events published
    meanwhile were not seen; events published after that reach the subscriber, once each (no second
    subscription is left behind). Other subscribers of the same patterns may exist on a shared Redis:
    this gateway's own connections are told by their name."""
    import redis

    tenant = f"relink-{uuid.uuid4().hex[:8]}"
    channel = f"tenant:{tenant}:events"
    server = gateway("--stale-after", "60s")
    wait_for(lambda: server.http("/ready")[0] == 200, 10, "the gateway to be ready")
    client = server.connect(tenant=tenant)
    client.recv()
    assert client.subscribe(channel)["success"] is True
    admin = redis.Redis.from_url(REDIS_URL)

    def ours() -> list[dict]:
        return [c for c in admin.client_list() if server.running.client_name in c.get("name", "")]

    try:
        assert redis_publish(channel, event_for(tenant, task_id="before")) >= 1
        assert client.recv()["data"]["task_id"] == "before"
        assert len(ours()) == 1
        admin.client_kill_filter(_id=ours()[0]["id"])
        server.running.wait_for_stderr("reconnected and re-subscribed")
        assert "not seen (gap)" in server.running.stderr
        assert f"Redis at {REDIS_URL} unavailable (the link was lost" in server.running.stderr  # not "cannot connect"
        wait_for(lambda: server.http("/ready")[0] == 200, 10, "the gateway to be ready again")
        for task_id in ("after", "last"):  # a second subscription would deliver "after" twice
            assert redis_publish(channel, event_for(tenant, task_id=task_id)) >= 1
            assert client.recv()["data"]["task_id"] == task_id
        assert [int(c["psub"]) for c in ours()] == [len(CHANNEL_PATTERNS)]
    finally:
        admin.close()
