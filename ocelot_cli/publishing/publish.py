"""Everything ``publish`` and ``replay`` do before and around the wire.

Events come from samples or from files; files are read and validated completely before
anything is sent, so a bad file never half-publishes. The transport is picked by the target's
URL scheme: a RabbitMQ exchange, or the OttoAI real-time channels through Redis.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ocelot_cli.envelope.catalog import Catalog
from ocelot_cli.envelope.channels import Oversize
from ocelot_cli.envelope.samples import SampleFactory
from ocelot_cli.envelope.validate import EventValidator
from ocelot_cli.errors import ExchangeNotFound, OcelotError
from ocelot_cli.publishing.messages import build_message, routing_key_for
from ocelot_cli.transports.base import Capability, Endpoint, Publisher, PublishOptions, transport_for
from ocelot_cli.transports.messages import OutgoingMessage, PublishReport

CHANNEL_SCHEMES = ("redis", "rediss")  # the real-time hub's channels, not an exchange


@dataclass
class PublishTarget:
    """Where and how to publish: the endpoint, the exchange (or real-time channels), pace and patience."""

    endpoint: Endpoint
    exchange: str = "ocelot.events"
    routing_key: str | None = None
    declare: bool = False
    window: int = 2048  # = commands.options.DEFAULT_WINDOW (the core does not import the CLI)
    rate: float | None = None
    reconnect_for: float = 60.0
    drain_timeout: float = 5.0
    channels: list[str] | None = None  # real-time channels instead of the catalog's
    oversize: Oversize = Oversize.pointer
    any_exchange: bool = False  # raw bodies: any type of exchange (direct, fanout, headers, the default one)

    @property
    def channel_mode(self) -> bool:
        """True when the target is the real-time hub (Redis pub/sub channels), not an exchange."""
        return self.endpoint.scheme in CHANNEL_SCHEMES

    def describe(self) -> str:
        where = "channels" if self.channel_mode else f"exchange {self.exchange!r}"
        return f"{where} at {self.endpoint.shown}"

    def publisher(self, messages: Iterator[OutgoingMessage], *, on_notice: Callable[[str], None] | None = None,
                  on_progress: Callable[[PublishReport], None] | None = None) -> Publisher:  # fmt: skip
        """The transport's publisher for these messages."""
        options = PublishOptions(exchange=self.exchange, declare=self.declare, window=self.window, rate=self.rate,
                                 reconnect_for=self.reconnect_for, drain_timeout=self.drain_timeout,
                                 on_notice=on_notice, on_progress=on_progress,
                                 any_exchange=self.any_exchange)  # fmt: skip
        return transport_for(self.endpoint, need=Capability.PUBLISH).publisher(messages, options)

    def not_a_topic_exchange(self) -> OcelotError | None:
        """After messages came back unroutable: ExchangeNotFound (exit 7) when the exchange is not a
        topic exchange, the likelier cause. Asked only then: the check declares the exchange, which
        needs the configure permission a publishing user may lack (then None: no better answer)."""
        if self.channel_mode or self.any_exchange:
            return None
        try:
            with transport_for(self.endpoint, need=Capability.PROBE).session("ocelot publish") as session:
                session.exchange_type(self.exchange)
        except ExchangeNotFound as exc:
            return exc
        except OcelotError:
            return None
        return None


def check_samples(factory: SampleFactory, type_names: list[str], validator: EventValidator) -> None:
    """Refuse, before anything is sent, samples that ``--set`` made invalid (one probe per type),
    and ``--set`` paths the type does not have (a typo would otherwise add a field and leave the
    intended one random)."""
    from ocelot_cli.envelope.paths import path_problem
    from ocelot_cli.errors import InvalidEvent, UsageProblem

    for name in type_names:
        schema = validator.catalog.event_schema(name, kind=factory.options.envelope)
        for assignment in factory.options.assignments:
            problem = path_problem([schema], assignment.path)
            if problem:
                raise UsageProblem(f"--set {assignment.text}: {name} has {problem}",
                                   hint="--no-validate adds a field the catalog does not know")  # fmt: skip
    for name in type_names:
        result = validator.validate(factory.make(name))
        if not result.ok:
            problems = "; ".join(f"{v.path}: {v.message}" for v in result.errors)
            hint = ("check the --set values" if factory.options.assignments else
                    "ocelot cannot make a value for such a field by itself (a pattern, say): give it 'examples' or "
                    "an 'x-ocelot-sample' template in the catalog, or set it with --set")  # fmt: skip
            raise InvalidEvent(f"the {name} sample breaks the catalog: {problems}", result.errors, hint=hint)


