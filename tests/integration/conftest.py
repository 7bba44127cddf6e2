"""Real RabbitMQ on 127.0.0.1 for integration tests: per-test exchanges, queues, and ocelot processes.

No test here is skipped: if the broker is down the tests fail, saying so (.ci/run starts it).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

import pika
import pytest
import redis
import websocket

from ocelot_cli.envelope.catalog import load_catalog
from ocelot_cli.envelope.samples import SampleFactory, SampleOptions
from ocelot_cli.gateway.auth import mint

AMQP_URL = os.environ.get("OCELOT_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
BIN = Path(sys.executable).parent


def wait_for(predicate: Callable[[], object], timeout: float = 20.0, what: str = "condition") -> object:
    """Poll until predicate() is truthy; fail the test after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def rabbitmqctl(*args: str, timeout: float = 60) -> str:
    result = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"rabbitmqctl {' '.join(args)} failed: {result.stderr}"
    return result.stdout


def close_connections(*names: str, reason: str = "closed by test") -> int:
    """Close the broker connections named exactly ``names`` (rabbitmqctl close_connection); how many.

    Tests name their connections uniquely (see ``ocelot_env``), so a test never closes a
    connection of another test or of anyone else using the broker.
    """
    closed = 0
    for line in rabbitmqctl("list_connections", "pid", "client_properties").splitlines():
        if any(f'"connection_name","{name}"' in line for name in names):
            pid = line.split("\t", 1)[0]
            rabbitmqctl("close_connection", pid, reason)
            closed += 1
    return closed


def connection_names() -> list[str]:
    return re.findall(r'"connection_name","([^"]*)"', rabbitmqctl("list_connections", "client_properties"))


@pytest.fixture(scope="session")
def broker() -> str:
    try:
        pika.BlockingConnection(pika.URLParameters(AMQP_URL)).close()
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"RabbitMQ is not reachable at 127.0.0.1:5672 ({exc}); .ci/run starts it", pytrace=False)
    return AMQP_URL


class Broker:
    """Declares per-test exchanges and queues and removes them afterwards."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.connection = pika.BlockingConnection(pika.URLParameters(url))
        self.channel = self.connection.channel()
        self.exchanges: list[str] = []
        self.queues: list[str] = []

    def exchange(self, *, declare: bool = True) -> str:
        name = f"ocelot.test.{uuid.uuid4().hex[:10]}"
        if declare:
            self.channel.exchange_declare(name, "topic", durable=False, auto_delete=False)
        self.exchanges.append(name)
        return name

    def queue(self, exchange: str, pattern: str = "#") -> str:
        name = f"ocelot.test.q.{uuid.uuid4().hex[:10]}"
        self.channel.queue_declare(name, arguments={"x-max-length": 1_000_000})
        self.channel.queue_bind(name, exchange, pattern)
        self.queues.append(name)
        return name

    def depth(self, queue: str) -> int:
        return self.channel.queue_declare(queue, passive=True).method.message_count

    def drain(self, queue: str) -> list[tuple[object, object, bytes]]:
        """Every message now in the queue: (method, properties, body)."""
        got = []
        while True:
            method, props, body = self.channel.basic_get(queue, auto_ack=True)
            if method is None:
                return got
            got.append((method, props, body))

    def events(self, queue: str) -> list[dict]:
        return [json.loads(body) for _m, _p, body in self.drain(queue)]

    def exchange_exists(self, name: str) -> bool:
        probe = self.connection.channel()
        try:
            probe.exchange_declare(name, passive=True)
            probe.close()
            return True
        except pika.exceptions.ChannelClosedByBroker:
            return False

    def publish(self, exchange: str, routing_key: str, body: bytes, **props) -> None:
        self.channel.basic_publish(exchange, routing_key, body, pika.BasicProperties(**props))

    def cleanup(self) -> None:
        channel = self.connection.channel()
        for queue in self.queues:
            channel.queue_delete(queue)
        for exchange in self.exchanges:
            channel.exchange_delete(exchange)
        self.connection.close()


@pytest.fixture
def rabbit(broker: str):
    helper = Broker(broker)
    yield helper
    helper.cleanup()


def ocelot_env(**extra: str) -> dict[str, str]:
    """The environment of an ocelot process of a test: no user config, the test broker, and a client name
    of its own, so that its connections are told apart from every other process's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCELOT_")}
    env.update(PATH=f"{BIN}:{env['PATH']}", OCELOT_CONFIG="/nonexistent/ocelot.yaml", OCELOT_AMQP_URL=AMQP_URL,
               OCELOT_CLIENT_NAME=f"test-{uuid.uuid4().hex[:12]}")  # fmt: skip
    env.update(extra)
    return env


