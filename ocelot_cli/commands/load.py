"""``ocelot load``: constant-rate load tests with HDR latencies, thresholds, reports and pictures."""

from __future__ import annotations

from typing import Annotated

import typer

from ocelot_cli.commands import options
from ocelot_cli.commands.state import state_of

HELP = """Load-test the bus: publish at a constant rate, consume it back, report honest latencies.

An open model (like wrk2): message n is due at n/rate whatever happened before, and every
latency is measured from that intended send time, so a stalled broker or consumer shows up in
the percentiles (coordinated omission corrected). Publishers and consumers run in their own
processes, one connection each; their CPU is reported so you can see whether the client was
the bottleneck. Events are valid catalog samples, each with a fresh id, sent to the exchange
with the catalog's routing keys (consumers of the platform bound to them get the load too: use
--exchange for a separate one). The run's own queue is deleted at the end.

\b
Examples:
  ocelot load --rate 5000 --duration 60s --warmup 10s
  ocelot load --mix call.ended=70,call.started=30 --size 2048 --persistent --queue-type quorum
  ocelot load --rate max --publishers 2 --queues 2 --consumers 2
  ocelot load --rate 1000 --assert 'p99<20ms' --assert 'rate>=990' --assert 'lost==0'
  ocelot load --report run.json --hgrm run --plot run.html --plot run.png
  ocelot load --ws-url ws://127.0.0.1:8765/ws --channel tenant:t1:events --clients 50
  ocelot load --ws-url ws://gw1:8765/ws,ws://gw2:8765/ws --channel tenant:t1:events --clients 200
  ocelot load --workers 2 --rate 20000          then on two machines: ocelot load --join RUN_ID
  ocelot load merge reports/*.json --report all.json
"""

app = typer.Typer(help=HELP, rich_markup_mode=None, context_settings={"help_option_names": ["-h", "--help"],
                                                                      "max_content_width": 100})  # fmt: skip

Assertions = Annotated[
    list[str] | None,
    typer.Option("--assert", metavar="EXPR", show_default=False,
                 help="Threshold, e.g. 'p99<20ms', 'confirm.p99.9<=50ms', 'rate>=4900', 'lost==0'; repeatable. "
                      "A breach exits 10."),
]  # fmt: skip
ReportFile = Annotated[str | None, typer.Option("--report", metavar="FILE", help="Write the JSON report here.")]
Hgrm = Annotated[
    str | None,
    typer.Option("--hgrm", metavar="PREFIX", help="Write PREFIX.end_to_end.hgrm etc. (HdrHistogram percentiles)."),
]
Plots = Annotated[
    list[str] | None,
    typer.Option("--plot", metavar="FILE", show_default=False,
                 help="Latency over time and by percentile: .png, .svg, .pdf or a self-contained .html; repeatable."),
]  # fmt: skip


