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
    ca_file: options.CaFile = None,
    exchange: options.Exchange = None,
    connect_timeout: options.ConnectTimeout = None,
    shuffle_nodes: options.ShuffleNodes = False,
    metrics_listen: Annotated[
        str | None,
        typer.Option("--metrics-listen", metavar="HOST:PORT",
                     help="Serve /metrics here, without a token [default: on --listen, with a gateway token]."),
    ] = None,
    metrics_tenant_labels: Annotated[
        bool, typer.Option("--metrics-tenant-labels", help="Count connections per tenant id in /metrics.")
    ] = False,
    ping_interval: Annotated[
        str, typer.Option("--ping-interval", metavar="TIME", help="Application ping period.")
    ] = "20s",
    stale_after: Annotated[
        str, typer.Option("--stale-after", metavar="TIME", help="Close a connection silent this long.")
    ] = "40s",
    subscribe_limit: Annotated[
        int, typer.Option("--subscribe-limit", min=1, metavar="N", help="Subscribe/unsubscribe operations per window.")
    ] = 10,
    subscribe_window: Annotated[
        str, typer.Option("--subscribe-window", metavar="TIME", help="The rate-limit window.")
    ] = "60s",
    buffer: Annotated[
        int, typer.Option("--buffer", min=1, metavar="N", help="Messages buffered per connection before dropping.")
    ] = 100,
    secret_file: options.SecretFile = None,
    jwks: Annotated[
        str | None,
        typer.Option("--jwks", metavar="FILE|URL", show_default=False,
                     help="Verify RS256/ES256 tokens with this JWKS (a file, or the identity provider's URL such as "
                          "Clerk's https://<instance>/.well-known/jwks.json); re-read on an unknown kid."),
    ] = None,  # fmt: skip
    issuer: Annotated[
        str | None, typer.Option("--issuer", metavar="ISS", help="Refuse tokens whose iss is not this.")
    ] = None,
    audience: Annotated[
        str | None, typer.Option("--audience", metavar="AUD", help="Refuse tokens whose aud does not name this.")
    ] = None,
    tenant_claims: Annotated[
        list[str] | None,
        typer.Option("--tenant-claim", metavar="NAME", show_default=False,
                     help="Claim naming the tenant, first present wins; repeatable "
                          "[default: tenant_id, org_id, organization_id]."),
    ] = None,  # fmt: skip
    auth_failure: Annotated[
        str,
        typer.Option("--auth-failure", metavar="http403|close1008",
                     help="A bad or missing token: HTTP 403 before the upgrade (as the OttoAI hub), or the upgrade "
                          "then a close with 1008."),
    ] = "http403",  # fmt: skip
    user_claims: Annotated[
        list[str] | None,
        typer.Option("--user-claim", metavar="NAME", show_default=False,
                     help="Claim naming the user, first present wins; repeatable [default: sub, user_id]."),
    ] = None,  # fmt: skip
) -> None:
    """Run the reference OttoAI real-time gateway: WebSocket on /ws, fed by Redis pub/sub.

    Clients connect with 'Authorization: Bearer <JWT>': HS256 with the shared secret (see
    'ocelot token'), or RS256/ES256 verified with --jwks as Clerk issues them (tenant from
    tenant_id, org_id or organization_id); bad or missing tokens get HTTP 403 before the upgrade
    (or, with --auth-failure close1008, the upgrade then a 1008 close). A
    connection may subscribe to its tenant, its user and lead channels, and never receives
    another tenant's events. Heartbeat, subscribe rate
    limit, 32 KB pointer messages and the per-connection buffer follow the real-time spec.
    GET /ready is 503 while a source is down or stalled; GET /metrics serves Prometheus metrics
    to a caller with a gateway token (or on --metrics-listen), tenant ids only when asked.
    Connections are closed when their token expires.

    \b
    Examples:
      export OCELOT_JWT_SECRET=$(openssl rand -hex 32)
      ocelot gateway
      ocelot gateway --listen 0.0.0.0:8765 --redis-url redis://redis.internal:6379/0
      ocelot gateway --ping-interval 2s --stale-after 5s      # fast heartbeats for testing
      ocelot gateway --source redis --source amqp             # also bridge ocelot.events
      ocelot gateway --jwks https://clerk.example.com/.well-known/jwks.json --issuer https://clerk.example.com
    """
    import asyncio
    import signal

    from ocelot_cli.config.durations import parse_duration
    from ocelot_cli.errors import UsageProblem
    from ocelot_cli.gateway.hub import Limits
    from ocelot_cli.gateway.server import Gateway, GatewayOptions

    state = state_of(ctx)
    out = state.output
    host, port = _address(listen, "--listen")
    metrics_port = _address(metrics_listen, "--metrics-listen")[1] if metrics_listen else None
    limits = Limits(
        ping_interval=parse_duration(ping_interval, option="--ping-interval", positive=True),
        stale_after=parse_duration(stale_after, option="--stale-after", positive=True),
        subscribe_ops=subscribe_limit,
        subscribe_window=parse_duration(subscribe_window, option="--subscribe-window", positive=True),
        buffer=buffer,
    )
    failure_mode = _auth_failure(auth_failure)  # options before the secret and the key set
    chosen = set(sources or ["redis"])
    if chosen - {"redis", "amqp"}:
        raise UsageProblem(f"--source {', '.join(sorted(chosen - {'redis', 'amqp'}))}: choose redis and/or amqp")
    redis = state.endpoint("redis_url", redis_url, connect_timeout=connect_timeout) if "redis" in chosen else None
    # heartbeats every 5 s: a stalled broker link shows on /ready within seconds, not a minute
    amqp = (state.endpoint("amqp_url", amqp_url, connect_timeout=connect_timeout, heartbeat=5, ca_file=ca_file,
                           shuffle=shuffle_nodes) if "amqp" in chosen else None)  # fmt: skip
    server = Gateway(
        GatewayOptions(host=host, port=port, redis=redis, amqp=amqp,
                       exchange=state.settings().get("exchange", exchange),
                       verifier=_verifier(secret_file, jwks, issuer, audience, tenant_claims, user_claims),
                       auth_failure=failure_mode,
                       limits=limits, metrics_port=metrics_port, metrics_tenant_labels=metrics_tenant_labels),
        on_notice=out.warn,
        on_detail=out.detail,
    )  # fmt: skip
    origins = [e.shown for e in (redis, amqp) if e is not None]

    def listening(port: int) -> None:
        metrics = f"http://{host}:{server.metrics_port}/metrics" if server.metrics_port else "/metrics with a token"
        out.status(f"gateway listening on ws://{host}:{port}/ws (GET /ready, {metrics}); events from "
                   f"{', '.join(origins)}")  # fmt: skip

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # a server's normal stop: exit 0
            loop.add_signal_handler(signum, server.stop)
        await server.run(listening)

    try:
        asyncio.run(main())
    except OSError as exc:
        raise UsageProblem(f"cannot listen on {listen}: {exc.strerror}") from None
    out.status("gateway stopped")


