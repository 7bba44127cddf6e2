"""What one load run does: rate, schedule, event mix, message pool and the timing marker.

The schedule is an open model (wrk2, OpenMessaging Benchmark): message ``seq`` of publisher
``pub`` is *intended* to leave at ``(seq * publishers + pub) / rate`` seconds after the
run's origin, whether or not the previous ones have gone. Every latency is measured from
that intended time, so a stalled broker or client shows up in the percentiles instead of
silently slowing the generator down (coordinated omission). With ``rate=None`` (``--rate
max``) there is no schedule: each message is timed from the moment it was built.
"""

from __future__ import annotations

import hashlib
import math
import random
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from ocelot_cli.envelope.catalog import Catalog
from ocelot_cli.envelope.model import EnvelopeKind
from ocelot_cli.errors import UsageProblem

QUEUE_TYPES = ("classic", "quorum")
POOL_PER_TYPE = 32  # distinct sample events per type; each message gets a fresh id
ID_PLACEHOLDER = "00000000-0000-4000-8000-000000000000"


def new_run_id() -> str:
    return secrets.token_hex(4)


@dataclass
class WsPlan:
    """WebSocket mode: publish to Redis, receive through the gateways on ``channel``.

    ``urls`` are the gateways (processes of one hub on the same Redis): client ``i`` connects to
    ``urls[i % len(urls)]``, every one with the same token.
    """

    urls: list[str]
    channel: str
    clients: int = 1
    redis_url: str = "redis://127.0.0.1:6379/0"
    tenant: str | None = None  # of the events (the gateway only delivers a tenant's own events)
    user: str | None = None
    lead: str | None = None
    ca_file: str | None = None

    def gateway_of(self, client: int) -> int:
        """The index in ``urls`` of the gateway that client ``client`` (0 to clients - 1) connects to."""
        return client % len(self.urls)


@dataclass
class LoadPlan:
    """Everything a worker process needs to know; JSON-able so it can cross processes and machines."""

    rate: float | None  # messages per second for the whole run; None = as fast as possible
    duration: float
    warmup: float = 0.0
    mix: list[tuple[str, float]] = field(default_factory=list)
    size: int | None = None
    publishers: int = 1
    consumers: int = 1
    window: int = 1024
    prefetch: int = 1000
    persistent: bool = False
    queue_type: str = "classic"
    queues: int = 1  # publisher p routes to queue p mod queues (one queue is one broker process)
    exchange: str = "ocelot.events"
    routing_key: str = "{type}"  # "{type}" = the catalog's routing key; also {run} and {worker}
    drain: float = 10.0
    seed: int | None = None
    run_id: str = field(default_factory=new_run_id)
    worker: int = 0
    workers: int = 1
    ws: WsPlan | None = None

    # -- schedule ---------------------------------------------------------------------
    @property
    def local_rate(self) -> float | None:
        """This worker's share of the rate (all machines of a run share it evenly)."""
        return None if self.rate is None else self.rate / self.workers

    @property
    def total_time(self) -> float:
        return self.warmup + self.duration

    def intended(self, pub: int, seq: int) -> float:
        """Seconds after the origin when message ``seq`` of publisher ``pub`` should leave."""
        assert self.local_rate is not None
        return (seq * self.publishers + pub) / self.local_rate

    def count_for(self, pub: int) -> int | None:
        """How many messages publisher ``pub`` sends in rate mode (None = until time is up)."""
        if self.local_rate is None:
            return None
        slots = self.total_time * self.local_rate  # intended times in [0, total_time)
        return max(0, math.ceil((slots - pub) / self.publishers))

    def expected_total(self) -> int | None:
        if self.local_rate is None:
            return None
        return sum(self.count_for(p) or 0 for p in range(self.publishers))

    def queue_name(self, queue: int = 0) -> str:
        base = f"ocelot.load.{self.run_id}.{self.worker}"
        return base if self.queues == 1 else f"{base}.{queue}"

    def routing_key_for(self, catalog: Catalog, type_name: str, queue: int = 0) -> str:
        """The routing key of a type's messages bound for one of the run's queues."""
        entry = catalog.get(type_name)
        key = entry.routing_key or type_name
        template = self.routing_key
        if self.queues > 1 and "{queue}" not in template:
            template += ".q{queue}"
        return template.format(type=key, run=self.run_id, worker=self.worker, queue=queue)

    def bindings(self, catalog: Catalog) -> list[list[str]]:
        """For each of the run's queues, the routing keys to bind it to."""
        return [sorted({self.routing_key_for(catalog, name, q) for name, _weight in self.mix})
                for q in range(self.queues)]  # fmt: skip

    def queues_of_consumer(self, index: int) -> list[int]:
        """The queues consumer ``index`` reads: every queue has a consumer when there are any."""
        return [q for q in range(self.queues) if q % max(1, self.consumers) == index]

    def marker_prefix(self) -> str:
        return f"{self.run_id}.{self.worker}."

    # -- crossing process boundaries ----------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoadPlan:
        values = dict(data)
        values["mix"] = [tuple(pair) for pair in values.get("mix", [])]
        if values.get("ws"):
            values["ws"] = WsPlan(**values["ws"])
        return cls(**values)


