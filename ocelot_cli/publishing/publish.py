"""Everything ``publish`` and ``replay`` do before and around the wire.

Events come from samples or from files; files are read and validated completely before
anything is sent, so a bad file never half-publishes. The transport is picked by the target's
URL scheme: a RabbitMQ exchange, or the OttoAI real-time channels through Redis.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from ocelot_cli.envelope.catalog import Catalog
from ocelot_cli.envelope.channels import Oversize
from ocelot_cli.envelope.samples import SampleFactory
from ocelot_cli.envelope.validate import EventValidator
from ocelot_cli.formats.recording import body_of, is_recording
from ocelot_cli.publishing.messages import build_message
from ocelot_cli.transports.base import Capability, Endpoint, Publisher, PublishOptions, transport_for
from ocelot_cli.transports.messages import OutgoingMessage, PublishReport
from ocelot_cli.validation.report import ValidationReport, validate_sources

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
                                 on_notice=on_notice, on_progress=on_progress)  # fmt: skip
        return transport_for(self.endpoint, need=Capability.PUBLISH).publisher(messages, options)


def check_samples(factory: SampleFactory, type_names: list[str], validator: EventValidator) -> None:
    """Refuse, before anything is sent, samples that ``--set`` made invalid (one probe per type)."""
    from ocelot_cli.errors import InvalidEvent

    for name in type_names:
        result = validator.validate(factory.make(name))
        if not result.ok:
            problems = "; ".join(f"{v.path}: {v.message}" for v in result.errors)
            raise InvalidEvent(
                f"the {name} sample breaks the catalog: {problems}", result.errors, hint="check the --set values"
            )


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
    for name in type_names:
        for _ in range(count):
            event = factory.make(name)
            yield build_message(event, exchange=exchange, catalog=catalog, routing_key=routing_key, seq=seq,
                                for_channels=for_channels)  # fmt: skip
            seq += 1


def load_file_events(
    names: list[str], validator: EventValidator | None, catalog: Catalog, *, stdin: IO[bytes] | None = None
) -> tuple[list[tuple[Any, dict[str, Any] | None]], ValidationReport]:
    """Read every event of the files (and validate them unless validator is None)."""
    collected: list[tuple[Any, Any]] = []
    checker = validator or EventValidator(catalog)
    report = validate_sources(names, checker, stdin=stdin, collect=collected)
    if validator is None:  # --no-validate: keep only problems that make the input unreadable
        report.problems = [p for p in report.problems if p.kind not in ("schema", "duplicate-key")]
        for summary in report.sources.values():
            summary.invalid = 0
    return [(record, record.value) for record, _event in collected], report


def file_messages(
    records: list[tuple[Any, Any]],
    catalog: Catalog,
    *,
    exchange: str,
    routing_key: str | None = None,
    for_channels: bool = False,
) -> list[OutgoingMessage]:
    """Messages for events read from files; recorded messages keep their routing key and body."""
    messages = []
    for seq, (_record, value) in enumerate(records):
        if is_recording(value):
            props = dict(value.get("properties") or {})
            messages.append(
                OutgoingMessage(
                    exchange=exchange,
                    routing_key=routing_key or value.get("routing_key") or "",
                    body=body_of(value),
                    properties=props,
                    event_id=props.get("message_id"),
                    event_type=props.get("type"),
                    seq=seq,
                )
            )
        else:
            messages.append(build_message(value, exchange=exchange, catalog=catalog, routing_key=routing_key,
                                          seq=seq, for_channels=for_channels))  # fmt: skip
    return messages


def messages_from_samples(
    target: PublishTarget, catalog: Catalog, factory: SampleFactory, type_names: list[str], count: int,
    validator: EventValidator | None,
) -> tuple[Iterator[OutgoingMessage], int]:  # fmt: skip
    """``count`` samples of each type for the target (one per channel on real-time channels), and how many
    events; unknown types, types without a route and samples --set made invalid fail before anything is sent."""
    from ocelot_cli.publishing.messages import routing_key_for

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


def messages_from_records(
    target: PublishTarget, catalog: Catalog, records: list[tuple[Any, Any]]
) -> list[OutgoingMessage]:
    """The messages of events read from files, every channel and size checked before anything is sent."""
    built = file_messages(records, catalog, exchange=target.exchange, routing_key=target.routing_key,
                          for_channels=target.channel_mode)  # fmt: skip
    if target.channel_mode:
        from ocelot_cli.publishing.channels import fan_out

        built = list(fan_out(iter(built), catalog, channels=target.channels, oversize=target.oversize))
    return built
