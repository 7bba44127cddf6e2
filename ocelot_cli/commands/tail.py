"""``ocelot tail``: watch an exchange, Redis channels or gateway channels live, whatever the transport."""

from __future__ import annotations

import dataclasses
from enum import StrEnum
from typing import Annotated, Any

import typer

from ocelot_cli.commands import options
from ocelot_cli.commands.state import state_of


class View(StrEnum):
    auto = "auto"
    pretty = "pretty"
    ndjson = "ndjson"


def tail(
    ctx: typer.Context,
    patterns: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[URL] [PATTERN]...",
            help="Where to tail, if not the broker of OCELOT_AMQP_URL: amqp(s)://, redis(s):// or ws(s)://; "
            "then binding patterns of the exchange (topic syntax: * one word, # any). Default: #.",
        ),
    ] = None,
    exchanges: Annotated[
        list[str] | None,
        typer.Option("--exchange", "-e", metavar="NAME", help="Exchange to watch; repeatable. [env: OCELOT_EXCHANGE]"),
    ] = None,
    types: Annotated[
        list[str] | None,
        typer.Option(
            "--type", "-t", metavar="TYPE", help="Only these event types (globs such as 'call.*'); repeatable."
        ),
    ] = None,
    org: Annotated[
        str | None, typer.Option("--org", metavar="ID", help="Only this organizationId / tenant_id.")
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--where",
            "-w",
            metavar="PATH OP VALUE",
            help="Only events where the condition holds: = != > >= < <= ~= (regex); repeatable, all must hold.",
        ),
    ] = None,
    count: Annotated[
        int | None, typer.Option("--count", "-n", min=1, metavar="N", help="Stop after this many events shown.")
    ] = None,
    idle_timeout: Annotated[
        str | None,
        typer.Option("--idle-timeout", metavar="DURATION", help="Stop after this long without a message, e.g. 10s."),
    ] = None,
    for_duration: Annotated[
        str | None, typer.Option("--for", metavar="DURATION", help="Stop after this long, e.g. 5m.")
    ] = None,
    ndjson: Annotated[
        bool, typer.Option("--ndjson", help="JSON lines (the default when stdout is not a terminal).")
    ] = False,
    pretty: Annotated[
        bool, typer.Option("--pretty", help="One readable line per event (the default on a terminal).")
    ] = False,
    expand: Annotated[
        bool, typer.Option("--expand", "-x", help="Pretty view with the full event under each line.")
    ] = False,
    template: Annotated[
        str | None,
        typer.Option(
            "--format",
            metavar="TEMPLATE",
            help="Line template, e.g. '{timestamp} {type} {data.call_id}'; also {routing_key} {received_at} {size}.",
        ),
    ] = None,
    validate: Annotated[
        bool, typer.Option("--validate", help="Mark events that break the catalog, with the violation.")
    ] = False,
    output_file: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE.jsonl",
            help="Record every shown message losslessly (body, routing key, properties, time) for 'ocelot replay'.",
        ),
    ] = None,
    max_queue: Annotated[
        int,
        typer.Option(
            "--max-queue",
            min=1,
            metavar="N",
            help="RabbitMQ: bound of the tail's own queue; overflow drops the oldest and is reported.",
        ),
    ] = 10_000,
    prefetch: Annotated[
        int,
        typer.Option(
            "--prefetch", min=1, metavar="N", help="RabbitMQ: messages the broker sends ahead of acknowledgements."
        ),
    ] = 1000,
    amqp_url: options.AmqpUrl = None,
    ca_file: options.CaFile = None,
    connect_timeout: options.ConnectTimeout = None,
    channels: Annotated[
        list[str] | None,
        typer.Option(
            "--channel",
            "-c",
            metavar="CHANNEL",
            help="With a redis:// URL: a channel or glob pattern (tenant:*:events); with a ws:// URL: a channel "
            "(exact name). Repeatable.",
        ),
    ] = None,
    token_file: options.TokenFile = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token", hidden=True, help="The Bearer token itself (visible to other users: prefer OCELOT_WS_TOKEN)."
        ),
    ] = None,
    catalog_dirs: options.CatalogDirs = None,
) -> None:
    """Watch events flowing through an exchange, Redis pub/sub channels, or OttoAI WebSocket channels, live.

    On RabbitMQ the tail binds its own exclusive, auto-delete, server-named queue (bounded by
    --max-queue): it never takes messages from real queues, and the broker removes the queue when
    the tail exits or dies. On Redis it subscribes to channels and patterns (what reaches the hub
    before the gateway); on a gateway it subscribes like any client. Pretty lines on a terminal,
    JSON lines when piped.

    \b
    Examples:
      ocelot tail                                   everything on ocelot.events
      ocelot tail 'comms.call.*' 'comms.sentiment.#'
      ocelot tail --type call.ended --where data.outcome=callback_requested
      ocelot tail --where 'data.score<-0.5' --count 10
      ocelot tail --format '{timestamp} {type} {data.call_id}'
      ocelot tail --ndjson | jq .data
      ocelot tail --output recorded.jsonl --for 5m  record for replay
      ocelot tail ws://127.0.0.1:8765/ws --channel tenant:t1:events --channel user:u1:tasks
      ocelot tail redis://127.0.0.1:6379 --channel 'tenant:*:events'
    """
    from ocelot_cli.config.durations import parse_duration
    from ocelot_cli.errors import UsageProblem
    from ocelot_cli.tail.filters import Condition, TailFilter
    from ocelot_cli.tail.session import TailLimits

    state = state_of(ctx)
    if sum(bool(x) for x in (ndjson, pretty or expand, template)) > 1:
        raise UsageProblem("choose one of --ndjson, --pretty/--expand and --format")
    tail_filter = TailFilter(types=list(types or []), org=org, conditions=[Condition.parse(w) for w in where or []])
    limits = TailLimits(
        count=count,
        duration=parse_duration(for_duration, option="--for") if for_duration else None,
        idle=parse_duration(idle_timeout, option="--idle-timeout") if idle_timeout else None,
    )
    view = View.ndjson if ndjson else View.pretty if (pretty or expand) else View.auto
    transport, target = _target(state, list(patterns or []), exchanges, channels, token, token_file, ca_file,
                                amqp_url, connect_timeout, max_queue, prefetch)  # fmt: skip
    _run(state, transport, target, tail_filter, limits, view, expand, template, validate, output_file, catalog_dirs)


