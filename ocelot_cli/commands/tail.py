"""``ocelot tail``: watch an exchange, Redis channels or gateway channels live, whatever the transport."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import typer

from ocelot_cli.commands import options
from ocelot_cli.commands.state import state_of
from ocelot_cli.commands.tail_setup import View


@dataclasses.dataclass(frozen=True)
class ViewOptions:
    """How shown messages are written: the view, and what of the message besides its body."""

    kind: View = View.auto
    expand: bool = False  # the full event under each pretty line
    headers: bool = False  # headers and properties under each pretty line
    envelope: bool = False  # JSON lines: the body wrapped with its delivery metadata
    template: Any = None  # a parsed --format
    deaths: bool = False  # x-death in words under each text line (a read of an existing queue)


def _complete_since(incomplete: str) -> list[str]:
    return [word for word in ("first", "last", "next", "offset:") if word.startswith(incomplete)]


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
            "--type", "-t", metavar="TYPE", help="Only these event types (globs such as 'call.*'); repeatable.",
            autocompletion=options.complete_event_type,
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
        typer.Option("--idle-timeout", metavar="TIME", help="Stop after this long without a message, e.g. 10s."),
    ] = None,
    for_duration: Annotated[
        str | None, typer.Option("--for", metavar="TIME", help="Stop after this long, e.g. 5m.")
    ] = None,
    headers: Annotated[
        bool, typer.Option("--headers", "-H", help="Text view with the headers and properties under each line "
                           "(also: ocelot -v tail).")  # fmt: skip
    ] = False,
    envelope: Annotated[
        bool,
        typer.Option("--envelope", help="JSON lines of the body with its delivery metadata (exchange, routing key, "
                     "channel, properties, headers, time): the recording format, replayable."),  # fmt: skip
    ] = False,
    expand: Annotated[
        bool, typer.Option("--expand", "-x", help="Text view with the full event, headers and properties under "
                           "each line.")  # fmt: skip
    ] = False,
    template: Annotated[
        str | None,
        typer.Option(
            "--format",
            metavar="text|json|TEMPLATE",
            show_default=False,
            help="text: a readable line per event (default on a terminal); json: JSON lines (default when piped); "
            "or a line template, e.g. '{timestamp} {type} {data.call_id}' (also {routing_key} {exchange} {channel} "
            "{headers.NAME} {properties.NAME} {received_at} {size}).",
        ),
    ] = None,
    as_json: options.Json = False,
    ndjson: Annotated[bool, options.deprecated("--ndjson", "--format json (or --json)")] = False,
    pretty: Annotated[bool, options.deprecated("--pretty", "--format text")] = False,
    validate: Annotated[
        bool,
        typer.Option("--validate", help="Mark events that break the catalog (and warn of naive times, as validate "
                     "does); exit 1 when any was invalid, for CI."),  # fmt: skip
    ] = False,
    output_file: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE.jsonl",
            help="Record every shown message losslessly (body, routing key, properties, time) for 'ocelot replay'; "
            "- for stdout (instead of the view). An existing file is kept unless --append or --force.",
        ),
    ] = None,
    append: Annotated[bool, typer.Option("--append", help="With --output: add to an existing recording.")] = False,
    force: Annotated[bool, typer.Option("--force", help="With --output: replace an existing file.")] = False,
    max_queue: Annotated[
        int,
        typer.Option(
            "--max-queue",
            min=1,
            metavar="N",
            help="RabbitMQ: bound of the tail's own queue; overflow drops the oldest and is reported. With "
            "--queue: the most messages one look or take reads.",
        ),
    ] = 10_000,
    prefetch: Annotated[
        int,
        typer.Option(
            "--prefetch", min=1, metavar="N", help="RabbitMQ: messages the broker sends ahead of acknowledgements."
        ),
    ] = 1000,
    durable_queue: Annotated[
        str | None,
        typer.Option("--durable-queue", metavar="NAME",
                     help="RabbitMQ: read through this durable queue (made if missing, kept at exit with its "
                     "bindings, which add up across runs) instead of a private one: with --queue-type quorum it "
                     "survives the loss of a node."),
    ] = None,
    queue_type: Annotated[
        str, typer.Option("--queue-type", metavar="classic|quorum", help="RabbitMQ: the type of --durable-queue.")
    ] = "classic",
    queue_name: Annotated[
        str | None,
        typer.Option("--queue", metavar="NAME", show_default=False,
                     help="RabbitMQ: read this existing queue (a dead-letter queue, a consumer's backlog) instead of "
                     "binding one: a look by default, which takes nothing (each message is fetched, then returned, "
                     "marked redelivered) and ends when the messages ready are all seen (or after 30s)."),
    ] = None,  # fmt: skip
    consume: Annotated[
        bool,
        typer.Option("--consume", help="With --queue: take the messages for good, each acknowledged (removed) only "
                     "once written to the view and --output; asks first, on a terminal."),
    ] = False,  # fmt: skip
    yes: Annotated[bool, typer.Option("--yes", help="With --consume: take without asking (scripts).")] = False,
    stream: Annotated[
        str | None,
        typer.Option("--stream", metavar="NAME", show_default=False,
                     help="RabbitMQ 3.9+: read this stream (see 'ocelot record') from --since, then live (or until "
                     "--until), taking nothing; a lost connection goes on from the last offset read."),
    ] = None,  # fmt: skip
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="WHEN", show_default=False, autocompletion=_complete_since,
                     help="With --stream, where to start: first, last, next (the default), offset:N, a time ago "
                     "(90s, 10m, 2h, 1d) or a time (2026-11-27T10:00Z; local without an offset). The broker starts "
                     "at the chunk holding that second; messages before --since that come with it are trimmed by "
                     "their own time (the event's timestamp or ts, else the AMQP timestamp)."),
    ] = None,  # fmt: skip
    until: Annotated[
        str | None,
        typer.Option("--until", metavar="WHEN", show_default=False,
                     help="With --stream: stop at the first message whose own time is after this (a time ago or a "
                     "time), or once caught up (1s without a message) after it."),
    ] = None,  # fmt: skip
    amqp_url: options.AmqpUrl = None,
    ca_file: options.CaFile = None,
    connect_timeout: options.ConnectTimeout = None,
    shuffle_nodes: options.ShuffleNodes = False,
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
    before the gateway); on a gateway it subscribes like any client. Text lines on a terminal,
    JSON lines when piped.

    --queue reads an existing queue instead: a look, which returns every message it fetched, or with
    --consume a take. --stream reads a RabbitMQ stream (kept by 'ocelot record') from a point in time.

    \b
    Examples:
      ocelot tail                                   everything on ocelot.events
      ocelot tail 'comms.call.*' 'comms.sentiment.#'
      ocelot tail --type call.ended --where data.outcome=callback_requested
      ocelot tail --where 'data.score<-0.5' --count 10
      ocelot tail --format '{timestamp} {type} {data.call_id}'
      ocelot tail --json | jq .data
      ocelot tail --headers                         headers and properties under each line
      ocelot tail --envelope | jq .properties       body with routing key, properties, headers
      ocelot tail --format '{routing_key} {headers.x-trace-id} {properties.message_id}'
      ocelot tail --output recorded.jsonl --for 5m  record for replay
      ocelot tail ws://127.0.0.1:8765/ws --channel tenant:t1:events --channel user:u1:tasks
      ocelot tail redis://127.0.0.1:6379 --channel 'tenant:*:events'
      ocelot tail --queue orders.dlq                look at a queue's backlog, taking nothing
      ocelot tail --queue orders.dlq --consume --output dlq.jsonl   take it, each once recorded
      ocelot tail --stream ops.history --since 10m  the last ten minutes, then live
      ocelot tail --stream ops.history --since 2026-11-27T10:00Z --until 2026-11-27T11:00Z
    """
    from ocelot_cli.commands.tail_queue import LOOK_TIME_BOUND, ReadOptions, read_plan
    from ocelot_cli.commands.tail_setup import QueueChoice, check_fields, target_of, view_kind
    from ocelot_cli.config.durations import parse_duration
    from ocelot_cli.formats.recording import check_output_file
    from ocelot_cli.tail.filters import Condition, TailFilter
    from ocelot_cli.tail.session import TailLimits

    state = state_of(ctx)
    kind, template = view_kind(template, as_json or ndjson, pretty, expand or headers, envelope)
    tail_filter = TailFilter(types=list(types or []), org=org, conditions=[Condition.parse(w) for w in where or []])
    parsed_template = check_fields(state.catalog(catalog_dirs), tail_filter, template)
    limits = TailLimits(
        count=count,
        duration=parse_duration(for_duration, option="--for", positive=True) if for_duration else None,
        idle=parse_duration(idle_timeout, option="--idle-timeout") if idle_timeout else None,
    )
    check_output_file(output_file, append, force, view=kind is not View.auto or template is not None)
    plan = read_plan(ReadOptions(queue_name, stream, consume, yes, since, until), bound=max_queue, count=count,
                     filtered=tail_filter.active)  # fmt: skip
    if plan is not None and plan.look and limits.duration is None:  # a look holds messages away from consumers
        limits.duration = plan.time_bound = LOOK_TIME_BOUND
    queue = QueueChoice(max_queue, prefetch, durable_queue, queue_type)
    transport, target = target_of(state, list(patterns or []), exchanges=exchanges, channels=channels, token=token,
                                  token_file=token_file, ca_file=ca_file, amqp_url=amqp_url,
                                  connect_timeout=connect_timeout, shuffle=shuffle_nodes, queue=queue,
                                  read=plan.read if plan else None)  # fmt: skip
    shown = headers or expand or state.output.verbose > 0  # -v: the pretty view with headers and properties
    view = ViewOptions(kind, expand=expand, headers=shown, envelope=envelope, template=parsed_template,
                       deaths=plan is not None)  # fmt: skip
    _run(state, transport, target, tail_filter, limits, view, validate, (output_file, append), catalog_dirs, plan)


