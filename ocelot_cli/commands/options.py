"""Options shared by several commands, defined once (help names the env var where there is one)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

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
        help="Directory of extra or overriding catalog files, or an AsyncAPI 2.6/3.0/3.1 document (YAML or JSON) whose "
        f"messages become event types; repeatable. [env: {settings.ENV_CATALOG}]",
        show_default=False,
    ),
]
Strict = Annotated[
    bool,
    typer.Option(
        "--strict", help="Refuse unknown fields and times without a UTC offset (default: warn on naive times)."
    ),
]


# Old spellings keep working for one release, hidden from help and completion, with a warning.
def _deprecation(new: str) -> Any:
    def warn(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Any:
        if value not in (None, False, [], ()):
            from ocelot_cli.commands.state import state_of

            old = "/".join(param.opts)
            state_of(ctx).output.warn(f"{old} is deprecated and goes in the next release: use {new}")
        return value

    return warn


def deprecated(old: str, new: str, **kwargs: Any) -> Any:
    """A hidden option spelled the old way; the command merges its value into the new option's."""
    return typer.Option(old, hidden=True, callback=_deprecation(new), show_default=False, **kwargs)


Envelope = Annotated[
    EnvelopeChoice | None,
    typer.Option(
        "--bus",
        metavar="platform|realtime",
        help="Only events of this bus: platform (the RabbitMQ envelope) or realtime (the OttoAI one).",
    ),
]
OldEnvelope = Annotated[EnvelopeChoice | None, deprecated("--envelope", "--bus")]


class TextOrJson(StrEnum):
    text = "text"
    json = "json"


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    junit = "junit"
    github = "github"


Format = Annotated[
    TextOrJson | None,
    typer.Option("--format", metavar="text|json", help="Output format [default: text]; --json is --format json.",
                 show_default=False),
]  # fmt: skip
ListFormat = Annotated[
    TextOrJson | None,
    typer.Option("--format", metavar="text|json", show_default=False,
                 help="Output format [default: text on a terminal, json when piped]; --json is --format json."),
]  # fmt: skip
ReportFormatOption = Annotated[
    ReportFormat | None,
    typer.Option("--format", metavar="text|json|junit|github", show_default=False,
                 help="text (people, the default), json, junit (CI test reports) or github (annotations)."),
]  # fmt: skip
OldReportFormat = Annotated[str | None, deprecated("-f", "--format")]


def old_report_format(value: str | None, command: str) -> ReportFormat | None:
    """The value of the old ``-f`` (for --format): a file given to it is told where files go."""
    if value is None:
        return None
    try:
        return ReportFormat(value)
    except ValueError:
        from ocelot_cli.errors import UsageProblem

        raise UsageProblem(f"-f {value}: in {command}, -f is the old spelling of --format (text, json, junit, github)",
                           hint=f"ocelot {command} takes no input file option" if command == "smoke" else
                           "files are arguments: ocelot validate FILE...") from None  # fmt: skip
Json = Annotated[bool, typer.Option("--json", help="Same as --format json.")]


def either(new: Any, old: Any, names: str) -> Any:
    """The value of an option or of its old spelling (``names``: "--new/--old"); both, differing, is an error."""
    if new is not None and old is not None and new != old:
        from ocelot_cli.errors import UsageProblem

        new_name, old_name = names.split("/")
        raise UsageProblem(f"{old_name} (the old spelling of {new_name}) and {new_name} disagree: keep {new_name}")
    return new if new is not None else old


def chosen_format(fmt: Any, as_json: bool, default: str = "text") -> str:
    """The output format from --format and its alias --json (a clash is a usage error)."""
    if as_json and fmt is not None and str(fmt) != "json":
        from ocelot_cli.errors import UsageProblem

        raise UsageProblem(f"--json and --format {fmt} disagree: --json is --format json")
    return "json" if as_json else str(fmt) if fmt is not None else default
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

AmqpUrl = Annotated[
    list[str] | None,
    typer.Option(
        "--amqp-url",
        metavar="URL",
        help="RabbitMQ URL; a cluster's nodes comma-separated or the option repeated (tried in order, the next "
        f"one on a lost node); keep passwords out of the command line. [env: {settings.ENV_AMQP_URL}]",
        show_default=False,
    ),
]
ShuffleNodes = Annotated[
    bool,
    typer.Option("--shuffle-nodes", help="Try a cluster's nodes in a random order (spreads clients over nodes)."),
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
SecretFile = Annotated[
    str | None,
    typer.Option("--secret-file", metavar="FILE", show_default=False,
                 help="File holding the HS256 secret, for when it is not in the variable OCELOT_JWT_SECRET itself."),
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
    typer.Option("--channel", "-c", metavar="CHANNEL", help="With --to redis://: publish to this channel instead of "
                 "the catalog's (exact name, e.g. tenant:t1:events); repeatable."),
]  # fmt: skip
OversizeOption = Annotated[
    str,
    typer.Option("--oversize", metavar="pointer|refuse", help="Real-time messages over 32 KB: send the spec's pointer "
                 "message (ids, _truncated, original size) or refuse before sending."),
]  # fmt: skip

Declare = Annotated[bool, typer.Option("--declare", help="Create the exchange (durable topic) if it does not exist.")]
BlockedTimeout = Annotated[
    str,
    typer.Option("--blocked-timeout", metavar="TIME",
                 help="Give up when the broker blocks publishing (a memory or disk alarm) this long."),
]  # fmt: skip

# Default confirm window: publish, replay and PublishTarget share it (see benchmarks/bench_publish.py).
DEFAULT_WINDOW = 2048
Window = Annotated[int, typer.Option("--window", min=1, metavar="N", help="Messages in flight awaiting confirms.")]


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


def check_resume_from(resume_from: int, messages: int) -> None:
    """--resume-from past the end of the input is a mistake (a wrong file, a wrong number)."""
    if resume_from > messages:
        from ocelot_cli.errors import UsageProblem

        raise UsageProblem(f"--resume-from {resume_from}: the input has {messages:,} message(s)",
                           hint="check the number an unfinished run printed, and the file")  # fmt: skip
