"""Exchanges, queues and bindings as a broker reports them, and where the report came from.

A value the source could not tell is None (AMQP alone knows no bindings, rates or unacked
counts; a broker with statistics off reports no counts), never a made-up zero.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

MANAGEMENT = "management"  # read from the management HTTP API: everything
AMQP = "amqp"  # passive declares over AMQP: existence, exchange type, queue depth and consumers


@dataclass(frozen=True)
class ExchangeInfo:
    """One exchange; ``exists`` False for a name asked about that the broker does not have."""

    vhost: str
    name: str
    type: str | None = None
    durable: bool | None = None
    auto_delete: bool | None = None
    internal: bool | None = None
    policy: str | None = None
    arguments: dict[str, Any] = field(default_factory=dict, hash=False)
    rates: dict[str, float] = field(default_factory=dict, hash=False)  # publish_in, publish_out (per second)
    exists: bool = True

    @property
    def alternate_exchange(self) -> str | None:
        value = self.arguments.get("alternate-exchange")
        return value if isinstance(value, str) and value else None

    def as_data(self) -> dict[str, Any]:
        """Plain data for --json (the keys are documented in ``ocelot info --help``)."""
        return {"vhost": self.vhost, "name": self.name, "exists": self.exists, "type": self.type,
                "durable": self.durable, "auto_delete": self.auto_delete, "internal": self.internal,
                "policy": self.policy, "arguments": self.arguments, "rates": self.rates}  # fmt: skip


@dataclass(frozen=True)
class QueueInfo:
    """One queue with its counts as last measured (None: not reported by the source)."""

    vhost: str
    name: str
    type: str | None = None  # classic, quorum, stream
    durable: bool | None = None
    auto_delete: bool | None = None
    exclusive: bool | None = None
    policy: str | None = None
    operator_policy: str | None = None
    arguments: dict[str, Any] = field(default_factory=dict, hash=False)
    state: str | None = None
    messages_ready: int | None = None
    messages_unacknowledged: int | None = None
    messages: int | None = None
    consumers: int | None = None
    rates: dict[str, float] = field(default_factory=dict, hash=False)  # publish, deliver_get (per second)
    exists: bool = True

    def as_data(self) -> dict[str, Any]:
        """Plain data for --json."""
        return {"vhost": self.vhost, "name": self.name, "exists": self.exists, "type": self.type,
                "durable": self.durable, "auto_delete": self.auto_delete, "exclusive": self.exclusive,
                "policy": self.policy, "operator_policy": self.operator_policy, "arguments": self.arguments,
                "state": self.state, "messages_ready": self.messages_ready,
                "messages_unacknowledged": self.messages_unacknowledged, "messages": self.messages,
                "consumers": self.consumers, "rates": self.rates}  # fmt: skip


@dataclass(frozen=True)
class BindingInfo:
    """A binding from an exchange to a queue or to another exchange."""

    vhost: str
    source: str
    destination: str
    destination_type: str  # "queue" or "exchange"
    routing_key: str
    arguments: dict[str, Any] = field(default_factory=dict, hash=False)

    def as_data(self) -> dict[str, Any]:
        """Plain data for --json (the source is the exchange it is listed under)."""
        return {"routing_key": self.routing_key, "destination": self.destination,
                "destination_type": self.destination_type, "arguments": self.arguments}  # fmt: skip


@dataclass(frozen=True)
class Problem:
    """Why a source was not used: the message and hint of its error, and that error's exit status."""

    message: str
    hint: str | None
    status: int

    def as_data(self) -> dict[str, Any]:
        return {"message": self.message, "hint": self.hint, "status": self.status}


@dataclass
class Topology:
    """What a broker told about its exchanges, queues and bindings, in the vhosts asked about.

    ``bindings`` is None when the source cannot list them (AMQP). ``server`` holds what is known of
    the broker (``rabbitmq_version``, ``cluster_name``) and the masked URLs asked (``management_url``,
    ``amqp_url``). ``problem`` says why the management API was not used, when it was not.
    """

    source: str
    vhosts: list[str]
    exchanges: list[ExchangeInfo] = field(default_factory=list)
    queues: list[QueueInfo] = field(default_factory=list)
    bindings: list[BindingInfo] | None = field(default_factory=list)
    server: dict[str, str] = field(default_factory=dict)
    problem: Problem | None = None
    _exchanges: dict[tuple[str, str], ExchangeInfo] = field(default_factory=dict, init=False, repr=False)
    _queues: dict[tuple[str, str], QueueInfo] = field(default_factory=dict, init=False, repr=False)
    _from: dict[tuple[str, str], list[BindingInfo]] = field(default_factory=dict, init=False, repr=False)
    _to: dict[tuple[str, str, str], list[BindingInfo]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._exchanges = {(e.vhost, e.name): e for e in self.exchanges}
        self._queues = {(q.vhost, q.name): q for q in self.queues}
        by_source: dict[tuple[str, str], list[BindingInfo]] = defaultdict(list)
        by_destination: dict[tuple[str, str, str], list[BindingInfo]] = defaultdict(list)
        for binding in self.bindings or []:
            by_source[binding.vhost, binding.source].append(binding)
            by_destination[binding.vhost, binding.destination_type, binding.destination].append(binding)
        self._from, self._to = dict(by_source), dict(by_destination)

    def exchange(self, vhost: str, name: str) -> ExchangeInfo | None:
        """The exchange, if the broker has it (and reported it)."""
        found = self._exchanges.get((vhost, name))
        return found if found is not None and found.exists else None

    def queue(self, vhost: str, name: str) -> QueueInfo | None:
        """The queue, if the broker has it (and reported it)."""
        found = self._queues.get((vhost, name))
        return found if found is not None and found.exists else None

    def bindings_from(self, vhost: str, exchange: str) -> list[BindingInfo]:
        """The bindings whose source is ``exchange``, by routing key then destination."""
        found = self._from.get((vhost, exchange), [])
        return sorted(found, key=lambda b: (b.routing_key, b.destination_type, b.destination))

    def bindings_to(self, vhost: str, destination_type: str, name: str) -> list[BindingInfo]:
        """The bindings whose destination is this queue or exchange."""
        return list(self._to.get((vhost, destination_type, name), []))
