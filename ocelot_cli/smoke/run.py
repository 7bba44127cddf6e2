"""``ocelot smoke``: prove that the bus works end to end, as named checks, each a method of ``SmokeRun``.

connect (reachable, credentials), exchange (exists, is a topic exchange), publish (a probe with a
unique id, confirmed, through the probe's own temporary binding), roundtrip (it comes back
unchanged and valid), gateway (a probe published to Redis arrives on the WebSocket channel),
expect (real traffic of a type arrives; nothing is published). ``NEEDS`` is the graph: a check
whose prerequisite did not pass is skipped.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from ocelot_cli.envelope.catalog import Catalog
from ocelot_cli.envelope.codec import dump_compact, parse_body
from ocelot_cli.envelope.validate import EventValidator
from ocelot_cli.errors import BrokerTimeout, CheckFailed, DeliveryFailed, ExitStatus, Unroutable, UsageProblem
from ocelot_cli.smoke import CHECKS, NEEDS
from ocelot_cli.smoke.checks import WARNED, CheckResult, Report, judge_nodes, run_in_order
from ocelot_cli.tail.filters import Condition, TailFilter
from ocelot_cli.transports.base import Capability, Endpoint, transport_for


@dataclass
class GatewayTarget:
    """The gateway check's target: the gateway (with its token), the channel, Redis, whose events."""

    gateway: Endpoint
    channel: str
    redis: Endpoint
    owner: dict[str, str | None] = field(default_factory=dict)


@dataclass
class SmokeOptions:
    """What to check and where."""

    broker: Endpoint
    exchange: str
    checks: list[str]
    event_type: str = "call.ended"
    routing_key: str | None = None
    timeout: float = 10.0
    declare: bool = False
    expect: str | None = None
    within: float = 30.0
    where: list[Condition] = field(default_factory=list)
    gateway: GatewayTarget | None = None


def selected_checks(requested: list[str], *, expect: str | None, ws: str | None, channel: str | None) -> list[str]:
    """The checks to run: those requested (with what they need), else the default set for the options."""
    for name in requested:
        if name not in CHECKS:
            raise UsageProblem(f"--check {name!r}: unknown check", hint=f"checks: {', '.join(CHECKS)}")
    wanted = list(dict.fromkeys(requested))
    if not wanted:
        wanted = ["connect", "exchange"] + (["expect"] if expect else ["publish", "roundtrip"])
        if ws:
            wanted.append("gateway")
    added = True
    while added:  # a check brings the ones it needs: roundtrip -> publish -> exchange -> connect
        added = False
        for name in list(wanted):
            for need in NEEDS[name]:
                if need not in wanted:
                    wanted.append(need)
                    added = True
    if "gateway" in wanted and not (ws and channel):
        raise UsageProblem("the gateway check needs --ws-url URL and --channel CHANNEL")
    if "expect" in wanted and not expect:
        raise UsageProblem("the expect check needs --expect TYPE")
    if channel and not ws:
        raise UsageProblem("--channel goes with --ws-url URL (the gateway to check)")
    return [name for name in CHECKS if name in wanted]


