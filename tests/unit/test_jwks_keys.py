"""Key sets for `gateway --jwks`: a known kid never waits for a fetch, unknown kids cannot make the
gateway fetch in a storm (failed fetches included), and a key set that is no key set is refused."""

from __future__ import annotations

import http.server
import json
import threading
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from ocelot_cli.errors import ConfigError
from ocelot_cli.gateway import keys
from ocelot_cli.gateway.keys import KeySet, public_jwk


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Provider:
    """A JWKS endpoint whose answers the test decides: a document, a status, or a wait for `release`."""

    def __init__(self, document):
        self.document, self.status, self.fetches = document, 200, 0
        self.hold, self.release = False, threading.Event()
        self.waiting = threading.Event()
        provider = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                provider.fetches += 1
                if provider.hold:
                    provider.waiting.set()
                    provider.release.wait(10)
                body = json.dumps(provider.document).encode()
                self.send_response(provider.status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider():
    key = rsa_key()
    endpoint = Provider({"keys": [public_jwk(key, "RS256")]})
    endpoint.key = key
    yield endpoint
    endpoint.close()


def test_unknown_kids_cannot_make_a_fetch_storm_even_when_fetches_fail(provider, monkeypatch):
    monkeypatch.setattr(keys, "REFETCH_COOLDOWN", 3600.0)  # one look per hour: every forged kid after it is free
    keyset = KeySet(provider.url)
    monkeypatch.setattr(keyset, "_looked_at", time.monotonic() - 7200)  # the cooldown has passed once
    provider.status = 500
    for n in range(50):
        with pytest.raises(ValueError, match="unknown key id"):
            keyset.key_for(f"forged-{n}", "RS256")
    assert provider.fetches == 2  # the start, and one look for the first forged kid
    assert "cannot fetch it" in keyset.last_error
    assert keyset.key_for(public_jwk(provider.key, "RS256")["kid"], "RS256") is not None  # the old keys stay


def test_a_known_kid_is_answered_while_another_thread_waits_for_a_fetch(provider, monkeypatch):
    keyset = KeySet(provider.url)
    monkeypatch.setattr(keyset, "_looked_at", time.monotonic() - 7200)
    provider.hold = True
    looking = threading.Thread(target=lambda: pytest.raises(ValueError, keyset.key_for, "forged", "RS256"))
    looking.start()
    assert provider.waiting.wait(10)  # the fetch is under way and held
    kid = public_jwk(provider.key, "RS256")["kid"]
    assert keyset.key_for(kid, "RS256") is not None  # no waiting behind it
    assert looking.is_alive()
    provider.release.set()
    looking.join(10)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[]", "not a JWKS"),
        ('{"keys": []}', "the key set is empty"),
        ('{"keys": [' * 5000, "not JSON"),
        ("x" * (keys.MAX_JWKS_BYTES + 10), "larger than"),
        ('{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}', "a private or symmetric key"),
    ],
    ids=["list", "empty", "deep", "huge", "symmetric"],
)
def test_a_key_set_that_is_no_key_set_is_a_start_up_error(tmp_path, content, message):
    path = tmp_path / "jwks.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        KeySet(str(path))


def test_a_private_key_in_the_set_is_refused_and_a_key_keeps_to_its_declared_alg(tmp_path):
    import jwt

    key = rsa_key()
    private = jwt.algorithms.RSAAlgorithm.to_jwk(key, as_dict=True)
    (tmp_path / "private.json").write_text(json.dumps({"keys": [private]}))
    with pytest.raises(ConfigError, match="a private or symmetric key"):
        KeySet(str(tmp_path / "private.json"))
    (tmp_path / "public.json").write_text(json.dumps({"keys": [public_jwk(key, "RS256")]}))
    keyset = KeySet(str(tmp_path / "public.json"))
    kid = public_jwk(key, "RS256")["kid"]
    with pytest.raises(ValueError, match="is for RS256, the token says PS256"):
        keyset.key_for(kid, "PS256")
    with pytest.raises(ConfigError, match="give a file path or an http"):
        KeySet("file:///etc/jwks.json")
