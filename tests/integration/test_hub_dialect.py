"""ocelot's clients against a hub that speaks the public OttoAI hub's dialect (tests/hubdialect.py),
with Clerk-shaped tokens: `tail ws://`, `smoke --ws-url` and `load --ws-url` work, a refused token
is exit 6 with the 403, a refusal without a reason says so."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.hubdialect import HubDialect
from tests.integration.conftest import REDIS_URL, event_for, redis_publish, run_ocelot, wait_for
from tests.integration.test_gateway_jwks import clerk_token, new_key

pytestmark = pytest.mark.integration


@pytest.fixture
def hub():
    key = new_key()
    server = HubDialect(key.public_key(), REDIS_URL).start()
    yield server, key
    server.stop()


def org() -> str:
    return f"org_{uuid.uuid4().hex[:10]}"


def test_tail_ws_reads_the_hubs_frames_and_events(hub, start_ocelot):
    server, key = hub
    tenant = org()
    tail = start_ocelot("tail", server.url, "--channel", f"tenant:{tenant}:events", "--count", "1",
                        OCELOT_WS_TOKEN=clerk_token(key, tenant))  # fmt: skip
    tail.wait_for_stderr("tailing ")
    wait_for(lambda: redis_publish(f"tenant:{tenant}:events", event_for(tenant, seq=3)) > 0, 10, "delivery")
    code, out = tail.finish()
    assert code == 0, tail.stderr
    event = json.loads(out)
    assert event["tenant_id"] == tenant and event["data"]["seq"] == 3


def test_smoke_gateway_check_passes_through_the_hub(hub):
    server, key = hub
    tenant = org()
    result = run_ocelot("smoke", "--check", "gateway", "--ws-url", server.url, "--channel", f"tenant:{tenant}:events",
                        "--format", "json", OCELOT_WS_TOKEN=clerk_token(key, tenant))  # fmt: skip
    assert result.returncode == 0, result.stderr
    checks = {check["name"]: check["outcome"] for check in json.loads(result.stdout)["checks"]}
    assert checks["gateway"] == "passed"


def test_load_ws_measures_delivery_through_the_hub(hub, tmp_path):
    server, key = hub
    tenant = org()
    result = run_ocelot("load", "--ws-url", server.url, "--channel", f"tenant:{tenant}:events", "--rate", "50",
                        "--duration", "1s", "--report", str(tmp_path / "r.json"),
                        OCELOT_WS_TOKEN=clerk_token(key, tenant), timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["consumed"]["received"] == report["published"]["acked"] >= 50 and report["lost"] == 0


def test_a_token_the_hub_refuses_is_exit_6_and_a_silent_refusal_says_no_reason(hub):
    server, key = hub
    tenant = org()
    stranger = run_ocelot("tail", server.url, "--channel", f"tenant:{tenant}:events",
                          OCELOT_WS_TOKEN=clerk_token(new_key(), tenant))  # fmt: skip
    assert stranger.returncode == 6 and b"refused the token (HTTP 403 before the WebSocket upgrade)" in stranger.stderr
    other = run_ocelot("tail", server.url, "--channel", "tenant:someone-else:events",
                       OCELOT_WS_TOKEN=clerk_token(key, tenant))  # fmt: skip
    assert other.returncode == 6 and b"no reason given" in other.stderr and b"None" not in other.stderr


def test_a_token_minted_by_ocelot_with_the_hubs_key_opens_the_hub(hub, tmp_path, start_ocelot):
    from cryptography.hazmat.primitives import serialization

    server, key = hub
    key_file = tmp_path / "hub.key"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    tenant = org()
    minted = run_ocelot("token", "--key-file", str(key_file), "--tenant", tenant, "--user", "user_m")
    assert minted.returncode == 0, minted.stderr  # org_id beside tenant_id: what the hub reads
    tail = start_ocelot("tail", server.url, "--channel", f"tenant:{tenant}:events", "--count", "1",
                        OCELOT_WS_TOKEN=minted.stdout.decode().strip())  # fmt: skip
    tail.wait_for_stderr("tailing ")
    wait_for(lambda: redis_publish(f"tenant:{tenant}:events", event_for(tenant, seq=5)) > 0, 10, "delivery")
    code, out = tail.finish()
    assert code == 0, tail.stderr
    assert json.loads(out)["data"]["seq"] == 5