class SmokeRun:
    """Runs the selected checks in order against one broker session; nothing is left behind."""

    def __init__(self, options: SmokeOptions, catalog: Catalog) -> None:
        self.options = options
        self.catalog = catalog
        self.validator = EventValidator(catalog)
        self.session: Any = None
        self._probe: dict[str, Any] = {}

    def run(self) -> Report:
        report = Report("ocelot smoke")
        checks = self.options.checks
        if any(name != "gateway" for name in checks):
            self.session = transport_for(self.options.broker, need=Capability.PROBE).session("ocelot smoke")
        try:
            run_in_order(report, [(name, NEEDS[name], getattr(self, f"check_{name}")) for name in checks])
        finally:
            if self.session is not None:
                self.session.close()
        return report

    def check_connect(self, result: CheckResult) -> None:
        cluster = len(self.options.broker.nodes) > 1  # every node is checked, the first that answers kept
        info, found = self.session.connect_every_node() if cluster else (self.session.connect(), None)
        result.message = f"{info['server'] or 'broker'} at {info['url']}"
        result.details = info
        if found is not None:
            judge_nodes(result, found, info["url"])

    def check_exchange(self, result: CheckResult) -> None:
        exchange = self.options.exchange
        created = self.session.declare_exchange(exchange) if self.options.declare else False
        kind = self.session.exchange_type(exchange)
        result.message = f"{exchange!r} " + ("created, a durable topic exchange" if created else
                                             f"exists and is a {kind} exchange")  # fmt: skip
        if kind != "topic":
            result.outcome, result.hint = WARNED, "the type could not be confirmed from the broker's answer"

    def check_publish(self, result: CheckResult) -> None:
        options = self.options
        event, probe_id, properties = probe_event(self.catalog, options.event_type)
        key = options.routing_key or f"ocelot.smoke.{probe_id[:8]}"
        queue = self.session.probe_queue(options.exchange, key)
        body = dump_compact(event)
        started = time.monotonic()
        try:
            self.session.publish(options.exchange, key, body, properties)
        except Unroutable:
            raise DeliveryFailed(f"the probe was unroutable: nothing is bound to {key!r} on {options.exchange!r}",
                                 hint="the probe's own binding should have caught it: is the exchange a topic "
                                      "exchange?") from None  # fmt: skip
        self._probe = {"queue": queue, "body": body, "id": probe_id, "at": started}
        result.message = f"probe {options.event_type} {probe_id} confirmed, routing key {key!r}"
        result.details = {"event_id": probe_id, "routing_key": key, "confirm_ms": _ms(time.monotonic() - started)}

    def check_roundtrip(self, result: CheckResult) -> None:
        probe, timeout = self._probe, self.options.timeout
        body = self.session.wait_for(probe["queue"], lambda message_id, _body: message_id == probe["id"], timeout)
        if body is None:
            raise BrokerTimeout(f"the probe did not come back within {timeout:g}s",
                                hint="the broker confirmed it but did not deliver it to the probe's queue")  # fmt: skip
        elapsed = time.monotonic() - probe["at"]
        if body != probe["body"]:
            raise CheckFailed("the probe came back changed", ExitStatus.INVALID,
                              hint="something between publisher and queue rewrites messages")  # fmt: skip
        self._valid(body, "the probe")
        result.message = f"the probe came back unchanged and valid in {elapsed * 1000:.1f} ms"
        result.details = {"round_trip_ms": _ms(elapsed)}

    def check_expect(self, result: CheckResult) -> None:
        options = self.options
        expected = TailFilter(types=[options.expect or ""], conditions=options.where)
        key = options.routing_key or self.catalog.get(options.expect or "").routing_key or "#"
        queue = self.session.probe_queue(options.exchange, key)
        started = time.monotonic()

        def accept(_message_id: str | None, body: bytes) -> bool:
            try:
                return expected.matches(parse_body(body))
            except ValueError:
                return False

        body = self.session.wait_for(queue, accept, options.within)
        if body is None:
            conditions = f" matching {' and '.join(c.text for c in options.where)}" if options.where else ""
            raise BrokerTimeout(f"no {options.expect} event{conditions} arrived within {options.within:g}s "
                                f"(bound {key!r})",
                                hint="is the producer running? on a quiet system give a longer --within")  # fmt: skip
        event = self._valid(body, f"the {options.expect} event that arrived")
        ident = event.get("id") or event.get("key") or "?"
        waited = time.monotonic() - started
        result.message = f"{options.expect} {ident} arrived after {waited:.1f}s and is valid"
        result.details = {"event_id": ident, "waited_s": round(waited, 3)}

    def check_gateway(self, result: CheckResult) -> None:
        from ocelot_cli.smoke.gateway_check import gateway_event, probe_gateway

        target = self.options.gateway
        assert target is not None
        event = gateway_event(self.catalog, target.channel, target.owner)
        timings = probe_gateway(target, event, timeout=self.options.timeout)
        result.message = (f"{event['event']} probe published on {target.channel} arrived through "
                          f"{target.gateway.shown} in {timings['round_trip_s'] * 1000:.1f} ms")  # fmt: skip
        result.details = {k.removesuffix("_s") + "_ms": _ms(v) for k, v in timings.items()}

    def _valid(self, body: bytes, what: str) -> dict[str, Any]:
        try:
            event = parse_body(body)
        except ValueError as exc:
            raise CheckFailed(f"{what} is not JSON: {exc}", ExitStatus.INVALID) from None
        outcome = self.validator.validate(event)
        if not outcome.ok:
            problems = "; ".join(f"{v.path}: {v.message}" for v in outcome.errors[:5])
            raise CheckFailed(f"{what} breaks the catalog: {problems}", ExitStatus.INVALID)
        return event


def probe_event(catalog: Catalog, type_name: str) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """A valid sample marked as a probe (metadata, header), its unique id, its AMQP properties."""
    from ocelot_cli.envelope.samples import SampleFactory
    from ocelot_cli.publishing.messages import amqp_properties

    event = SampleFactory(catalog).make(type_name)
    probe_id = str(uuid.uuid4())
    if "organizationId" in event:  # platform envelope
        event["id"] = probe_id
        event.setdefault("metadata", {})["ocelot_smoke"] = True
    else:  # real-time envelope: the key is its dedup id
        event["key"] = probe_id
    properties = amqp_properties(event)
    properties["message_id"] = probe_id
    properties.setdefault("headers", {})["x-ocelot-smoke"] = True
    return event, probe_id, properties


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)
