"""``ocelot tail``'s set-up: the view from the format options, fields checked against the catalog,
and the transport and target from the URL, patterns and channels, all before connecting."""

from __future__ import annotations

import dataclasses
from enum import StrEnum
from typing import Any

from ocelot_cli.commands import options

MANAGEMENT_PROBE = 2.0  # seconds a tail --stream waits for the management API's answer on a stream's type


class View(StrEnum):
    auto = "auto"
    pretty = "pretty"
    ndjson = "ndjson"


def view_kind(fmt: str | None, as_json: bool, text: bool, detail: bool, envelope: bool) -> tuple[View, str | None]:
    """The view from --format (text, json, a template), --json, and what implies one (--headers: text)."""
    from ocelot_cli.errors import UsageProblem

    name = _format_name(fmt, as_json, text)
    if envelope and name not in ("auto", "json"):
        raise UsageProblem("--envelope is a JSON lines view: it goes alone or with --format json, not --format "
                           f"{'text' if name == 'text' else 'TEMPLATE'}")  # fmt: skip
    if detail and name not in ("auto", "text"):
        raise UsageProblem("--headers and --expand show more under the text view's lines: they go alone or with "
                           f"--format text, not --format {'json' if name == 'json' else 'TEMPLATE'}")  # fmt: skip
    if envelope and detail:
        raise UsageProblem("choose one of --envelope (JSON lines) and --headers/--expand (the text view)")
    if name in ("text", "json", "auto"):
        kind = View.ndjson if envelope or name == "json" else View.pretty if detail or name == "text" else View.auto
        return kind, None
    return View.auto, name


def _format_name(fmt: str | None, as_json: bool, text: bool) -> str:
    """text, json, auto (none asked) or a template, from --format, --json and the old --pretty/--ndjson."""
    from ocelot_cli.errors import UsageProblem

    if text and (as_json or fmt not in (None, "text")):
        raise UsageProblem("--pretty (the old spelling of --format text) disagrees with the JSON or template view")
    if as_json and fmt not in (None, "json"):
        raise UsageProblem(f"--json (or the old --ndjson) and --format {fmt} disagree: --json is --format json")
    name = options.chosen_format(fmt or ("text" if text else None), as_json, default="auto")
    if name not in ("text", "json", "auto") and "{" not in name and "}" not in name:  # a brace: a template
        raise UsageProblem(f"--format {name!r}: give text, json, or a line template with {{placeholders}}",
                           hint="e.g. --format '{timestamp} {type} {data.call_id}'")  # fmt: skip
    return name


def check_fields(catalog, tail_filter, template):  # noqa: ANN001, ANN202
    """Types, --where paths and --format placeholders checked against the catalog before connecting."""
    from ocelot_cli.envelope.paths import parse_path, path_problem
    from ocelot_cli.errors import UsageProblem
    from ocelot_cli.render.tail import SAME_FIELD
    from ocelot_cli.tail.template import parse_template

    names = tail_filter.type_names(catalog)
    schemas = [catalog.event_schema(name) for name in names]
    owner = "no event type" if not tail_filter.types else f"none of {', '.join(names)}" if len(names) > 1 else ""

    def no_type_has(problem: str) -> str:  # "no field x" -> "call.ended has no field x", "no event type has field x"
        if not problem.startswith("no "):  # not a missing field: said as it is
            return problem
        return f"{owner} has {problem.removeprefix('no ')}" if owner else f"{names[0]} has {problem}"

    def field_problem(name: str, aliases: bool = False) -> str | None:
        try:
            path = parse_path(name)
        except UsageProblem:
            return f"{name!r} is not a field path (write e.g. data.call_id)"
        problem = path_problem(schemas, path)
        if problem and aliases and name in SAME_FIELD and not path_problem(schemas, parse_path(SAME_FIELD[name])):
            return None  # a template's {type} of real-time events: their 'event'
        return problem

    for condition in tail_filter.conditions:
        problem = field_problem(condition.path)
        if problem:
            raise UsageProblem(f"--where {condition.text!r}: {no_type_has(problem)}",
                               hint="fields as in the catalog: 'ocelot catalog show TYPE'")  # fmt: skip
    if not template:
        return None
    return parse_template(template, lambda name: (p := field_problem(name, aliases=True)) and no_type_has(p))


