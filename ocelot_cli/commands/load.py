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
  ocelot load --ws ws://127.0.0.1:8765/ws --channel tenant:t1:events --clients 50
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
    window: Annotated[int, typer.Option("--window", min=1, metavar="N", help="Confirm window per publisher.")] = 1024,
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
            metavar="TEMPLATE",
            help="Routing key; {type} is the catalog's key, {run} and {worker} are known too.",
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
    as_json: options.JsonSummary = False,
    amqp_url: options.AmqpUrl = None,
    ca_file: options.CaFile = None,
    ws: Annotated[str | None, typer.Option("--ws", metavar="URL", help="WebSocket mode: the gateway's URL.")] = None,
    channel: Annotated[
        str | None, typer.Option("--channel", metavar="CHANNEL", help="WebSocket mode: the channel.")
    ] = None,
    clients: Annotated[int, typer.Option("--clients", min=1, metavar="N", help="WebSocket mode: connections.")] = 1,
    redis_url: options.RedisUrl = None,
    token_file: options.TokenFile = None,
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
    from ocelot_cli.commands import load_run

    load_run.run(state_of(ctx), dict(locals()))


@app.command("merge")
def merge(
    ctx: typer.Context,
    files: Annotated[list[str], typer.Argument(metavar="REPORT...", help="Reports written by --report.")],
    asserts: Assertions = None,
    report_file: ReportFile = None,
    hgrm: Hgrm = None,
    plots: Plots = None,
    as_json: options.JsonSummary = False,
) -> None:
    """Combine the reports of several machines (or runs side by side) into one, losslessly.

    Counts and rates add up; the HdrHistograms are added, so the merged percentiles are exactly
    those of all the measurements together, not an average of percentiles.

    \b
    Examples:
      ocelot load merge reports/*.json
      ocelot load merge a.json b.json --report all.json --assert 'p99<20ms' --plot all.html
    """
    from ocelot_cli.commands import load_run

    load_run.merge(state_of(ctx), files, asserts, report_file, hgrm, plots, as_json)