def run_ocelot(*args: str, stdin: bytes | None = None, timeout: float = 90, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "ocelot"), *args], input=stdin, capture_output=True, timeout=timeout, env=ocelot_env(**env)
    )


class Running:
    """An ocelot process in the background, with its stderr collected line by line."""

    def __init__(self, args: list[str], env: dict[str, str], stdout: int | None = subprocess.PIPE) -> None:
        self.proc = subprocess.Popen([str(BIN / "ocelot"), *args], stdout=stdout, stderr=subprocess.PIPE, env=env)
        self.client_name = env["OCELOT_CLIENT_NAME"]
        self.err_lines: list[str] = []
        self._reader = threading.Thread(target=self._read_err, daemon=True)
        self._reader.start()

    def _read_err(self) -> None:
        for raw in self.proc.stderr:
            self.err_lines.append(raw.decode("utf-8", "replace"))

    @property
    def stderr(self) -> str:
        return "".join(self.err_lines)

    def close_connections(self, *purposes: str) -> int:
        """Close this process's broker connections of these purposes (``ocelot publish``, ...); how many."""
        return close_connections(*(f"{purpose} [{self.client_name}]" for purpose in purposes))

    def wait_for_stderr(self, text: str, timeout: float = 20) -> None:
        wait_for(lambda: text in self.stderr or self.proc.poll() is not None, timeout, f"{text!r} on stderr")
        assert text in self.stderr, f"process ended without {text!r}: {self.stderr}"

    def finish(self, timeout: float = 30) -> tuple[int, bytes]:
        # Not communicate(): it would read stderr too, racing the reader thread.
        out = self.proc.stdout.read() if self.proc.stdout else b""
        self.proc.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return self.proc.returncode, out


@pytest.fixture
def start_ocelot():
    started: list[Running] = []

    def start(*args: str, stdout: int | None = subprocess.PIPE, **env: str) -> Running:
        running = Running(list(args), ocelot_env(**env), stdout=stdout)
        started.append(running)
        return running

    yield start
    for running in started:
        if running.proc.poll() is None:
            running.proc.kill()
            running.proc.wait(timeout=10)


@pytest.fixture
def start_tail(start_ocelot):
    """Start ``ocelot tail`` and return once its queue is bound (it says so on stderr)."""

    def start(*args: str, **env: str) -> Running:
        running = start_ocelot("tail", *args, **env)
        running.wait_for_stderr("tailing ")
        return running

    return start


