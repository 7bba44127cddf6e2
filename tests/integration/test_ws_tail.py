"""`ocelot tail ws://` against the real gateway, fed through real Redis."""

import json
import socket

import pytest

from ocelot_cli.gateway.auth import mint
from tests.faultproxy import FaultProxy
from tests.integration.conftest import SECRET, event_for, redis_publish, run_ocelot, tail_on_terminal, wait_for

pytestmark = pytest.mark.integration


def token(tenant="t1", user="u1"):
    return mint(SECRET.encode(), tenant=tenant, user=user)


def start_ws_tail(start_ocelot, port, *args, tenant="t1", user="u1"):
    tail = start_ocelot("tail", f"ws://127.0.0.1:{port}/ws", *args, OCELOT_WS_TOKEN=token(tenant, user))
    tail.wait_for_stderr("tailing ")
    return tail


def test_tail_receives_channel_events_and_answers_pings_past_the_stale_time(gateway, start_ocelot):
    server = gateway()
    tail = start_ws_tail(start_ocelot, server.port, "--channel", "tenant:t1:events", "--channel", "user:u1:tasks",
                         "--count", "2")  # fmt: skip
    # PUBLISH says how many received it: retry until the gateway's own Redis subscription is up.
    wait_for(lambda: redis_publish("tenant:t1:events", event_for("t1", task_id="first")) > 0, 10, "delivery")
    redis_publish("user:u1:tasks", event_for("t1", task_id="second"))
    code, out = tail.finish(timeout=30)
    assert code == 0, tail.stderr
    assert [json.loads(line)["data"]["task_id"] for line in out.splitlines()] == ["first", "second"]


def test_tail_stays_connected_by_answering_application_pings(gateway, start_ocelot):
    server = gateway()  # pings every 300 ms, closes after 1 s without pong
    tail = start_ws_tail(start_ocelot, server.port, "--channel", "tenant:t1:events", "--for", "2500ms")
    code, _ = tail.finish(timeout=30)
    assert code == 0 and "reconnect" not in tail.stderr and "lost" not in tail.stderr


def test_channel_names_are_checked_before_anything_is_sent():
    result = run_ocelot("tail", "ws://127.0.0.1:1/ws", "--channel", "tenant:*:events", OCELOT_WS_TOKEN=token())
    assert result.returncode == 2 and b"not a channel name" in result.stderr


def test_a_refused_channel_is_an_error_with_the_reason(gateway):
    server = gateway()
    result = run_ocelot("tail", f"ws://127.0.0.1:{server.port}/ws", "--channel", "tenant:t2:events",
                        OCELOT_WS_TOKEN=token())  # fmt: skip
    assert result.returncode == 6
    assert b"refused channel tenant:t2:events: forbidden: not your tenant" in result.stderr


def test_the_token_comes_from_env_or_file_and_never_shows(gateway, tmp_path):
    server = gateway()
    url = f"ws://127.0.0.1:{server.port}/ws"
    missing = run_ocelot("tail", url, "--channel", "tenant:t1:events")
    assert missing.returncode == 4 and b"OCELOT_WS_TOKEN" in missing.stderr
    path = tmp_path / "token"
    path.write_text(token() + "\n")
    from_file = run_ocelot("tail", url, "--channel", "tenant:t1:events", "--token-file", str(path), "--for", "300ms")
    assert from_file.returncode == 0, from_file.stderr
    refused = run_ocelot("tail", url, "--channel", "tenant:t1:events", OCELOT_WS_TOKEN="eyJ.forged.token-123")
    assert refused.returncode == 6 and b"refused the token" in refused.stderr
    assert b"(HTTP 403 before the WebSocket upgrade): unauthorized: not a JWT" in refused.stderr  # its reason
    assert b"eyJ.forged.token-123" not in refused.stderr + refused.stdout
    on_argv = run_ocelot("tail", url, "--channel", "tenant:t1:events", "--token", token(), "--for", "300ms")
    assert on_argv.returncode == 0 and b"--token is visible to other users" in on_argv.stderr
    assert token().encode()[:40] not in on_argv.stderr + on_argv.stdout