def sample_messages(
    factory: SampleFactory,
    catalog: Catalog,
    type_names: list[str],
    count: int,
    *,
    exchange: str,
    routing_key: str | None = None,
    for_channels: bool = False,
) -> Iterator[OutgoingMessage]:
    """``count`` fresh samples of each type, built lazily as the publisher asks for them."""
    seq = 0
    # each type's route, once (build_message would look it up per event), unless --set may change the type
    fixed_type = not any(a.path[:1] in (("type",), ("event",)) for a in factory.options.assignments)
    for name in type_names:
        route = routing_key
        if not route and not for_channels and fixed_type:
            route = routing_key_for({"type": name}, catalog)
        for _ in range(count):
            event = factory.make(name)
            yield build_message(event, exchange=exchange, catalog=catalog, routing_key=route, seq=seq,
                                for_channels=for_channels)  # fmt: skip
            seq += 1


def messages_from_samples(
    target: PublishTarget, catalog: Catalog, factory: SampleFactory, type_names: list[str], count: int,
    validator: EventValidator | None,
) -> tuple[Iterator[OutgoingMessage], int]:  # fmt: skip
    """``count`` samples of each type for the target (one per channel on real-time channels), and how many
    events; unknown types, types without a route and samples --set made invalid fail before anything is sent."""
    for name in type_names:
        if target.channel_mode:
            catalog.get(name)
        else:
            routing_key_for({"type": name}, catalog, target.routing_key)
    if validator is not None:
        check_samples(factory, type_names, validator)
    messages = sample_messages(factory, catalog, type_names, count, exchange=target.exchange,
                               routing_key=target.routing_key, for_channels=target.channel_mode)  # fmt: skip
    if target.channel_mode:
        from ocelot_cli.publishing.channels import fan_out

        messages = fan_out(messages, catalog, channels=target.channels, oversize=target.oversize)
    return messages, len(type_names) * count


def file_messages(names: list[str], catalog: Catalog, target: PublishTarget,
                  resume_from: int = 0) -> Iterator[OutgoingMessage]:  # fmt: skip
    """The messages of files read once already (``check_inputs``), streamed from ``resume_from``:
    recordings keep their routing key, properties and body; scenarios give their events; nothing
    is held in memory."""
    from ocelot_cli.publishing.replay import ReplayOptions, ReplayPlan

    options = ReplayOptions(no_delay=True, routing_key=target.routing_key, resume_from=resume_from)
    plan = ReplayPlan(names, catalog, options, exchange=target.exchange, for_channels=target.channel_mode)
    for message in plan.messages():
        message.due = None  # as fast as confirms allow, no schedule
        yield message


def checked_for_target(make: Callable[[], Iterator[OutgoingMessage]], catalog: Catalog,
                       target: PublishTarget, *, proven: bool = False) -> Iterator[OutgoingMessage]:  # fmt: skip
    """The messages ``make()`` gives, for the target, every one built once before the first is sent
    when building can still fail: each event's routing key (unless --routing-key names one), or on
    real-time channels each channel of its type and the size rule. A bad event never half-publishes.

    ``proven``: the first pass found that every message builds (recordings with their routing keys,
    sent as recorded): no pass more."""
    if target.channel_mode:
        from ocelot_cli.publishing.channels import fan_out

        def make_for_channels() -> Iterator[OutgoingMessage]:
            return fan_out(make(), catalog, channels=target.channels, oversize=target.oversize)

        _build_all(make_for_channels)
        return make_for_channels()
    if not target.routing_key and not proven:
        _build_all(make)
    return make()


def _build_all(make: Callable[[], Iterator[OutgoingMessage]]) -> None:
    try:
        for _message in make():
            pass
    except OcelotError as exc:
        exc.message += "; nothing was sent"
        raise
