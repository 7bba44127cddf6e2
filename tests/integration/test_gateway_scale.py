"""Gateways that scale out: two `ocelot gateway` processes on the one Redis serve one audience.

Each client gets each event of its tenant exactly once, from the gateway it is connected to;
no client gets another tenant's event; each process's /metrics counts its own clients only;
and `ocelot load --ws-url URL1,URL2` spreads its clients over both with nothing lost.
"""

import json
import re
import uuid

import pytest

from ocelot_cli.gateway.auth import mint
from tests.integration.conftest import REDIS_URL, SECRET, event_for, redis_publish, run_ocelot, wait_for

pytestmark = pytest.mark.integration

END = "end-of-test"


def unique_tenant(label):
    return f"{label}-{uuid.uuid4().hex[:10]}"


def two_gateways(gateway):
    # clients of these tests read without answering pings: a stale time longer than any test
    servers = [gateway("--stale-after", "60s", "--metrics-tenant-labels") for _ in range(2)]
    for server in servers:  # ready = its Redis subscription is up: wait for it, do not race it
        wait_for(lambda server=server: server.http("/ready") == (200, "ready\n"), 10, "the gateway to be ready")
    return servers


def subscribed(server, tenant, user):
    client = server.connect(tenant=tenant, user=user)
    assert client.recv()["type"] == "welcome"
    assert client.subscribe(f"tenant:{tenant}:events")["success"] is True
    return client


def task_ids_until_end(client):
    """The task ids of what the client receives, in order, up to and including its tenant's END event."""
    got = []
    while not got or got[-1] != END:
        message = client.recv()
        got.append((message.get("data") or {}).get("task_id"))
    return got


def metric(text, name, **labels):
    label_text = ",".join(f'{k}="{v}"' for k, v in labels.items())
    found = re.search(rf"^{re.escape(name)}\{{{re.escape(label_text)}\}} (\d+)$", text, re.MULTILINE)
    return int(found.group(1)) if found else 0


def test_every_client_of_a_tenant_gets_each_event_once_from_its_own_gateway(gateway):
    first, second = two_gateways(gateway)
    a, b = unique_tenant("ta"), unique_tenant("tb")
    # uneven on purpose, so that each process's counts can only be its own: first 1 a + 2 b, second 2 a + 1 b
    clients = {
        (first, a): [subscribed(first, a, "ua1")],
        (first, b): [subscribed(first, b, "ub1"), subscribed(first, b, "ub2")],
        (second, a): [subscribed(second, a, "ua2"), subscribed(second, a, "ua3")],
        (second, b): [subscribed(second, b, "ub3")],
    }
    expected = {a: ["a-1", "a-2", "a-3", END], b: ["b-1", "b-2", END]}

    # interleaved, on both tenants' channels, through redis-py and through `ocelot publish --to redis://`
    assert redis_publish(f"tenant:{a}:events", event_for(a, task_id="a-1")) >= 2  # both gateways heard it
    redis_publish(f"tenant:{b}:events", event_for(b, task_id="b-1"))
    for tenant, task in ((a, "a-2"), (b, "b-2")):
        published = run_ocelot("publish", "--to", REDIS_URL, "task.updated", "--tenant", tenant,
                               "--set", f"data.task_id={task}")  # fmt: skip
        assert published.returncode == 0, published.stderr.decode()
    redis_publish(f"tenant:{a}:events", event_for(a, task_id="a-3"))
    # last: each tenant's END. A gateway delivers a connection's messages in the order Redis published
    # them, so whatever a client got before its END is all it will ever get of this test's events.
    redis_publish(f"tenant:{a}:events", event_for(a, task_id=END))
    redis_publish(f"tenant:{b}:events", event_for(b, task_id=END))

    for (_server, tenant), group in clients.items():
        for client in group:
            assert task_ids_until_end(client) == expected[tenant]  # each once, in order, never the other tenant's

    token = mint(SECRET.encode(), tenant="ops", user="prometheus")
    seen = {}
    for server in (first, second):
        status, text = server.http("/metrics", token=token)
        assert status == 200
        seen[server] = text
        for tenant in (a, b):
            assert metric(text, "ws_connections", tenant_id=tenant) == len(clients[(server, tenant)])
    # deliveries: each process counts the events it sent to its own clients, nothing of the other's
    assert metric(seen[first], "ws_messages_sent_total", channel="tenant") == 1 * 4 + 2 * 3
    assert metric(seen[second], "ws_messages_sent_total", channel="tenant") == 2 * 4 + 1 * 3
    assert metric(seen[first], "ws_subscriptions_total", channel="tenant") == 3
    assert metric(seen[second], "ws_subscriptions_total", channel="tenant") == 3


def test_load_spreads_its_clients_over_both_gateways_and_loses_nothing(gateway, tmp_path):
    first, second = two_gateways(gateway)
    tenant = unique_tenant("tl")
    token = mint(SECRET.encode(), tenant=tenant, user="loader")
    urls = [f"ws://127.0.0.1:{server.port}/ws" for server in (first, second)]
    report_file = tmp_path / "load.json"
    result = run_ocelot("load", "--ws-url", ",".join(urls), "--channel", f"tenant:{tenant}:events",
                        "--clients", "5", "--consumers", "2", "--rate", "200", "--duration", "2s",
                        "--report", str(report_file), "--assert", "lost==0",
                        OCELOT_WS_TOKEN=token, OCELOT_REDIS_URL=REDIS_URL)  # fmt: skip
    out, err = result.stdout.decode(), result.stderr.decode()
    assert result.returncode == 0, err
    report = json.loads(report_file.read_text())
    sent = report["published"]["acked"]
    assert sent == 400
    assert [(g["url"], g["clients"]) for g in report["gateways"]] == [(urls[0], 3), (urls[1], 2)]  # i % 2
    for row in report["gateways"]:
        assert (row["received"], row["duplicates"], row["lost"]) == (sent * row["clients"], 0, 0)
    assert report["consumed"]["received"] == sent * 5 and report["consumed"]["duplicates"] == 0
    assert report["lost"] == 0
    assert report["plan"]["ws"]["urls"] == urls
    assert f"gateway 1 {urls[0]}: 3 client(s), 1200 received, 0 duplicates, 0 lost" in out
    assert f"gateway 2 {urls[1]}: 2 client(s), 800 received, 0 duplicates, 0 lost" in out
    assert "2 gateways" in err  # where the run went, on stderr
    assert token not in out + err


def test_load_masks_passwords_of_every_gateway_it_names(gateway, tmp_path):
    first, second = two_gateways(gateway)
    tenant = unique_tenant("tp")
    token = mint(SECRET.encode(), tenant=tenant, user="loader")
    urls = [f"ws://user:pw-{n}-s3cret@127.0.0.1:{server.port}/ws" for n, server in enumerate((first, second))]
    report_file = tmp_path / "load.json"
    result = run_ocelot("load", "--ws-url", urls[0], "--ws-url", urls[1], "--channel", f"tenant:{tenant}:events",
                        "--clients", "2", "--rate", "50", "--duration", "1s", "--report", str(report_file),
                        "--json", OCELOT_WS_TOKEN=token, OCELOT_REDIS_URL=REDIS_URL)  # fmt: skip
    shown = result.stdout.decode() + result.stderr.decode() + report_file.read_text()
    assert result.returncode == 0, shown
    assert "s3cret" not in shown and token not in shown
    report = json.loads(result.stdout)
    assert [g["clients"] for g in report["gateways"]] == [1, 1]
    assert report["gateways"][1]["url"] == f"ws://user:****@127.0.0.1:{second.port}/ws"
