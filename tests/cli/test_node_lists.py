"""A cluster's node list: how it is written (comma-separated, the option repeated, a profile's YAML
list), masked, checked before connecting, ordered, and walked by a publisher on a lost node.
Connecting to real nodes is in tests/integration/test_cluster.py."""

from __future__ import annotations

import pytest

from ocelot_cli.config.redact import mask_url, scrub, split_nodes
from ocelot_cli.errors import BrokerUnreachable, ExitStatus
from ocelot_cli.transports.amqp.connection import node_order, none_answered
from ocelot_cli.transports.amqp.nodes import NodeRing
from ocelot_cli.transports.base import Endpoint
from ocelot_cli.transports.messages import PublishReport

A, B, C = (f"amqp://guest:pw{n}@127.0.0.1:{n}/%2F" for n in (1, 2, 3))


def test_a_node_list_splits_only_before_a_scheme():
    assert split_nodes(f"{A},{B}, {C}") == [A, B, C]
    assert split_nodes("amqp://u:p,w@h:1/") == ["amqp://u:p,w@h:1/"]  # a comma inside a URL stays there
    assert split_nodes(A) == [A]


def test_every_password_of_a_node_list_is_masked():
    shown = mask_url(f"{A},{B}")
    assert shown == "amqp://guest:****@127.0.0.1:1/%2F,amqp://guest:****@127.0.0.1:2/%2F"
    text = scrub(f"cannot use {A},{B} now")
    assert "pw1" not in text and "pw2" not in text and "127.0.0.1:1" in text and "127.0.0.1:2" in text


def test_nodes_are_tried_from_the_one_after_the_lost_node():
    endpoint = Endpoint(f"{A},{B},{C}")
    assert [n.url for n in endpoint.nodes] == [A, B, C]
    assert [n.url for n in node_order(endpoint)] == [A, B, C]
    assert [n.url for n in node_order(endpoint, after=endpoint.nodes[1])] == [C, A, B]
    assert Endpoint(A).nodes == (Endpoint(A),)


def test_when_no_node_answers_the_error_gives_each_nodes_reason_and_the_first_status():
    error = none_answered([BrokerUnreachable("cannot connect to X: connection refused", hint="start it"),
                           BrokerUnreachable("cannot connect to Y: no answer within 5s")])  # fmt: skip
    assert error.exit_status == ExitStatus.UNREACHABLE
    assert error.message == ("no node of the cluster could be used (2 tried): cannot connect to X: connection "
                             "refused; cannot connect to Y: no answer within 5s")  # fmt: skip
    assert error.hint == "start it"


def test_a_publishers_ring_tries_every_other_node_at_once_then_waits():
    ring = NodeRing(Endpoint(f"{A},{B},{C}"), "test")
    report = PublishReport()
    assert ring.opened(report, again=False, resend=0) is None and report.node.endswith(":1/%2F")
    ring.lost()
    assert ring.advance() and ring.current.url == B  # the next node, at once
    assert ring.advance() and ring.current.url == C
    assert not ring.advance() and ring.current.url == A  # every node tried since the loss: wait first
    said = ring.opened(report, again=False, resend=7)
    assert said.startswith("reconnected to amqp://guest:****@127.0.0.1:1/%2F") and "sending again 7" in said
    assert report.reconnects == 1 and report.failovers[0]["from"] == report.failovers[0]["to"]
    ring.lost()
    ring.advance()
    said = ring.opened(report, again=False, resend=0)
    assert "failed over from amqp://guest:****@127.0.0.1:1/%2F to amqp://guest:****@127.0.0.1:2/%2F" in said
    ring.settled(report)
    assert report.failovers[-1]["window_s"] >= 0 and len(report.failovers) == 2


def test_a_single_url_has_no_other_node_to_go_to():
    ring = NodeRing(Endpoint(A), "test")
    ring.lost()
    assert not ring.advance() and ring.current.url == A


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["publish", "call.ended", "--amqp-url", "amqp://127.0.0.1:1/,redis://127.0.0.1:2/"],
         "node redis://127.0.0.1:2/ is not amqp:// like the first node"),
        (["publish", "call.ended", "--amqp-url", "amqp://127.0.0.1:1/,amqp://127.0.0.1:x/"],
         "(node amqp://127.0.0.1:x/): cannot use this URL (its port is not a number"),
        (["publish", "task.updated", "--to", "redis://127.0.0.1:1/,redis://127.0.0.1:2/"],
         "a list of URLs names the nodes of a RabbitMQ cluster; Redis pub/sub takes one URL"),
        (["tail", "--queue-type", "quorum"], "--queue-type quorum needs --durable-queue NAME"),
        (["tail", "--durable-queue", "amq.x"], "give a name of your own"),
        (["tail", "--durable-queue", "q" * 256], "the queue name is 256 bytes"),
        (["tail", "redis://127.0.0.1:1", "--channel", "c", "--durable-queue", "q"],
         "--durable-queue and --queue-type are for RabbitMQ"),
    ],
    ids=["mixed-schemes", "bad-node", "redis-list", "quorum-without-name", "amq-name", "long-name", "redis-queue"],
)  # fmt: skip
def test_a_bad_node_list_or_queue_choice_is_refused_before_connecting(cli, args, message):
    result = cli(*args)
    assert result.code == 2, result.err
    assert message in result.err and "cannot connect" not in result.err


