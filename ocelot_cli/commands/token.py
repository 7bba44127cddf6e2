"""``ocelot token``: mint a development JWT for the real-time gateway."""

from __future__ import annotations

from typing import Annotated

import typer

from ocelot_cli.commands import options
from ocelot_cli.commands.state import state_of


def token(
    ctx: typer.Context,
    tenant: Annotated[
        str, typer.Option("--tenant", metavar="ID", help="tenant_id claim: the tenant whose channels it opens.")
    ],
    user: Annotated[str, typer.Option("--user", metavar="ID", help="sub claim: the user (for user:{id}:tasks).")],
    ttl: Annotated[str, typer.Option("--ttl", metavar="TIME", help="How long it is valid, e.g. 15m or 8h.")] = "1h",
    role: Annotated[str | None, typer.Option("--role", metavar="ROLE", help="Optional role claim.")] = None,
    secret_file: options.SecretFile = None,
) -> None:
    """Mint a development token (HS256 JWT) for the real-time gateway.

    The secret is read from OCELOT_JWT_SECRET or --secret-file, never from the command
    line; the gateway verifies tokens with the same secret.

    \b
    Examples:
      export OCELOT_JWT_SECRET=$(openssl rand -hex 32)
      export OCELOT_WS_TOKEN=$(ocelot token --tenant t1 --user u1)
      ocelot token --tenant t1 --user u1 --ttl 15m --secret-file ~/.config/ocelot/jwt.secret
    """
    from ocelot_cli.config.durations import parse_duration
    from ocelot_cli.errors import UsageProblem
    from ocelot_cli.gateway.auth import load_secret, mint

    seconds = parse_duration(ttl, option="--ttl", positive=True)  # a token born expired helps nobody
    for option, value in (("--tenant", tenant), ("--user", user)):
        if not value.strip():  # the gateway would refuse it ("token lacks tenant_id or sub")
            example = f"{option} t1" if option == "--tenant" else f"{option} u1"
            raise UsageProblem(f"{option} {value!r}: a token names its tenant and user", hint=f"e.g. {example}")
    state_of(ctx).output.raw(mint(load_secret(secret_file), tenant=tenant, user=user, ttl=seconds, role=role))