@app.callback(invoke_without_command=True)
def load(
    ctx: typer.Context,
    rate: Annotated[str, typer.Option("--rate", "-r", metavar="N|max", help="Messages per second, or max.")] = "1000",
    duration: Annotated[str, typer.Option("--duration", "-d", metavar="TIME", help="Measured time.")] = "30s",
    warmup: Annotated[str, typer.Option("--warmup", metavar="TIME", help="Sent but not measured, first.")] = "0s",
    mix: Annotated[
        str | None,
        typer.Option("--mix", metavar="TYPE=W,...", help="Event types and weights [default: every platform type]."),
    ] = None,
    size: Annotated[int | None, typer.Option("--size", min=1, metavar="BYTES", help="Pad events to this size.")] = None,
    publishers: Annotated[int, typer.Option("--publishers", min=1, metavar="N", help="Publisher processes.")] = 1,
    consumers: Annotated[
        int, typer.Option("--consumers", min=0, metavar="N", help="Consumer processes (0: publish only).")
    ] = 1,
    window: Annotated[
        int, typer.Option("--window", min=1, metavar="N", help="Confirm window per publisher.")
    ] = options.DEFAULT_WINDOW,
    prefetch: Annotated[int, typer.Option("--prefetch", min=1, metavar="N", help="Consumer prefetch.")] = 1000,
    persistent: Annotated[
        bool, typer.Option("--persistent/--transient", help="Delivery mode of the messages.")
    ] = False,
    queues: Annotated[
        int, typer.Option("--queues", min=1, metavar="N", help="Queues of the run; publisher p feeds queue p mod N.")
    ] = 1,
    queue_type: Annotated[
        str, typer.Option("--queue-type", metavar="classic|quorum", help="The run's queue.")
    ] = "classic",
    exchange: options.Exchange = None,
    routing_key: Annotated[
        str | None,
        typer.Option(
            "--routing-key",
            "-k",
            metavar="KEY",
            help="Routing key [default: the catalog's]; {type} is the catalog's key, {run} and {worker} are known too.",
        ),
    ] = None,  # fmt: skip
    blocked_timeout: Annotated[
        str,
        typer.Option("--blocked-timeout", metavar="TIME", help="Give up when the broker blocks publishing this long."),
    ] = "30s",
    declare: Annotated[bool, typer.Option("--declare", help="Create the exchange (durable topic) if missing.")] = False,
    drain: Annotated[
        str, typer.Option("--drain", metavar="TIME", help="Wait this long for the last messages.")
    ] = "10s",
    seed: options.Seed = None,
    asserts: Assertions = None,
    report_file: ReportFile = None,
    hgrm: Hgrm = None,
    plots: Plots = None,
    fmt: options.Format = None,
    as_json: options.Json = False,
    amqp_url: options.AmqpUrl = None,
    ca_file: options.CaFile = None,
    ws: Annotated[
        list[str] | None,
        typer.Option(
            "--ws-url",
            metavar="URL",
            show_default=False,
            help="WebSocket mode: the gateway's URL; several gateways (comma-separated or repeated) "
            "share the clients round-robin.",
        ),
    ] = None,
    old_ws: Annotated[str | None, options.deprecated("--ws", "--ws-url")] = None,
    channel: Annotated[
        str | None, typer.Option("--channel", "-c", metavar="CHANNEL", help="WebSocket mode: the channel.")
    ] = None,
    clients: Annotated[int, typer.Option("--clients", min=1, metavar="N", help="WebSocket mode: connections.")] = 1,
    redis_url: options.RedisUrl = None,
    token_file: options.TokenFile = None,
    connect_timeout: options.ConnectTimeout = None,
    shuffle_nodes: options.ShuffleNodes = False,
    workers: Annotated[
        int,
        typer.Option("--workers", min=0, metavar="N", help="Machines that will --join this run (they share the rate)."),
    ] = 0,
    workers_from: Annotated[
        str | None,
        typer.Option(
            "--workers-from",
            metavar="URL",
            help="RabbitMQ of the control exchange for --workers/--join [default: --amqp-url].",
        ),
    ] = None,  # fmt: skip
    join: Annotated[
        str | None, typer.Option("--join", metavar="RUN_ID", help="Work for a run started elsewhere.")
    ] = None,
    run_id: Annotated[
        str | None, typer.Option("--run-id", metavar="ID", help="Name this run (letters, digits, -) [default: random].")
    ] = None,
    join_timeout: Annotated[
        str, typer.Option("--join-timeout", metavar="TIME", help="How long to wait for workers or the leader.")
    ] = "120s",
    catalog_dirs: options.CatalogDirs = None,
) -> None:
    if ctx.invoked_subcommand:
        return
    from ocelot_cli.config.durations import parse_duration
    from ocelot_cli.load import assertions
    from ocelot_cli.load.outputs import LoadOutputs

    state = state_of(ctx)
    as_json = options.chosen_format(fmt, as_json) == "json"
    ws_urls = options.either(",".join(ws) if ws else None, old_ws, "--ws-url/--ws")
    thresholds = [assertions.parse(text) for text in asserts or []]
    outputs = LoadOutputs(report_file, hgrm, list(plots or []))
    outputs.check()
    wait = parse_duration(join_timeout, option="--join-timeout", positive=True)
    blocked_for = parse_duration(blocked_timeout, option="--blocked-timeout", positive=True)
    broker = state.endpoint("amqp_url", amqp_url, ca_file=ca_file, connect_timeout=connect_timeout,
                            blocked_timeout=blocked_for, shuffle=shuffle_nodes)  # fmt: skip
    control_at = state.endpoint("amqp_url", workers_from, option="--workers-from", ca_file=ca_file,
                                connect_timeout=connect_timeout)  # fmt: skip
    catalog = state.catalog(catalog_dirs)
    show = _Shown(state)
    if join:
        from ocelot_cli.load.drivers import WorkerSpec
        from ocelot_cli.load.multi import join as join_run

        report = join_run(join.strip(), control_at, wait,
                          lambda plan, start_at: show.run(WorkerSpec(plan, broker), catalog, start_at),
                          state.output.status)  # fmt: skip
        where = "worker of a multi-machine run"
    else:
        from ocelot_cli.commands.load_plan import build_spec
        from ocelot_cli.load.run import where as where_of

        spec = build_spec(
            state, catalog, broker, rate=rate, duration=duration, warmup=warmup, mix=mix, size=size,
            publishers=publishers,
            consumers=consumers, window=window, prefetch=prefetch, persistent=persistent, queues=queues,
            queue_type=queue_type, exchange=exchange, routing_key=routing_key, drain=drain, seed=seed,
            run_id=run_id, declare=declare, ws=ws_urls, channel=channel, clients=clients, redis_url=redis_url,
            token_file=token_file, connect_timeout=connect_timeout, ca_file=ca_file,
        )  # fmt: skip
        if workers:
            from ocelot_cli.load.multi import lead

            if not routing_key:
                spec.plan.routing_key = "{type}.{run}.{worker}"  # each machine's queue gets only its own messages
            command = f"ocelot load --join {spec.plan.run_id}" + (f" --workers-from {control_at.shown}"
                                                                    if workers_from else "")  # fmt: skip
            report = lead(spec.plan, control_at, workers, wait,
                          lambda plan, start_at: show.run(spec, catalog, start_at),
                          state.output.status, join_command=command)  # fmt: skip
        else:
            report = show.run(spec, catalog)
        where = where_of(spec)
    _finish(state, report, where, thresholds, outputs, as_json)


