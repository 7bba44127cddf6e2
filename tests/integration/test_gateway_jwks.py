"""`ocelot gateway --jwks`: Clerk-shaped RS256 tokens (kid, org_id, sub, no tenant_id) verified
against a key set from a file or a URL, key rotation without a restart, and every refusal."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import os
import re
import subprocess
import threading
import time
import uuid
from pathlib import Path

import jwt
import pytest
import websocket
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ocelot_cli.gateway.keys import jwks_of, public_jwk
from tests.integration.conftest import Client, event_for, redis_publish, run_ocelot, wait_for

pytestmark = pytest.mark.integration

ISSUER = "https://clerk.ocelot-test.example"


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def kid_of(key) -> str:
    return public_jwk(key, "RS256")["kid"]


def clerk_token(key, org="org_1", sub="user_1", *, kid=None, ttl=600, **claims) -> str:
    """A token shaped like a Clerk session token: RS256, kid, sub, org_id, org_role, org_slug, azp."""
    now = int(time.time())
    body = {"sub": sub, "org_id": org, "org_role": "org:admin", "org_slug": org.replace("_", "-"), "iss": ISSUER,
            "azp": "https://app.example", "aud": "ocelot-hub", "sid": f"sess_{uuid.uuid4().hex[:8]}", "iat": now,
            "nbf": now - 5,
            "exp": now + ttl, **claims}  # fmt: skip
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid or kid_of(key)})


class JwksGateway:
    def __init__(self, running):
        self.running = running
        self.port = int(re.search(r"ws://127\.0\.0\.1:(\d+)/ws", running.stderr).group(1))

    def open(self, token):
        ws = websocket.create_connection(f"ws://127.0.0.1:{self.port}/ws",
                                         header=[f"Authorization: Bearer {token}"], timeout=5)  # fmt: skip
        return Client(ws)

    def refusal(self, token) -> str:
        """The reason of the HTTP 403 the gateway answers a bad token with, before the upgrade."""
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            self.open(token)
        assert refused.value.status_code == 403
        return refused.value.resp_body.decode()


@pytest.fixture
def jwks_gateway(start_ocelot):
    """A gateway verifying with a JWKS only (no HS256 secret), fast heartbeats."""

    def start(*extra: str) -> JwksGateway:
        running = start_ocelot("gateway", "--listen", "127.0.0.1:0", "--ping-interval", "300ms", "--stale-after",
                               "2s", *extra, OCELOT_JWT_SECRET="")  # fmt: skip
        running.wait_for_stderr("gateway listening on")
        return JwksGateway(running)

    return start


def write_jwks(path, *keys):
    path.write_text(json.dumps({"keys": [public_jwk(key, "RS256") for key in keys]}))


def test_clerk_shaped_tokens_open_their_organization_and_only_it(jwks_gateway, tmp_path):
    key = new_key()
    write_jwks(tmp_path / "jwks.json", key)
    server = jwks_gateway("--jwks", str(tmp_path / "jwks.json"), "--issuer", ISSUER)
    orgs = [f"org_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    clients = {}
    for org in orgs:
        client = server.open(clerk_token(key, org, f"user_{org}"))
        welcome = client.recv()
        assert (welcome["type"], welcome["tenant_id"], welcome["user_id"]) == ("welcome", org, f"user_{org}")
        assert client.subscribe(f"tenant:{org}:events")["success"] is True
        clients[org] = client
    other = clients[orgs[0]].subscribe(f"tenant:{orgs[1]}:events")
    assert other["success"] is False  # a token of one organization never opens another's channel
    for org in orgs:
        wait_for(lambda org=org: redis_publish(f"tenant:{org}:events", event_for(org, seq=0)) > 0, 10, "delivery")
    for org, client in clients.items():
        event = client.recv()
        assert event["tenant_id"] == org and event["data"]["seq"] == 0


def test_a_rotated_key_set_is_picked_up_without_a_restart(jwks_gateway, tmp_path):
    old, new = new_key(), new_key()
    path = tmp_path / "jwks.json"
    write_jwks(path, old)
    server = jwks_gateway("--jwks", str(path))
    assert server.open(clerk_token(old)).recv()["type"] == "welcome"
    assert "unknown key id" in server.refusal(clerk_token(new))
    write_jwks(path, new)  # the provider rotated its signing key

    def accepted() -> bool:
        try:
            return server.open(clerk_token(new)).recv()["type"] == "welcome"
        except websocket.WebSocketBadStatusException:
            return False

    wait_for(accepted, 10, "the gateway to take the new kid")


class _JwksHandler(http.server.BaseHTTPRequestHandler):
    document: dict = {}

    def do_GET(self):  # noqa: N802 - the http.server hook
        body = json.dumps(type(self).document).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


@pytest.fixture
def jwks_url():
    handler = type("Handler", (_JwksHandler,), {"document": {}})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    server.shutdown()
    server.server_close()


def test_a_jwks_url_is_fetched_and_fetched_again_for_a_new_kid(jwks_gateway, jwks_url):
    handler, url = jwks_url
    first, second = new_key(), new_key()
    handler.document = jwks_of(first, "RS256")
    server = jwks_gateway("--jwks", url, "--issuer", ISSUER)
    assert server.open(clerk_token(first, "org_u")).recv()["tenant_id"] == "org_u"
    handler.document = {"keys": [public_jwk(first, "RS256"), public_jwk(second, "RS256")]}

    def accepted() -> bool:
        try:
            return server.open(clerk_token(second, "org_v")).recv()["tenant_id"] == "org_v"
        except websocket.WebSocketBadStatusException:
            return False

    wait_for(accepted, 10, "the gateway to fetch the rotated key set")


def hs256_by_hand(header: dict, claims: dict, key: bytes) -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{part(json.dumps(header).encode())}.{part(json.dumps(claims).encode())}"
    return f"{signing_input}.{part(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())}"


def refusals(key):
    """Every kind of bad token, made now: their times (exp, nbf) count from the moment of the test."""
    stranger = new_key()
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)  # fmt: skip
    now = int(time.time())
    none_token = jwt.encode({"sub": "u", "org_id": "o", "exp": now + 60}, None, algorithm="none")
    # HS256 keyed with the public key, which anyone has: the classic confusion (made by hand, PyJWT refuses to)
    confused_token = hs256_by_hand({"alg": "HS256", "typ": "JWT", "kid": kid_of(key)},
                                   {"sub": "u", "org_id": "o", "iss": ISSUER, "exp": now + 60}, public_pem)  # fmt: skip
    return [
        ("alg-none", none_token, "algorithm 'none' is not accepted"),
        ("hs-rs-confusion", confused_token, "algorithm 'HS256' is not accepted"),
        ("expired", clerk_token(key, ttl=-30), "expired"),
        ("not-yet-valid", clerk_token(key, nbf=now + 300), "not yet valid"),
        ("wrong-issuer", clerk_token(key, iss="https://evil.example"), "Invalid issuer"),
        ("wrong-audience", clerk_token(key, aud="someone-else"), "Audience doesn't match"),
        ("no-organization", clerk_token(key, org_id=None), "token names no organization"),
        ("unknown-key", clerk_token(stranger), "unknown key id"),
        ("forged-signature", clerk_token(stranger, kid=kid_of(key)), "Signature verification failed"),
        ("es256-naming-the-rsa-kid", jwt.encode({"sub": "u", "org_id": "o", "exp": now + 60},
                                                ec.generate_private_key(ec.SECP256R1()), algorithm="ES256",
                                                headers={"kid": kid_of(key)}), "is for RS256, the token says ES256"),
    ]


KEY = new_key()


def test_every_kind_of_bad_token_is_refused_with_its_reason(jwks_gateway, tmp_path):
    write_jwks(tmp_path / "jwks.json", KEY)
    server = jwks_gateway("--jwks", str(tmp_path / "jwks.json"), "--issuer", ISSUER, "--audience", "ocelot-hub")
    assert server.open(clerk_token(KEY)).recv()["type"] == "welcome"
    skewed = clerk_token(KEY, iat=int(time.time()) + 2, nbf=int(time.time()) + 2)  # the provider's clock runs ahead
    assert server.open(skewed).recv()["type"] == "welcome"
    for name, token, reason in refusals(KEY):
        assert reason in server.refusal(token), name


def test_with_close1008_a_refusal_reason_fits_the_close_frame_whatever_its_characters(jwks_gateway, tmp_path):
    write_jwks(tmp_path / "jwks.json", KEY)
    server = jwks_gateway("--jwks", str(tmp_path / "jwks.json"), "--auth-failure", "close1008")
    code, reason = server.open(clerk_token(KEY, kid="é" * 100)).close_code()
    assert code == 1008 and reason.startswith("unauthorized: unknown key id")
    assert len(reason.encode()) <= 123


def test_a_key_set_with_a_private_key_stops_the_gateway_at_start(tmp_path):
    private = jwt.algorithms.RSAAlgorithm.to_jwk(new_key(), as_dict=True)
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [private]}))
    result = run_ocelot("gateway", "--listen", "127.0.0.1:0", "--jwks", str(tmp_path / "jwks.json"), timeout=30)
    assert result.returncode == 4 and b"holds a private or symmetric key" in result.stderr
    assert b'"d"' not in result.stderr and b"Traceback" not in result.stderr


def test_doctor_says_which_tokens_every_gateway_refuses(tmp_path):
    now = int(time.time())
    unsigned = jwt.encode({"sub": "u", "org_id": "o", "exp": now + 60}, None, algorithm="none")
    for token, problem in ((unsigned, "its algorithm 'none' is accepted by no gateway"),
                           (clerk_token(KEY, org_id=None), "it names no organization")):  # fmt: skip
        result = run_ocelot("doctor", "--format", "json", OCELOT_WS_TOKEN=token, OCELOT_AMQP_URL="amqp://127.0.0.1:1/")
        checks = {check["name"]: check for check in json.loads(result.stdout)["checks"]}
        assert checks["token"]["outcome"] == "failed" and problem in checks["token"]["message"]


def test_ocelot_token_key_file_and_print_jwks_make_what_the_gateway_accepts(jwks_gateway, tmp_path, start_ocelot):
    key_file = tmp_path / "jwt.key"
    key_file.write_bytes(new_key().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))  # fmt: skip
    jwks = run_ocelot("token", "--key-file", str(key_file), "--print-jwks")
    assert jwks.returncode == 0, jwks.stderr
    (tmp_path / "jwks.json").write_bytes(jwks.stdout)
    server = jwks_gateway("--jwks", str(tmp_path / "jwks.json"))
    org = f"org_{uuid.uuid4().hex[:8]}"
    token = run_ocelot("token", "--key-file", str(key_file), "--tenant", org, "--user", "user_9").stdout.decode()
    assert jwt.get_unverified_header(token.strip())["alg"] == "RS256"
    tail = start_ocelot("tail", f"ws://127.0.0.1:{server.port}/ws", "--channel", f"tenant:{org}:events", "--count",
                        "1", OCELOT_WS_TOKEN=token.strip())  # fmt: skip
    tail.wait_for_stderr("tailing ")
    wait_for(lambda: redis_publish(f"tenant:{org}:events", event_for(org, seq=7)) > 0, 10, "delivery")
    code, out = tail.finish()
    assert code == 0, tail.stderr
    assert json.loads(out)["data"]["seq"] == 7 and json.loads(out)["tenant_id"] == org


@pytest.fixture(scope="session")
def node_ws(tmp_path_factory):
    """node's `ws` package, installed from the npm registry for this run (node is on the machine)."""
    prefix = tmp_path_factory.mktemp("node")
    result = subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(prefix), "ws@8"],
                            capture_output=True, text=True, timeout=180)  # fmt: skip
    assert result.returncode == 0, f"npm install ws failed: {result.stderr}"
    return prefix / "node_modules"


