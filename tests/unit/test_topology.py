"""ocelot info's core without a network: topic matching, routes through exchanges, what a view selects,
the management URL derived from the AMQP URL, and the tree and JSON built from a topology."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocelot_cli.config.management import amqp_vhost, management_url_from_amqp, url_credentials, without_credentials
from ocelot_cli.config.settings import Settings
from ocelot_cli.topology.model import MANAGEMENT, BindingInfo, ExchangeInfo, QueueInfo, Topology
from ocelot_cli.topology.routing import check_catalog, route, topic_matches
from ocelot_cli.topology.selection import Selection, select
from ocelot_cli.topology.survey import InfoRequest, survey

# (pattern, routing key, matches) as RabbitMQ's topic exchange decides; tests/integration/test_info.py
# checks random ones against the broker itself.
TOPIC_CASES = [
    ("comms.call.*", "comms.call.ended", True),
    ("comms.call.*", "comms.call", False),
    ("comms.call.*", "comms.call.ended.late", False),
    ("comms.#", "comms", True),
    ("comms.#", "comms.call.ended", True),
    ("comms.#", "comm", False),
    ("#", "", True),
    ("#", "anything.at.all", True),
    ("*", "", False),
    ("*", "one", True),
    ("*", "one.two", False),
    ("", "", True),
    ("", "a", False),
    ("a.*", "a.", True),  # '*' takes an empty word
    ("a.*.b", "a..b", True),
    ("a.#.b", "a.b", True),
    ("a.#.b", "a.x.y.b", True),
    ("a.#.b", "a.x.y.c", False),
    ("#.b", "b", True),
    ("#.#", "", True),
    ("#.*", "", False),
    ("#.*", "x", True),
    ("*.#", "x.y.z", True),
    ("a#", "ab", False),  # wildcards are whole words only
    ("a*", "a*", True),
    ("comms.call.ended", "comms.call.ended", True),
    ("comms.call.ended", "comms.call.started", False),
]


@pytest.mark.parametrize(("pattern", "key", "expected"), TOPIC_CASES)
def test_topic_patterns_match_as_rabbitmq_matches_them(pattern, key, expected):
    assert topic_matches(pattern, key) is expected


def reference_match(pattern: list[str], key: list[str]) -> bool:
    """The textbook recursion: '#' takes nothing or one more word, '*' exactly one."""
    if not pattern:
        return not key
    if pattern[0] == "#":
        return reference_match(pattern[1:], key) or (bool(key) and reference_match(pattern, key[1:]))
    return bool(key) and pattern[0] in ("*", key[0]) and reference_match(pattern[1:], key[1:])


WORDS = st.sampled_from(["a", "b", "", "*", "#"])
KEY_WORDS = st.sampled_from(["a", "b", ""])


@given(st.lists(WORDS, max_size=6), st.lists(KEY_WORDS, max_size=6))
def test_topic_matching_agrees_with_the_textbook_recursion(pattern_words, key_words):
    pattern, key = ".".join(pattern_words), ".".join(key_words)
    words = lambda text: text.split(".") if text else []  # noqa: E731
    assert topic_matches(pattern, key) == reference_match(words(pattern), words(key))


@pytest.mark.parametrize(("amqp", "management"), [
    ("amqp://127.0.0.1:5672/%2F", "http://127.0.0.1:15672/"),
    ("amqp://guest:guest@rabbit.internal/", "http://rabbit.internal:15672/"),
    ("amqps://ops:p/a?ss#w0rd@rabbit.example:5671/prod", "https://rabbit.example:15671/"),
    ("amqp://u:pw@[::1]:5672/x", "http://[::1]:15672/"),
    ("amqp://a:5672/,amqp://b:5672/", "http://a:15672/"),
    ("AMQP://Host:5672/", "http://host:15672/"),
])  # fmt: skip
def test_the_management_url_is_the_amqp_urls_host_on_the_management_port_without_credentials(amqp, management):
    assert management_url_from_amqp(amqp) == management


@pytest.mark.parametrize("amqp", ["amqp:///vhost", "redis://h:6379/0", ""])
def test_no_management_url_is_derived_from_an_amqp_url_without_a_usable_host(amqp):
    assert management_url_from_amqp(amqp) is None


@pytest.mark.parametrize(("amqp", "vhost"), [
    ("amqp://h:5672/%2F", "/"), ("amqp://h:5672/", "/"), ("amqp://h:5672", "/"), ("amqp://h/prod", "prod"),
    ("amqp://u:p/w@h/team%2Fa?heartbeat=5", "team/a"), ("amqp://a/x,amqp://b/y", "x"),
])  # fmt: skip
def test_the_vhost_of_an_amqp_url_is_read_as_pika_reads_it(amqp, vhost):
    assert amqp_vhost(amqp) == vhost


def test_credentials_come_out_of_a_url_decoded_and_the_url_is_left_without_them():
    assert url_credentials("http://ops:p%40ss/w@h:15672/") == ("ops", "p@ss/w")
    assert url_credentials("http://h:15672/") is None
    assert without_credentials("http://ops:p%40ss/w@h:15672/api") == "http://h:15672/api"


def test_the_management_url_setting_is_derived_from_the_amqp_url_flag_env_or_default(monkeypatch, tmp_path):
    monkeypatch.setenv("OCELOT_CONFIG", str(tmp_path / "none.yaml"))
    for name in ("OCELOT_AMQP_URL", "OCELOT_MGMT_URL", "OCELOT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    derived = Settings().resolve("mgmt_url")
    assert (derived.value, derived.origin) == ("http://127.0.0.1:15672/", "derived from amqp_url (default)")
    assert derived.source() == "mgmt_url derived from amqp_url"
    from_flag = Settings().resolve("mgmt_url", flags={"amqp_url": "amqps://u:pw@flag.host/"})
    assert (from_flag.value, from_flag.origin) == ("https://flag.host:15671/", "derived from amqp_url (flag)")
    monkeypatch.setenv("OCELOT_AMQP_URL", "amqp://env.host:5672/")
    assert Settings().get("mgmt_url") == "http://env.host:15672/"
    monkeypatch.setenv("OCELOT_MGMT_URL", "http://mgmt.host:8080/rabbit/")
    assert Settings().resolve("mgmt_url").origin == "env OCELOT_MGMT_URL"
    assert Settings().get("mgmt_url", "http://flag:1/") == "http://flag:1/"


def test_a_profile_may_name_the_management_url(monkeypatch, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("profiles:\n  ops:\n    mgmt_url: https://ops@rabbit.internal:15671/\n")
    monkeypatch.setenv("OCELOT_CONFIG", str(config))
    monkeypatch.delenv("OCELOT_MGMT_URL", raising=False)
    resolved = Settings("ops").resolve("mgmt_url")
    assert (resolved.value, resolved.origin) == ("https://ops@rabbit.internal:15671/", "profile ops")


def bind(source: str, destination: str, key: str = "", kind: str = "queue", **arguments) -> BindingInfo:
    return BindingInfo("/", source, destination, kind, key, dict(arguments))


def sample_topology() -> Topology:
    """platform (topic) -> calls, -> audit (fanout) -> archive; orders (direct) -> billing; idle bound to nothing."""
    exchanges = [ExchangeInfo("/", name, kind) for name, kind in (
        ("", "direct"), ("amq.topic", "topic"), ("platform", "topic"), ("audit", "fanout"), ("orders", "direct"),
        ("by-header", "headers"))]  # fmt: skip
    queues = [QueueInfo("/", name, "classic", messages_ready=n, messages_unacknowledged=0, consumers=0)
              for n, name in enumerate(("calls", "archive", "billing", "idle", "tagged"))]  # fmt: skip
    bindings = [bind("", name, name) for name in ("calls", "archive", "billing", "idle", "tagged")] + [
        bind("platform", "calls", "comms.call.*"), bind("platform", "audit", "comms.#", "exchange"),
        bind("audit", "archive", "ignored"), bind("orders", "billing", "order.paid"),
        bind("platform", "by-header", "comms.campaign.#", "exchange"),
        bind("by-header", "tagged", "", **{"x-match": "all"}),
    ]  # fmt: skip
    return Topology(MANAGEMENT, ["/"], exchanges, queues, bindings)


def test_a_routing_key_is_followed_through_exchange_to_exchange_bindings():
    topology = sample_topology()
    assert route(topology, "/", "platform", "comms.call.ended").queues == ["archive", "calls"]
    assert route(topology, "/", "platform", "comms.sentiment.analyzed").queues == ["archive"]
    assert route(topology, "/", "platform", "billing.x").unroutable
    assert route(topology, "/", "orders", "order.paid").queues == ["billing"]
    headers = route(topology, "/", "platform", "comms.campaign.completed")
    assert headers.queues == ["archive"] and headers.undecided == ["by-header"] and not headers.unroutable


def test_a_cycle_of_exchange_bindings_is_walked_once():
    topology = Topology(MANAGEMENT, ["/"], [ExchangeInfo("/", "a", "topic"), ExchangeInfo("/", "b", "fanout")],
                        [QueueInfo("/", "q")], [bind("a", "b", "#", "exchange"), bind("b", "a", "", "exchange"),
                                                bind("b", "q")])  # fmt: skip
    assert route(topology, "/", "a", "x.y").queues == ["q"]


def test_an_unroutable_key_names_the_alternate_exchange_that_takes_it():
    topology = Topology(MANAGEMENT, ["/"], [ExchangeInfo("/", "x", "topic", arguments={"alternate-exchange": "ae"})],
                        [], [])  # fmt: skip
    found = route(topology, "/", "x", "k")
    assert found.alternate == "ae" and not found.alternate_exists and found.unroutable  # ae does not exist


def test_what_no_binding_takes_follows_the_alternate_exchange_as_rabbitmq_does():
    topology = Topology(MANAGEMENT, ["/"], [
        ExchangeInfo("/", "x", "topic", arguments={"alternate-exchange": "ae"}), ExchangeInfo("/", "ae", "fanout"),
        ExchangeInfo("/", "mid", "topic", arguments={"alternate-exchange": "ae2"}), ExchangeInfo("/", "ae2", "fanout"),
    ], [QueueInfo("/", "q.ae"), QueueInfo("/", "q.x"), QueueInfo("/", "q.ae2")], [
        bind("x", "q.x", "bound.#"), bind("x", "mid", "via.#", "exchange"), bind("ae", "q.ae"), bind("ae2", "q.ae2"),
    ])  # fmt: skip
    assert route(topology, "/", "x", "bound.key").queues == ["q.x"]  # a binding took it: no alternate
    other = route(topology, "/", "x", "other")
    assert other.queues == ["q.ae"] and other.alternate == "ae" and not other.unroutable
    assert route(topology, "/", "x", "via.key").queues == ["q.ae2"]  # mid's own alternate, one exchange down


def test_the_catalog_check_routes_each_key_and_lists_bindings_no_catalog_key_matches():
    topology = sample_topology()
    topology.bindings.append(bind("platform", "calls", "comms.sms.*"))
    topology.__post_init__()
    check = check_catalog(topology, "/", "platform", [("call.ended", "comms.call.ended"), ("x.y", "billing.x")])
    assert [(k.event_type, k.route.queues, k.route.unroutable) for k in check.keys] == [
        ("call.ended", ["archive", "calls"], False), ("x.y", [], True)]
    assert check.unmatched_bindings == ["comms.campaign.#", "comms.sms.*"]
    assert not check_catalog(topology, "/", "missing", [("call.ended", "comms.call.ended")]).exists


def test_with_nothing_selected_every_exchange_is_shown_but_the_default_and_unused_amq_ones():
    part = select(sample_topology(), Selection()).vhosts[0]
    assert part.roots == ["audit", "by-header", "orders", "platform"]
    assert [b.destination for b in part.bindings["platform"]] == ["audit", "calls", "by-header"]  # by key
    assert part.unbound == ["idle"]
    assert part.queues() == ["archive", "billing", "calls", "idle", "tagged"]


def test_a_selected_queue_is_shown_under_every_exchange_that_feeds_it_with_only_the_bindings_that_lead_to_it():
    view = select(sample_topology(), Selection(queues=("archive",)))
    part = view.vhosts[0]
    assert part.roots == ["audit", "platform"]
    assert {name: [b.destination for b in bindings] for name, bindings in part.bindings.items()} == {
        "audit": ["archive"], "platform": ["audit"]}
    assert part.unbound == [] and view.missing == []


def test_a_selected_exchange_is_shown_with_all_it_feeds_and_a_glob_selects_by_name():
    part = select(sample_topology(), Selection(exchanges=("platform",))).vhosts[0]
    assert part.roots == ["platform"] and set(part.bindings) == {"platform", "audit", "by-header"}
    globbed = select(sample_topology(), Selection(names=("i*",))).vhosts[0]
    assert globbed.roots == [] and globbed.unbound == ["idle"]


def test_names_that_do_not_exist_are_reported_missing():
    view = select(sample_topology(), Selection(exchanges=("nope",), queues=("calls", "gone")))
    assert view.missing == [("exchange", "nope"), ("queue", "gone")]


class FixedTopology:
    """Answers survey's one question with a topology made here (tests/integration/test_info.py reads a real one)."""

    def __init__(self, topology: Topology) -> None:
        self._topology = topology

    def topology(self, _query: object) -> Topology:
        return self._topology


