"""One transport interface for every command: schemes and what they can do, the Redis tail, and
one connection path that treats a broker that never answers the same way everywhere."""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
import uuid

import pytest
import redis

from tests.integration.conftest import REDIS_URL, run_ocelot, wait_for

pytestmark = pytest.mark.integration

EVERY_SCHEME = (
    "amqp://, amqps:// (RabbitMQ): publish, tail, probe, load, topology; redis://, rediss:// (Redis pub/sub): "
    "publish, tail, probe; ws://, wss:// (the real-time gateway): tail, probe"
)


class Blackhole:
    """A TCP listener on 127.0.0.1 that accepts connections and never says a word."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        self.listener.close()
        for connection in self.accepted:
            connection.close()


@pytest.fixture
def blackhole():
    hole = Blackhole()
    yield hole
    hole.close()


def test_publishing_to_a_scheme_that_cannot_publish_is_a_usage_error_naming_what_each_scheme_does():
    result = run_ocelot("publish", "--to", "ws://127.0.0.1:8765/ws", "call.ended")
    err = result.stderr.decode()
    assert result.returncode == 2
    assert "ws:// (the real-time gateway) cannot publish" in err
    assert EVERY_SCHEME in " ".join(err.split())
    assert "Traceback" not in err


def test_tailing_a_scheme_ocelot_has_no_transport_for_is_a_usage_error_not_a_binding_pattern():
    result = run_ocelot("tail", "nats://127.0.0.1:4222", "--count", "1")
    err = result.stderr.decode()
    assert result.returncode == 2
    assert "ocelot has no transport for nats:// URLs" in err and EVERY_SCHEME in " ".join(err.split())


def test_a_redis_tail_takes_channels_not_patterns_of_an_exchange():
    result = run_ocelot("tail", "redis://127.0.0.1:6379", "comms.#")
    assert result.returncode == 2
    assert "a Redis tail takes channels (--channel)" in result.stderr.decode()


def test_every_transport_probes_its_server_and_names_it(broker, gateway):
    from ocelot_cli.gateway.auth import mint
    from ocelot_cli.transports.base import Capability, Endpoint, transport_for
    from tests.integration.conftest import SECRET

    server = gateway()
    token = mint(SECRET.encode(), tenant="t1", user="u1")
    answers = {
        url: transport_for(Endpoint(url, token=token), need=Capability.PROBE).probe("ocelot test")
        for url in (broker, REDIS_URL, f"ws://127.0.0.1:{server.port}/ws")
    }
    rabbitmq, redis_server, gateway_server = (answer["server"] for answer in answers.values())
    assert rabbitmq.startswith("RabbitMQ ") and redis_server.startswith("Redis ")
    assert gateway_server == "gateway (tenant t1)"
    assert "guest:guest" not in answers[broker]["url"]


def _client_ids(name_part: str) -> list[int]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        return [c["id"] for c in client.client_list() if name_part in (c.get("name") or "")]
    finally:
        client.close()


def test_tail_redis_shows_what_publish_to_redis_sends(start_ocelot):
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    channel = f"tenant:{tenant}:events"
    tail = start_ocelot("tail", "redis://127.0.0.1:6379", "--channel", channel, "--count", "1")
    labelled = start_ocelot("tail", "redis://127.0.0.1:6379", "-c", channel, "-n", "1", "--format", "{channel} {type}")
    tail.wait_for_stderr(f"tailing {channel} at redis://127.0.0.1:6379")
    labelled.wait_for_stderr("tailing ")
    published = run_ocelot("publish", "--to", REDIS_URL, "telephony.call.received", "--tenant", tenant,
                           "--channel", channel, "--seed", "5")  # fmt: skip
    assert published.returncode == 0, published.stderr.decode()
    code, out = tail.finish()
    assert code == 0, tail.stderr
    event = json.loads(out)
    assert event["event"] == "telephony.call.received" and event["tenant_id"] == tenant
    assert "received 1, shown 1" in tail.stderr
    assert labelled.finish() == (0, f"{channel} telephony.call.received\n".encode())


def test_tail_redis_follows_glob_patterns_and_reconnects_after_its_connection_is_killed(start_ocelot):
    prefix = f"p{uuid.uuid4().hex[:8]}"
    tail = start_ocelot("tail", "redis://127.0.0.1:6379", "--channel", f"tenant:{prefix}-*:events", "--count", "2")
    tail.wait_for_stderr("tailing ")
    first = redis.Redis.from_url(REDIS_URL)
    try:
        assert first.publish(f"tenant:{prefix}-a:events", json.dumps({"n": 1})) >= 1  # others may listen too
        killed = _client_ids(tail.client_name)
        assert len(killed) == 1
        first.client_kill_filter(_id=killed[0])
        tail.wait_for_stderr("reconnected and re-subscribed", timeout=30)
        assert wait_for(lambda: first.publish(f"tenant:{prefix}-b:events", json.dumps({"n": 2})), 10, "a subscriber")
    finally:
        first.close()
    code, out = tail.finish()
    assert code == 0, tail.stderr
    assert [json.loads(line)["n"] for line in out.splitlines()] == [1, 2]
    assert "gap" in tail.stderr and "reconnects 1 (gaps possible)" in tail.stderr


# Every command that talks to RabbitMQ, against a broker that accepts TCP and never answers.
AMQP_COMMANDS = {
    "publish": ["publish", "call.ended"],
    "tail": ["tail"],
    "replay": ["replay", "fixtures/callback-flow.yaml", "--no-delay"],
    "smoke": ["smoke"],
    "doctor": ["doctor"],
    "load": ["load", "--duration", "1s"],
}


@pytest.mark.parametrize("command", list(AMQP_COMMANDS), ids=str)
def test_a_broker_that_never_answers_is_exit_5_within_the_connect_timeout_from_every_command(command, blackhole):
    url = f"amqp://guest:s3cret-pw@127.0.0.1:{blackhole.port}/%2F"
    started = time.monotonic()
    result = run_ocelot(*AMQP_COMMANDS[command], "--connect-timeout", "2s", OCELOT_AMQP_URL=url, timeout=60)
    elapsed = time.monotonic() - started
    text = result.stdout.decode() + result.stderr.decode()
    assert result.returncode == 5, text
    assert f"cannot connect to amqp://guest:****@127.0.0.1:{blackhole.port}/%2F: no answer within 2s" in text
    assert "s3cret-pw" not in text and "Traceback" not in text
    assert elapsed < 2 + 8  # the timeout, plus the start of a Python process on a busy machine
    assert blackhole.accepted  # it did connect: the handshake is what never came


@pytest.mark.parametrize(("args", "shown"), [
    (["publish", "--to", "redis://127.0.0.1:{port}", "task.updated", "--tenant", "t1"], "Redis at redis://127.0.0.1:{port}"),
    (["tail", "redis://127.0.0.1:{port}", "--channel", "tenant:t1:events"], "Redis at redis://127.0.0.1:{port}"),
    (["tail", "ws://127.0.0.1:{port}/ws", "--channel", "tenant:t1:events"], "ws://127.0.0.1:{port}/ws"),
], ids=["publish-redis", "tail-redis", "tail-gateway"])  # fmt: skip
def test_redis_and_the_gateway_that_never_answer_are_exit_5_within_the_connect_timeout(args, shown, blackhole):
    args = [a.format(port=blackhole.port) for a in args]
    started = time.monotonic()
    result = run_ocelot(*args, "--connect-timeout", "2s", OCELOT_WS_TOKEN="not-checked-before-the-upgrade", timeout=60)
    elapsed = time.monotonic() - started
    err = result.stderr.decode()
    assert result.returncode == 5, err
    assert f"cannot connect to {shown.format(port=blackhole.port)}: no answer within 2s" in err
    assert elapsed < 2 + 8


@pytest.mark.parametrize("command", list(AMQP_COMMANDS), ids=str)
@pytest.mark.parametrize(("number", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["INT", "TERM"])
def test_a_signal_while_connecting_to_a_silent_broker_stops_at_once(command, number, status, blackhole, start_ocelot):
    url = f"amqp://guest:guest@127.0.0.1:{blackhole.port}/%2F"
    running = start_ocelot(*AMQP_COMMANDS[command], "--connect-timeout", "60s", OCELOT_AMQP_URL=url)
    wait_for(lambda: blackhole.accepted, 20, "the connection to the silent broker")
    signalled = time.monotonic()
    running.proc.send_signal(number)
    code, _out = running.finish(timeout=30)
    assert code == status, running.stderr
    assert time.monotonic() - signalled < 5, "it waited for the connect timeout instead of stopping"
    assert "Traceback" not in running.stderr and "internal error" not in running.stderr
