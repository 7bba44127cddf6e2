"""ocelot info against the real broker and its real management API: the exchanges, bindings and counts a
test made, the catalog's routing keys on the platform exchange, filters, and what AMQP alone tells when
the management API cannot be used. Topic matching is checked against the broker's own routing."""

from __future__ import annotations

import base64
import json
import random
import re
import socket
import threading
import time
import urllib.parse
import urllib.request
import uuid

import pika
import pytest

from tests.integration.conftest import Broker, run_ocelot, wait_for

pytestmark = pytest.mark.integration

MANAGEMENT = "http://127.0.0.1:15672/api/"
SMS_TYPE = """type: sms.sent
envelope: platform
description: An SMS left (a catalog entry of the test's own).
routing_key: comms.sms.sent
data_schema: {type: object}
"""


def management_get(path: str) -> object:
    token = base64.b64encode(b"guest:guest").decode()
    request = urllib.request.Request(MANAGEMENT + path, headers={"Authorization": f"Basic {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def reported(queue: str, **counts: int) -> bool:
    """Whether the management API reports these counts for the queue yet (its statistics lag by seconds)."""
    found = management_get(f"queues/%2F/{urllib.parse.quote(queue, safe='')}")
    return all(found.get(key) == value for key, value in counts.items())


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Topology:
    """platform (topic) -> calls [comms.call.*], -> audit (fanout) [comms.campaign.#] -> archive; idle bound
    to nothing. calls holds 3 messages, archive 2 (one taken, unacked, by a consumer), idle 4."""

    def __init__(self, rabbit) -> None:
        prefix = f"ocelot.test.info.{uuid.uuid4().hex[:8]}"
        self.prefix = prefix
        self.platform, self.audit = f"{prefix}.platform", f"{prefix}.audit"
        self.calls, self.archive, self.idle = f"{prefix}.calls", f"{prefix}.archive", f"{prefix}.idle"
        channel = rabbit.channel
        channel.exchange_declare(self.platform, "topic")
        channel.exchange_declare(self.audit, "fanout")
        rabbit.exchanges += [self.platform, self.audit]
        for queue in (self.calls, self.archive, self.idle):
            channel.queue_declare(queue)
            rabbit.queues.append(queue)
        channel.queue_bind(self.calls, self.platform, "comms.call.*")
        channel.exchange_bind(self.audit, self.platform, "comms.campaign.#")
        channel.queue_bind(self.archive, self.audit, "")
        channel.confirm_delivery()
        for _ in range(3):
            channel.basic_publish(self.platform, "comms.call.ended", b"{}", mandatory=True)
        for _ in range(2):
            channel.basic_publish(self.platform, "comms.campaign.completed", b"{}", mandatory=True)
        for _ in range(4):
            channel.basic_publish("", self.idle, b"{}", mandatory=True)
        self.consumer = pika.BlockingConnection(pika.URLParameters(rabbit.url))
        consuming = self.consumer.channel()
        consuming.basic_qos(prefetch_count=1)
        consuming.basic_consume(self.archive, lambda *_args: None)  # takes one, never acks it
        wait_for(lambda: reported(self.calls, messages_ready=3, consumers=0)
                 and reported(self.archive, messages_ready=1, messages_unacknowledged=1, consumers=1)
                 and reported(self.idle, messages_ready=4), 60, "the management API's counts")  # fmt: skip

    def close(self) -> None:
        self.consumer.close()


@pytest.fixture(scope="module")
def topology(broker):
    """One topology for the module's tests, which only read it: the management API's counts take seconds
    to show what a test made, so it is made and awaited once."""
    owner = Broker(broker)
    made = Topology(owner)
    yield made
    made.close()
    owner.cleanup()


def info(*args: str, **env: str):
    result = run_ocelot("info", *args, **env)
    return result.returncode, result.stdout.decode(), result.stderr.decode()


def without_rates(text: str) -> str:
    """The tree without its message rates, which depend on when the broker last sampled them."""
    return re.sub(r"(?:, |: )(?:in|out) \d+\.\d/s", "", text)


def test_info_json_shows_the_exchange_its_bindings_and_the_counts_the_test_made(topology, tmp_path):
    (tmp_path / "sms.sent.yaml").write_text(SMS_TYPE)
    code, out, err = info("--json", "--exchange", topology.platform, "--catalog", str(tmp_path),
                          OCELOT_EXCHANGE=topology.platform)  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["source"] == "management" and data["management_problem"] is None and data["vhosts"] == ["/"]
    exchanges = {e["name"]: e for e in data["exchanges"]}
    assert set(exchanges) == {topology.platform, topology.audit}
    assert exchanges[topology.platform]["type"] == "topic" and exchanges[topology.audit]["type"] == "fanout"
    assert exchanges[topology.platform]["bindings"] == [
        {"routing_key": "comms.call.*", "destination": topology.calls, "destination_type": "queue", "arguments": {}},
        {"routing_key": "comms.campaign.#", "destination": topology.audit, "destination_type": "exchange",
         "arguments": {}},
    ]  # fmt: skip
    assert [b["destination"] for b in exchanges[topology.audit]["bindings"]] == [topology.archive]
    queues = {q["name"]: q for q in data["queues"]}
    assert set(queues) == {topology.calls, topology.archive}
    counts = {name: (q["type"], q["messages_ready"], q["messages_unacknowledged"], q["consumers"])
              for name, q in queues.items()}  # fmt: skip
    assert counts == {topology.calls: ("classic", 3, 0, 0), topology.archive: ("classic", 1, 1, 1)}
    assert data["unbound_queues"] == [] and data["missing"] == []
    (check,) = data["routes"]
    assert check["exchange"] == topology.platform and check["exists"] is True
    keys = {key["routing_key"]: key for key in check["keys"]}
    assert keys["comms.call.ended"]["queues"] == [topology.calls] and keys["comms.call.started"]["queues"] == [
        topology.calls]
    assert keys["comms.campaign.completed"]["queues"] == [topology.archive]
    for unroutable in ("comms.sms.sent", "comms.sentiment.analyzed"):
        assert keys[unroutable]["queues"] == [] and keys[unroutable]["unroutable"] is True
    assert keys["comms.sms.sent"]["type"] == "sms.sent"


def test_info_text_tree_names_the_same_things_and_says_which_catalog_keys_are_unroutable(topology, tmp_path):
    (tmp_path / "sms.sent.yaml").write_text(SMS_TYPE)
    code, out, err = info("--exchange", topology.platform, "--catalog", str(tmp_path),
                          OCELOT_EXCHANGE=topology.platform)  # fmt: skip
    assert code == 0, err
    out = without_rates(out)
    assert out.startswith("vhost /\n")
    assert (f"  exchange {topology.platform} (topic)\n"
            f"    pattern comms.call.*\n"
            f"      queue {topology.calls} (classic): 3 ready, 0 unacked, 0 consumers\n"
            f"    pattern comms.campaign.#\n"
            f"      exchange {topology.audit} (fanout)\n"
            f"        any routing key\n"
            f"          queue {topology.archive} (classic): 1 ready, 1 unacked, 1 consumer\n") in out
    assert f"  catalog routing keys on {topology.platform}\n" in out
    assert f"    comms.call.ended (call.ended): bound to 1 queue ({topology.calls})\n" in out
    assert f"    comms.call.started (call.started): bound to 1 queue ({topology.calls})\n" in out
    assert "    comms.sms.sent (sms.sent): no queue bound, messages to it are unroutable\n" in out
    assert "    comms.sentiment.analyzed (sentiment.analyzed): no queue bound, messages to it are unroutable\n" in out


def test_info_name_filter_shows_matching_queues_under_the_exchanges_that_feed_them(topology):
    code, out, err = info("--json", "--name", f"{topology.prefix}.a*", "--name", f"{topology.prefix}.idle")
    assert code == 0, err
    data = json.loads(out)
    exchanges = {e["name"]: [b["destination"] for b in e["bindings"]] for e in data["exchanges"]}
    assert exchanges == {topology.platform: [topology.audit], topology.audit: [topology.archive]}
    assert {q["name"] for q in data["queues"]} == {topology.archive, topology.idle}
    assert data["unbound_queues"] == [{"vhost": "/", "name": topology.idle}]
    assert data["routes"] == []  # the platform exchange (ocelot.events) is not in this view


def test_info_with_everything_lists_the_test_exchange_and_the_queue_bound_to_nothing(topology):
    code, out, err = info("--all-vhosts")
    assert code == 0, err
    out = without_rates(out)
    assert f"\n  exchange {topology.platform} (topic)\n" in out
    assert "  queues bound to nothing\n" in out and f"    queue {topology.idle} (classic): 4 ready" in out


def test_an_unreachable_management_api_falls_back_to_passive_declares_and_says_so(topology):
    port = closed_port()
    code, out, err = info("--json", "--mgmt-url", f"http://127.0.0.1:{port}/", "--queue", topology.calls,
                          "--exchange", topology.audit, OCELOT_EXCHANGE=topology.platform)  # fmt: skip
    assert code == 0, err
    assert f"cannot reach the management API at http://127.0.0.1:{port}/: connection refused" in err
    assert "rabbitmq-plugins enable rabbitmq_management" in err and "--mgmt-url" in err
    assert "showing what AMQP alone can tell" in err
    data = json.loads(out)
    assert data["source"] == "amqp" and data["management_problem"]["status"] == 5
    assert data["routes"] is None and data["unbound_queues"] is None
    exchanges = {e["name"]: (e["exists"], e["type"], e["bindings"]) for e in data["exchanges"]}
    assert exchanges == {topology.audit: (True, "fanout", None), topology.platform: (True, "topic", None)}
    (queue,) = data["queues"]
    assert (queue["name"], queue["exists"], queue["messages_ready"], queue["consumers"]) == (topology.calls, True,
                                                                                             3, 0)  # fmt: skip
    nothing = f"{topology.prefix}.nothing"
    text_code, text, _err = info("--mgmt-url", f"http://127.0.0.1:{port}/", "--queue", topology.calls,
                                 "--queue", nothing, OCELOT_EXCHANGE=topology.platform)  # fmt: skip
    assert text_code == 7  # a queue named that does not exist
    assert f"  exchange {topology.platform}: exists (topic)\n" in text
    assert f"  queue {topology.calls}: exists: 3 ready, 0 consumers\n" in text
    assert f"  queue {nothing}: does not exist\n" in text


def test_a_wrong_management_password_is_reported_without_the_password(topology):
    code, out, err = info("--queue", topology.calls, OCELOT_MGMT_URL="http://guest:wrong-pw-4821@127.0.0.1:15672/")
    assert code == 0, err
    assert ("the management API at http://guest:****@127.0.0.1:15672/ refused the credentials of user 'guest' "
            "(from the management URL)") in err  # fmt: skip
    assert "wrong-pw-4821" not in out + err
    assert f"queue {topology.calls}: exists: 3 ready" in out


def test_a_management_api_that_never_answers_is_given_up_after_the_connect_timeout(topology):
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    try:
        started = time.monotonic()
        code, out, err = info("--queue", topology.calls, "--connect-timeout", "2s",
                              "--mgmt-url", f"http://127.0.0.1:{listener.getsockname()[1]}/")  # fmt: skip
        assert time.monotonic() - started < 2 + 8  # the timeout, plus starting Python on a busy machine
    finally:
        listener.close()
        for connection in accepted:
            connection.close()
    assert code == 0, err
    assert "no answer within 2s" in err and f"queue {topology.calls}: exists: 3 ready" in out


def test_nothing_answering_is_exit_5_naming_both_failures():
    port = closed_port()
    code, _out, err = info("--mgmt-url", f"http://127.0.0.1:{port}/",
                           OCELOT_AMQP_URL=f"amqp://guest:s3cret-pw@127.0.0.1:{port}/%2F")  # fmt: skip
    assert code == 5, err
    assert f"cannot reach the management API at http://127.0.0.1:{port}/: connection refused; over AMQP: cannot " \
           f"connect to amqp://guest:****@127.0.0.1:{port}/%2F: connection refused" in err
    assert "s3cret-pw" not in err and "Traceback" not in err


def test_a_vhost_that_does_not_exist_and_a_missing_exchange_are_exit_7(broker):
    code, _out, err = info("--vhost", f"ocelot-test-{uuid.uuid4().hex[:8]}")
    assert code == 7 and "does not exist on http://127.0.0.1:15672/" in err and "--all-vhosts" in err
    missing = f"ocelot.test.info.{uuid.uuid4().hex[:8]}"
    code, out, err = info("--json", "--exchange", missing)
    assert code == 7 and f"not found in vhost '/': exchange {missing!r}" in err
    assert json.loads(out)["missing"] == [{"kind": "exchange", "name": missing}]


def test_topic_matching_agrees_with_the_brokers_own_routing(rabbit):
    """Random patterns and keys over a small alphabet (empty words, '*', '#'), routed by the broker."""
    from ocelot_cli.topology.routing import topic_matches

    rng = random.Random(20261128)
    word = lambda choices: ".".join(rng.choice(choices) for _ in range(rng.randint(0, 4)))  # noqa: E731
    patterns = sorted({"", "#", "*", "#.#", "a.#.b", *(word(["a", "b", "", "*", "#"]) for _ in range(40))})
    keys = sorted({"", ".", "a", "a.", *(word(["a", "b", ""]) for _ in range(60))})
    exchange = rabbit.exchange()
    queues = {pattern: rabbit.queue(exchange, pattern) for pattern in patterns}
    rabbit.channel.confirm_delivery()
    for key in keys:
        rabbit.channel.basic_publish(exchange, key, key.encode())
    for pattern, queue in queues.items():
        got = {body.decode() for _method, _props, body in rabbit.drain(queue)}
        assert got == {key for key in keys if topic_matches(pattern, key)}, f"pattern {pattern!r}"