def _run(state, transport, target, tail_filter, limits, view, validate, recording, catalog_dirs,  # noqa: ANN001
         plan=None) -> None:  # noqa: ANN001
    from ocelot_cli.envelope.validate import EventValidator
    from ocelot_cli.errors import INTERRUPTS, Interrupted, interrupt_status
    from ocelot_cli.formats.recording import RecordingWriter
    from ocelot_cli.tail.session import TailSession
    from ocelot_cli.transports.messages import TailStats

    out = state.output
    output_file, append = recording
    renderer = _renderer(out, view, output_file)
    validator = EventValidator(state.catalog(catalog_dirs)) if validate else None
    stats = TailStats()
    feed = transport.tail_source(target, stats)
    feed.open()
    if plan is not None:
        if not _started(out, feed, plan, transport.endpoint.shown, limits, tail_filter):
            return
    else:
        if feed.queue:
            out.detail(f"own queue {feed.queue} (exclusive, auto-delete, at most {target.max_queue:,} messages)")
        out.status(f"tailing {target.describe()} at {transport.endpoint.shown} (Ctrl-C to stop)")
    recorder = RecordingWriter(output_file, append=append) if output_file else None
    guess = None
    if transport.endpoint.scheme in ("ws", "wss") and len(target.channels) > 1:  # the gateway does not say
        from ocelot_cli.tail.channels import ChannelGuess

        guess = ChannelGuess(state.catalog(catalog_dirs), target.channels)
    from ocelot_cli.commands.tail_queue import finish_read, session_hooks

    session = TailSession(feed, renderer, tail_filter=tail_filter, validator=validator, recorder=recorder,
                          limits=limits, stats=stats, channel_of=guess, **session_hooks(plan, feed))  # fmt: skip
    interrupted = failure = reader_gone = None
    try:
        session.run()
    except BrokenPipeError as exc:  # `| head`: quiet for a look; a take still says what it took (and removed)
        if plan is None or not plan.read.take:
            raise
        reader_gone = exc
        stats.stop_reason = "reader gone"
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
    from ocelot_cli.render.tail import print_summary

    finish_read(plan, stats)
    print_summary(out, stats, recorder, recording_failed)
    if reader_gone is not None:
        out.status("warning: the reader of the output went away: what was taken had been written to it, "
                   "but it may not all have been read (--count N takes no more than it shows)")
        raise reader_gone
    if interrupted is not None:
        raise Interrupted("interrupted", status=interrupted, reported=True)
    _end(stats, failure, validate)