def test_pointers_and_dropped_buffers_are_shown_for_what_they_are(gateway, tmp_path):
    server = gateway()
    big = event_for("t1", "telephony.sms.received", content="z" * 40_000)

    def feed():
        wait_for(lambda: redis_publish("tenant:t1:events", big) > 0, 10, "the gateway's subscription")
        dropped = event_for("t1", "system.buffer_dropped", reason="Queue overflow", max_size=100, dropped_count=7)
        redis_publish("tenant:t1:events", dropped)

    args = f"ws://127.0.0.1:{server.port}/ws --channel tenant:t1:events --pretty --count 2"
    screen = tail_on_terminal(args, tmp_path / "screen.txt", feed, OCELOT_WS_TOKEN=token()).decode()
    assert "POINTER (" in screen and f"fetch by message_id={big['data']['message_id']}" in screen
    assert "GATEWAY DROPPED 7 message(s): Queue overflow, buffer 100" in screen
    assert "dropped by overflow 7" in screen


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_tail_reconnects_resubscribes_and_goes_on_after_the_gateway_restarts(gateway, start_ocelot, tmp_path):
    port = free_port()
    first = gateway(listen=f"127.0.0.1:{port}")
    recording = tmp_path / "seen.jsonl"
    tail = start_ws_tail(start_ocelot, port, "--channel", "tenant:t1:events", "--count", "2", "--output",
                         str(recording))  # fmt: skip
    wait_for(lambda: redis_publish("tenant:t1:events", event_for("t1", task_id="before")) > 0, 10, "delivery")
    # the gateway may hold it a moment: stopped only once the tail has it
    wait_for(lambda: recording.exists() and "before" in recording.read_text(), 10, "the tail to see it")
    first.running.proc.terminate()
    first.running.proc.wait(timeout=10)
    gateway(listen=f"127.0.0.1:{port}")
    tail.wait_for_stderr("reconnected and re-subscribed", timeout=30)
    assert "gap" in tail.stderr
    wait_for(lambda: redis_publish("tenant:t1:events", event_for("t1", task_id="after")) > 0, 10, "delivery again")
    code, out = tail.finish(timeout=30)
    assert code == 0
    assert [json.loads(line)["data"]["task_id"] for line in out.splitlines()] == ["before", "after"]
    assert "reconnects 1 (gaps possible)" in tail.stderr


def test_a_dead_connection_is_detected_and_replaced(gateway, start_ocelot):

    server = gateway()  # announces a 300 ms heartbeat: silence for twice that means dead
    with FaultProxy(server.port) as proxy:
        tail = start_ws_tail(start_ocelot, proxy.port, "--channel", "tenant:t1:events", "--count", "1")
        proxy.stall()  # the TCP connection stays open, but nothing moves: no pings arrive
        tail.wait_for_stderr("lost (WebSocketTimeoutException); reconnecting", timeout=20)
        proxy.resume()
        proxy.reset()  # drop the stalled connection; the tail's next attempt goes through
        tail.wait_for_stderr("reconnected and re-subscribed", timeout=30)
        wait_for(lambda: redis_publish("tenant:t1:events", event_for("t1", task_id="after-stall")) > 0, 10, "delivery")
        code, out = tail.finish(timeout=30)
    assert code == 0
    assert json.loads(out)["data"]["task_id"] == "after-stall"


def test_a_rate_limited_subscribe_is_reported_and_retried(gateway, start_ocelot):
    server = gateway("--subscribe-limit", "1", "--subscribe-window", "1s")
    tail = start_ws_tail(start_ocelot, server.port, "--channel", "tenant:t1:events", "--channel", "user:u1:tasks",
                         "--for", "300ms")  # fmt: skip
    code, _ = tail.finish(timeout=30)
    assert code == 0
    assert "rate-limited subscribing; retrying user:u1:tasks in" in tail.stderr


def test_wss_verifies_the_certificate_and_accepts_a_private_ca(gateway, tmp_path):
    import ssl

    from tests.integration.test_faults import _make_certificate

    cert, key = _make_certificate(tmp_path, "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = gateway()
    with FaultProxy(server.port, tls=context) as proxy:
        url = f"wss://localhost:{proxy.port}/ws"
        refused = run_ocelot("tail", url, "--channel", "tenant:t1:events", OCELOT_WS_TOKEN=token())
        trusted = run_ocelot("tail", url, "--channel", "tenant:t1:events", "--ca-file", str(cert), "--for", "300ms",
                             OCELOT_WS_TOKEN=token())  # fmt: skip
    assert refused.returncode == 6 and b"could not be verified" in refused.stderr
    assert trusted.returncode == 0, trusted.stderr


def test_a_tail_of_several_channels_says_which_channel_each_event_came_on(gateway, start_ocelot):
    server = gateway()
    tail = start_ws_tail(start_ocelot, server.port, "--channel", "tenant:t1:events", "--channel", "user:u1:tasks",
                         "--count", "3", "--format", "{channel} {data.task_id}")  # fmt: skip
    wait_for(lambda: redis_publish("tenant:t1:events", event_for("t1", task_id="warm-up", assigned_to="u9")) > 0, 10,
             "delivery")  # fmt: skip
    # one task for u1: the hub publishes it on u1's task channel, then on the tenant's channel
    sent = run_ocelot("publish", "--to", "redis://127.0.0.1:6379/0", "task.updated", "--tenant", "t1",
                      "--set", "data.assigned_to=u1", "--set", "data.task_id=both")  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    code, out = tail.finish(timeout=30)
    assert code == 0, tail.stderr
    assert out.decode().splitlines() == ["tenant:t1:events warm-up", "user:u1:tasks both", "tenant:t1:events both"]
