"""Every command against a real three-node RabbitMQ cluster (private nodes, tests/cluster.py), with the
connected node killed in the middle; and broker-wide faults (a memory alarm) on a private node,
so the suite never changes the broker on 127.0.0.1:5672."""

from __future__ import annotations

import collections
import json
import re
import signal
import threading
import time
import uuid
from pathlib import Path

import pika
import pytest
import websocket

from tests.integration.conftest import run_ocelot, wait_for

pytestmark = pytest.mark.integration


class OnCluster:
    """A durable exchange and quorum queues of one test on the cluster, reached through a node that
    the test does not kill; removed at the end."""

    def __init__(self, cluster, via: int = 2) -> None:
        self.cluster = cluster
        self.via = cluster.nodes[via]
        self.exchange = f"ocelot.test.{uuid.uuid4().hex[:10]}"
        self.queues: list[str] = []
        with self._channel() as channel:
            channel.exchange_declare(self.exchange, "topic", durable=True)

    def _channel(self):
        return _Channel(self.via.url)

    def quorum_queue(self, pattern: str = "#", declare_on: int = 0) -> str:
        """A quorum queue bound to the exchange; its leader on node ``declare_on`` (the one killed)."""
        name = f"ocelot.test.q.{uuid.uuid4().hex[:10]}"
        with _Channel(self.cluster.nodes[declare_on].url) as channel:
            channel.queue_declare(name, durable=True, arguments={"x-queue-type": "quorum"})
            channel.queue_bind(name, self.exchange, pattern)
        self.queues.append(name)
        return name

    def full_queue(self, pattern: str) -> str:
        """A classic queue of one message that refuses more (x-overflow reject-publish), on the node
        the test reaches the cluster through (never the one it kills)."""
        name = f"ocelot.test.full.{uuid.uuid4().hex[:10]}"
        with self._channel() as channel:
            channel.queue_declare(name, arguments={"x-max-length": 1, "x-overflow": "reject-publish"})
            channel.queue_bind(name, self.exchange, pattern)
            channel.basic_publish("", name, b"{}")
        self.queues.append(name)
        return name

    def depth(self, queue: str) -> int:
        with self._channel() as channel:
            return channel.queue_declare(queue, passive=True).method.message_count

    def ids(self, queue: str, expected_at_least: int) -> list[str]:
        """The message ids of every message in the queue (consumed, acked), in order."""
        seen: list[str] = []
        connection = pika.BlockingConnection(pika.URLParameters(self.via.url))
        channel = connection.channel()
        channel.basic_qos(prefetch_count=2000)
        deadline = time.monotonic() + 120
        for method, properties, _body in channel.consume(queue, inactivity_timeout=2):
            if method is None:
                if len(seen) >= expected_at_least or time.monotonic() > deadline:
                    break
                continue
            seen.append(properties.message_id)
            if len(seen) % 1000 == 0:
                channel.basic_ack(method.delivery_tag, multiple=True)
        channel.cancel()
        connection.close()
        return seen

    def publish(self, routing_key: str, count: int) -> list[str]:
        """Publish ``count`` events with confirms; a message refused (nack) while a queue elects a new
        leader is sent again on a new channel, as any careful publisher does."""
        ids = [str(uuid.uuid4()) for _ in range(count)]
        with self._channel() as channel:
            channel.confirm_delivery()
            for event_id in ids:
                body = json.dumps({"id": event_id, "type": "call.ended"}).encode()
                deadline = time.monotonic() + 60
                while True:
                    try:
                        properties = pika.BasicProperties(message_id=event_id)
                        channel.basic_publish(self.exchange, routing_key, body, properties)
                        break
                    except pika.exceptions.NackError:
                        assert time.monotonic() < deadline, "the cluster kept refusing messages"
                        channel = channel.connection.channel()
                        channel.confirm_delivery()
        return ids

    def cleanup(self) -> None:
        if not self.cluster.all_up:  # deleting a quorum queue with a member down waits; the cluster is removed anyway
            return
        try:
            with self._channel() as channel:
                for queue in self.queues:
                    channel.queue_delete(queue)
                channel.exchange_delete(self.exchange)
        except Exception:  # noqa: BLE001 - the private cluster is removed at the end anyway
            pass


class _Channel:
    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self):
        self.connection = pika.BlockingConnection(pika.URLParameters(self.url))
        return self.connection.channel()

    def __exit__(self, *exc) -> None:
        self.connection.close()


@pytest.fixture
def on_cluster(cluster_up):
    made = OnCluster(cluster_up)
    yield made
    made.cleanup()


