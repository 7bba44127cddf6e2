"""Development tokens for the real-time gateway: HS256 JWTs with tenant and user claims.

The secret comes from ``OCELOT_JWT_SECRET`` or a file, never from the command line.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Any

from ocelot_cli.errors import ConfigError

ENV_JWT_SECRET = "OCELOT_JWT_SECRET"
ALGORITHM = "HS256"
MIN_SECRET_BYTES = 32  # RFC 7518: an HS256 key should be at least as long as the hash


def bearer_token(header: str) -> str:
    """The token of an ``Authorization: Bearer <token>`` header ('' when there is none); the scheme
    name is case-insensitive (RFC 9110), so ``bearer`` and ``BEARER`` work as well."""
    scheme, _, value = header.strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def load_secret(secret_file: str | None = None) -> bytes:
    """The signing secret from a file or OCELOT_JWT_SECRET; ConfigError saying how to set one."""
    if secret_file:
        try:
            secret = Path(secret_file).expanduser().read_bytes().strip()
        except OSError as exc:
            raise ConfigError(f"cannot read the JWT secret file {secret_file}: {exc.strerror}") from None
    else:
        secret = os.environ.get(ENV_JWT_SECRET, "").encode()
    if not secret:
        raise ConfigError(
            "no JWT secret", hint=f"set {ENV_JWT_SECRET} or pass --secret-file (e.g. 'openssl rand -hex 32 > secret')"
        )
    if len(secret) < MIN_SECRET_BYTES:
        raise ConfigError(f"the JWT secret is {len(secret)} bytes; use at least {MIN_SECRET_BYTES} for HS256")
    return secret


def mint(secret: bytes, *, tenant: str, user: str, ttl: float = 3600.0, role: str | None = None) -> str:
    """A signed token whose claims name the tenant and user (``sub``), valid for ``ttl`` seconds (rounded
    up: JWT times are whole seconds, and a token shorter-lived than asked helps nobody)."""
    import jwt

    now = int(time.time())
    claims: dict[str, Any] = {"sub": user, "tenant_id": tenant, "iat": now, "exp": now + math.ceil(ttl)}
    if role:
        claims["role"] = role
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(token: str, secret: bytes) -> dict[str, Any]:
    """The claims of a valid, unexpired token with tenant and user; raises ValueError otherwise."""
    import jwt

    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.PyJWTError as exc:
        raise ValueError(str(exc)) from None
    if not isinstance(claims.get("tenant_id"), str) or not isinstance(claims.get("sub"), str):
        raise ValueError("token lacks tenant_id or sub")
    return claims


def unverified_claims(token: str) -> dict[str, Any]:
    """The claims of a token, not verified (only to pick the tenant of load-test events); {} if unreadable."""
    import jwt

    try:
        return jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
