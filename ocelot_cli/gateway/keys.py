"""Public keys for verifying gateway tokens, as identity providers (Clerk, Auth0, Keycloak) publish
them: a JWKS document, read from a file or fetched from a URL, with keys found by ``kid``.

An unknown ``kid`` makes the source look again (the file re-read, the URL fetched, at most once per
cooldown), so a rotated key set is picked up without a restart. Signing keys for ``ocelot token
--key-file`` and the JWKS that goes with them are made here too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from pathlib import Path
from typing import Any

from ocelot_cli.errors import ConfigError

FETCH_TIMEOUT = 5.0  # seconds to fetch a JWKS URL
REFETCH_COOLDOWN = 1.0  # an unknown kid looks again at most this often (no fetch storm from forged kids)


class KeySet:
    """The keys of a JWKS file or URL, by kid; ``key_for(kid)`` looks again when the kid is unknown."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.is_url = source.startswith(("https://", "http://"))
        self._keys: dict[str | None, Any] = {}
        self._loaded_at = 0.0
        self._lock = threading.Lock()
        self.load()  # a broken key set is a start-up error, not a refused client later

    def load(self) -> None:
        """Read (or fetch) the key set; ConfigError naming the source when it cannot be used."""
        import jwt

        document = self._fetch() if self.is_url else self._read()
        try:
            keyset = jwt.PyJWKSet.from_dict(document)
        except (jwt.PyJWTError, KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"--jwks {self.source}: not a usable JWKS ({exc})",
                              hint='a JSON document {"keys": [...]} of public keys, as the provider publishes it',
                              ) from None
        keys: dict[str | None, Any] = {key.key_id: key for key in keyset.keys}
        if len(keys) == 1:
            keys[None] = next(iter(keys.values()))  # a token without kid, against a set of one
        self._keys = keys
        self._loaded_at = time.monotonic()

    def key_for(self, kid: str | None) -> Any:
        """The PyJWK of ``kid``; ValueError when the set (looked at again if it may have rotated) lacks it."""
        with self._lock:
            if kid not in self._keys and time.monotonic() - self._loaded_at >= REFETCH_COOLDOWN:
                try:
                    self.load()
                except ConfigError as exc:
                    raise ValueError(f"key set unavailable: {exc.message}") from None
            key = self._keys.get(kid)
        if key is None:
            raise ValueError(f"unknown key id {kid!r}" if kid else "the token names no key id (kid)")
        return key

    def _read(self) -> dict[str, Any]:
        try:
            return json.loads(Path(self.source).expanduser().read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"--jwks {self.source}: cannot read it: {exc.strerror}") from None
        except ValueError as exc:
            raise ConfigError(f"--jwks {self.source}: not JSON ({exc})") from None

    def _fetch(self) -> dict[str, Any]:
        import urllib.error
        import urllib.request

        from ocelot_cli.config.redact import mask_url

        try:
            with urllib.request.urlopen(self.source, timeout=FETCH_TIMEOUT) as response:  # noqa: S310 - http(s) only
                return json.loads(response.read(1_000_000))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise ConfigError(f"--jwks {mask_url(self.source)}: cannot fetch it: {getattr(exc, 'reason', exc)}",
                              hint="check the URL (the provider's .well-known/jwks.json) and the network",
                              ) from None


# -- signing keys (ocelot token --key-file) -----------------------------------------------
def load_private_key(path: str) -> tuple[Any, str]:
    """The private key of a PEM file and the algorithm it signs with (RS256 or ES256)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    try:
        key = serialization.load_pem_private_key(Path(path).expanduser().read_bytes(), password=None)
    except OSError as exc:
        raise ConfigError(f"--key-file {path}: cannot read it: {exc.strerror}") from None
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"--key-file {path}: not an unencrypted PEM private key ({exc})",
                          hint="openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out jwt.key",
                          ) from None
    if isinstance(key, rsa.RSAPrivateKey):
        return key, "RS256"
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1":
        return key, "ES256"
    raise ConfigError(f"--key-file {path}: use an RSA key or an EC P-256 key (RS256, ES256)")


def public_jwk(private_key: Any, algorithm: str) -> dict[str, Any]:
    """The public JWK of a signing key, with ``kid`` its RFC 7638 thumbprint, ``use`` and ``alg``."""
    import jwt

    maker = jwt.algorithms.RSAAlgorithm if algorithm.startswith("RS") else jwt.algorithms.ECAlgorithm
    jwk = maker.to_jwk(private_key.public_key(), as_dict=True)
    required = {name: jwk[name] for name in (("e", "kty", "n") if jwk["kty"] == "RSA" else ("crv", "kty", "x", "y"))}
    digest = hashlib.sha256(json.dumps(required, separators=(",", ":"), sort_keys=True).encode()).digest()
    kid = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return {**jwk, "kid": kid, "use": "sig", "alg": algorithm}


def jwks_of(private_key: Any, algorithm: str) -> dict[str, Any]:
    """The JWKS document (one key) to hand to ``ocelot gateway --jwks``."""
    return {"keys": [public_jwk(private_key, algorithm)]}

