"""``ocelot doctor``: check the configuration and every service it names, and say what to fix.

Checks: config (the profiles file and the chosen profile), settings (each value and its origin,
passwords masked), broker, exchange, redis, gateway (its /ready page), token (present, not
expired), jwt-secret (when set, long enough). A service left at its default address that does
not answer is a warning (you may not use it); one you configured is a failure.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ocelot_cli.config.redact import mask_url
from ocelot_cli.config.settings import Resolved, Settings, config_path
from ocelot_cli.errors import CheckFailed, ConfigError, ExitStatus, OcelotError
from ocelot_cli.smoke.checks import SKIPPED, WARNED, CheckResult, Report, judge_nodes
from ocelot_cli.transports.base import Capability, Endpoint, transport_for

SETTING_NAMES = ("amqp_url", "exchange", "redis_url", "ws_url", "ws_token", "ws_token_file")


@dataclass
class DoctorOptions:
    """The profile, the connection flags given, and how endpoints are built from resolved URLs."""

    profile: str | None
    flags: dict[str, str | None] = field(default_factory=dict)
    endpoint: Callable[[str], Endpoint] = Endpoint  # setting name -> its Endpoint (checked, with timeouts)


def run_doctor(options: DoctorOptions) -> Report:
    """Every check, in order; a check that cannot run without an earlier one is skipped."""
    report = Report("ocelot doctor")
    settings = None
    with report.check("config") as result:
        settings = _config(options.profile, result)
    if settings is None:
        for name in ("settings", "broker", "exchange", "redis", "gateway", "token", "jwt-secret"):
            report.skip(name, "needs config")
        return report
    rows = {name: settings.resolve(name, options.flags.get(name)) for name in SETTING_NAMES}
    with report.check("settings") as result:
        result.message = "; ".join(f"{r.name}={r.shown()} ({r.origin})" for r in rows.values() if r.value)
        result.details = {r.name: {"value": r.shown(), "origin": r.origin} for r in rows.values()}
    _broker_checks(report, rows, options.endpoint)
    with report.check("redis") as result:
        _redis(rows["redis_url"], result, options.endpoint)
    _gateway_checks(report, rows, options.endpoint)
    with report.check("jwt-secret") as result:
        _jwt_secret(result)
    return report


def _config(profile: str | None, result: CheckResult) -> Settings:
    try:
        settings = Settings(profile)
    except ConfigError as exc:
        raise CheckFailed(exc.message, ExitStatus.CONFIG,
                          hint=exc.hint or f"correct {config_path()}, or point OCELOT_CONFIG at another file") from None
    where = f"{settings.path}" if settings.path.exists() else f"no profiles file at {settings.path}: env and defaults"
    result.message = f"profile {settings.profile_name} from {where}" if settings.profile_name else where
    return settings


def _down(resolved: Resolved, result: CheckResult, error: OcelotError, hint: str) -> None:
    """A service that does not answer: a warning at its default address, a failure when configured."""
    if error.exit_status != ExitStatus.UNREACHABLE:
        raise error
    if resolved.origin == "default":
        result.outcome, result.message, result.hint = WARNED, error.message + " (the default address)", hint
        return
    raise CheckFailed(error.message, error.exit_status, hint=error.hint or hint)


def _broker_checks(report: Report, rows: dict[str, Resolved], endpoint: Callable[[str], Endpoint]) -> None:
    session = None
    try:
        with report.check("broker") as result:
            broker = endpoint("amqp_url")
            session = transport_for(broker, need=Capability.LOAD).session("ocelot doctor")
            cluster = len(broker.nodes) > 1  # every node is checked, the first that answers kept
            try:
                info, found = session.connect_every_node() if cluster else (session.connect(), None)
                result.message = f"{info['server']} at {info['url']}: connected, credentials accepted"
            except OcelotError as exc:
                _down(rows["amqp_url"], result, exc, "start RabbitMQ")
            else:
                if found is not None:
                    judge_nodes(result, found, info["url"])
        if session is None or session.connection is None:
            report.skip("exchange", "needs broker")
            return
        with report.check("exchange") as result:
            name = rows["exchange"].value or ""
            kind = session.exchange_type(name)
            result.message = f"{name!r} exists and is a {kind} exchange"
            if len(session.endpoint.nodes) > 1:
                result.message += f" (checked on {session.node.shown})"
    finally:
        if session is not None:
            session.close()


def _redis(resolved: Resolved, result: CheckResult, endpoint: Callable[[str], Endpoint]) -> None:
    redis = endpoint("redis_url")
    try:
        transport_for(redis, need=Capability.PROBE).probe("ocelot doctor")
        result.message = f"{redis.shown} answers"
    except OcelotError as exc:
        _down(resolved, result, exc, "start Redis or set OCELOT_REDIS_URL (needed for --to redis:// and the gateway)")


def _gateway_checks(report: Report, rows: dict[str, Resolved], endpoint: Callable[[str], Endpoint]) -> None:
    resolved = rows["ws_url"]
    with report.check("gateway") as result:
        transport = transport_for(endpoint("ws_url"), need=Capability.PROBE)
        ready = transport.ready_url()
        try:
            status, body = transport.readiness()
        except OcelotError as exc:
            _down(resolved, result, exc, "start it ('ocelot gateway') or set OCELOT_WS_URL")
        else:
            if status != 200:
                raise CheckFailed(f"{mask_url(ready)} says not ready ({status}): {body.strip()}",
                                  ExitStatus.UNREACHABLE,
                                  hint="the gateway cannot reach one of its sources (see its /ready body)")  # fmt: skip
            result.message = f"{mask_url(ready)}: {status} {body.strip()}"
    if not report.passed("gateway") and report.checks[-1].outcome != WARNED:
        report.skip("token", "needs gateway")
        return
    with report.check("token") as result:
        _token(rows, result)


def _token(rows: dict[str, Resolved], result: CheckResult) -> None:
    from pathlib import Path

    from ocelot_cli.gateway.auth import TENANT_CLAIMS, USER_CLAIMS, claimed, unverified_claims

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
    claims: dict[str, Any] = unverified_claims(token)
    if not claims:
        raise CheckFailed("the gateway token is not a JWT", ExitStatus.AUTH, hint="mint one with 'ocelot token'")
    expires = claims.get("exp")
    _check_shape(token, claims)
    if isinstance(expires, int | float) and expires < time.time():
        raise CheckFailed(f"the gateway token expired {time.time() - expires:.0f}s ago", ExitStatus.AUTH,
                          hint="get a fresh one (e.g. 'ocelot token --tenant T --user U')")  # fmt: skip
    left = f", expires in {(expires - time.time()) / 60:.0f} min" if isinstance(expires, int | float) else ""
    tenant, user = claimed(claims, TENANT_CLAIMS), claimed(claims, USER_CLAIMS)
    result.message = f"token for tenant {tenant!r}, user {user!r}{left}"
    _check_signature(token, result)


def _check_shape(token: str, claims: dict[str, Any]) -> None:
    """What every gateway refuses whatever its keys: no algorithm, no expiry, no organization or user."""
    import jwt

    from ocelot_cli.gateway.auth import PUBLIC_ALGORITHMS, TENANT_CLAIMS, USER_CLAIMS, claimed

    try:
        algorithm = jwt.get_unverified_header(token).get("alg")
    except jwt.PyJWTError:
        algorithm = None
    problem = (
        f"its algorithm {algorithm!r} is accepted by no gateway" if algorithm not in {"HS256", *PUBLIC_ALGORITHMS}
        else "it has no expiry (exp)" if not isinstance(claims.get("exp"), int | float)
        else "it names no organization (tenant_id, org_id, organization_id)" if not claimed(claims, TENANT_CLAIMS)
        else "it names no user (sub, user_id)" if not claimed(claims, USER_CLAIMS)
        else None
    )  # fmt: skip
    if problem:
        raise CheckFailed(f"the gateway token will be refused: {problem}", ExitStatus.AUTH,
                          hint="get a token from the identity provider, or mint one with 'ocelot token'")  # fmt: skip


def _check_signature(token: str, result: CheckResult) -> None:
    """With the gateway's secret at hand (OCELOT_JWT_SECRET), a token it did not sign is a failure."""
    import jwt

    from ocelot_cli.gateway.auth import ENV_JWT_SECRET, MIN_SECRET_BYTES, verify

    with contextlib.suppress(jwt.PyJWTError):
        algorithm = jwt.get_unverified_header(token).get("alg")
        if algorithm != "HS256":  # signed by a private key: the gateway's --jwks verifies it, not the secret
            result.message += f" ({algorithm}: verified by the gateway's --jwks, not here)"
            return
    secret = os.environ.get(ENV_JWT_SECRET, "")
    if len(secret.encode()) < MIN_SECRET_BYTES:  # unset, or too short to use: the jwt-secret check says which
        result.message += " (signature not checked: no usable OCELOT_JWT_SECRET)"
        return
    try:
        verify(token, secret.encode())
    except ValueError as exc:
        raise CheckFailed(f"the gateway token does not verify with OCELOT_JWT_SECRET: {exc}", ExitStatus.AUTH,
                          hint="mint one with 'ocelot token' and the gateway's secret") from None  # fmt: skip
    result.message += ", signature verified"


def _jwt_secret(result: CheckResult) -> None:
    from ocelot_cli.gateway.auth import ENV_JWT_SECRET, MIN_SECRET_BYTES

    secret = os.environ.get(ENV_JWT_SECRET, "")
    if not secret:
        result.outcome = SKIPPED
        result.message = f"{ENV_JWT_SECRET} not set (only 'ocelot token' and the gateway use it)"
        return
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise CheckFailed(f"{ENV_JWT_SECRET} is {len(secret.encode())} bytes; HS256 needs at least {MIN_SECRET_BYTES}",
                          ExitStatus.CONFIG, hint="e.g. export OCELOT_JWT_SECRET=$(openssl rand -hex 32)")  # fmt: skip
    result.message = f"{ENV_JWT_SECRET} is set ({len(secret.encode())} bytes)"
