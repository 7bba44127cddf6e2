"""``ocelot tail``: watch an exchange live through a private, bounded, self-deleting queue."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

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
        typer.Argument(metavar="[PATTERN]...", help="Binding patterns (topic syntax: * one word, # any). Default: #."),
    ] = None,
    exchanges: Annotated[
        list[str] | None,
        typer.Option("--exchange", "-e", metavar="NAME", help="Exchange to watch; repeatable. [env: OCELOT_EXCHANGE]"),
    ] = None,
    types: Annotated[
        list[str] | None,
        typer.Option("--type", "-t", help="Only these event types (globs such as 'call.*'); repeatable."),
    ] = None,
    org: Annotated[str | None, typer.Option("--org", help="Only this organizationId / tenant_id.")] = None,
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
        int | None, typer.Option("--count", "-n", min=1, help="Stop after this many events shown.")
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
            "--max-queue", min=1, help="Bound of the tail's own queue; overflow drops the oldest and is reported."
        ),
    ] = 10_000,
    prefetch: Annotated[
        int, typer.Option("--prefetch", min=1, help="Messages the broker sends ahead of acknowledgements.")
    ] = 1000,
    amqp_url: options.AmqpUrl = None,
    ca_file: options.CaFile = None,
    channels: Annotated[
        list[str] | None,
        typer.Option(
            "--channel",
            "-c",
            metavar="CHANNEL",
            help="With a ws:// or wss:// URL: a channel to subscribe to (exact name); repeatable.",
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
    """Watch events flowing through an exchange, or OttoAI WebSocket channels, live.

    The tail binds its own exclusive, auto-delete, server-named queue (bounded by --max-queue):
    it never takes messages from real queues, and the broker removes the queue when the tail
    exits or dies. Pretty lines on a terminal, JSON lines when piped.

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
    """
    from ocelot_cli.durations import parse_duration
    from ocelot_cli.errors import UsageProblem
    from ocelot_cli.tail import Condition, TailFilter, TailLimits

    state = state_of(ctx)
    settings = state.settings()
    state.warn_secrets_in_flags({"amqp_url": amqp_url})
    if sum(bool(x) for x in (ndjson, pretty or expand, template)) > 1:
        raise UsageProblem("choose one of --ndjson, --pretty/--expand and --format")
    tail_filter = TailFilter(types=list(types or []), org=org, conditions=[Condition.parse(w) for w in where or []])
    limits = TailLimits(
        count=count,
        duration=parse_duration(for_duration, option="--for") if for_duration else None,
        idle=parse_duration(idle_timeout, option="--idle-timeout") if idle_timeout else None,
    )
    view = View.ndjson if ndjson else View.pretty if (pretty or expand) else View.auto
    patterns = list(patterns or [])
    if patterns and patterns[0].lower().startswith(("ws://", "wss://")):
        url, *rest = patterns
        if rest or exchanges:
            raise UsageProblem("a WebSocket tail takes channels (--channel), not binding patterns or exchanges")
        source = _ws_source(state, url, channels, token, token_file, ca_file)
    else:
        if channels:
            raise UsageProblem("--channel needs a ws:// or wss:// gateway URL as the first argument")
        names = list(exchanges or []) or [settings.get("exchange")]
        bindings = [(exchange, pattern) for exchange in names for pattern in (patterns or ["#"])]
        source = ("amqp", settings.get("amqp_url", amqp_url), bindings, max_queue, prefetch)
    _run(state, source, ca_file, tail_filter, limits, view, expand, template, validate, output_file, catalog_dirs)


def _ws_source(state, url, channels, token, token_file, ca_file):  # noqa: ANN001, ANN202
    """The WebSocket source settings: checked channels and a token from env or file (never required on argv)."""
    import os
    from pathlib import Path

    from ocelot_cli.errors import ConfigError, UsageProblem
    from ocelot_cli.realtime import check_channel
    from ocelot_cli.settings import ENV_WS_TOKEN

    if not channels:
        raise UsageProblem("name at least one --channel to subscribe to", hint="e.g. --channel tenant:t1:events")
    for name in channels:
        check_channel(name)  # before anything is sent
    if token:
        state.output.warn("--token is visible to other users in the process list; use OCELOT_WS_TOKEN or --token-file")
    file_name = token_file or state.settings().get("ws_token_file")
    if not token and file_name:
        try:
            token = Path(file_name).expanduser().read_text().strip()
        except OSError as exc:
            raise ConfigError(f"cannot read the token file {file_name}: {exc.strerror}") from None
    token = token or os.environ.get(ENV_WS_TOKEN, "").strip()
    if not token:
        raise ConfigError(
            "no token for the gateway", hint=f"set {ENV_WS_TOKEN} or pass --token-file (see 'ocelot token')"
        )
    return ("ws", url, list(channels), token)


def gateway_access(state, url, channel, token_file, ca_file):  # noqa: ANN001, ANN201
    """For a client of one gateway channel (load, smoke): URL, token, and who the channel's events belong to."""
    from ocelot_cli.realtime import channel_owner
    from ocelot_cli.tokens import unverified_claims

    _kind, url, _channels, token = _ws_source(state, url, [channel], None, token_file, ca_file)
    return url, token, channel_owner(channel, unverified_claims(token))