def _target(state, patterns, exchanges, channels, token, token_file, ca_file, amqp_url, connect_timeout,  # noqa: ANN001
            max_queue, prefetch):  # noqa: ANN001, ANN202  # fmt: skip
    """The transport (by the URL's scheme) and what to watch on it, every name checked before connecting."""
    from ocelot_cli.errors import UsageProblem
    from ocelot_cli.transports.base import Capability, TailTarget, looks_like_url, transport_for

    url = patterns.pop(0) if patterns and looks_like_url(patterns[0]) else None
    if any(looks_like_url(p) for p in patterns):
        raise UsageProblem("the URL to tail comes first: ocelot tail URL [PATTERN]...",
                           hint="binding patterns are words and * or #, never a URL")  # fmt: skip
    endpoint = state.endpoint("amqp_url", amqp_url, url=url, url_option="the tail URL", ca_file=ca_file,
                              connect_timeout=connect_timeout)  # fmt: skip
    transport_for(endpoint, need=Capability.TAIL)  # an unknown scheme is refused before anything else
    target = TailTarget(max_queue=max_queue, prefetch=prefetch, on_notice=state.output.warn)
    if endpoint.scheme in ("amqp", "amqps"):
        if channels:
            raise UsageProblem("--channel needs a redis://, rediss://, ws:// or wss:// URL as the first argument",
                               hint="on RabbitMQ, give binding patterns of the exchange instead")  # fmt: skip
        names = list(exchanges or []) or [state.settings().get("exchange")]
        target.bindings = [(exchange, pattern) for exchange in names for pattern in (patterns or ["#"])]
    else:
        target.channels = _channels(endpoint.scheme, patterns, exchanges, channels)
        if endpoint.scheme in ("ws", "wss"):  # the token last: a wrong name is the first thing to hear about
            endpoint = dataclasses.replace(endpoint, token=state.gateway_token(token_file, token))
    return transport_for(endpoint, need=Capability.TAIL), target