def _nodes_env(cluster) -> dict[str, str]:
    return {"OCELOT_AMQP_URL": cluster.url_list}


def _check_against_consumer(summary: dict, ids: list[str], total: int) -> collections.Counter:
    """Nothing confirmed was lost, and every duplicate a consumer sees is one the summary named."""
    counts = collections.Counter(ids)
    assert summary["confirmed"] == total and summary["ok"], summary
    assert len(counts) == total  # every confirmed event is in the queue
    twice = {event_id for event_id, n in counts.items() if n > 1}
    assert twice <= set(summary["possible_duplicate_ids"])
    assert len(ids) - total == sum(n - 1 for n in counts.values())
    assert summary["possible_duplicates"] == len(summary["possible_duplicate_ids"]) >= len(twice)
    return counts



def _tail_records(recording: Path) -> list[dict]:
    return [json.loads(line) for line in recording.read_text().splitlines()] if recording.exists() else []


def test_publish_and_tail_fail_over_when_the_connected_node_is_killed(on_cluster, start_ocelot, start_tail,
                                                                      tmp_path: Path):  # fmt: skip
    """One node loss, two commands on it: publish loses nothing confirmed and names its possible
    duplicates; tail re-binds on the next node, reports the gap and marks it in --output."""
    cluster = on_cluster.cluster
    queue = on_cluster.quorum_queue("comms.call.#")
    recording = tmp_path / "tail.jsonl"
    tail = start_tail("comms.sms.#", "--exchange", on_cluster.exchange, "--json", "--output", str(recording),
                      **_nodes_env(cluster))  # fmt: skip
    before = on_cluster.publish("comms.sms.sent", 20)
    wait_for(lambda: len(_tail_records(recording)) >= 20, 20, "the tail's first batch")
    full = on_cluster.full_queue("ocelot.rej.#")  # refuses every message (reject-publish), on a node that stays
    refused = start_ocelot("publish", "call.ended", "--count", "300", "--rate", "50", "--routing-key",
                           "ocelot.rej.x", "--exchange", on_cluster.exchange, "--reconnect-for", "5s",
                           **_nodes_env(cluster))  # fmt: skip
    total = 50_000
    running = start_ocelot("publish", "call.ended", "--count", str(total), "--exchange", on_cluster.exchange,
                           "--json", **_nodes_env(cluster))  # fmt: skip
    wait_for(lambda: on_cluster.depth(queue) >= 10_000 or running.proc.poll() is not None, 60, "10,000 confirmed")
    assert running.proc.poll() is None, running.stderr  # still publishing when the node goes
    assert refused.proc.poll() is None, refused.stderr
    cluster.nodes[0].kill()
    lost_at = time.monotonic()

    tail.wait_for_stderr("re-bound", timeout=60)
    after = on_cluster.publish("comms.sms.sent", 20)
    wait_for(lambda: sum(1 for i in after if i in recording.read_text()) == 20, 20, "the tail's second batch")
    tail.proc.send_signal(signal.SIGTERM)
    status, out = tail.finish()
    assert status == 143, tail.stderr  # ended by SIGTERM, its summary written
    assert [json.loads(line)["id"] for line in out.decode().splitlines()] == before + after
    assert "reconnected to amqp://guest:****@127.0.0.1:" in tail.stderr and "(gap)" in tail.stderr
    assert "reconnects 1 (gaps possible)" in tail.stderr
    assert any("gap" in json.dumps(r) and "reconnected" in json.dumps(r) for r in _tail_records(recording))

    # Refusals right after a failover are sent again, but only within --reconnect-for: a queue that
    # refuses everything ends the run (exit 9, every node's answer counted), never a reconnect loop.
    status, _out = refused.finish(timeout=60)
    assert status == 9, refused.stderr
    assert time.monotonic() - lost_at < 30
    assert "confirmed no message (refused or unanswered) within --reconnect-for 5s" in refused.stderr
    assert refused.stderr.count("reconnecting to send them again") < 12 and on_cluster.depth(full) == 1

    status, out = running.finish(timeout=120)
    assert status == 0, running.stderr
    summary = json.loads(out)
    assert [f["from"] for f in summary["failovers"]] == [_shown(cluster.nodes[0])]
    assert summary["failovers"][0]["to"] != summary["failovers"][0]["from"]
    assert "failed over from" in running.stderr
    _check_against_consumer(summary, on_cluster.ids(queue, total), total)


def _shown(node) -> str:
    return node.url.replace(":guest@", ":****@")



