"""``ocelot token``: mint a JWT for the real-time gateway (HS256 for development, RS256/ES256 with a
private key, as an identity provider would), and print the JWKS that verifies the latter."""

from __future__ import annotations

from typing import Annotated

import typer

from ocelot_cli.commands import options
from ocelot_cli.commands.state import state_of


def token(
    ctx: typer.Context,
    tenant: Annotated[
        str | None,
        typer.Option("--tenant", metavar="ID", help="The tenant whose channels it opens (claims tenant_id and "
                     "org_id). Required to mint."),  # fmt: skip
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", metavar="ID", help="The user, claim sub (for user:{id}:tasks). Required "
                                 "to mint.")  # fmt: skip
    ] = None,
    ttl: Annotated[str, typer.Option("--ttl", metavar="TIME", help="How long it is valid, e.g. 15m or 8h.")] = "1h",
    role: Annotated[str | None, typer.Option("--role", metavar="ROLE", help="Optional role claim.")] = None,
    secret_file: options.SecretFile = None,
    key_file: Annotated[
        str | None,
        typer.Option("--key-file", metavar="PEM", show_default=False,
                     help="Sign with this private key (RSA: RS256, EC P-256: ES256) instead of the HS256 secret; "
                          "the token's kid is the key's thumbprint."),
    ] = None,  # fmt: skip
    issuer: Annotated[str | None, typer.Option("--issuer", metavar="ISS", help="The iss claim.")] = None,
    audience: Annotated[str | None, typer.Option("--audience", metavar="AUD", help="The aud claim.")] = None,
    print_jwks: Annotated[
        bool, typer.Option("--print-jwks", help="Print the public JWKS of --key-file (for 'ocelot gateway --jwks').")
    ] = False,
) -> None:
    """Mint a token for the real-time gateway, or print the JWKS that verifies it.

    HS256 with the secret of OCELOT_JWT_SECRET or --secret-file (never the command line), which
    the gateway shares; or, with --key-file, RS256/ES256 as an identity provider such as Clerk
    signs them, verified by 'ocelot gateway --jwks' with the key's public JWKS. Tokens carry
    tenant_id and Clerk's org_id (the same value) and sub, so one token works with ocelot's
    gateway and with a hub that reads org_id.

    \b
    Examples:
      export OCELOT_JWT_SECRET=$(openssl rand -hex 32)
      export OCELOT_WS_TOKEN=$(ocelot token --tenant t1 --user u1)
      ocelot token --tenant t1 --user u1 --ttl 15m --secret-file ~/.config/ocelot/jwt.secret
      openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out jwt.key
      ocelot token --key-file jwt.key --print-jwks > jwks.json     then: ocelot gateway --jwks jwks.json
      ocelot token --key-file jwt.key --tenant org_2abc --user user_2xyz --issuer https://clerk.example.com
    """
    from ocelot_cli.config.durations import parse_duration
    from ocelot_cli.errors import UsageProblem
    from ocelot_cli.gateway.auth import load_secret, mint

    out = state_of(ctx).output
    if print_jwks:
        if not key_file:
            raise UsageProblem("--print-jwks prints the public keys of --key-file PEM")
        from ocelot_cli.gateway.keys import jwks_of, load_private_key

        out.json(jwks_of(*load_private_key(key_file)), pretty=True)
        return
    seconds = parse_duration(ttl, option="--ttl", positive=True)  # a token born expired helps nobody
    for option, value in (("--tenant", tenant), ("--user", user)):
        if not (value or "").strip():  # the gateway would refuse it ("token names no organization")
            example = f"{option} t1" if option == "--tenant" else f"{option} u1"
            given = f"{option} {value!r}:" if value is not None else f"{option} is needed:"
            raise UsageProblem(f"{given} a token names its tenant and user", hint=f"e.g. {example}")
    claims = {"tenant": tenant, "user": user, "ttl": seconds, "role": role, "issuer": issuer, "audience": audience}
    if key_file:
        from ocelot_cli.gateway.keys import load_private_key, public_jwk

        key, algorithm = load_private_key(key_file)
        out.raw(mint(key, algorithm=algorithm, kid=public_jwk(key, algorithm)["kid"], **claims))
    else:
        out.raw(mint(load_secret(secret_file), **claims))
