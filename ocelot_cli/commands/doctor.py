"""``ocelot doctor``: check the configuration and every service it names, and say what to fix."""

from __future__ import annotations

import typer

from ocelot_cli.commands import options
from ocelot_cli.commands.state import node_list, state_of


def doctor(
    ctx: typer.Context,
    amqp_url: options.AmqpUrl = None,
    exchange: options.Exchange = None,
    redis_url: options.RedisUrl = None,
    ws_url: options.WsUrl = None,
    ca_file: options.CaFile = None,
    connect_timeout: options.ConnectTimeout = None,
    shuffle_nodes: options.ShuffleNodes = False,
    fmt: options.ReportFormatOption = None,
    as_json: options.Json = False,
) -> None:
    """Check the configuration and what it points at; print what to fix.

    Checks: config (the profiles file and the chosen profile), settings (each value and where it
    comes from, passwords masked), broker (reachable, credentials), exchange (exists, is a topic
    exchange), redis, gateway (its /ready page) and token (present, not expired), jwt-secret (when
    set, long enough). A service left at its default address that does not answer is a warning
    (you may not use it); one you configured is a failure. Exit status: that of the first failure.

    \b
    Examples:
      ocelot doctor
      ocelot --profile staging doctor
      OCELOT_AMQP_URL=amqps://user@broker.internal/ ocelot doctor --json
    """
    from ocelot_cli.errors import ChecksFailed
    from ocelot_cli.render.smoke import print_report
    from ocelot_cli.smoke.doctor import DoctorOptions, run_doctor

    state = state_of(ctx)
    report_format = options.chosen_format(fmt, as_json)
    if connect_timeout is not None:  # a flag's mistake is a usage error, not three failed checks
        from ocelot_cli.config.durations import parse_duration

        parse_duration(connect_timeout, option="--connect-timeout")
    flags = {"amqp_url": node_list(amqp_url), "exchange": exchange, "redis_url": redis_url, "ws_url": ws_url}

    def endpoint(setting: str):  # noqa: ANN202 - called once the config check has passed
        return state.endpoint(setting, flags.get(setting), ca_file=ca_file, connect_timeout=connect_timeout,
                              shuffle=shuffle_nodes and setting == "amqp_url")  # fmt: skip

    report = run_doctor(DoctorOptions(state.profile, flags, endpoint))
    print_report(state.output, report, report_format)
    if not report.ok:
        raise ChecksFailed(f"{report.title}: failed {', '.join(report.failed_names())}", status=report.exit_status,
                           reported=True)  # fmt: skip
