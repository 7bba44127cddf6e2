"""Everything ``publish`` (and later ``replay`` and ``load``) does before and around the wire.

Events come from samples or from files; files are read and validated completely before
anything is sent, so a bad file never half-publishes. The transport is picked by URL scheme.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any, Protocol

from ocelot_cli.envelope.catalog import Catalog
from ocelot_cli.envelope.samples import SampleFactory
from ocelot_cli.envelope.validate import EventValidator
from ocelot_cli.outgoing import OutgoingMessage, PublishReport, build_message
from ocelot_cli.recording import body_of, is_recording
from ocelot_cli.transports import transport_for
from ocelot_cli.validation import ValidationReport, validate_sources


class Publisher(Protocol):
    report: PublishReport

    def run(self) -> PublishReport: ...

    def request_stop(self) -> None: ...


@dataclass
class PublishSettings:
    """Where and how to publish."""

    url: str
    exchange: str
    routing_key: str | None = None
    declare: bool = False
    window: int = 2048  # = commands.options.DEFAULT_WINDOW (the core does not import the CLI)
    rate: float | None = None
    ca_file: str | None = None
    blocked_timeout: float = 30.0
    reconnect_for: float = 60.0
    drain_timeout: float = 5.0


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


def make_publisher(
    settings: PublishSettings,
    messages: Iterator[OutgoingMessage],
    *,
    on_notice: Callable[[str], None] | None = None,
    on_progress: Callable[[PublishReport], None] | None = None,
) -> Publisher:
    """A publisher for the URL's transport."""
    transport = transport_for(settings.url)
    return transport.publisher(
        settings.url,
        messages,
        exchange=settings.exchange,
        ca_file=settings.ca_file,
        blocked_timeout=settings.blocked_timeout,
        declare=settings.declare,
        window=settings.window,
        rate=settings.rate,
        reconnect_for=settings.reconnect_for,
        drain_timeout=settings.drain_timeout,
        on_notice=on_notice,
        on_progress=on_progress,
    )


def is_channel_url(url: str) -> bool:
    """True when the target is the real-time hub (Redis pub/sub channels), not an exchange."""
    return url.split(":", 1)[0].lower() in ("redis", "rediss")
