"""What ``ocelot smoke`` does once its options are parsed: the checks, in order, and the report."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import typer

from ocelot_cli.errors import BrokerTimeout, ExitStatus
from ocelot_cli.redact import mask_url
from ocelot_cli.smoke import WARNED, CheckFailed, CheckResult, Report, run_in_order


def run(state: Any, o: dict[str, Any]) -> None:
    from ocelot_cli.commands.smoke import selected_checks
    from ocelot_cli.durations import parse_duration
    from ocelot_cli.envelope.validate import EventValidator
    from ocelot_cli.tail import Condition, TailFilter

    wanted = selected_checks(o)
    settings = state.settings()
    state.warn_secrets_in_flags({"amqp_url": o["amqp_url"], "redis_url": o["redis_url"]})
    timeout = parse_duration(o["timeout"], option="--timeout")
    within = parse_duration(o["within"], option="--within")
    catalog = state.catalog(o["catalog_dirs"])
    catalog.get(o["event_type"])  # an unknown type fails before anything is sent
    expect_filter = None
    if o["expect"]:
        catalog.get(o["expect"])
        expect_filter = TailFilter(types=[o["expect"]], conditions=[Condition.parse(w) for w in o["where"] or []])
    ws_settings = _ws_settings(state, o) if "gateway" in wanted else None
    url = settings.get("amqp_url", o["amqp_url"])
    exchange = settings.get("exchange", o["exchange"])
    validator = EventValidator(catalog)
    report = Report("ocelot smoke")
    amqp_needed = any(name in wanted for name in ("connect", "exchange", "publish", "roundtrip", "expect"))
    probe = _probe(url, o["ca_file"]) if amqp_needed else None
    sent: dict[str, Any] = {}

    def connect(result: CheckResult) -> None:
        info = probe.connect()
        result.message = f"{info['server'] or 'broker'} at {info['url']}"
        result.details = info

    def check_exchange(result: CheckResult) -> None:
        created = probe.declare_exchange(exchange) if o["declare"] else False
        kind = probe.exchange_type(exchange)
        result.message = f"{exchange!r} " + ("created, a durable topic exchange" if created else
                                             f"exists and is a {kind} exchange")  # fmt: skip
        if kind != "topic":
            result.outcome, result.hint = WARNED, "the type could not be confirmed from the broker's answer"

    def publish(result: CheckResult) -> None:
        event, probe_id, properties = _probe_event(catalog, o["event_type"])
        key = o["routing_key"] or f"ocelot.smoke.{probe_id[:8]}"
        sent["queue"] = probe.probe_queue(exchange, key)
        sent["body"] = json.dumps(event, separators=(",", ":")).encode()
        sent["id"] = probe_id
        started = time.monotonic()
        probe.publish(exchange, key, sent["body"], properties)
        sent["at"] = started
        result.message = f"probe {o['event_type']} {probe_id} confirmed, routing key {key!r}"
        result.details = {"event_id": probe_id, "routing_key": key, "confirm_ms": _ms(time.monotonic() - started)}

    def roundtrip(result: CheckResult) -> None:
        got = probe.wait_for(sent["queue"], lambda props, _body: props.message_id == sent["id"], timeout)
        if got is None:
            raise BrokerTimeout(f"the probe did not come back within {timeout:g}s",
                                hint="the broker confirmed it but did not deliver it to the probe's queue")  # fmt: skip
        elapsed = time.monotonic() - sent["at"]
        body = got[1]
        if body != sent["body"]:
            raise CheckFailed("the probe came back changed", ExitStatus.INVALID,
                              hint="something between publisher and queue rewrites messages")  # fmt: skip
        _validate(validator, body, "the probe")
        result.message = f"the probe came back unchanged and valid in {elapsed * 1000:.1f} ms"
        result.details = {"round_trip_ms": _ms(elapsed)}

    def expect_traffic(result: CheckResult) -> None:
        entry = catalog.get(o["expect"])
        key = o["routing_key"] or entry.routing_key or "#"
        queue = probe.probe_queue(exchange, key)
        started = time.monotonic()

        def accept(_props: Any, body: bytes) -> bool:
            try:
                event = json.loads(body)
            except ValueError:
                return False
            return expect_filter.matches(event)

        got = probe.wait_for(queue, accept, within)
        if got is None:
            where = f" matching {' and '.join(o['where'])}" if o["where"] else ""
            raise BrokerTimeout(f"no {o['expect']} event{where} arrived within {within:g}s (bound {key!r})",
                                hint="is the producer running? on a quiet system give a longer --within")  # fmt: skip
        event = _validate(validator, got[1], f"the {o['expect']} event that arrived")
        ident = event.get("id") or event.get("key") or "?"
        result.message = f"{o['expect']} {ident} arrived after {time.monotonic() - started:.1f}s and is valid"
        result.details = {"event_id": ident, "waited_s": round(time.monotonic() - started, 3)}

    def gateway(result: CheckResult) -> None:
        from ocelot_cli.transports.smoke_ws import probe_gateway

        event = _gateway_event(catalog, ws_settings)
        timings = probe_gateway(ws_settings["url"], ws_settings["token"], ws_settings["channel"],
                                ws_settings["redis_url"], event, timeout=timeout, ca_file=o["ca_file"])  # fmt: skip
        result.message = (f"{event['event']} probe published on {ws_settings['channel']} arrived through "
                          f"{mask_url(ws_settings['url'])} in {timings['round_trip_s'] * 1000:.1f} ms")  # fmt: skip
        result.details = {k.removesuffix("_s") + "_ms": _ms(v) for k, v in timings.items()}

    steps = {
        "connect": ("connect", [], connect),
        "exchange": ("exchange", ["connect"], check_exchange),
        "publish": ("publish", ["exchange"], publish),
        "roundtrip": ("roundtrip", ["publish"], roundtrip),
        "gateway": ("gateway", [], gateway),
        "expect": ("expect", ["exchange"], expect_traffic),
    }
    try:
        run_in_order(report, [steps[name] for name in wanted])
    finally:
        if probe is not None:
            probe.close()
    print_report(state, report, o["fmt"])
    if not report.ok:
        raise typer.Exit(int(report.exit_status))


def _probe(url: str, ca_file: str | None) -> Any:
    from ocelot_cli.transports import transport_for
    from ocelot_cli.transports.amqp import AmqpOptions
    from ocelot_cli.transports.smoke_amqp import AmqpProbe

    transport_for(url)  # an unknown scheme is a usage error naming the URL (masked)
    return AmqpProbe(AmqpOptions(url=url, ca_file=ca_file))


def _probe_event(catalog: Any, type_name: str) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """A valid sample marked as a probe (metadata, header), its unique id, its AMQP properties."""
    from ocelot_cli.envelope.samples import SampleFactory
    from ocelot_cli.outgoing import amqp_properties

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


def _gateway_event(catalog: Any, ws: dict[str, Any]) -> dict[str, Any]:
    from ocelot_cli.envelope.samples import SampleFactory, SampleOptions
    from ocelot_cli.realtime import types_for_channel

    name = next(iter(types_for_channel(catalog, ws["channel"])), "task.updated")
    event = SampleFactory(catalog, SampleOptions(**ws["owner"])).make(name)
    event["key"] = f"ocelot-smoke-{uuid.uuid4()}"
    return event


def _ws_settings(state: Any, o: dict[str, Any]) -> dict[str, Any]:
    from ocelot_cli.commands.tail import gateway_access

    url, token, owner = gateway_access(state, o["ws"], o["channel"], o["token_file"], o["ca_file"])
    return {"url": url, "channel": o["channel"], "token": token, "owner": owner,
            "redis_url": state.settings().get("redis_url", o["redis_url"])}  # fmt: skip


def _validate(validator: Any, body: bytes, what: str) -> dict[str, Any]:
    try:
        event = json.loads(body)
    except ValueError as exc:
        raise CheckFailed(f"{what} is not JSON: {exc}", ExitStatus.INVALID) from None
    result = validator.validate(event)
    if not result.ok:
        problems = "; ".join(f"{v.path}: {v.message}" for v in result.errors[:5])
        raise CheckFailed(f"{what} breaks the catalog: {problems}", ExitStatus.INVALID)
    return event


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def print_report(state: Any, report: Report, fmt: Any) -> None:
    from ocelot_cli.render import smoke as render

    out = state.output
    if fmt == "json":
        out.raw(render.json_text(report) + "\n")
    elif fmt == "junit":
        out.raw(render.junit_xml(report))
    elif fmt == "github":
        for line in render.github_lines(report):
            out.data(line)
    else:
        for line in render.text_lines(report, color=out.color_for(out.stdout)):
            out.data(line)