def _run(state, source, ca_file, tail_filter, limits, view, expand, template, validate, output_file,  # noqa: ANN001
         catalog_dirs) -> None:  # fmt: skip
    from ocelot_cli.envelope.validate import EventValidator
    from ocelot_cli.errors import ExitStatus
    from ocelot_cli.recording import RecordingWriter
    from ocelot_cli.redact import mask_url
    from ocelot_cli.render.tail import NdjsonRenderer, PrettyRenderer, TemplateRenderer
    from ocelot_cli.tail import TailSession, TailStats
    from ocelot_cli.transports import transport_for

    out = state.output
    if template:
        renderer = TemplateRenderer(out, template)
    elif view is View.ndjson or (view is View.auto and not out.stdout_is_tty):
        renderer = NdjsonRenderer(out)
    else:
        renderer = PrettyRenderer(out, expand=expand)
    validator = EventValidator(state.catalog(catalog_dirs)) if validate else None
    stats = TailStats()
    if source[0] == "ws":
        _kind, url, channels, token = source
        feed = transport_for(url).tail_source(url, channels, stats, token=token, ca_file=ca_file, on_notice=out.warn)
        feed.open()
        shown = ", ".join(channels)
    else:
        _kind, url, bindings, max_queue, prefetch = source
        feed = transport_for(url).tail_source(url, bindings, stats, ca_file=ca_file, max_length=max_queue,
                                              prefetch=prefetch, on_notice=out.warn)  # fmt: skip
        feed.open()
        out.detail(f"own queue {feed.queue} (exclusive, auto-delete, at most {max_queue:,} messages)")
        shown = ", ".join(f"{ex} {pattern}" for ex, pattern in bindings)
    out.status(f"tailing {shown} at {mask_url(url)} (Ctrl-C to stop)")
    recorder = RecordingWriter(output_file) if output_file else None
    session = TailSession(feed, renderer, tail_filter=tail_filter, validator=validator,
                          recorder=recorder.write if recorder else None, limits=limits, stats=stats)  # fmt: skip
    interrupted = False
    try:
        session.run()
    except KeyboardInterrupt:
        interrupted = True
        stats.stop_reason = "interrupted"
    finally:
        feed.close()
        if recorder is not None:
            recorder.close()
    _summary(out, stats, recorder)
    if interrupted:
        raise typer.Exit(int(ExitStatus.INTERRUPTED))


def _summary(out, stats, recorder) -> None:  # noqa: ANN001
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
        line += f"; recorded {recorder.count:,} to {recorder.path}"
    out.status(line)