class MemoryAlarm:
    """A memory alarm on the private single node (never on the shared broker), cleared at the end."""

    def __init__(self, node) -> None:
        self.node = node

    def __enter__(self):
        self.original = self.node.ctl("eval", "vm_memory_monitor:get_vm_memory_high_watermark().").strip()
        self.node.ctl("set_vm_memory_high_watermark", "0.00001")
        wait_for(lambda: "memory" in self.node.ctl("eval", "rabbit_alarm:get_alarms()."), 30, "the memory alarm")
        return self

    def __exit__(self, *exc) -> None:
        self.node.ctl("set_vm_memory_high_watermark", self.original)
        wait_for(lambda: "memory" not in self.node.ctl("eval", "rabbit_alarm:get_alarms()."), 30, "alarm cleared")


@pytest.fixture
def solo_exchange(solo_broker):
    node = solo_broker.nodes[0]
    name = f"ocelot.test.{uuid.uuid4().hex[:10]}"
    with _Channel(node.url) as channel:
        channel.exchange_declare(name, "topic")
        queue = channel.queue_declare("", exclusive=False, auto_delete=False).method.queue
        channel.queue_bind(queue, name, "#")
    yield node, name
    with _Channel(node.url) as channel:
        channel.exchange_delete(name)
        channel.queue_delete(queue)


def _queues(node) -> list[str]:
    return [line.split("\t")[0] for line in node.ctl("list_queues", "name").splitlines() if line]


def test_broker_memory_alarm_never_hangs_publish(solo_exchange):
    node, exchange = solo_exchange
    with MemoryAlarm(node):
        started = time.monotonic()
        result = run_ocelot("publish", "call.ended", "--count", "50", "--exchange", exchange, "--blocked-timeout", "3",
                            OCELOT_AMQP_URL=node.url, timeout=60)  # fmt: skip
        elapsed = time.monotonic() - started
    assert result.returncode == 9, result.stderr
    assert b"blocked publishing" in result.stderr and b"resource alarm" in result.stderr
    assert elapsed < 30


def test_replay_fails_over_a_durable_quorum_tail_misses_nothing_and_smoke_says_which_nodes_answer(
    on_cluster, start_ocelot, start_tail, tmp_path: Path
):
    """One node loss: replay fails over; a tail through a durable quorum queue sees even what was
    sent while it moved; smoke and doctor check every node before and after."""
    cluster = on_cluster.cluster
    env = _nodes_env(cluster)
    smoke = run_ocelot("smoke", "--exchange", on_cluster.exchange, "--json", **env)
    assert smoke.returncode == 0, smoke.stdout
    connect = next(c for c in json.loads(smoke.stdout)["checks"] if c["name"] == "connect")
    assert [n["answered"] for n in connect["details"]["nodes"]] == [True, True, True]
    assert f"3 of 3 nodes answered, cluster {cluster.cluster_name!r}" in connect["message"]

    queue = on_cluster.quorum_queue("comms.call.#")
    durable = f"ocelot.test.tail.{uuid.uuid4().hex[:8]}"
    on_cluster.queues.append(durable)
    tail = start_tail("comms.sms.#", "--exchange", on_cluster.exchange, "--json", "--durable-queue", durable,
                      "--queue-type", "quorum", **env)  # fmt: skip
    seen: list[str] = []
    reader = threading.Thread(target=lambda: seen.extend(json.loads(line)["id"] for line in tail.proc.stdout),
                              daemon=True)  # fmt: skip
    reader.start()
    total = 20_000
    recording = tmp_path / "scenario.jsonl"
    made = run_ocelot("publish", "call.ended", "--count", str(total), "--dry-run", "--json")
    assert made.returncode == 0, made.stderr
    lines = [json.dumps(json.loads(line)["event"]) for line in made.stdout.decode().splitlines()]
    recording.write_text("\n".join(lines) + "\n")
    before = on_cluster.publish("comms.sms.sent", 20)
    running = start_ocelot("replay", str(recording), "--no-delay", "--exchange", on_cluster.exchange, "--json", **env)
    wait_for(lambda: on_cluster.depth(queue) >= 4000 or running.proc.poll() is not None, 60, "4,000 confirmed")
    assert running.proc.poll() is None, running.stderr
    cluster.nodes[0].kill()
    during = on_cluster.publish("comms.sms.sent", 20)  # while the tail is between nodes

    status, out = running.finish(timeout=120)
    assert status == 0, running.stderr
    summary = json.loads(out)
    summary = summary.get("publish", summary)
    assert len(summary["failovers"]) == 1
    counts = _check_against_consumer(summary, on_cluster.ids(queue, total), total)
    assert set(counts) == {json.loads(line)["id"] for line in lines}  # exactly the recording's events

    tail.wait_for_stderr("kept what arrived meanwhile", timeout=60)
    after = on_cluster.publish("comms.sms.sent", 20)
    wait_for(lambda: set(before + during + after) <= set(seen), 30, "every event, those sent during the failover too")
    tail.proc.send_signal(signal.SIGTERM)
    tail.proc.wait(timeout=30)
    reader.join(timeout=10)
    assert tail.proc.returncode == 143, tail.stderr
    assert "no gap" in tail.stderr
    assert on_cluster.depth(durable) == 0  # the durable queue is kept, and drained

    smoke = run_ocelot("smoke", "--exchange", on_cluster.exchange, "--json", **env)
    assert smoke.returncode == 0, smoke.stdout  # the cluster still serves: a warning, not a failure
    connect = next(c for c in json.loads(smoke.stdout)["checks"] if c["name"] == "connect")
    assert connect["outcome"] == "warning" and "2 of 3 nodes answered" in connect["message"]
    assert connect["details"]["used"] == _shown(cluster.nodes[1])
    assert [n["answered"] for n in connect["details"]["nodes"]] == [False, True, True]
    doctor = run_ocelot("doctor", "--exchange", on_cluster.exchange, "--json", **env)
    checks = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert checks["broker"]["outcome"] == "warning" and "2 of 3 nodes answered, cluster" in checks["broker"]["message"]
    assert f"checked on {_shown(cluster.nodes[1])}" in checks["exchange"]["message"]