def test_the_option_repeated_and_a_profile_list_name_the_same_nodes(cli, tmp_path, monkeypatch):
    config = tmp_path / "config.yaml"
    config.write_text("profiles:\n  prod:\n    amqp_url:\n      - amqp://a:5672/\n      - amqp://b:5672/\n")
    monkeypatch.setenv("OCELOT_CONFIG", str(config))
    result = cli("--profile", "prod", "config", "show", "--json")
    assert '"value": "amqp://a:5672/,amqp://b:5672/"' in result.out.replace('":"', '": "'), result.out
    result = cli("config", "show", "--amqp-url", "amqp://a:5672/", "--amqp-url", "amqp://b:5672/", "--json")
    assert "amqp://a:5672/,amqp://b:5672/" in result.out


def test_shuffled_nodes_are_the_same_nodes_in_some_order(cli, monkeypatch):
    from ocelot_cli.commands.state import RunState

    urls = [f"amqp://127.0.0.1:{n}/" for n in range(1, 9)]
    orders = {RunState().endpoint("amqp_url", urls, shuffle=True).url for _ in range(20)}
    assert all(sorted(split_nodes(order)) == sorted(urls) for order in orders)
    assert len(orders) > 1  # 20 draws of 8! orders: all alike would be a broken shuffle
    assert RunState().endpoint("amqp_url", urls).url == ",".join(urls)


@pytest.mark.parametrize("value", [f"{A},", f"{A},,{B}", f"{A}, ,{B}"], ids=["trailing", "double", "blank"])
def test_an_empty_entry_is_refused_not_read_as_part_of_a_vhost(cli, value):
    result = cli("publish", "call.ended", "--amqp-url", value)
    assert result.code == 2 and "the node list has an empty entry" in result.err, result.err
    assert "pw1" not in result.err


@pytest.mark.parametrize(
    ("items", "message"),
    [("[]", "amqp_url of profile prod is an empty list"),
     ("['amqp://a:5672/', 42]", "amqp_url of profile prod: item 2 is int item, not a URL"),
     ("['amqp://a:5672/', null]", "amqp_url of profile prod: item 2 is an empty item, not a URL"),
     ("[['amqp://a:5672/']]", "amqp_url of profile prod: item 1 is list item, not a URL")],
    ids=["empty", "number", "null", "nested"],
)  # fmt: skip
def test_a_profile_list_item_that_is_no_url_is_a_configuration_error(cli, tmp_path, monkeypatch, items, message):
    config = tmp_path / "config.yaml"
    config.write_text(f"profiles:\n  prod:\n    amqp_url: {items}\n")
    monkeypatch.setenv("OCELOT_CONFIG", str(config))
    result = cli("--profile", "prod", "smoke")
    assert result.code == 4 and message in result.err, result.err


def test_the_ring_gives_up_with_each_node_once_reconnect_for_is_over(monkeypatch):
    from ocelot_cli.errors import BrokerTimeout
    from ocelot_cli.transports.retry import Backoff

    ring = NodeRing(Endpoint(f"{A},{B}"), "test", window=5.0)
    ring.lost()
    assert ring.next_delay(Backoff(5.0), ConnectionResetError()) == 0.0  # the other node, at once
    monkeypatch.setattr(ring, "_lost_at", ring._lost_at - 6)  # --reconnect-for is over
    with pytest.raises(BrokerUnreachable) as gave_up:
        ring.next_delay(Backoff(5.0), ConnectionResetError())
    assert "no node of the cluster answered within --reconnect-for 5s" in gave_up.value.message
    assert "127.0.0.1:1" in gave_up.value.message and "127.0.0.1:2" in gave_up.value.message
    ring.opened(PublishReport(), again=False, resend=3)  # a node answered, but confirmed nothing
    with pytest.raises(BrokerTimeout) as refused:
        ring.next_delay(Backoff(5.0), ConnectionResetError(), paced=True)
    assert "confirmed no message (refused or unanswered) within --reconnect-for 5s" in refused.value.message