def tail_on_terminal(args: str, log: Path, feed: Callable[[], object], **env: str) -> bytes:
    """Run `ocelot --no-color tail ARGS` on a pseudo-terminal (script); once it is tailing, call
    ``feed`` (which publishes); return everything the terminal showed when the tail has ended."""
    command = f"{BIN}/ocelot --no-color tail {args}"
    proc = subprocess.Popen(["script", "-qefc", command, str(log)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=ocelot_env(**env))  # fmt: skip
    try:
        wait_for(lambda: log.exists() and b"tailing" in log.read_bytes(), 20, "the tail to start")
        feed()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    return log.read_bytes()


# -- the reference gateway, for WebSocket tests -----------------------------------------
SECRET = "gateway-test-secret-0123456789abcdef"
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def gateway(start_ocelot):
    """Start `ocelot gateway` on a free port with fast heartbeats; returns a helper."""

    def start(*extra: str, listen: str = "127.0.0.1:0") -> Gateway:
        running = start_ocelot("gateway", "--listen", listen, "--ping-interval", "300ms",
                               "--stale-after", "1s", *extra, OCELOT_JWT_SECRET=SECRET)  # fmt: skip
        running.wait_for_stderr("gateway listening on")
        port = int(re.search(r"ws://127\.0\.0\.1:(\d+)/ws", running.stderr).group(1))
        server = Gateway(port, running)
        if "--redis-url" not in extra:  # the shared Redis: subscribed once ready. Waited for here, because a
            # publish that reached a subscriber does not say this gateway is one: another gateway on the
            # machine subscribes to every tenant's channel too
            wait_for(lambda: server.http("/ready")[0] == 200, 15, "the gateway's Redis subscription")
        return server

    return start


class Gateway:
    def __init__(self, port, running):
        self.port = port
        self.running = running

    def http(self, path, token=None, port=None):
        """(status, body) of a GET; ``token`` is sent as a Bearer token (/metrics asks for one)."""
        request = urllib.request.Request(f"http://127.0.0.1:{port or self.port}{path}")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def connect(self, tenant="t1", user="u1", token=None, **kw):
        token = token if token is not None else mint(SECRET.encode(), tenant=tenant, user=user, **kw)
        ws = websocket.create_connection(f"ws://127.0.0.1:{self.port}/ws",
                                         header=[f"Authorization: Bearer {token}"], timeout=5)  # fmt: skip
        return Client(ws)


class Client:
    def __init__(self, ws):
        self.ws = ws

    def recv(self, skip_pings=True):
        while True:
            message = json.loads(self.ws.recv())
            if not (skip_pings and message.get("type") == "ping"):
                return message

    def subscribe(self, channel, kind="subscribe"):
        self.ws.send(json.dumps({"type": kind, "channel": channel}))
        return self.recv()

    def close_code(self):
        while True:
            opcode, data = self.ws.recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return int.from_bytes(data[:2], "big"), data[2:].decode()


def redis_publish(channel, event):
    client = redis.Redis.from_url(REDIS_URL)
    try:
        return client.publish(channel, json.dumps(event) if not isinstance(event, bytes | str) else event)
    finally:
        client.close()


def event_for(tenant, name="task.updated", **data):
    factory = SampleFactory(load_catalog(), SampleOptions(tenant=tenant))
    event = factory.make(name)
    event["data"].update(data)
    return event


_booting: dict[str, object] = {}  # private brokers booting in the background: "cluster", "solo"


def pytest_collection_finish(session) -> None:
    """Boot the private brokers the collected tests need at once, in the background, so that they
    start while the tests before them run (a three-node cluster takes half a minute)."""
    from tests.cluster import Booting

    wanted = {name for item in session.items for name in ("cluster", "solo_broker") if name in item.fixturenames}
    if "cluster" in wanted:
        _booting["cluster"] = Booting(3, "ocelot-cluster")
    if "solo_broker" in wanted:
        _booting["solo"] = Booting(1, "ocelot-solo")


def pytest_sessionfinish(session, exitstatus) -> None:
    for booting in _booting.values():
        booting.close()


def _private(name: str, count: int):
    """The private broker ``name`` for the tests of one module, then stopped: idle nodes cost CPU
    that the rest of the suite should have."""
    from tests.cluster import Booting

    if name not in _booting:  # not foreseen at collection (a test run by other means)
        _booting[name] = Booting(count, f"ocelot-{name}")
    booting = _booting[name]
    yield booting.get()
    booting.close()
    del _booting[name]


@pytest.fixture(scope="module")
def cluster():
    """Three private RabbitMQ nodes clustered on loopback (tests/cluster.py), shared by the tests of
    a module that need a cluster or kill nodes, and stopped at its end."""
    yield from _private("cluster", 3)


@pytest.fixture
def cluster_up(cluster):
    """The cluster with every node running (a test before may have killed one); a node this test
    kills is started again at its end, and boots while the next tests run."""
    cluster.ensure_up()
    yield cluster
    cluster.restart_killed()


@pytest.fixture(scope="module")
def solo_broker():
    """A private single RabbitMQ node for broker-wide faults (a memory alarm), never the shared broker."""
    yield from _private("solo", 1)