def test_a_command_fails_with_every_nodes_reason_when_none_answers():
    result = run_ocelot("publish", "call.ended", "--count", "1",
                        OCELOT_AMQP_URL="amqp://guest:secret@127.0.0.1:1/,amqp://guest:secret@127.0.0.1:2/",
                        OCELOT_CONNECT_TIMEOUT="5s")  # fmt: skip
    assert result.returncode == 5, result.stderr
    err = result.stderr.decode()
    assert "no node of the cluster could be used (2 tried)" in err
    assert "127.0.0.1:1/: connection refused" in err and "127.0.0.1:2/: connection refused" in err
    assert "secret" not in err and "Traceback" not in err



def test_a_broker_memory_alarm_ends_a_load_run_within_the_blocked_timeout(solo_exchange):
    node, exchange = solo_exchange
    before = _queues(node)
    with MemoryAlarm(node):
        started = time.monotonic()
        result = run_ocelot("load", "--exchange", exchange, "--rate", "200", "--duration", "60s",
                            "--blocked-timeout", "2s", OCELOT_AMQP_URL=node.url, timeout=90)  # fmt: skip
        elapsed = time.monotonic() - started
    assert result.returncode == 9, result.stderr
    assert b"blocked" in result.stderr and b"Traceback" not in result.stderr
    assert elapsed < 40
    assert _queues(node) == before  # the run's queues are gone


def test_two_gateways_bridge_the_clusters_exchange_each_client_gets_each_event_once_across_a_node_loss(
    on_cluster, start_ocelot
):
    """Two gateway processes with --source amqp on the cluster's exchange, each with its own private
    queue: every client of a tenant, on either gateway, gets each of its tenant's events once; when
    the node they are on is killed, both re-bind on the next node and go on."""
    from tests.integration.conftest import SECRET, Gateway

    env = {**_nodes_env(on_cluster.cluster), "OCELOT_JWT_SECRET": SECRET}
    servers = []
    for _ in range(2):
        running = start_ocelot("gateway", "--listen", "127.0.0.1:0", "--source", "amqp", "--exchange",
                               on_cluster.exchange, "--stale-after", "60s", **env)  # fmt: skip
        running.wait_for_stderr("gateway listening on")
        servers.append(Gateway(int(re.search(r"ws://127\.0\.0\.1:(\d+)/ws", running.stderr).group(1)), running))
    for server in servers:
        wait_for(lambda server=server: server.http("/ready")[0] == 200, 20, "the gateway's RabbitMQ source")
    tenant, other = f"org-{uuid.uuid4().hex[:8]}", f"org-{uuid.uuid4().hex[:8]}"
    clients = []
    for server, org in ((servers[0], tenant), (servers[1], tenant), (servers[1], other)):
        client = server.connect(tenant=org, user="u1")
        assert client.recv()["type"] == "welcome"
        assert client.subscribe(f"tenant:{org}:events")["success"] is True
        clients.append(client)

    def publish(org: str, count: int) -> int:
        sent = run_ocelot("publish", "call.ended", "--org", org, "--count", str(count), "--exchange",
                          on_cluster.exchange, "--json", **_nodes_env(on_cluster.cluster))  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        return json.loads(sent.stdout)["confirmed"]

    def keys(client, count: int) -> list[str]:
        return [client.recv()["key"] for _ in range(count)]

    publish(tenant, 5)
    publish(other, 2)
    first = [keys(client, 5) for client in clients[:2]]
    assert first[0] == first[1] and len(set(first[0])) == 5  # the same five events, once each, on both gateways
    assert len(set(keys(clients[2], 2))) == 2  # the other tenant's client: its own two only

    on_cluster.cluster.nodes[0].kill()
    for server in servers:
        server.running.wait_for_stderr("re-bound", timeout=60)
    publish(tenant, 5)
    second = [keys(client, 5) for client in clients[:2]]
    assert second[0] == second[1] and len(set(second[0])) == 5 and not set(second[0]) & set(first[0])
    clients[2].ws.settimeout(1)
    with pytest.raises(websocket.WebSocketTimeoutException):  # nothing of the first tenant reached it
        while True:
            message = clients[2].recv()
            assert message.get("tenant_id") == other, message
    for client in clients:
        client.ws.close()