class _Shown:
    """Runs this machine's part with the live dashboard, and a failed worker's traceback under --debug."""

    def __init__(self, state) -> None:  # noqa: ANN001
        self.state = state

    def run(self, spec, catalog, start_at=None):  # noqa: ANN001, ANN201
        from ocelot_cli.load.coordinator import WorkerFailed
        from ocelot_cli.load.run import RunHooks, run_local
        from ocelot_cli.render.load import Dashboard

        out = self.state.output
        plan = spec.plan
        target = "max" if plan.rate is None else f"{plan.local_rate:g}/s"
        dashboard = Dashboard(out, target=target, total_time=plan.total_time)
        hooks = RunHooks(on_status=out.status, on_tick=dashboard.update, on_notice=dashboard.notice)
        try:
            return run_local(spec, catalog, hooks, start_at=start_at)
        except WorkerFailed as exc:
            if self.state.debug and exc.trace:  # the worker's own traceback (secrets already scrubbed)
                out.error(exc.trace.rstrip())
            raise
        finally:
            dashboard.close()


def _finish(state, report, where, thresholds, outputs, as_json) -> None:  # noqa: ANN001
    """Judge, write the outputs, print the summary; raise the failure the report shows, if any."""
    from ocelot_cli.load import outputs as writing
    from ocelot_cli.load.run import judge, verdict
    from ocelot_cli.render.load import summary_text

    out = state.output
    judge(report, thresholds)
    lines = summary_text(report, where)
    if outputs.report_file == "-":
        out.raw(writing.report_text(report))
    try:
        written, unwritten = writing.write_files(report, outputs, lines), None
    except OSError as exc:  # the run's figures still reach the terminal: only the file is lost
        from ocelot_cli.errors import OutputFailed

        written, unwritten = [], OutputFailed(f"cannot write {exc.filename or 'an output file'}: {exc.strerror}")
    for message in written:
        out.status(message)
    if as_json:
        out.json(writing.without_series_histograms(report))
    else:
        for line in lines:
            out.data(line)
    failure = unwritten or verdict(report)
    if failure is not None:
        raise failure


@app.command("merge")
def merge(
    ctx: typer.Context,
    files: Annotated[list[str], typer.Argument(metavar="REPORT...", help="Reports written by --report.")],
    asserts: Assertions = None,
    report_file: ReportFile = None,
    hgrm: Hgrm = None,
    plots: Plots = None,
    fmt: options.Format = None,
    as_json: options.Json = False,
) -> None:
    """Combine the reports of several machines (or runs side by side) into one, losslessly.

    Counts and rates add up; the HdrHistograms are added, so the merged percentiles are exactly
    those of all the measurements together, not an average of percentiles.

    \b
    Examples:
      ocelot load merge reports/*.json
      ocelot load merge a.json b.json --report all.json --assert 'p99<20ms' --plot all.html
    """
    from ocelot_cli.load import assertions
    from ocelot_cli.load import report as reporting
    from ocelot_cli.load.outputs import LoadOutputs, read_reports

    state = state_of(ctx)
    as_json = options.chosen_format(fmt, as_json) == "json"
    thresholds = [assertions.parse(text) for text in asserts or []]
    outputs = LoadOutputs(report_file, hgrm, list(plots or []))
    outputs.check()
    merged = reporting.merge(read_reports(files))
    state.output.status(f"merged {len(files)} report(s): {merged['workers']} worker(s)")
    _finish(state, merged, f"merged from {len(files)} report(s)", thresholds, outputs, as_json)
