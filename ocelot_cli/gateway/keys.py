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
MAX_JWKS_BYTES = 1_000_000  # a key set is a few kilobytes; more is a mistake or an attack
REFETCH_COOLDOWN = 1.0  # an unknown kid looks again at most this often, whether the last look worked or not
LIFESPAN = 300.0  # seconds a key set is trusted before it is looked at again (a key removed at the provider)


class KeySet:
    """The keys of a JWKS file or URL, by kid. A known kid is answered at once, never waiting for a
    fetch; an unknown kid (or a set older than LIFESPAN) makes one thread look again, at most once
    per cooldown, while the others go on with the keys at hand."""

    def __init__(self, source: str) -> None:
        if source.startswith("file://"):
            raise ConfigError(f"--jwks {source}: give a file path or an http(s):// URL")
        self.source = source
        self.is_url = source.startswith(("https://", "http://"))
        self._keys: dict[str | None, tuple[Any, str | None]] = {}  # kid -> (PyJWK, the alg it declares)
        self._looked_at = 0.0  # when the source was last read or fetched (or tried)
        self._loaded_at = 0.0  # when it last gave a usable key set
        self._refreshing = threading.Lock()
        self.last_error = ""
        self.load()  # a broken key set is a start-up error, not a refused client later

    def load(self) -> None:
        """Read (or fetch) the key set; ConfigError naming the source when it cannot be used."""
        self._looked_at = time.monotonic()
        self._keys = self._parse(self._fetch() if self.is_url else self._read())
        self._loaded_at = time.monotonic()

    def key_for(self, kid: Any, algorithm: str) -> Any:
        """The key for ``kid`` and the token's ``algorithm``; ValueError when the set lacks it."""
        now = time.monotonic()
        if not isinstance(kid, str | None) or (isinstance(kid, str) and len(kid) > 256):
            raise ValueError("the token's key id (kid) is not a short string")
        if (kid not in self._keys or now - self._loaded_at > LIFESPAN) and now - self._looked_at >= REFETCH_COOLDOWN:
            self._refresh()
        entry = self._keys.get(kid)
        if entry is None:
            raise ValueError(f"unknown key id {kid!r}" if kid else "the token names no key id (kid)")
        key, declared = entry
        if declared and declared != algorithm:
            raise ValueError(f"key {kid!r} is for {declared}, the token says {algorithm}")
        return key.key

    def _refresh(self) -> None:
        if not self._refreshing.acquire(blocking=False):  # another thread is looking: use what there is
            return
        try:
            if time.monotonic() - self._looked_at < REFETCH_COOLDOWN:
                return
            self.load()
            self.last_error = ""
        except ConfigError as exc:  # keep the keys at hand; the cooldown holds for failed looks too
            self.last_error = exc.message
        finally:
            self._refreshing.release()

    def _parse(self, document: Any) -> dict[str | None, tuple[Any, str | None]]:
        import jwt

        raw = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(raw, list) or not all(isinstance(k, dict) for k in raw):
            raise ConfigError(f"--jwks {self.shown}: not a JWKS", hint='a JSON document {"keys": [...]} of public keys')
        if any("d" in k or k.get("kty") == "oct" for k in raw):
            raise ConfigError(f"--jwks {self.shown}: the key set holds a private or symmetric key",
                              hint="give only the public keys (ocelot token --print-jwks prints them)")  # fmt: skip
        keys: dict[str | None, tuple[Any, str | None]] = {}
        for entry in raw:
            try:
                keys[entry.get("kid")] = (jwt.PyJWK.from_dict(entry), entry.get("alg"))
            except (jwt.PyJWTError, KeyError, TypeError, ValueError) as exc:
                raise ConfigError(f"--jwks {self.shown}: key {entry.get('kid')!r} cannot be used ({exc})") from None
        if not keys:
            raise ConfigError(f"--jwks {self.shown}: the key set is empty")
        if len(keys) == 1:
            keys[None] = next(iter(keys.values()))  # a token without kid, against a set of one
        return keys

    @property
    def shown(self) -> str:
        from ocelot_cli.config.redact import mask_url

        return mask_url(self.source) if self.is_url else self.source

    def _read(self) -> Any:
        try:
            with open(Path(self.source).expanduser(), "rb") as handle:
                data = handle.read(MAX_JWKS_BYTES + 1)
        except OSError as exc:
            raise ConfigError(f"--jwks {self.source}: cannot read it: {exc.strerror}") from None
        return self._decode(data)

    def _decode(self, data: bytes) -> Any:
        if len(data) > MAX_JWKS_BYTES:
            raise ConfigError(f"--jwks {self.shown}: larger than {MAX_JWKS_BYTES:,} bytes: not a key set")
        try:
            return json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise ConfigError(f"--jwks {self.shown}: not JSON ({str(exc)[:100]})") from None

    def _fetch(self) -> Any:
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(self.source, timeout=FETCH_TIMEOUT) as response:  # noqa: S310 - http(s) only
                data = response.read(MAX_JWKS_BYTES + 1)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise ConfigError(f"--jwks {self.shown}: cannot fetch it: {getattr(exc, 'reason', exc)}",
                              hint="check the URL (the provider's .well-known/jwks.json) and the network",
                              ) from None
        return self._decode(data)


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
    jwk.pop("key_ops", None)  # RFC 7517: not beside "use"
    return {**jwk, "kid": kid, "use": "sig", "alg": algorithm}


def jwks_of(private_key: Any, algorithm: str) -> dict[str, Any]:
    """The JWKS document (one key) to hand to ``ocelot gateway --jwks``."""
    return {"keys": [public_jwk(private_key, algorithm)]}