def _node_of(cluster, connection_name: str):
    """The node a connection of that name is on (by the node's AMQP port, as the cluster lists it)."""
    for node in cluster.nodes:
        if not node.answers():
            continue
        for line in node.ctl("list_connections", "port", "client_properties").splitlines():
            if f'"connection_name","{connection_name}"' in line:
                port = int(line.split("\t", 1)[0])
                return next(n for n in cluster.nodes if n.port == port)
    raise AssertionError(f"no connection named {connection_name!r} on the cluster")


def _commit_index(node, queue: str) -> int:
    """How many entries the quorum queue's leader has committed (its Raft log), as the node says."""
    out = node.ctl("eval", f'rabbit_quorum_queue:status(<<"/">>, <<"{queue}">>).', check=False)
    found = [int(n) for n in re.findall(r'<<"Commit Index">>,(\d+)', out)]
    return max(found, default=0)


def test_load_keeps_its_schedule_through_a_node_loss_and_counts_exactly(on_cluster, start_ocelot, tmp_path: Path):
    cluster = on_cluster.cluster
    run_id = f"t{uuid.uuid4().hex[:8]}"
    report_file = tmp_path / "run.json"
    running = start_ocelot("load", "--exchange", on_cluster.exchange, "--rate", "1000", "--duration", "8s",
                           "--queue-type", "quorum", "--persistent", "--run-id", run_id, "--report", str(report_file),
                           "--drain", "20s", **_nodes_env(cluster))  # fmt: skip

    def run_queue() -> str | None:
        names = [line.split("\t")[0] for line in cluster.nodes[1].ctl("list_queues", "name").splitlines()]
        return next((name for name in names if run_id in name), None)

    queue = wait_for(lambda: run_queue() or running.proc.poll() is not None, 60, "the run's queue")
    assert running.proc.poll() is None, running.stderr
    wait_for(lambda: _commit_index(cluster.nodes[1], queue) >= 1000 or running.proc.poll() is not None, 60,
             "1,000 messages through the quorum queue")  # fmt: skip
    assert running.proc.poll() is None, running.stderr
    publisher_node = _node_of(cluster, f"ocelot publish [{running.client_name}]")
    publisher_node.kill()  # the node the publisher is on, wherever the first answer took it
    status, out = running.finish(timeout=120)
    assert status == 0, running.stderr
    report = json.loads(report_file.read_text())
    assert report["failovers"] and report["failovers"][0]["from"] == _shown(publisher_node), running.stderr
    published, consumed = report["published"], report["consumed"]
    assert published["sent"] == 8000  # the schedule is kept: every message of the 8 s is sent
    assert published["acked"] == 8000 and published["nacked"] == 0
    assert report["lost"] == 0 and consumed["received"] == 8000  # each counted once, however often it came
    failovers = report["failovers"]
    assert failovers and all(f["from"] != f["to"] for f in failovers)
    assert report["failover_window_s"] == max(f["window_s"] for f in failovers) > 0
    assert b"failover   amqp://guest:****@" in out  # the summary says so
    # the failover pause is in the latencies (coordinated omission): the worst is at least the window
    assert report["latency"]["end_to_end"]["max_ms"] >= report["failover_window_s"] * 1000 * 0.5