def _address(text: str, option: str) -> tuple[str, int]:
    from ocelot_cli.errors import UsageProblem

    host, _, port_text = text.rpartition(":")
    if not host or not port_text.isdigit() or int(port_text) > 65535:
        raise UsageProblem(f"{option} {text!r} is not HOST:PORT", hint="e.g. 127.0.0.1:8765 (port 0: any free port)")
    return host, int(port_text)


def _verifier(secret_file, jwks, issuer, audience, tenant_claims, user_claims):  # noqa: ANN001, ANN202
    """How tokens are verified: the HS256 secret (development), a JWKS (production), or both."""
    import os

    from ocelot_cli.errors import UsageProblem
    from ocelot_cli.gateway.auth import ENV_JWT_SECRET, TENANT_CLAIMS, USER_CLAIMS, Verifier, load_secret
    from ocelot_cli.gateway.keys import KeySet

    if any(not name.strip() for name in [*(tenant_claims or []), *(user_claims or [])]):
        raise UsageProblem("--tenant-claim and --user-claim take a claim's name, e.g. org_id")
    secret = load_secret(secret_file) if secret_file or os.environ.get(ENV_JWT_SECRET) or not jwks else b""
    return Verifier(secret=secret, keys=KeySet(jwks) if jwks else None, issuer=issuer, audience=audience,
                    tenant_claims=tuple(tenant_claims or TENANT_CLAIMS), user_claims=tuple(user_claims or USER_CLAIMS))


def _auth_failure(value: str) -> str:
    if value not in ("http403", "close1008"):
        from ocelot_cli.errors import UsageProblem

        raise UsageProblem(f"--auth-failure {value!r}: choose http403 (the hub's way) or close1008")
    return value
