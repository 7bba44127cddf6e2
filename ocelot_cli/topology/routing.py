"""Where a routing key goes: topic patterns matched as RabbitMQ matches them, exchange-to-exchange
bindings followed, and the catalog's platform routing keys checked against an exchange's bindings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ocelot_cli.topology.model import BindingInfo, Topology


def _words(text: str) -> list[str]:
    # RabbitMQ splits on '.', and an empty key or pattern has no words at all (so '#' matches it, '*' does not).
    return text.split(".") if text else []


def topic_matches(pattern: str, routing_key: str) -> bool:
    """True when a topic binding ``pattern`` takes ``routing_key``: words separated by dots, ``*``
    exactly one word (an empty one too), ``#`` zero or more words; any other word matches itself."""
    key = _words(routing_key)
    reachable = {0}  # how many words of the key the pattern read so far can have consumed
    for word in _words(pattern):
        if word == "#":
            reachable = set(range(min(reachable), len(key) + 1))
        else:
            reachable = {i + 1 for i in reachable if i < len(key) and word in ("*", key[i])}
        if not reachable:
            return False
    return len(key) in reachable


def binding_takes(exchange_type: str | None, binding: BindingInfo, routing_key: str) -> bool | None:
    """Whether a binding of an exchange of this type takes a message with this routing key; None when
    the routing key alone cannot tell (a headers exchange matches on headers; plugin types, unknown)."""
    if exchange_type == "topic":
        return topic_matches(binding.routing_key, routing_key)
    if exchange_type == "direct":
        return binding.routing_key == routing_key
    if exchange_type == "fanout":
        return True
    return None


@dataclass
class Route:
    """The queues a message with ``routing_key`` reaches from an exchange, following exchange-to-exchange
    bindings; ``undecided``: exchanges on the way whose type the routing key alone cannot decide."""

    routing_key: str
    queues: list[str] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)
    alternate: str | None = None  # the alternate exchange that takes what no binding takes
    alternate_exists: bool = True  # an alternate exchange that does not exist takes nothing: unroutable

    @property
    def unroutable(self) -> bool:
        """Surely reaches no queue (nothing bound takes it, and no exchange on the way is undecided)."""
        return not self.queues and not self.undecided

    def as_data(self) -> dict[str, Any]:
        return {"routing_key": self.routing_key, "queues": self.queues, "undecided": self.undecided,
                "unroutable": self.unroutable, "alternate_exchange": self.alternate}  # fmt: skip


def route(topology: Topology, vhost: str, exchange: str, routing_key: str) -> Route:
    """Where ``routing_key`` published to ``exchange`` goes (every exchange is visited once: bindings
    between exchanges may form a cycle, and RabbitMQ delivers a message once per queue anyway). An
    exchange none of whose bindings takes the message hands it to its alternate exchange, if it has one,
    as RabbitMQ does; an alternate exchange that does not exist takes nothing."""
    queues: set[str] = set()
    undecided: list[str] = []
    pending, seen = [exchange], {exchange}
    while pending:
        name = pending.pop()
        found = topology.exchange(vhost, name)
        if found is None:
            continue
        took = False
        for binding in topology.bindings_from(vhost, name):
            takes = binding_takes(found.type, binding, routing_key)
            if takes is None:
                undecided.append(name)
                took = True  # perhaps: the headers decide, and with them whether the alternate is used
                break
            if not takes:
                continue
            took = True
            if binding.destination_type == "queue":
                queues.add(binding.destination)
            elif binding.destination not in seen:
                seen.add(binding.destination)
                pending.append(binding.destination)
        alternate = found.alternate_exchange
        if not took and alternate is not None and alternate not in seen:
            seen.add(alternate)
            pending.append(alternate)
    result = Route(routing_key, sorted(queues), sorted(set(undecided)))
    top = topology.exchange(vhost, exchange)
    if top is not None and top.alternate_exchange is not None and not any(
            binding_takes(top.type, b, routing_key) is not False for b in topology.bindings_from(vhost, exchange)):
        result.alternate = top.alternate_exchange
        result.alternate_exists = topology.exchange(vhost, top.alternate_exchange) is not None
    return result


@dataclass
class KeyRoute:
    """One catalog event type and where its routing key goes."""

    event_type: str
    route: Route

    def as_data(self) -> dict[str, Any]:
        return {"type": self.event_type, **self.route.as_data()}


@dataclass
class CatalogCheck:
    """The catalog's platform routing keys on one exchange, and its bindings that no catalog key matches."""

    vhost: str
    exchange: str
    exists: bool
    keys: list[KeyRoute] = field(default_factory=list)
    unmatched_bindings: list[str] = field(default_factory=list)

    def as_data(self) -> dict[str, Any]:
        return {"vhost": self.vhost, "exchange": self.exchange, "exists": self.exists,
                "keys": [key.as_data() for key in self.keys],
                "unmatched_bindings": self.unmatched_bindings}  # fmt: skip


def check_catalog(topology: Topology, vhost: str, exchange: str, keys: list[tuple[str, str]]) -> CatalogCheck:
    """Each (event type, routing key) routed from ``exchange``; the exchange's own binding keys that
    take none of the catalog's keys (a typo, or events the catalog does not know) are listed too."""
    found = topology.exchange(vhost, exchange)
    check = CatalogCheck(vhost, exchange, exists=found is not None)
    if found is None:
        return check
    check.keys = [KeyRoute(event_type, route(topology, vhost, exchange, key)) for event_type, key in keys]
    if found.type in ("topic", "direct"):
        patterns = dict.fromkeys(b.routing_key for b in topology.bindings_from(vhost, exchange))
        check.unmatched_bindings = [p for p in patterns if not any(
            binding_takes(found.type, BindingInfo(vhost, exchange, "", "queue", p), key) for _t, key in keys)]
    return check
