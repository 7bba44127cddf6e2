"""Options shared by several commands, defined once (help names the env var where there is one)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from ocelot_cli.config import settings


def complete_event_type(incomplete: str) -> list[str]:
    """Shell completion of event types from the catalog (with the user's catalog dirs)."""
    from ocelot_cli.envelope.catalog import load_catalog

    try:
        catalog = load_catalog(settings.Settings().catalog_dirs())
    except Exception:  # completion must never print an error into the user's shell
        return []
    return [name for name in catalog.names() if name.startswith(incomplete)]


class EnvelopeChoice(StrEnum):
    platform = "platform"
    realtime = "realtime"


CatalogDirs = Annotated[
    list[str] | None,
    typer.Option(
        "--catalog",
        metavar="DIR",
        help=f"Directory of extra or overriding catalog files; repeatable. [env: {settings.ENV_CATALOG}]",
        show_default=False,
    ),
]
Strict = Annotated[
    bool,
    typer.Option(
        "--strict", help="Refuse unknown fields and times without a UTC offset (default: warn on naive times)."
    ),
]
Envelope = Annotated[
    EnvelopeChoice | None,
    typer.Option(
        "--envelope",
        metavar="platform|realtime",
        help="Only accept events of this envelope (platform = RabbitMQ, realtime = OttoAI).",
    ),
]
EventTypeArg = Annotated[
    str,
    typer.Argument(metavar="TYPE", help="Event type, e.g. call.ended.", autocompletion=complete_event_type),
]
Assignments = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        "-s",
        metavar="PATH=VALUE",
        help="Set a field: data.outcome=callback_requested (typed by the schema) or data.keywords:='[\"x\"]' (JSON).",
        show_default=False,
    ),
]
Org = Annotated[
    str | None,
    typer.Option(
        "--org", metavar="ID", help="organizationId of platform events (also the tenant if --tenant is not given)."
    ),
]
User = Annotated[str | None, typer.Option("--user", metavar="ID", help="userId / user_id of the events.")]
Tenant = Annotated[
    str | None,
    typer.Option(
        "--tenant", metavar="ID", help="tenant_id of real-time events (also the organization if --org is not given)."
    ),
]
Lead = Annotated[
    str | None,
    typer.Option("--lead", metavar="ID", help="lead_id of real-time events (and data.lead_id where the type has one)."),
]
Seed = Annotated[
    int | None,
    typer.Option("--seed", metavar="N", help="Random seed: the same seed gives the same events, timestamps included."),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="JSON output even on a terminal.")]

AmqpUrl = Annotated[
    str | None,
    typer.Option(
        "--amqp-url",
        metavar="URL",
        help=f"RabbitMQ URL; keep passwords out of the command line. [env: {settings.ENV_AMQP_URL}]",
        show_default=False,
    ),
]
Exchange = Annotated[
    str | None,
    typer.Option("--exchange", "-e", metavar="NAME", help=f"Topic exchange. [env: {settings.ENV_EXCHANGE}]"),
]
RedisUrl = Annotated[
    str | None,
    typer.Option("--redis-url", metavar="URL", help=f"Redis URL. [env: {settings.ENV_REDIS_URL}]", show_default=False),
]
WsUrl = Annotated[
    str | None,
    typer.Option("--ws-url", metavar="URL", help=f"WebSocket gateway URL. [env: {settings.ENV_WS_URL}]"),
]
TokenFile = Annotated[
    str | None,
    typer.Option("--token-file", metavar="FILE",
                 help="File holding the gateway's Bearer token. [env: OCELOT_WS_TOKEN, OCELOT_WS_TOKEN_FILE]"),
]  # fmt: skip
CaFile = Annotated[
    str | None,
    typer.Option(
        "--ca-file", metavar="PEM", help="CA certificate(s) to verify an amqps:// broker (default: system CAs)."
    ),
]
To = Annotated[
    str | None,
    typer.Option(
        "--to",
        metavar="URL",
        help="Where to publish: amqp(s):// for the exchange (default: OCELOT_AMQP_URL), or redis(s):// for the "
        "OttoAI real-time hub's channels.",
        show_default=False,
    ),
]
Channels = Annotated[
    list[str] | None,
    typer.Option("--channel", metavar="CHANNEL", help="With --to redis://: publish to this channel instead of the "
                 "catalog's (exact name, e.g. tenant:t1:events); repeatable."),
]  # fmt: skip
OversizeOption = Annotated[
    str,
    typer.Option("--oversize", metavar="pointer|refuse", help="Real-time messages over 32 KB: send the spec's pointer "
                 "message (ids, _truncated, original size) or refuse before sending."),
]  # fmt: skip

# Default confirm window: publish, replay and PublishTarget share it (see benchmarks/bench_publish.py).
DEFAULT_WINDOW = 2048
Window = Annotated[int, typer.Option("--window", min=1, metavar="N", help="Messages in flight awaiting confirms.")]
JsonSummary = Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout.")]


def sample_options(org, user, tenant, lead, seed, assignments, envelope=None):  # noqa: ANN001, ANN201
    """SampleOptions from the shared sample flags (--org, --user, --tenant, --lead, --seed, --set)."""
    from ocelot_cli.envelope.model import EnvelopeKind
    from ocelot_cli.envelope.paths import parse_assignment
    from ocelot_cli.envelope.samples import SampleOptions

    return SampleOptions(
        org=org,
        user=user,
        tenant=tenant,
        lead=lead,
        seed=seed,
        assignments=[parse_assignment(a) for a in assignments or []],
        envelope=EnvelopeKind(envelope.value) if envelope else None,
    )


ConnectTimeout = Annotated[
    str | None,
    typer.Option("--connect-timeout", metavar="TIME", show_default=False,
                 help=f"Give up connecting after this long (a broker that never answers too). [default: 10s; "
                      f"env: {settings.ENV_CONNECT_TIMEOUT}]"),
]  # fmt: skip
ReconnectFor = Annotated[
    str,
    typer.Option("--reconnect-for", metavar="TIME",
                 help="When the connection is lost, try again this long before giving up (with the summary)."),
]  # fmt: skip
