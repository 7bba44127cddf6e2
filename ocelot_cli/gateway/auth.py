"""Tokens of the real-time gateway: HS256 JWTs with a shared secret for development, and RS256/ES256
verified against a JWKS (``gateway --jwks``) as identity providers such as Clerk issue them.

The secret comes from ``OCELOT_JWT_SECRET`` or a file, never from the command line.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
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


def mint(secret: Any, *, tenant: str, user: str, ttl: float = 3600.0, role: str | None = None,
         algorithm: str = ALGORITHM, kid: str | None = None, issuer: str | None = None,
         audience: str | None = None) -> str:  # fmt: skip
    """A signed token naming the tenant (both ``tenant_id`` and Clerk's ``org_id``, so that ocelot's
    gateway and a hub that reads ``org_id`` accept it) and the user (``sub``), valid for ``ttl``
    seconds (rounded up: JWT times are whole seconds). ``secret`` is the HS256 secret, or a private
    key with ``algorithm`` RS256/ES256 and its ``kid``."""
    import jwt

    now = int(time.time())
    claims: dict[str, Any] = {"sub": user, "tenant_id": tenant, "org_id": tenant, "iat": now,
                              "exp": now + math.ceil(ttl)}  # fmt: skip
    claims.update({k: v for k, v in (("role", role), ("iss", issuer), ("aud", audience)) if v})
    return jwt.encode(claims, secret, algorithm=algorithm, headers={"kid": kid} if kid else None)


# Where the tenant and the user are found, first present wins: ocelot's own claim, then Clerk's
# (org_id, sub), then the other names hubs read (organization_id, user_id).
TENANT_CLAIMS = ("tenant_id", "org_id", "organization_id")
USER_CLAIMS = ("sub", "user_id")
LEEWAY = 5  # seconds of clock skew allowed on exp, nbf and iat, as identity providers' SDKs allow
PUBLIC_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"})


def claimed(claims: dict[str, Any], names: tuple[str, ...]) -> str | None:
    """The first of ``names`` that the claims hold as a non-empty string (the tenant, or the user)."""
    return next((claims[name] for name in names if isinstance(claims.get(name), str) and claims[name]), None)


@dataclass(frozen=True)
class Identity:
    """Who a verified token says the client is."""

    tenant: str
    user: str
    claims: dict[str, Any]


@dataclass
class Verifier:
    """Verifies gateway tokens: HS256 with the shared secret (development), RS256/ES256 with the keys
    of a JWKS (production, as Clerk issues them). Each algorithm only ever with its own kind of key:
    an HS256 token is never checked against a public key (the HS/RS confusion), ``none`` never passes."""

    secret: bytes = b""
    keys: Any = None  # a keys.KeySet
    issuer: str | None = None
    audience: str | None = None
    tenant_claims: tuple[str, ...] = TENANT_CLAIMS
    user_claims: tuple[str, ...] = USER_CLAIMS

    def load(self) -> None:
        """Import the JWT library (and cryptography) now: a server verifies tokens from its first connection
        on, which should not wait for the import, nor count its memory (~9 MB) as its own."""
        import jwt  # noqa: F401

    def verify(self, token: str) -> Identity:
        """The identity of a valid, unexpired token; ValueError saying why not."""
        import jwt

        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise ValueError(f"not a JWT ({exc})") from None
        algorithm = header.get("alg")
        if algorithm == ALGORITHM and self.secret:
            key: Any = self.secret
        elif algorithm in PUBLIC_ALGORITHMS and self.keys is not None:
            key = self.keys.key_for(header.get("kid"), algorithm)
        else:
            accepted = sorted({ALGORITHM} if self.secret else set()) + (["RS256", "ES256"] if self.keys else [])
            raise ValueError(f"algorithm {algorithm!r} is not accepted here (accepted: {', '.join(accepted)})")
        try:
            claims = jwt.decode(token, key, algorithms=[algorithm], issuer=self.issuer, audience=self.audience,
                                leeway=LEEWAY, options={"require": ["exp"], "verify_aud": self.audience is not None})
        except jwt.PyJWTError as exc:
            raise ValueError(str(exc)) from None
        except (TypeError, AttributeError, ValueError) as exc:  # a key of another type than the token's alg
            raise ValueError(f"the key cannot verify a {algorithm} token ({type(exc).__name__})") from None
        tenant, user = claimed(claims, self.tenant_claims), claimed(claims, self.user_claims)
        if not tenant:
            raise ValueError(f"token names no organization ({', '.join(self.tenant_claims)})")
        if not user:
            raise ValueError(f"token names no user ({', '.join(self.user_claims)})")
        return Identity(tenant, user, claims)


def verify(token: str, secret: bytes) -> dict[str, Any]:
    """The claims of a valid HS256 token with tenant and user (``tenant_id`` as the verified tenant);
    raises ValueError otherwise."""
    identity = Verifier(secret=secret).verify(token)
    return {**identity.claims, "tenant_id": identity.tenant, "sub": identity.user}


def unverified_claims(token: str) -> dict[str, Any]:
    """The claims of a token, not verified (only to pick the tenant of load-test events); {} if unreadable."""
    import jwt

    try:
        return jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