def test_the_specs_javascript_client_works_against_the_gateway_with_a_jwks_token(jwks_gateway, tmp_path, node_ws):
    key = new_key()
    write_jwks(tmp_path / "jwks.json", key)
    server = jwks_gateway("--jwks", str(tmp_path / "jwks.json"), "--issuer", ISSUER)
    tenant = f"org_{uuid.uuid4().hex[:8]}"
    script = Path(__file__).resolve().parents[1] / "node" / "spec_client.js"
    client = subprocess.Popen(["node", str(script), f"ws://127.0.0.1:{server.port}/ws", clerk_token(key, tenant)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env={**os.environ, "NODE_PATH": str(node_ws)})  # fmt: skip
    try:  # events go out until the client has one and has answered two pings (it then exits 0)
        wait_for(lambda: redis_publish(f"tenant:{tenant}:events", event_for(tenant)) >= 0 and client.poll() is not None,
                 30, "the JavaScript client to finish")  # fmt: skip
        out, err = client.communicate(timeout=10)
    finally:
        client.kill()
    assert client.returncode == 0, err.decode()
    lines = [json.loads(line) for line in out.decode().splitlines()]
    assert lines[0] == {"welcome": tenant, "user": "user_1"}
    assert {"subscribed": f"tenant:{tenant}:events", "success": True} in lines
    assert {"event": "task.updated", "tenant": tenant} in lines
