"""Replaying fixture files: recordings, event files and YAML scenarios, with their timing.

Two passes over the input: the first validates everything (nothing is sent if anything is
wrong), the second streams messages to the publisher, so a file of millions of lines is never
held in memory. Timing: recordings keep the gaps between receive times, event files the gaps
between event timestamps, scenarios their step delays; ``--speed``, ``--no-delay`` and
``--rate`` change that. Rewrites (fresh ids, times moved to now, organization/tenant, --set)
change only what was asked; without them a recorded body is sent byte for byte.
"""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ocelot_cli.envelope import formats
from ocelot_cli.envelope.catalog import Catalog
from ocelot_cli.envelope.codec import dump_compact
from ocelot_cli.envelope.model import EnvelopeKind, detect_kind
from ocelot_cli.envelope.paths import Assignment, apply_assignments
from ocelot_cli.envelope.validate import EventValidator
from ocelot_cli.errors import InvalidEvent, OcelotError, UsageProblem
from ocelot_cli.formats.recording import body_of, event_of, is_gap, is_recording, properties_of
from ocelot_cli.formats.scenarios import expand, is_scenario
from ocelot_cli.formats.sources import ReadProblem, Record, read_sources
from ocelot_cli.publishing.messages import amqp_properties, build_message
from ocelot_cli.transports.messages import OutgoingMessage
from ocelot_cli.validation.report import ValidationReport

MAX_WAIT = 366 * 24 * 3600.0  # seconds from the first message to any other, in a timed replay


@dataclass
class ReplayOptions:
    """Timing and rewrites of a replay."""

    speed: float = 1.0
    no_delay: bool = False
    rate: float | None = None
    loop: int = 1
    fresh_ids: bool = False
    now: bool = False
    org: str | None = None
    tenant: str | None = None
    assignments: list[Assignment] = field(default_factory=list)
    resume_from: int = 0
    routing_key: str | None = None

    @property
    def rewrites(self) -> bool:
        return bool(self.fresh_ids or self.now or self.org or self.tenant or self.assignments)


def check_inputs(names: list[str], validator: EventValidator | None, catalog: Catalog) -> tuple[ValidationReport, int]:
    """First pass: every problem of every input, and how many messages one loop holds."""
    from ocelot_cli.validation.parallel import check_sources

    report = check_sources(names, validator or EventValidator(catalog, schemas=False))
    if validator is None:  # --no-validate: only what stops anything from being sent
        report = report.without_schema_problems()
    return report, report.events


def _event_time(event: Any) -> float | None:
    if not isinstance(event, dict):
        return None
    return formats.epoch_of(event.get("timestamp") if detect_kind(event) is EnvelopeKind.PLATFORM else event.get("ts"))


@dataclass
class _Item:
    """One message of one loop before timing: its body parts and its original moment."""

    moment: float | None  # epoch seconds it happened (receive time, event time) or None
    offset: float | None  # scenario offset, when the input says it directly
    event: Any  # parsed event or None (non-JSON recorded body)
    record: dict[str, Any] | None  # the recording wrapper, if any
    routing_key: str | None
    where: str = ""  # FILE:LINE of the record (of the scenario step)


def _items(names: list[str], catalog: Catalog, start: float, timed: bool = True) -> Iterator[_Item]:
    """The items of the inputs; ``timed``: with the moment each happened (untimed: sent as fast as possible)."""
    moment_of = formats.epoch_of if timed else _no_moment
    event_moment = _event_time if timed else _no_moment
    for item in read_sources(names, checked=True):
        if isinstance(item, ReadProblem):  # cannot happen after a clean first pass
            continue
        assert isinstance(item, Record)
        value = item.value
        where = f"{item.source}:{item.line}"
        if is_scenario(value):
            for event in expand(value, item.lines, catalog, start=start).events:
                yield _Item(None, event.offset, event.event, None, event.routing_key, f"{item.source}:{event.line}")
        elif is_gap(value):  # the recording tail lost messages here; there is nothing to send
            continue
        elif is_recording(value):
            event = event_of(value)
            yield _Item(moment_of(value.get("received_at")), None, event, value, value.get("routing_key"), where)
        else:
            yield _Item(event_moment(value), None, value, None, None, where)


def _no_moment(_value: Any) -> None:
    return None


def _shift_time(text: Any, delta: float) -> Any:
    moment = formats.epoch_of(text)
    if moment is None:
        return text
    try:
        return formats.format_timestamp(formats.utc_from_epoch(moment + delta))
    except (ValueError, OverflowError, OSError):
        raise InvalidEvent(f"the time {text!r}, moved to now with the others, falls outside the years 1 to 9999",
                           hint="replay without --now, or fix the event's time") from None  # fmt: skip