def _channels(scheme, patterns, exchanges, channels) -> list[str]:  # noqa: ANN001
    from ocelot_cli.envelope.channels import check_channel
    from ocelot_cli.errors import UsageProblem

    gateway = scheme in ("ws", "wss")
    if patterns or exchanges:
        what = "a WebSocket" if gateway else "a Redis"
        raise UsageProblem(f"{what} tail takes channels (--channel), not binding patterns or exchanges")
    if not channels:
        raise UsageProblem("name at least one --channel to subscribe to", hint="e.g. --channel tenant:t1:events")
    for name in channels:
        if gateway:
            check_channel(name)  # exact names only, checked before anything is sent
        elif not name.strip():
            raise UsageProblem("--channel '': a channel name cannot be empty")
        elif any(c.isspace() for c in name):
            raise UsageProblem(f"--channel {name!r}: a Redis channel name or glob pattern has no spaces")
    return list(channels)


def _run(state, transport, target, tail_filter, limits, view, expand, template, validate, output_file,  # noqa: ANN001
         catalog_dirs) -> None:  # fmt: skip
    from ocelot_cli.envelope.validate import EventValidator
    from ocelot_cli.errors import INTERRUPTS, Interrupted, interrupt_status
    from ocelot_cli.formats.recording import RecordingWriter
    from ocelot_cli.render.tail import NdjsonRenderer, PrettyRenderer, TemplateRenderer
    from ocelot_cli.tail.session import TailSession
    from ocelot_cli.transports.messages import TailStats

    out = state.output
    if template:
        renderer = TemplateRenderer(out, template)
    elif view is View.ndjson or (view is View.auto and not out.stdout_is_tty):
        renderer = NdjsonRenderer(out)
    else:
        renderer = PrettyRenderer(out, expand=expand)
    validator = EventValidator(state.catalog(catalog_dirs)) if validate else None
    stats = TailStats()
    feed = transport.tail_source(target, stats)
    feed.open()
    if feed.queue:
        out.detail(f"own queue {feed.queue} (exclusive, auto-delete, at most {target.max_queue:,} messages)")
    out.status(f"tailing {target.describe()} at {transport.endpoint.shown} (Ctrl-C to stop)")
    recorder = RecordingWriter(output_file) if output_file else None
    session = TailSession(feed, renderer, tail_filter=tail_filter, validator=validator,
                          recorder=recorder, limits=limits, stats=stats)  # fmt: skip
    interrupted = failure = None
    try:
        session.run()
    except INTERRUPTS as exc:
        interrupted = interrupt_status(exc)
        stats.stop_reason = "interrupted"
    except OSError as exc:  # the view or the recording could not be written (a full disk)
        failure = _output_failure(exc, output_file)
    finally:
        feed.close()
        if recorder is not None:
            try:
                recorder.close()
            except OSError as exc:
                failure = failure or _output_failure(exc, output_file)
    recording_failed = failure is not None and output_file is not None and output_file in failure.message
    _summary(out, stats, recorder, recording_failed)
    if interrupted is not None:
        raise Interrupted("interrupted", status=interrupted, reported=True)
    if failure is not None:
        raise failure


def _output_failure(error: OSError, output_file: str | None) -> Any:
    """What to report for a write that failed: the recording's file when that is what failed."""
    from ocelot_cli.errors import output_failure

    where = output_file if output_file and error.filename in (None, output_file) else "the output"
    failure = output_failure(error, where)
    if failure is None:
        raise error
    return failure


def _summary(out, stats, recorder, recording_failed: bool = False) -> None:  # noqa: ANN001
    import time

    elapsed = stats.elapsed if stats.ended else time.monotonic() - stats.started
    rate = stats.received / elapsed if elapsed > 0 else 0.0
    parts = [f"received {stats.received:,}", f"shown {stats.shown:,}"]
    if stats.invalid:
        parts.append(f"invalid {stats.invalid:,}")
    if stats.not_json:
        parts.append(f"not JSON {stats.not_json:,}")
    if stats.dropped:
        parts.append(f"dropped by overflow {stats.dropped:,}")
    if stats.reconnects:
        parts.append(f"reconnects {stats.reconnects} (gaps possible)")
    line = f"{', '.join(parts)} in {elapsed:.1f}s ({rate:,.1f}/s)"
    if recorder is not None:
        done = f"recorded {recorder.count:,} to" if not recording_failed else "recording failed:"
        line += f"; {done} {recorder.path}"
    out.status(line)
