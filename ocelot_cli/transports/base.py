"""The transport interface, and the scheme table that picks a transport for a URL.

Like kombu's transport table: a URL scheme names a class by import path, imported only when
used, so ``ocelot --help`` loads no driver. Every transport is a ``Transport`` bound to one
``Endpoint`` (URL, TLS trust, timeouts, token) and declares what it can do; a command asks
``transport_for(endpoint, need=...)`` and never which bus it is talking to. Asking a transport
for what it cannot do is a usage error (exit 2) that says what each scheme supports.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import urlsplit

from ocelot_cli.config.redact import mask_url, split_nodes
from ocelot_cli.errors import UsageProblem
from ocelot_cli.transports.messages import OutgoingMessage, PublishReport, ReceivedMessage, TailStats

DEFAULT_CONNECT_TIMEOUT = 10.0


class Capability(StrEnum):
    """What a transport can be asked to do."""

    PUBLISH = "publish"  # send a stream of messages and say what became of each
    TAIL = "tail"  # watch live traffic without taking it from anyone
    PROBE = "probe"  # connect and say who answered (smoke, doctor)
    LOAD = "load"  # the broker side of a load run: its own queues and consumers
    TOPOLOGY = "topology"  # list exchanges, bindings and queues with their counts (ocelot info)
    LIVE = "live"  # TAIL on the caller's asyncio event loop, no thread (the gateway's sources)


@dataclass(frozen=True)
class Endpoint:
    """Where and how to connect: URL, TLS trust, timeouts; the token of a WebSocket gateway.

    ``client_name`` is added to the connection names a broker shows (``ocelot tail [NAME]``), so
    operators, and tests, can tell one ocelot process from another.
    """

    url: str
    ca_file: str | None = None
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    blocked_timeout: float = 30.0
    heartbeat: int = 30
    token: str | None = field(default=None, repr=False)
    client_name: str | None = None
    source: str | None = None  # where the URL came from (--amqp-url, OCELOT_AMQP_URL, ...), for messages

    @property
    def shown(self) -> str:
        """The URL as it may be printed (password masked)."""
        return mask_url(self.url)

    @property
    def nodes(self) -> tuple[Endpoint, ...]:
        """One endpoint per node of a node list (``amqp://a/,amqp://b/``); a single URL gives itself."""
        urls = split_nodes(self.url)
        return (self,) if len(urls) <= 1 else tuple(replace(self, url=url) for url in urls)

    @property
    def scheme(self) -> str:
        return scheme_of(self.url)

    def connection_name(self, purpose: str) -> str:
        return f"{purpose} [{self.client_name}]" if self.client_name else purpose


@dataclass
class PublishOptions:
    """How a publisher sends: where (exchange), how many in flight, how fast, how long it retries.

    ``origin`` is the ``time.monotonic()`` of due time 0 (load runs share it between processes);
    ``on_settled`` hears what became of each message (SETTLED_ACK, SETTLED_NACK, SETTLED_RETURNED).
    """

    exchange: str = "ocelot.events"
    declare: bool = False
    any_exchange: bool = False  # any type of exchange, the default one included (raw bodies with their own key)
    window: int = 2048
    rate: float | None = None
    reconnect_for: float = 60.0
    drain_timeout: float = 5.0
    progress_interval: float = 0.25
    origin: float | None = None
    on_notice: Callable[[str], None] | None = None
    on_progress: Callable[[PublishReport], None] | None = None
    on_settled: Callable[[OutgoingMessage, int], None] | None = None
    # Send timing of messages with a due time (load runs tighten it): how early one may leave,
    # waits shorter than ``precise_wait`` slept precisely, and a hook called on each first send.
    send_early: float = 0.0005
    precise_wait: float = 0.0
    before_send: Callable[[OutgoingMessage], None] | None = None


@dataclass
class TailTarget:
    """What a tail watches: exchange bindings (RabbitMQ) or channels (Redis patterns, gateway channels)."""

    bindings: list[tuple[str, str]] = field(default_factory=list)  # (exchange, binding pattern)
    channels: list[str] = field(default_factory=list)
    max_queue: int = 10_000  # bound of a broker-side queue of the tail's own
    prefetch: int = 1000
    durable_queue: str | None = None  # read through this named durable queue instead of a private one
    queue_type: str = "classic"  # of the durable queue (quorum: replicated, survives a node)
    poll: float = 0.25
    reconnect_for: float = 600.0
    on_notice: Callable[[str], None] | None = None
    purpose: str = "ocelot tail"  # the connection's name on the broker
    read: QueueRead | None = None  # an existing queue or stream to read instead (tail --queue, --stream)

    def describe(self) -> str:
        if self.read is not None:
            return f"{'stream' if self.read.stream else 'queue'} {self.read.name}"
        if self.bindings:
            return ", ".join(f"{exchange} {pattern}" for exchange, pattern in self.bindings)
        return ", ".join(self.channels)


@dataclass(frozen=True)
class QueueRead:
    """An existing queue a tail reads (``tail --queue``) or a stream it reads from a point (``--stream``).

    A look (the default) returns every message it fetched to the queue; ``take`` acknowledges, and so
    removes, each message once it has been written. A stream is read from ``offset`` (first, last, next,
    an offset number or an aware datetime) and followed live; a look at a stream ends when caught up.
    """

    name: str
    take: bool = False
    stream: bool = False  # named as a stream (--stream): from ``offset``, then live
    offset: Any = "first"
    bound: int = 10_000  # the most messages one look or take reads
    one_at_a_time: bool = False  # fetch no message ahead of the view (a --count without filters)
    management: Endpoint | None = None  # the management API, where a --stream's type is asked (else AMQP)


@dataclass(frozen=True)
class StreamSpec:
    """A RabbitMQ stream to make (``ocelot record``): bound to exchange patterns, kept by age and/or size."""

    name: str
    bindings: tuple[tuple[str, str], ...]  # (exchange, binding pattern)
    max_age: str | None = None  # RabbitMQ's syntax: 7D, 12h, 30m
    max_bytes: int | None = None
    purpose: str = "ocelot record"  # the connection's name on the broker
    default_bindings: bool = False  # no pattern was given: '#', for a new stream only (an old one keeps its own)


@dataclass(frozen=True)
class TopologyQuery:
    """What ``ocelot info`` asks a transport: the management API to read (RabbitMQ's HTTP API), the
    vhost (None: every vhost), and the names to check one by one over AMQP when that API cannot be used."""

    management: Endpoint | None = None
    vhost: str | None = "/"
    exchanges: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()
    purpose: str = "ocelot info"  # the connection's name on the broker


class Publisher(Protocol):
    report: PublishReport

    def run(self) -> PublishReport: ...

    def request_stop(self) -> None: ...


class TailSource(Protocol):
    queue: str | None
    has_pending: bool

    def open(self) -> None: ...

    def close(self) -> None: ...

    def __iter__(self) -> Iterator[ReceivedMessage | None]: ...


class LiveSource(Protocol):
    async def open(self) -> None: ...

    async def next_batch(self) -> list[ReceivedMessage]: ...

    async def close(self) -> None: ...


class Transport:
    """A bus driver for the URLs of its schemes. Subclasses implement what they declare."""

    name: str = "transport"
    capabilities: frozenset[Capability] = frozenset()

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint

    def publisher(self, messages: Iterator[OutgoingMessage], options: PublishOptions) -> Publisher:
        """Sends ``messages`` when run; the report says what became of each one."""
        raise NotImplementedError

    def tail_source(self, target: TailTarget, stats: TailStats) -> TailSource:
        """Live messages of ``target``, reconnecting by itself; opened by ``open()`` or iteration."""
        raise NotImplementedError

    def live_source(self, target: TailTarget, stats: TailStats) -> LiveSource:
        """Live messages of ``target`` read on the running event loop: ``open()``, then ``next_batch()`` (empty
        after a quiet poll interval) until an OcelotError says the link is lost; reconnecting is the caller's."""
        raise NotImplementedError

    def probe(self, purpose: str) -> dict[str, str]:
        """Connect, authenticate and close; ``url`` and ``server`` of what answered. OcelotError otherwise."""
        raise NotImplementedError

    def topology(self, query: TopologyQuery) -> Any:
        """The ``ocelot_cli.topology.model.Topology`` the query asks for; OcelotError when nothing answered."""
        raise NotImplementedError


@dataclass(frozen=True)
class TransportEntry:
    """One line of the scheme table: who serves the schemes, where its class is, what it can do."""

    schemes: tuple[str, ...]
    name: str
    path: str  # "module:Class", imported when used
    capabilities: frozenset[Capability]

    def describe(self) -> str:
        schemes = ", ".join(f"{s}://" for s in self.schemes)
        # LIVE is how the gateway reads a source, not something a user asks of a URL
        can = ", ".join(c.value for c in Capability if c in self.capabilities and c is not Capability.LIVE)
        return f"{schemes} ({self.name}): {can}"


TRANSPORTS: tuple[TransportEntry, ...] = (
    TransportEntry(("amqp", "amqps"), "RabbitMQ", "ocelot_cli.transports.amqp:AmqpTransport",
                   frozenset({Capability.PUBLISH, Capability.TAIL, Capability.PROBE, Capability.LOAD,
                              Capability.TOPOLOGY})),
    TransportEntry(("redis", "rediss"), "Redis pub/sub", "ocelot_cli.transports.redis_pubsub:RedisTransport",
                   frozenset({Capability.PUBLISH, Capability.TAIL, Capability.PROBE, Capability.LIVE})),
    TransportEntry(("ws", "wss"), "the real-time gateway", "ocelot_cli.transports.gateway_client:GatewayTransport",
                   frozenset({Capability.TAIL, Capability.PROBE})),
)  # fmt: skip


def scheme_of(url: str) -> str:
    """The lower-case scheme of a URL ('' when it has none)."""
    try:
        return urlsplit(url).scheme.lower()
    except ValueError:
        return url.split(":", 1)[0].lower() if "://" in url else ""


def looks_like_url(text: str) -> bool:
    """True for ``scheme://...`` (a binding pattern or channel name never contains ``://``)."""
    head, sep, _rest = text.partition("://")
    return bool(sep) and head.replace("+", "").replace("-", "").replace(".", "").isalnum()


def entry_for(url: str) -> TransportEntry | None:
    scheme = scheme_of(url)
    return next((entry for entry in TRANSPORTS if scheme in entry.schemes), None)


def supported(need: Capability | None = None) -> str:
    """What each scheme supports, for error hints (only those that can do ``need``, if given)."""
    entries: Iterable[TransportEntry] = TRANSPORTS
    if need is not None:
        entries = [e for e in TRANSPORTS if need in e.capabilities]
    return "; ".join(entry.describe() for entry in entries)


def transport_for(endpoint: Endpoint | str, *, need: Capability | None = None, option: str | None = None) -> Any:
    """The transport for the endpoint's scheme, bound to the endpoint.

    UsageProblem (exit 2) for an unknown scheme, or one whose transport cannot do ``need``;
    the message names what each scheme supports. ``option`` names the flag the URL came from.
    """
    if isinstance(endpoint, str):
        endpoint = Endpoint(endpoint)
    entry = entry_for(endpoint.url)
    option = option or endpoint.source
    where = f"{option} {endpoint.shown}" if option else endpoint.shown
    if entry is None:
        scheme = endpoint.scheme
        what = f"{scheme}:// URLs" if scheme else "URLs without a scheme"
        raise UsageProblem(f"{where}: ocelot has no transport for {what}",
                           hint=f"what each scheme supports: {supported()}")  # fmt: skip
    if need is not None and need not in entry.capabilities:
        raise UsageProblem(
            f"{where}: {endpoint.scheme}:// ({entry.name}) cannot {need.value}",
            hint=f"what each scheme supports: {supported()}",
        )
    if any(not node.url.strip() for node in endpoint.nodes):
        raise UsageProblem(f"{where}: the node list has an empty entry (two commas, or one at an end)",
                           hint="separate the nodes' URLs with single commas")  # fmt: skip
    if len(endpoint.nodes) > 1 and entry.schemes[0] != "amqp":
        raise UsageProblem(f"{where}: a list of URLs names the nodes of a RabbitMQ cluster; "
                           f"{entry.name} takes one URL")  # fmt: skip
    for node in endpoint.nodes:
        check_url(node.url, where if len(endpoint.nodes) == 1 else f"{where} (node {node.shown})")
        if node.scheme not in entry.schemes:
            raise UsageProblem(f"{where}: node {node.shown} is not {endpoint.scheme}:// like the first node",
                               hint="every node of a list speaks the same protocol")  # fmt: skip
    module_name, _, class_name = entry.path.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(endpoint)


def check_url(url: str, where: str) -> None:
    """UsageProblem naming ``where`` when the URL cannot be used: a port that is no number, a
    bracket or other raw special character in the user or password, no host."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as exc:
        # Never the library's text: it quotes the part it could not read, which may be the password
        # (in amqp://user:pass/word@host the port is "pass").
        encode = "percent-encode special characters of the user and password (%5B for [, %40 for @, %2F for /)"
        if "ort" in str(exc):
            problem = "its port is not a number from 1 to 65535"
            hint = f"write SCHEME://HOST:PORT/...; {encode}" if "@" in url else "write SCHEME://HOST:PORT/..."
        else:
            problem, hint = "a bracket or other special character is not percent-encoded", encode
        raise UsageProblem(f"{where}: cannot use this URL ({problem})", hint=hint) from None
    if not parts.hostname:
        raise UsageProblem(f"{where}: the URL names no host", hint="write SCHEME://HOST:PORT/...")