def target_of(state: Any, patterns: list[str], *, exchanges: list[str] | None, channels: list[str] | None,
              token: str | None, token_file: str | None, ca_file: str | None, amqp_url: list[str] | None,
              connect_timeout: str | None, shuffle: bool, queue: Any, read: Any = None) -> tuple[Any, Any]:  # fmt: skip
    """The transport (by the URL's scheme) and what to watch on it, every name checked before connecting;
    ``read``: an existing queue or stream to read instead (``--queue``, ``--stream``)."""
    from ocelot_cli.errors import UsageProblem
    from ocelot_cli.transports.base import Capability, TailTarget, looks_like_url, transport_for

    url = patterns.pop(0) if patterns and looks_like_url(patterns[0]) else None
    if any(looks_like_url(p) for p in patterns):
        raise UsageProblem("the URL to tail comes first: ocelot tail URL [PATTERN]...",
                           hint="binding patterns are words and * or #, never a URL")  # fmt: skip
    endpoint = state.endpoint("amqp_url", amqp_url, url=url, url_option="the tail URL", ca_file=ca_file,
                              connect_timeout=connect_timeout, shuffle=shuffle)  # fmt: skip
    transport_for(endpoint, need=Capability.TAIL)  # an unknown scheme is refused before anything else
    if read is not None:
        from ocelot_cli.commands.tail_queue import check_read_target

        check_read_target(endpoint.scheme, patterns, exchanges, channels, queue)
        if read.stream:
            read = dataclasses.replace(read, management=_stream_management(state, url or amqp_url, endpoint))
        target = TailTarget(max_queue=queue.max_queue, prefetch=queue.prefetch, on_notice=state.output.warn, read=read)
        return transport_for(endpoint, need=Capability.TAIL), target
    target = TailTarget(max_queue=queue.max_queue, prefetch=queue.prefetch, durable_queue=queue.durable_queue,
                        queue_type=queue.queue_type, on_notice=state.output.warn)  # fmt: skip
    if endpoint.scheme not in ("amqp", "amqps") and (queue.durable_queue or queue.queue_type != "classic"):
        raise UsageProblem("--durable-queue and --queue-type are for RabbitMQ: a tail of Redis or a gateway "
                           "has no queue")  # fmt: skip
    if endpoint.scheme in ("amqp", "amqps"):
        if channels:
            raise UsageProblem("--channel needs a redis://, rediss://, ws:// or wss:// URL as the first argument",
                               hint="on RabbitMQ, give binding patterns of the exchange instead")  # fmt: skip
        names = list(exchanges or []) or [state.settings().get("exchange")]
        target.bindings = [(exchange, pattern) for exchange in names for pattern in (patterns or ["#"])]
    else:
        target.channels = _channels(endpoint.scheme, patterns, exchanges, channels)
        if endpoint.scheme in ("ws", "wss"):  # the token last: a wrong name is the first thing to hear about
            endpoint = dataclasses.replace(endpoint, token=state.gateway_token(token_file, token))
    return transport_for(endpoint, need=Capability.TAIL), target


def _stream_management(state: Any, amqp_flag: Any, amqp: Any) -> Any:
    """The management API, when there is a usable URL for it (given or derived): a stream's type is asked
    there, which touches nothing; without it, the check falls back to AMQP (see StreamReader). Asked
    briefly: an unreachable API only delays the read a little."""
    from ocelot_cli.commands.state import node_list
    from ocelot_cli.errors import OcelotError

    try:
        management = state.management_endpoint(None, node_list(amqp_flag), amqp)
    except OcelotError:
        return None
    return dataclasses.replace(management, connect_timeout=min(management.connect_timeout, MANAGEMENT_PROBE))


def _channels(scheme, patterns, exchanges, channels) -> list[str]:  # noqa: ANN001
    from ocelot_cli.envelope.channels import check_channel
    from ocelot_cli.errors import UsageProblem

    gateway = scheme in ("ws", "wss")
    if patterns or exchanges:
        what = "a WebSocket" if gateway else "a Redis"
        raise UsageProblem(f"{what} tail takes channels (--channel), not binding patterns or exchanges")
    if not channels:
        raise UsageProblem("name at least one --channel to subscribe to", hint="e.g. --channel tenant:t1:events")
    for name in channels:
        if gateway:
            check_channel(name)  # exact names only, checked before anything is sent
        elif not name.strip():
            raise UsageProblem("--channel '': a channel name cannot be empty")
        elif any(c.isspace() for c in name):
            raise UsageProblem(f"--channel {name!r}: a Redis channel name or glob pattern has no spaces")
    return list(channels)


@dataclasses.dataclass(frozen=True)
class QueueChoice:
    """The RabbitMQ queue a tail reads through: its bound and prefetch, and a durable one if named."""

    max_queue: int = 10_000
    prefetch: int = 1000
    durable_queue: str | None = None
    queue_type: str = "classic"

    def __post_init__(self) -> None:
        from ocelot_cli.errors import UsageProblem

        name = self.durable_queue
        if name is not None and (not name.strip() or name.startswith("amq.")):
            raise UsageProblem(f"--durable-queue {name!r}: give a name of your own (not empty, not starting "
                               "with amq.)")  # fmt: skip
        if self.queue_type not in ("classic", "quorum"):
            raise UsageProblem(f"--queue-type {self.queue_type!r}: choose classic or quorum")
        if self.queue_type == "quorum" and not self.durable_queue:
            raise UsageProblem("--queue-type quorum needs --durable-queue NAME: a quorum queue is durable and "
                               "replicated, the tail's private queue is neither",
                               hint="e.g. ocelot tail --durable-queue ops.tail --queue-type quorum")  # fmt: skip
