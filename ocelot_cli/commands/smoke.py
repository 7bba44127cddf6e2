"""``ocelot smoke``: prove after a deploy that the bus works end to end, as named checks for CI."""

from __future__ import annotations

from typing import Annotated

import typer

from ocelot_cli.commands import options
from ocelot_cli.commands.state import state_of
from ocelot_cli.smoke import CHECKS


def smoke(
    ctx: typer.Context,
    event_type: Annotated[
        str,
        typer.Option(
            "--type", "-t", metavar="TYPE", help="Type of the probe event.", autocompletion=options.complete_event_type
        ),
    ] = "call.ended",  # fmt: skip
    routing_key: Annotated[
        str | None,
        typer.Option(
            "--routing-key",
            "-k",
            metavar="KEY",
            help="Routing key of the probe [default: ocelot.smoke.<probe id>, which no platform consumer "
            "binds]; give the type's real key to go through it.",
        ),
    ] = None,  # fmt: skip
    timeout: Annotated[str, typer.Option("--timeout", metavar="TIME", help="Wait this long for each answer.")] = "10s",
    ws: Annotated[
        str | None,
        typer.Option("--ws-url", metavar="URL", help="Also prove delivery through this real-time gateway."),
    ] = None,
    old_ws: Annotated[str | None, options.deprecated("--ws", "--ws-url")] = None,
    channel: Annotated[
        str | None, typer.Option("--channel", "-c", metavar="CHANNEL", help="The gateway channel.")
    ] = None,
    token_file: options.TokenFile = None,
    redis_url: options.RedisUrl = None,
    expect: Annotated[
        str | None,
        typer.Option(
            "--expect",
            metavar="TYPE",
            help="Prove that real traffic of this type flows (publishes nothing).",
            autocompletion=options.complete_event_type,
        ),
    ] = None,  # fmt: skip
    within: Annotated[
        str | None, typer.Option("--within", metavar="TIME", help="How long --expect waits [default: 30s].")
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--where",
            "-w",
            metavar="PATH OP VALUE",
            show_default=False,
            help="With --expect: a condition the event must meet, e.g. data.outcome=completed; repeatable.",
        ),
    ] = None,  # fmt: skip
    checks: Annotated[
        list[str] | None,
        typer.Option(
            "--check",
            metavar="NAME",
            show_default=False,
            help=f"Run only this check (and those it needs); repeatable. Checks: {', '.join(CHECKS)}.",
        ),
    ] = None,  # fmt: skip
    fmt: options.ReportFormatOption = None,
    as_json: options.Json = False,
    old_fmt: options.OldReportFormat = None,
    exchange: options.Exchange = None,
    declare: Annotated[
        bool, typer.Option("--declare", help="Create the exchange (durable topic) if missing: for throwaway brokers.")
    ] = False,
    amqp_url: options.AmqpUrl = None,
    ca_file: options.CaFile = None,
    connect_timeout: options.ConnectTimeout = None,
    shuffle_nodes: options.ShuffleNodes = False,
    catalog_dirs: options.CatalogDirs = None,
) -> None:
    """Prove that the bus works end to end: connect, exchange, probe round trip, gateway, traffic.

    Checks, each a named test case: connect (reachable, credentials), exchange (exists, is a topic
    exchange), publish (a probe event with a unique id, confirmed, through the probe's own temporary
    binding), roundtrip (the probe comes back unchanged and valid), gateway (with --ws-url: the probe
    published to Redis arrives on the WebSocket channel), expect (with --expect: real traffic of a
    type arrives within --within; nothing is published). A check whose prerequisite failed is
    skipped. Nothing is left on the broker: the probe's queue is exclusive and deleted at the end.
    The exit status says which kind of failure came first (5 unreachable, 6 auth, 7 exchange,
    8 unroutable, 9 timeout, 1 invalid).

    \b
    Examples:
      ocelot smoke
      ocelot smoke --format junit > smoke.xml
      ocelot smoke --ws-url ws://gateway:8765/ws --channel tenant:t1:events
      ocelot smoke --expect call.ended --within 60s --where data.outcome=completed
      ocelot smoke --check connect --check exchange --format github
    """
    from ocelot_cli.config.durations import parse_duration
    from ocelot_cli.errors import ChecksFailed
    from ocelot_cli.render.smoke import print_report
    from ocelot_cli.smoke.run import GatewayTarget, SmokeOptions, SmokeRun, selected_checks
    from ocelot_cli.tail.filters import Condition

    state = state_of(ctx)
    ws = options.either(ws, old_ws, "--ws-url/--ws")
    fmt = options.either(fmt, options.old_report_format(old_fmt, "smoke"), "--format/-f")
    report_format = options.chosen_format(fmt, as_json)
    wanted = selected_checks(list(checks or []), expect=expect, ws=ws, channel=channel)
    timeout_s = parse_duration(timeout, option="--timeout", positive=True)
    if within is not None and not expect:
        from ocelot_cli.errors import UsageProblem

        raise UsageProblem("--within goes with --expect TYPE (how long to wait for its traffic)")
    within_s = parse_duration(within or "30s", option="--within", positive=True)
    catalog = state.catalog(catalog_dirs)
    catalog.get(event_type)  # an unknown type fails before anything is sent
    if expect:
        catalog.get(expect)
    conditions = [Condition.parse(w) for w in where or []]
    _check_where(catalog, expect, conditions)
    target = None
    if "gateway" in wanted:
        gateway, owner = state.gateway(ws, channel or "", token_file=token_file, ca_file=ca_file,
                                       connect_timeout=connect_timeout, option="--ws-url")  # fmt: skip
        redis = state.endpoint("redis_url", redis_url, connect_timeout=connect_timeout)
        target = GatewayTarget(gateway, channel or "", redis, owner)
    smoke_options = SmokeOptions(
        broker=state.endpoint("amqp_url", amqp_url, ca_file=ca_file, connect_timeout=connect_timeout,
                              shuffle=shuffle_nodes),
        exchange=state.settings().get("exchange", exchange), checks=wanted, event_type=event_type,
        routing_key=routing_key, timeout=timeout_s, declare=declare, expect=expect, within=within_s,
        where=conditions, gateway=target,
    )  # fmt: skip
    report = SmokeRun(smoke_options, catalog).run()
    print_report(state.output, report, report_format)
    if not report.ok:
        raise ChecksFailed(f"{report.title}: failed {', '.join(report.failed_names())}", status=report.exit_status,
                           reported=True)  # fmt: skip


def _check_where(catalog, expect, conditions) -> None:  # noqa: ANN001
    """--where goes with --expect, on fields its type has: a typo fails now, not after --within."""
    from ocelot_cli.envelope.paths import parse_path, path_problem
    from ocelot_cli.errors import UsageProblem

    if conditions and not expect:
        raise UsageProblem("--where goes with --expect TYPE (the real traffic it filters)")
    for condition in conditions:
        problem = path_problem([catalog.event_schema(expect)], parse_path(condition.path))
        if problem:
            raise UsageProblem(f"--where {condition.text!r}: {expect} has {problem}",
                               hint=f"fields as in the catalog: 'ocelot catalog show {expect}'")  # fmt: skip