def _renderer(out, view, output_file):  # noqa: ANN001, ANN202
    from ocelot_cli.render.tail import NdjsonRenderer, NoView, PrettyRenderer, TemplateRenderer

    if output_file == "-":  # the recording is what goes to stdout
        return NoView()
    if view.template:
        return TemplateRenderer(out, view.template)
    if view.kind is View.ndjson or (view.kind is View.auto and not out.stdout_is_tty):
        return NdjsonRenderer(out, envelope=view.envelope)
    return PrettyRenderer(out, expand=view.expand, headers=view.headers, deaths=view.deaths)


def _started(out, feed, plan, where, limits, tail_filter) -> bool:  # noqa: ANN001
    """A read of a queue or stream says how it goes (a take asks first); False, and closed, when not confirmed."""
    from ocelot_cli.commands.tail_queue import start_read

    try:
        started = start_read(out, feed, plan, where, limits.count, tail_filter.active)
    except BaseException:
        feed.close()
        raise
    if not started:
        feed.close()
    return started


def _end(stats, failure, validate: bool) -> None:  # noqa: ANN001
    """The exit after the summary: a write that failed, else --validate's verdict (invalid or no JSON: 1)."""
    if failure is not None:
        raise failure
    bad = [f"{stats.invalid:,} invalid event(s)"] if stats.invalid else []
    bad += [f"{stats.not_json:,} message(s) not JSON"] if validate and stats.not_json else []
    if bad:
        from ocelot_cli.errors import ExitStatus, ValidationFailed

        raise ValidationFailed(f"{' and '.join(bad)} seen", status=ExitStatus.INVALID)


def _output_failure(error: OSError, output_file: str | None) -> Any:
    """What to report for a write that failed: the recording's file when that is what failed."""
    from ocelot_cli.errors import output_failure

    where = output_file if output_file and error.filename in (None, output_file) else "the output"
    where = "the output" if where == "-" else where
    failure = output_failure(error, where)
    if failure is None:
        raise error
    return failure