# -- the timing marker ---------------------------------------------------------------------
def marker(prefix: str, pub: int, seq: int, intended_ns: int) -> str:
    """``run.worker.pub.seq.intended_ns``: carried by each message so receivers can time it."""
    return f"{prefix}{pub}.{seq}.{intended_ns}"


def parse_marker(text: str, prefix: str) -> tuple[int, int, int] | None:
    """(pub, seq, intended_ns) of a marker of this run and worker, else None (foreign traffic)."""
    if not text.startswith(prefix):
        return None
    try:
        pub, seq, intended = text[len(prefix) :].split(".")
        return int(pub), int(seq), int(intended)
    except ValueError:
        return None


def event_id(run_hex: str, worker: int, pub: int, seq: int) -> str:
    """A UUID-shaped id unique in the run (``run_hex``: 8 hex digits of the run), no random number per message."""
    return f"{run_hex}-{worker & 0xFFFF:04x}-4{pub & 0xFFF:03x}-8{(seq >> 48) & 0xFFF:03x}-{seq & 0xFFFFFFFFFFFF:012x}"


def run_hex(run_id: str) -> str:
    return hashlib.blake2s(run_id.encode(), digest_size=4).hexdigest()


# -- the event mix -----------------------------------------------------------------------
def parse_mix(text: str | None, catalog: Catalog, kind: EnvelopeKind) -> list[tuple[str, float]]:
    """``call.ended=70,call.started=30`` -> weights; default: every type of the envelope, evenly."""
    if not text:
        names = [t.name for t in catalog if t.envelope is kind and not t.name.startswith("system.")]
        return [(name, 1.0) for name in names]
    mix: list[tuple[str, float]] = []
    for part in text.split(","):
        name, _, weight_text = part.strip().partition("=")
        name = name.strip()
        if name not in catalog:
            suggestions = catalog.suggest(name)
            hint = f"did you mean {' or '.join(suggestions)}?" if suggestions else "see 'ocelot catalog list'"
            raise UsageProblem(f"--mix: unknown event type {name!r}", hint=hint)
        if catalog.get(name).envelope is not kind:
            words = {EnvelopeKind.PLATFORM: "platform", EnvelopeKind.REALTIME: "real-time"}
            theirs = words[catalog.get(name).envelope]
            raise UsageProblem(
                f"--mix: {name} is a {theirs} event; this run publishes {words[kind]} events",
                hint="platform types go to the exchange, real-time types to a gateway channel (--ws-url, --channel)",
            )
        try:
            weight = float(weight_text) if weight_text else 1.0
        except ValueError:
            raise UsageProblem(
                f"--mix: weight of {name} is not a number: {weight_text!r}", hint="TYPE=WEIGHT"
            ) from None
        if weight <= 0 or not math.isfinite(weight):
            raise UsageProblem(f"--mix: weight of {name} must be above 0, got {weight_text}")
        mix.append((name, weight))
    return mix


def mix_cycle(mix: list[tuple[str, float]], seed: int | None, slots: int = 1000) -> list[str]:
    """A shuffled cycle of type names in the mix's proportions (message ``n`` is ``cycle[n % len]``)."""
    total = sum(weight for _name, weight in mix)
    cycle: list[str] = []
    for name, weight in mix:
        cycle += [name] * max(1, round(slots * weight / total))
    random.Random(seed).shuffle(cycle)
    return cycle


def parse_rate(text: str) -> float | None:
    """``--rate``: messages per second, or ``max``."""
    if text.strip().lower() == "max":
        return None
    try:
        rate = float(text)
    except ValueError:
        raise UsageProblem(f"--rate must be a number of messages per second or 'max', got {text!r}") from None
    if rate <= 0 or not math.isfinite(rate):
        raise UsageProblem(f"--rate must be above 0, got {text!r}")
    return rate
