"""``ocelot gateway``: run the reference real-time gateway locally."""

from __future__ import annotations

from typing import Annotated

import typer

from ocelot_cli.commands import options
from ocelot_cli.commands.state import state_of


def gateway(
    ctx: typer.Context,
    listen: Annotated[
        str, typer.Option("--listen", metavar="HOST:PORT", help="Where to listen (port 0: any free port).")
    ] = "127.0.0.1:8765",
    redis_url: options.RedisUrl = None,
    sources: Annotated[
        list[str] | None,
        typer.Option(
            "--source",
            metavar="redis|amqp",
            help="Where events come from (repeatable): Redis pub/sub "
            "channels, and/or platform events on the exchange bridged into OttoAI channels. Default: redis.",
        ),
    ] = None,  # fmt: skip
    amqp_url: options.AmqpUrl = None,
    exchange: options.Exchange = None,
    connect_timeout: options.ConnectTimeout = None,
    ping_interval: Annotated[
        str, typer.Option("--ping-interval", metavar="DURATION", help="Application ping period.")
    ] = "20s",
    stale_after: Annotated[
        str, typer.Option("--stale-after", metavar="DURATION", help="Close a connection silent this long.")
    ] = "40s",
    subscribe_limit: Annotated[
        int, typer.Option("--subscribe-limit", min=1, help="Subscribe/unsubscribe operations per window.")
    ] = 10,
    subscribe_window: Annotated[
        str, typer.Option("--subscribe-window", metavar="DURATION", help="The rate-limit window.")
    ] = "60s",
    buffer: Annotated[
        int, typer.Option("--buffer", min=1, help="Messages buffered per connection before dropping.")
    ] = 100,
    secret_file: Annotated[
        str | None,
        typer.Option(
            "--secret-file", metavar="FILE", help="HS256 secret that tokens are verified with. [env: OCELOT_JWT_SECRET]"
        ),
    ] = None,
) -> None:
    """Run the reference OttoAI real-time gateway: WebSocket on /ws, fed by Redis pub/sub.

    Clients connect with 'Authorization: Bearer <JWT>' (see 'ocelot token'); bad or missing
    tokens are closed with code 1008. A connection may subscribe to its tenant, its user and
    lead channels, and never receives another tenant's events. Heartbeat, subscribe rate
    limit, 32 KB pointer messages and the per-connection buffer follow the real-time spec.
    GET /ready says whether Redis is reachable; GET /metrics serves Prometheus metrics.

    \b
    Examples:
      export OCELOT_JWT_SECRET=$(openssl rand -hex 32)
      ocelot gateway
      ocelot gateway --listen 0.0.0.0:8765 --redis-url redis://redis.internal:6379/0
      ocelot gateway --ping-interval 2s --stale-after 5s      # fast heartbeats for testing
      ocelot gateway --source redis --source amqp             # also bridge ocelot.events
    """
    import asyncio
    import signal

    from ocelot_cli.config.durations import parse_duration
    from ocelot_cli.errors import UsageProblem
    from ocelot_cli.gateway.auth import load_secret
    from ocelot_cli.gateway.hub import Limits
    from ocelot_cli.gateway.server import Gateway, GatewayOptions

    state = state_of(ctx)
    out = state.output
    host, _, port_text = listen.rpartition(":")
    if not host or not port_text.isdigit():
        raise UsageProblem(f"--listen {listen!r} is not HOST:PORT", hint="e.g. 127.0.0.1:8765")
    limits = Limits(
        ping_interval=parse_duration(ping_interval, option="--ping-interval"),
        stale_after=parse_duration(stale_after, option="--stale-after"),
        subscribe_ops=subscribe_limit,
        subscribe_window=parse_duration(subscribe_window, option="--subscribe-window"),
        buffer=buffer,
    )
    chosen = set(sources or ["redis"])
    if chosen - {"redis", "amqp"}:
        raise UsageProblem(f"--source {', '.join(sorted(chosen - {'redis', 'amqp'}))}: choose redis and/or amqp")
    redis = state.endpoint("redis_url", redis_url, connect_timeout=connect_timeout) if "redis" in chosen else None
    amqp = state.endpoint("amqp_url", amqp_url, connect_timeout=connect_timeout) if "amqp" in chosen else None
    server = Gateway(
        GatewayOptions(host=host, port=int(port_text), redis=redis, amqp=amqp,
                       exchange=state.settings().get("exchange", exchange), secret=load_secret(secret_file),
                       limits=limits),
        on_notice=out.warn,
    )  # fmt: skip
    origins = [e.shown for e in (redis, amqp) if e is not None]

    def listening(port: int) -> None:
        out.status(
            f"gateway listening on ws://{host}:{port}/ws (GET /ready, /metrics); events from {', '.join(origins)}"
        )

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, server.stop)
        await server.run(listening)

    try:
        asyncio.run(main())
    except OSError as exc:
        raise UsageProblem(f"cannot listen on {listen}: {exc.strerror}") from None
    out.status("gateway stopped")
