"""``ocelot record``: keep the exchange's traffic on the broker, in a RabbitMQ stream, for ``tail --stream``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ocelot_cli.commands import options
from ocelot_cli.commands.state import state_of


def record(
    ctx: typer.Context,
    patterns: Annotated[
        list[str] | None,
        typer.Argument(metavar="[PATTERN]...",
                       help="Binding patterns of the exchange (topic syntax: * one word, # any). Default: #."),
    ] = None,  # fmt: skip
    stream: Annotated[
        str,
        typer.Option("--stream", metavar="NAME", show_default=False,
                     help="The stream to keep the messages in: made if missing, else checked to have the same "
                     "settings (bindings add up across runs)."),
    ] = "",  # fmt: skip
    exchanges: Annotated[
        list[str] | None,
        typer.Option("--exchange", "-e", metavar="NAME", help="Exchange to record; repeatable. [env: OCELOT_EXCHANGE]"),
    ] = None,
    max_age: Annotated[
        str | None,
        typer.Option("--max-age", metavar="AGE", show_default=False,
                     help="Drop what is older than this: 7d, 12h, 30m, 2w, 6M (months), 1y."),
    ] = None,  # fmt: skip
    max_bytes: Annotated[
        str | None,
        typer.Option("--max-bytes", metavar="SIZE", show_default=False,
                     help="Drop the oldest beyond this size: 5GB, 500MB, 2GiB, or bytes."),
    ] = None,  # fmt: skip
    amqp_url: options.AmqpUrl = None,
    ca_file: options.CaFile = None,
    connect_timeout: options.ConnectTimeout = None,
) -> None:
    """Keep the exchange's messages on the broker in a RabbitMQ stream, for 'ocelot tail --stream --since'.

    Makes a durable stream queue (RabbitMQ 3.9+, no plugin) bound to the exchange with the patterns
    given, kept by age and/or size, then exits: the broker keeps recording whether ocelot runs or
    not, and 'ocelot tail --stream NAME --since 10m' reads back what it holds. Running it again with
    the same settings changes nothing (new patterns add bindings); other settings are refused, with
    what differs. A stream without --max-age or --max-bytes would grow until the broker's disk alarm
    stops every publisher, so one of them is required. Retention drops whole segments (500 MB by
    default), so a stream holds a little more than asked.

    \b
    Examples:
      ocelot record --stream ops.history --max-age 7d --max-bytes 5GB     everything on ocelot.events
      ocelot record --stream calls.history 'comms.call.*' --max-age 2d
      ocelot tail --stream ops.history --since 10m     the last ten minutes, then live
      rabbitmqctl delete_queue ops.history             stop recording and drop the history
    """
    from ocelot_cli.transports.base import Capability, transport_for

    state = state_of(ctx)
    endpoint = state.endpoint("amqp_url", amqp_url, ca_file=ca_file, connect_timeout=connect_timeout)
    spec = _stream_spec(state, stream, list(patterns or []), exchanges, max_age, max_bytes)
    transport = transport_for(endpoint, need=Capability.TAIL)
    if endpoint.scheme not in ("amqp", "amqps"):  # the setting only takes amqp(s)://; said for any future scheme
        from ocelot_cli.errors import UsageProblem

        raise UsageProblem("streams are RabbitMQ's: give an amqp:// or amqps:// URL")
    made = transport.declare_stream(spec)
    _report(state.output, spec, made, endpoint.shown)


def _stream_spec(state, stream: str, patterns: list[str], exchanges: list[str] | None, max_age: str | None,  # noqa: ANN001
                 max_bytes: str | None) -> Any:  # fmt: skip
    """The stream to make, every option checked before connecting."""
    from ocelot_cli.errors import UsageProblem
    from ocelot_cli.tail.history import parse_max_age, parse_size
    from ocelot_cli.transports.base import StreamSpec, looks_like_url

    if not stream.strip():
        raise UsageProblem("name the stream: --stream NAME",
                           hint="e.g. ocelot record --stream ops.history --max-age 7d")  # fmt: skip
    if any(looks_like_url(p) for p in patterns):
        raise UsageProblem("record takes binding patterns, not a URL: give the broker with --amqp-url")
    if max_age is None and max_bytes is None:
        raise UsageProblem("give --max-age and/or --max-bytes: a stream without retention keeps every message until "
                           "the broker's disk alarm stops all publishing", hint="e.g. --max-age 7d --max-bytes 5GB")
    age = parse_max_age(max_age) if max_age is not None else None
    size = parse_size(max_bytes) if max_bytes is not None else None
    names = list(exchanges or []) or [state.settings().get("exchange")]
    if any(not name for name in names):
        raise UsageProblem("--exchange '': the default exchange takes no bindings", hint="name a topic exchange")
    return StreamSpec(stream, tuple((exchange, pattern) for exchange in names for pattern in patterns or ["#"]),
                      age, size, default_bindings=not patterns)  # fmt: skip


def _report(out, spec, made: bool, where: str) -> None:  # noqa: ANN001
    from ocelot_cli.render.safe_text import escape_control

    kept = " or ".join(part for part in (f"for {spec.max_age}" if spec.max_age else "",
                                         f"up to {spec.max_bytes:,} bytes" if spec.max_bytes else "") if part)
    bound = ", ".join(f"{escape_control(e, one_line=True)} {escape_control(p, one_line=True)!r}"
                      for e, p in spec.bindings)  # fmt: skip
    name = escape_control(spec.name, one_line=True)
    import shlex

    how = "made" if made else "already there with these settings (bindings of earlier runs stay)"
    binding = (f"bound to {bound}" if made or not spec.default_bindings else
               "its bindings left as they are (give patterns to add some)")  # fmt: skip
    out.status(f"stream {name!r} {how} at {where}: keeps messages {kept}; {binding}")
    out.status(f"read it back with: ocelot tail --stream {shlex.quote(name)} --since 10m")
