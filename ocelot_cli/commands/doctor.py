"""``ocelot doctor``: check the configuration and every service it names, and say what to fix."""

from __future__ import annotations

import os
import time
from typing import Any

import typer

from ocelot_cli.commands import options
from ocelot_cli.commands.state import state_of
from ocelot_cli.errors import ConfigError, ExitStatus
from ocelot_cli.smoke import SKIPPED, WARNED, CheckFailed, CheckResult, Report


def doctor(
    ctx: typer.Context,
    amqp_url: options.AmqpUrl = None,
    exchange: options.Exchange = None,
    redis_url: options.RedisUrl = None,
    ws_url: options.WsUrl = None,
    ca_file: options.CaFile = None,
    as_json: options.JsonFlag = False,
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
    state = state_of(ctx)
    state.warn_secrets_in_flags({"amqp_url": amqp_url, "redis_url": redis_url, "ws_url": ws_url})
    report = Report("ocelot doctor")
    flags = {"amqp_url": amqp_url, "exchange": exchange, "redis_url": redis_url, "ws_url": ws_url}
    settings = None
    with report.check("config") as result:
        settings = _config(state, result)
    if settings is None:
        for name in ("settings", "broker", "exchange", "redis", "gateway", "token", "jwt-secret"):
            report.skip(name, "needs config")
    else:
        names = ("amqp_url", "exchange", "redis_url", "ws_url", "ws_token", "ws_token_file")
        rows = {name: settings.resolve(name, flags.get(name)) for name in names}
        with report.check("settings") as result:
            result.message = "; ".join(f"{r.name}={r.shown()} ({r.origin})" for r in rows.values() if r.value)
            result.details = {r.name: {"value": r.shown(), "origin": r.origin} for r in rows.values()}
        _broker_checks(report, rows, ca_file)
        with report.check("redis") as result:
            _redis(rows["redis_url"], result)
        _gateway_checks(report, rows, ca_file)
        with report.check("jwt-secret") as result:
            _jwt_secret(result)
    from ocelot_cli.commands.smoke_run import print_report

    print_report(state, report, "json" if as_json else "text")
    if not report.ok:
        raise typer.Exit(int(report.exit_status))


def _config(state: Any, result: CheckResult) -> Any:
    from ocelot_cli.settings import Settings, config_path

    try:
        settings = Settings(state.profile)
    except ConfigError as exc:
        raise CheckFailed(
            exc.message,
            ExitStatus.CONFIG,
            hint=exc.hint or f"correct {config_path()}, or point OCELOT_CONFIG at another file",
        ) from None
    where = f"{settings.path}" if settings.path.exists() else f"no profiles file at {settings.path}: env and defaults"
    result.message = f"profile {settings.profile_name} from {where}" if settings.profile_name else where
    return settings


def _down(resolved: Any, result: CheckResult, message: str, status: ExitStatus, hint: str) -> None:
    """A service that does not answer: a warning at its default address, a failure when configured."""
    if resolved.origin == "default":
        result.outcome, result.message, result.hint = WARNED, message + " (the default address)", hint
        return
    raise CheckFailed(message, status, hint=hint)


def _broker_checks(report: Report, rows: dict[str, Any], ca_file: str | None) -> None:
    from ocelot_cli.errors import OcelotError
    from ocelot_cli.transports.amqp import AmqpOptions
    from ocelot_cli.transports.smoke_amqp import AmqpProbe

    probe = AmqpProbe(AmqpOptions(url=rows["amqp_url"].value, ca_file=ca_file), purpose="ocelot doctor")
    try:
        with report.check("broker") as result:
            try:
                info = probe.connect()
                result.message = f"{info['server']} at {info['url']}: connected, credentials accepted"
            except OcelotError as exc:
                if exc.exit_status != ExitStatus.UNREACHABLE:
                    raise
                _down(rows["amqp_url"], result, exc.message, exc.exit_status, exc.hint or "start RabbitMQ")
        if probe.connection is None:
            report.skip("exchange", "needs broker")
            return
        with report.check("exchange") as result:
            name = rows["exchange"].value
            kind = probe.exchange_type(name)
            result.message = f"{name!r} exists and is a {kind} exchange"
    finally:
        probe.close()


def _redis(resolved: Any, result: CheckResult) -> None:
    from ocelot_cli.errors import OcelotError
    from ocelot_cli.redact import mask_url
    from ocelot_cli.transports.redis_pubsub import ping

    try:
        ping(resolved.value)
        result.message = f"{mask_url(resolved.value)} answers"
    except OcelotError as exc:
        if exc.exit_status != ExitStatus.UNREACHABLE:
            raise
        _down(resolved, result, exc.message, exc.exit_status,
              "start Redis or set OCELOT_REDIS_URL (needed for --to redis:// and the gateway)")  # fmt: skip


def _gateway_checks(report: Report, rows: dict[str, Any], ca_file: str | None) -> None:
    import ssl
    import urllib.error
    import urllib.request

    from ocelot_cli.redact import mask_url

    resolved = rows["ws_url"]
    url = resolved.value or ""
    ready = "http" + url[2:].rsplit("/", 1)[0] + "/ready" if url.startswith(("ws://", "wss://")) else None
    with report.check("gateway") as result:
        if ready is None:
            raise CheckFailed(f"{mask_url(url)} is not a ws:// or wss:// URL", ExitStatus.USAGE,
                              hint="set OCELOT_WS_URL to the gateway's URL, e.g. ws://host:8765/ws")  # fmt: skip
        context = ssl.create_default_context(cafile=ca_file) if ready.startswith("https") else None
        try:
            with urllib.request.urlopen(ready, timeout=3, context=context) as response:  # noqa: S310 - http(s) only
                result.message = f"{mask_url(ready)}: {response.status} {response.read(200).decode('utf-8', 'replace')}"
        except urllib.error.HTTPError as exc:
            body = exc.read(300).decode("utf-8", "replace")
            raise CheckFailed(
                f"{mask_url(ready)} says not ready ({exc.code}): {body}",
                ExitStatus.UNREACHABLE,
                hint="the gateway cannot reach one of its sources (see its /ready body)",
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            _down(resolved, result, f"no gateway answers at {mask_url(ready)} ({reason})", ExitStatus.UNREACHABLE,
                  "start it ('ocelot gateway') or set OCELOT_WS_URL")  # fmt: skip
    if not report.passed("gateway") and report.checks[-1].outcome != WARNED:
        report.skip("token", "needs gateway")
        return
    with report.check("token") as result:
        _token(rows, result)


def _token(rows: dict[str, Any], result: CheckResult) -> None:
    from pathlib import Path

    from ocelot_cli.tokens import unverified_claims

    token = rows["ws_token"].value
    if not token and rows["ws_token_file"].value:
        try:
            token = Path(rows["ws_token_file"].value).expanduser().read_text().strip()
        except OSError as exc:
            raise CheckFailed(f"cannot read the token file {rows['ws_token_file'].value}: {exc.strerror}",
                              ExitStatus.CONFIG, hint="fix OCELOT_WS_TOKEN_FILE") from None  # fmt: skip
    if not token:
        result.outcome, result.message = WARNED, "no token for the gateway"
        result.hint = "set OCELOT_WS_TOKEN or OCELOT_WS_TOKEN_FILE to tail channels or smoke-test the gateway"
        return
    claims = unverified_claims(token)
    if not claims:
        raise CheckFailed("the gateway token is not a JWT", ExitStatus.AUTH, hint="mint one with 'ocelot token'")
    expires = claims.get("exp")
    if isinstance(expires, int | float) and expires < time.time():
        raise CheckFailed(f"the gateway token expired {time.time() - expires:.0f}s ago", ExitStatus.AUTH,
                          hint="get a fresh one (e.g. 'ocelot token --tenant T --user U')")  # fmt: skip
    left = f", expires in {(expires - time.time()) / 60:.0f} min" if isinstance(expires, int | float) else ""
    result.message = f"token for tenant {claims.get('tenant_id')!r}, user {claims.get('sub')!r}{left}"


def _jwt_secret(result: CheckResult) -> None:
    from ocelot_cli.tokens import ENV_JWT_SECRET, MIN_SECRET_BYTES

    secret = os.environ.get(ENV_JWT_SECRET, "")
    if not secret:
        result.outcome, result.message = (
            SKIPPED,
            f"{ENV_JWT_SECRET} not set (only 'ocelot token' and the gateway use it)",
        )
        return
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise CheckFailed(f"{ENV_JWT_SECRET} is {len(secret.encode())} bytes; HS256 needs at least {MIN_SECRET_BYTES}",
                          ExitStatus.CONFIG, hint="e.g. export OCELOT_JWT_SECRET=$(openssl rand -hex 32)")  # fmt: skip
    result.message = f"{ENV_JWT_SECRET} is set ({len(secret.encode())} bytes)"