def test_the_json_keeps_its_documented_keys_and_the_catalog_check_follows_the_platform_exchange():
    from ocelot_cli.render.info import tree_of

    reader = FixedTopology(sample_topology())
    report = survey(reader, None, InfoRequest(Selection(), "platform", (("call.ended", "comms.call.ended"),)))
    data = report.as_data()
    assert list(data) == ["source", "server", "management_problem", "vhosts", "missing", "exchanges", "queues",
                          "unbound_queues", "routes"]  # fmt: skip
    platform = next(e for e in data["exchanges"] if e["name"] == "platform")
    assert list(platform) == ["vhost", "name", "exists", "type", "durable", "auto_delete", "internal", "policy",
                              "arguments", "rates", "bindings"]  # fmt: skip
    assert platform["bindings"][1] == {"routing_key": "comms.call.*", "destination": "calls",
                                       "destination_type": "queue", "arguments": {}}  # fmt: skip
    assert data["routes"][0]["keys"] == [{"type": "call.ended", "routing_key": "comms.call.ended",
                                          "queues": ["archive", "calls"], "undecided": [], "unroutable": False,
                                          "alternate_exchange": None}]  # fmt: skip
    lines = []

    def walk(node, depth):
        lines.append("  " * depth + node.label)
        for child in node.children:
            walk(child, depth + 1)

    for root in tree_of(report):
        walk(root, 0)
    text = "\n".join(lines)
    assert "  exchange platform (topic)\n    pattern comms.#\n      exchange audit (fanout)\n" in text
    assert "        any routing key (bound with 'ignored')\n          queue archive (classic): 1 ready" in text
    assert "headers x-match=all" in text
    assert "comms.call.ended (call.ended): bound to 2 queues (archive, calls)" in text
    assert "  queues bound to nothing\n    queue idle (classic): 3 ready, 0 unacked, 0 consumers" in text