class ReplayPlan:
    """Second pass: the messages of every loop, with their due times and rewrites applied."""

    def __init__(
        self, names: list[str], catalog: Catalog, options: ReplayOptions, *, exchange: str, for_channels: bool = False,
        validator: Any = None,
    ) -> None:  # fmt: skip
        self.for_channels = for_channels  # real-time channels decide where each event goes
        self.names = names
        self.catalog = catalog
        self.options = options
        self.exchange = exchange
        self.start = time.time()
        self.validator = validator  # given: events changed by --set are checked again before they go

    def messages(self) -> Iterator[OutgoingMessage]:
        options = self.options
        seq = 0
        loop_base = 0.0  # where this loop starts on the timeline (seconds)
        first_due: float | None = None
        for _loop in range(options.loop):
            first_moment: float | None = None
            last = 0.0
            count = 0
            shift: float | None = None
            timed = options.now or not (options.no_delay or options.rate)
            for item in _items(self.names, self.catalog, self.start, timed):
                count += 1
                if item.offset is not None:
                    offset = item.offset
                elif item.moment is not None:
                    first_moment = item.moment if first_moment is None else first_moment
                    offset = max(0.0, item.moment - first_moment)
                else:
                    offset = last
                last = offset
                if options.now and shift is None:
                    event_time = _event_time(item.event)
                    origin = event_time if event_time is not None else item.moment
                    shift = self.start + loop_base - (origin if origin is not None else self.start)
                if seq < options.resume_from:
                    seq += 1
                    continue
                due = self._due(loop_base + offset, seq)
                if first_due is None:
                    first_due = due
                try:
                    message = self._message(item, seq, self._time_shift(shift, loop_base + offset))
                except OcelotError as exc:  # where it is, in a file of any length
                    exc.message = f"{item.where}: {exc.message}" if item.where else exc.message
                    raise
                message.where = item.where
                message.due = due - first_due
                yield message
                seq += 1
            # The next loop starts one average gap after this one's last message.
            loop_base += last + (last / (count - 1) if count > 1 else 0.0)

    def _time_shift(self, shift: float | None, timeline: float) -> float:
        """How far --now moves this event's times: to the present, and under --speed as much closer
        together as the sends are, so that each event is stamped with the time it is sent."""
        options = self.options
        if shift is None:
            return 0.0
        if options.no_delay or options.rate or options.speed == 1:
            return shift  # gaps kept as they were
        return shift - timeline * (1 - 1 / options.speed)

    def _due(self, timeline: float, seq: int) -> float:
        options = self.options
        if options.no_delay:
            return 0.0
        if options.rate:
            return (seq - options.resume_from) / options.rate
        due = timeline / options.speed
        if due > MAX_WAIT:
            days = due / 86400
            raise UsageProblem(f"message {seq + 1} would be sent {days:,.0f} days after the first, at this speed",
                               hint="replay with --no-delay, --rate N or a higher --speed")  # fmt: skip
        return due

    def _message(self, item: _Item, seq: int, shift: float) -> OutgoingMessage:
        message = self._build(item, seq, shift)
        channel = (item.record or {}).get("channel")
        if isinstance(channel, str) and channel:  # recorded from a Redis or gateway channel
            if not self.for_channels and not message.routing_key:
                raise UsageProblem(f"message {seq + 1} was recorded on channel {channel}: it has no routing key",
                                   hint="replay it --to redis://HOST (to its channel), or with --routing-key")
            if self.for_channels and not (self.options.tenant or self.options.org):  # a new owner: its channels
                message.channel = channel  # where it goes back to, not every channel of its type
        return message

    def _build(self, item: _Item, seq: int, shift: float) -> OutgoingMessage:
        options = self.options
        routing_key = options.routing_key or item.routing_key
        if not options.rewrites and item.record is not None:
            props = properties_of(item.record)
            return OutgoingMessage(self.exchange, routing_key or "", body_of(item.record), props,
                                   props.get("message_id"), props.get("type"), seq)  # fmt: skip
        if item.event is None or not isinstance(item.event, dict):  # a non-JSON recorded body
            props = properties_of(item.record or {})
            if options.fresh_ids:
                props["message_id"] = str(uuid.uuid4())
            body = body_of(item.record) if item.record else b""
            return OutgoingMessage(self.exchange, routing_key or "", body, props, props.get("message_id"), None, seq)
        event = copy.deepcopy(item.event) if options.rewrites else item.event
        self._rewrite(event, shift)
        if self.validator is not None and options.assignments:
            _check_after_set(self.validator, event, seq)
        if item.record is not None:  # keep the recorded properties, updated for the rewrites
            props = {**properties_of(item.record), **amqp_properties(event)}
            return OutgoingMessage(self.exchange, routing_key or "", dump_compact(event), props,
                                   props.get("message_id"), props.get("type"), seq)  # fmt: skip
        return build_message(event, exchange=self.exchange, catalog=self.catalog, routing_key=routing_key, seq=seq,
                             for_channels=self.for_channels)  # fmt: skip

    def _rewrite(self, event: dict[str, Any], shift: float) -> None:
        options = self.options
        kind = detect_kind(event)
        platform = kind is EnvelopeKind.PLATFORM
        if options.fresh_ids:
            if platform:
                event["id"] = str(uuid.uuid4())
            else:
                event["key"] = str(uuid.uuid4())
                event["trace_id"] = str(uuid.uuid4())
        if options.now and shift:
            field_name = "timestamp" if platform else "ts"
            event[field_name] = _shift_time(event.get(field_name), shift)
        if options.org and platform:
            event["organizationId"] = options.org
        if (options.tenant or options.org) and kind is EnvelopeKind.REALTIME:
            event["tenant_id"] = options.tenant or options.org
        if options.tenant and platform and not options.org:
            event["organizationId"] = options.tenant
        if options.assignments:
            name = event.get("type") if platform else event.get("event")
            schema = (
                self.catalog.event_schema(name, kind=kind) if isinstance(name, str) and name in self.catalog else None
            )
            apply_assignments(event, options.assignments, schema)


def _check_after_set(validator: Any, event: Any, seq: int) -> None:
    """The input was valid; --set may have broken it: stop before the first such event is sent."""
    from ocelot_cli.errors import InvalidEvent

    errors = [v for v in validator.validate(event).violations if v.severity == "error"]
    if errors:
        where = "; ".join(f"{v.path}: {v.message}" for v in errors[:3])
        raise InvalidEvent(f"event {seq + 1} breaks the catalog after --set: {where}", errors,
                           hint="check the --set values, or --no-validate to send it anyway")  # fmt: skip
