"""``ocelot token``: development tokens the gateway accepts, and no token that is useless on arrival."""

from __future__ import annotations

import time

import pytest

from ocelot_cli.gateway.auth import verify

SECRET = "a-development-secret-of-32-bytes-or-more"


def test_a_minted_token_verifies_with_the_secret_and_names_tenant_user_and_expiry(cli, monkeypatch):
    monkeypatch.setenv("OCELOT_JWT_SECRET", SECRET)
    result = cli("token", "--tenant", "t1", "--user", "u1", "--ttl", "15m")
    assert result.code == 0, result.err
    claims = verify(result.out.strip(), SECRET.encode())
    assert (claims["tenant_id"], claims["sub"]) == ("t1", "u1")
    assert 14 * 60 <= claims["exp"] - time.time() <= 15 * 60


@pytest.mark.parametrize(("ttl", "message"), [
    ("0s", "--ttl 0s: give a time above zero"), ("0", "--ttl 0: give a time above zero"),
    ("-5m", "--ttl '-5m' is not a duration"), ("soon", "--ttl 'soon' is not a duration"),
])  # fmt: skip
def test_a_token_that_would_be_expired_or_unreadable_is_refused(cli, monkeypatch, ttl, message):
    monkeypatch.setenv("OCELOT_JWT_SECRET", SECRET)
    result = cli("token", "--tenant", "t1", "--user", "u1", "--ttl", ttl)
    assert result.code == 2
    assert message in result.err and result.out == ""


def test_a_ttl_under_a_second_still_gives_a_token_that_is_valid_for_a_while(cli, monkeypatch):
    import jwt

    monkeypatch.setenv("OCELOT_JWT_SECRET", "s" * 32)
    result = cli("token", "--tenant", "t1", "--user", "u1", "--ttl", "250ms")
    assert result.code == 0, result.err
    claims = jwt.decode(result.out.strip(), options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 1  # JWT times are whole seconds: rounded up, never born expired
