"""The catalog and the settings as one AsyncAPI 3.0 document, for AsyncAPI tools (``ocelot catalog export``).

What a reader finds in it:

* servers: each RabbitMQ node, the real-time gateway (WebSocket) and Redis, from the settings,
  without credentials (asyncapi_servers.py);
* a channel per routing key on the topic exchange, with the AMQP binding, and the operations
  modules use on it: ``publish`` (send) and ``consume`` (receive, a queue bound to the key);
* the real-time channels ``tenant:{tenant_id}:events``, ``user:{user_id}:tasks`` and
  ``lead:{lead_id}:timeline`` (and any other template a catalog names) with their parameters,
  each with ``receive`` (a subscribed client) and ``publish`` (the backend, on Redis);
* ``connection``: the WebSocket connection itself, with the gateway's control messages
  (asyncapi_gateway.py) and the events sent to one connection only;
* a message per event type (asyncapi_messages.py).

Everything is built in a fixed order from sorted names, so the same catalog gives the same document.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from dataclasses import dataclass, field
from typing import Any

from ocelot_cli import __version__
from ocelot_cli.contract import asyncapi_gateway as gateway
from ocelot_cli.contract.asyncapi_messages import AMQP_BINDING_VERSION, BRIDGED_CHANNELS, bridged_id, event_messages
from ocelot_cli.contract.asyncapi_servers import BusSettings, amqp_vhost, security_schemes, servers
from ocelot_cli.envelope.catalog import Catalog, EventType
from ocelot_cli.envelope.model import EnvelopeKind
from ocelot_cli.errors import OutputFailed

ASYNCAPI_VERSION = "3.0.0"
CONNECTION = "connection"
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_.\-]")
# The spec's three channel kinds: the channel id and the parameter name, and what the parameter is.
_SPEC_CHANNELS = {
    ("tenant", "events"): ("tenantEvents", "tenant_id", "The tenant (organization) whose events these are.",
                           "Organization-wide events, for every user of the tenant."),
    ("user", "tasks"): ("userTasks", "user_id", "The user the events are for.",
                        "Events for one user (tasks, assignments, notifications); only that user may subscribe."),
    ("lead", "timeline"): ("leadTimeline", "lead_id", "The lead the events are about.",
                           "Events about one lead (calls, messages, status), for the users of the lead's tenant."),
}  # fmt: skip
_SPEC_ADDRESSES = [f"{kind}:{{{spec[1]}}}:{suffix}" for (kind, suffix), spec in _SPEC_CHANNELS.items()]


@dataclass
class AsyncApiExport:
    """The document, and notes for the user (what AsyncAPI tools will not check, types without an example)."""

    document: dict[str, Any]
    notes: list[str] = field(default_factory=list)


@dataclass
class _Channel:
    """A real-time channel being gathered: its form, and each message's placeholder per parameter."""

    wanted: str  # the channel id it asks for
    address: str
    params: dict[str, str]  # parameter name -> description
    summary: str
    messages: dict[str, dict[str, str]] = field(default_factory=dict)  # message id -> {param: placeholder}


def asyncapi_document(catalog: Catalog, bus: BusSettings, *, envelope: EnvelopeKind | None = None) -> AsyncApiExport:
    """The AsyncAPI 3.0 document of ``catalog`` on the buses of ``bus``; one envelope's side only if given."""
    with_platform, with_realtime = envelope is not EnvelopeKind.REALTIME, envelope is not EnvelopeKind.PLATFORM
    platform_types = [t for t in catalog if t.envelope is EnvelopeKind.PLATFORM]
    platform = platform_types if with_platform else []
    realtime = [t for t in catalog if t.envelope is EnvelopeKind.REALTIME] if with_realtime else []
    bridged = platform_types if with_realtime else []  # the gateway's bridge sends every platform event
    found_servers = servers(bus, platform=with_platform, realtime=with_realtime)
    made = event_messages(catalog, platform + realtime, bridged=bridged)
    channels: dict[str, dict[str, Any]] = {}
    operations: dict[str, dict[str, Any]] = {}
    messages = dict(made.messages)
    if with_platform:
        amqp = [name for name in found_servers if name.startswith("amqp")]
        _platform_channels(platform, bus, amqp, channels, operations)
    if with_realtime:
        _realtime_channels(realtime, bridged, channels, operations)
        messages.update(gateway.control_messages())
    document = {
        "asyncapi": ASYNCAPI_VERSION,
        "id": "urn:ocelot:event-buses",
        "info": _info(catalog, envelope),
        "defaultContentType": "application/json",
        "servers": found_servers,
        "channels": channels,
        "operations": operations,
        "components": {"messages": dict(sorted(messages.items())),
                       "securitySchemes": security_schemes(found_servers)},
    }  # fmt: skip
    return AsyncApiExport(document, made.notes)


def _info(catalog: Catalog, envelope: EnvelopeKind | None) -> dict[str, Any]:
    title = {None: "Ocelot event buses", EnvelopeKind.PLATFORM: "Ocelot platform bus",
             EnvelopeKind.REALTIME: "OttoAI real-time events"}[envelope]  # fmt: skip
    added = sorted(t.name for t in catalog if not t.builtin and (envelope is None or t.envelope is envelope))
    sides = {None: "both buses: the Ocelot platform bus (RabbitMQ topic exchange) and the OttoAI real-time "
                   "channels (WebSocket gateway fed by Redis pub/sub)",
             EnvelopeKind.PLATFORM: "the Ocelot platform bus (RabbitMQ topic exchange)",
             EnvelopeKind.REALTIME: "the OttoAI real-time channels (WebSocket gateway fed by Redis pub/sub)"}[envelope]
    description = (
        f"The event catalog of {sides}, exported by `ocelot catalog export` (ocelot {__version__}). Each message's "
        "payload is the whole event: the envelope, and `data` as the catalog's schema for its type. "
        "`x-ocelot-channels` holds the exact channel templates of a type (`{a|b}`: the first field that is set); "
        "a message with `x-ocelot-role` is no event type of its own (`bridged`: a platform event in the real-time "
        "envelope; `control`: the gateway's protocol)."
    )
    if added:
        description += f" Types the user's catalogs (--catalog, OCELOT_CATALOG) add or replace: {', '.join(added)}."
    tags = [{"name": "platform", "description": "Ocelot platform events (RabbitMQ)."},
            {"name": "realtime", "description": "OttoAI real-time events (WebSocket channels)."},
            {"name": "gateway-control", "description": "The real-time gateway's control messages."}]  # fmt: skip
    keep = {None: ("platform", "realtime", "gateway-control"), EnvelopeKind.PLATFORM: ("platform",),
            EnvelopeKind.REALTIME: ("realtime", "gateway-control")}[envelope]  # fmt: skip
    return {"title": title, "version": __version__, "description": description,
            "tags": [tag for tag in tags if tag["name"] in keep]}  # fmt: skip


def _unique_id(wanted: str, taken: dict[str, Any]) -> str:
    base = _UNSAFE_ID.sub("_", wanted) or "channel"
    found, number = base, 2
    while found in taken:
        found, number = f"{base}-{number}", number + 1
    return found


def _refs(channel: str, names: list[str]) -> list[dict[str, str]]:
    return [{"$ref": f"#/channels/{channel}/messages/{name}"} for name in names]


def _platform_channels(entries: list[EventType], bus: BusSettings, amqp: list[str],
                       channels: dict[str, Any], operations: dict[str, Any]) -> None:  # fmt: skip
    by_key: dict[str, list[str]] = {}
    for entry in entries:
        by_key.setdefault(entry.routing_key or entry.name, []).append(entry.name)
    exchange = {"name": bus.exchange, "type": "topic", "durable": True, "autoDelete": False,
                "vhost": amqp_vhost(bus.amqp_url)}  # fmt: skip
    for key in sorted(by_key):
        names = sorted(by_key[key])
        cid = _unique_id(key, channels)
        channels[cid] = {
            "address": key,
            "title": f"Routing key {key}",
            "description": f"{', '.join(names)} on the topic exchange {bus.exchange}, with the routing key {key}.",
            "servers": [{"$ref": f"#/servers/{name}"} for name in amqp],
            "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in names},
            "bindings": {"amqp": {"is": "routingKey", "exchange": exchange, "bindingVersion": AMQP_BINDING_VERSION}},
        }
        operations[f"{cid}.publish"] = {
            "action": "send", "channel": {"$ref": f"#/channels/{cid}"}, "title": f"Publish {', '.join(names)}",
            "summary": f"A module publishes the event to {bus.exchange} with the routing key {key}: persistent, "
                       "mandatory (a message no queue is bound for comes back), confirmed by the broker.",
            "bindings": {"amqp": {"deliveryMode": 2, "mandatory": True, "timestamp": True,
                                  "bindingVersion": AMQP_BINDING_VERSION}},
            "messages": _refs(cid, names),
        }  # fmt: skip
        operations[f"{cid}.consume"] = {
            "action": "receive", "channel": {"$ref": f"#/channels/{cid}"}, "title": f"Consume {', '.join(names)}",
            "summary": f"A consumer binds its queue to {bus.exchange} with {key} (or a pattern that matches it, "
                       "such as comms.#) and acknowledges each event once handled.",
            "bindings": {"amqp": {"ack": True, "bindingVersion": AMQP_BINDING_VERSION}},
            "messages": _refs(cid, names),
        }  # fmt: skip


def channel_form(template: str) -> tuple[str, str, dict[str, str], str, list[tuple[str, str]]]:
    """The channel of a template: (id wanted, address, parameter descriptions, summary, [(parameter, placeholder)])."""
    parts = template.split(":")
    spec = _SPEC_CHANNELS.get((parts[0], parts[-1])) if len(parts) == 3 else None
    if spec and _PLACEHOLDER.fullmatch(parts[1]):
        cid, param, what, summary = spec
        return cid, f"{parts[0]}:{{{param}}}:{parts[2]}", {param: what}, summary, [(param, parts[1][1:-1])]
    used: list[tuple[str, str]] = []

    def rename(match: re.Match[str]) -> str:
        first = match.group(1).split("|")[0].strip().rpartition(".")[2]
        name = re.sub(r"[^A-Za-z0-9_\-]", "_", first) or "id"
        while name in {p for p, _ in used}:
            name += "_"
        used.append((name, match.group(1)))
        return "{" + name + "}"

    address = _PLACEHOLDER.sub(rename, template)
    params = {name: f"The value of {placeholder.replace('|', ', else ')} in the event." for name, placeholder in used}
    words = [w for w in re.split(r"[^A-Za-z0-9]+", _PLACEHOLDER.sub(" ", template)) if w]  # team:{x}:alerts: teamAlerts
    wanted = "".join(w if n == 0 else w[:1].upper() + w[1:] for n, w in enumerate(words)) or "channel"
    return wanted, address, params, f"The catalog's channel {template}.", used


def _realtime_channels(entries: list[EventType], bridged: list[EventType],
                       channels: dict[str, Any], operations: dict[str, Any]) -> None:  # fmt: skip
    gathered: dict[str, _Channel] = {}
    direct: list[str] = []
    carried = [(t.name, list(t.channels)) for t in entries] + [(bridged_id(t.name), list(BRIDGED_CHANNELS))
                                                                for t in bridged]  # fmt: skip
    for message_id, templates in carried:
        if not templates:
            direct.append(message_id)
        for template in templates:
            wanted, address, params, summary, placeholders = channel_form(template)
            channel = gathered.setdefault(address, _Channel(wanted, address, params, summary))
            channel.messages[message_id] = dict(placeholders)
    def place(channel: _Channel) -> tuple[int, str, str]:  # the spec's channels first, in the spec's order
        spec = _SPEC_ADDRESSES.index(channel.address) if channel.address in _SPEC_ADDRESSES else len(_SPEC_ADDRESSES)
        return spec, channel.wanted, channel.address

    for channel in sorted(gathered.values(), key=place):
        cid = _unique_id(channel.wanted, channels)
        names = sorted(channel.messages)
        channels[cid] = {
            "address": channel.address,
            "title": f"Channel {channel.address}",
            "description": channel.summary,
            "servers": [{"$ref": "#/servers/ws"}, {"$ref": "#/servers/redis"}],
            "parameters": {param: _parameter(param, what, channel) for param, what in channel.params.items()},
            "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in names},
        }
        if not channel.params:
            del channels[cid]["parameters"]
        operations[f"{cid}.receive"] = {
            "action": "receive", "channel": {"$ref": f"#/channels/{cid}"}, "title": f"Receive {channel.address}",
            "summary": "A client of the gateway that subscribed to the channel (an exact name) receives its events.",
            "messages": _refs(cid, names),
        }  # fmt: skip
        operations[f"{cid}.publish"] = {
            "action": "send", "channel": {"$ref": f"#/channels/{cid}"}, "title": f"Publish on {channel.address}",
            "summary": "The backend publishes each event on the Redis pub/sub channel of the same name; the gateway "
                       "forwards it to the channel's subscribers of the event's tenant.",
            "messages": _refs(cid, names),
        }  # fmt: skip
    _connection_channel(sorted(direct), channels, operations)


def _parameter(param: str, what: str, channel: _Channel) -> dict[str, Any]:
    """A channel parameter: where each message has it; one location when all messages agree on one field."""
    placeholders = {name: found[param] for name, found in channel.messages.items()}
    distinct = sorted(set(placeholders.values()))
    if len(distinct) == 1 and "|" not in distinct[0]:
        pointer = "/".join(part.replace("~", "~0").replace("/", "~1") for part in distinct[0].strip().split("."))
        return {"description": f"{what} From each event's {distinct[0].strip()}.",
                "location": f"$message.payload#/{pointer}"}  # fmt: skip
    users = {placeholder: ", ".join(sorted(n for n, p in placeholders.items() if p == placeholder))
             for placeholder in distinct}  # fmt: skip
    ways = "; ".join(f"{placeholder.replace('|', ', else ')} ({users[placeholder]})" for placeholder in distinct)
    return {"description": f"{what} Taken from the event: {ways}."}


def _connection_channel(direct: list[str], channels: dict[str, Any], operations: dict[str, Any]) -> None:
    names = sorted({*direct, *gateway.GATEWAY_SENDS, *gateway.CLIENT_SENDS})
    cid = _unique_id(CONNECTION, channels)
    channels[cid] = {
        "address": None,
        "title": "The WebSocket connection",
        "description": "The connection itself: the gateway's control messages, and the events sent to this "
                       "connection only (" + (", ".join(direct) or "none in this catalog") + ").",
        "servers": [{"$ref": "#/servers/ws"}],
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in names},
        "bindings": {"ws": {"method": "GET", "bindingVersion": "0.1.0", "headers": {
            "type": "object", "required": ["Authorization"],
            "properties": {"Authorization": {"type": "string", "pattern": "^Bearer ",
                                             "description": "Bearer and the token (see the gatewayToken scheme)."}},
        }}},
    }  # fmt: skip
    operations[f"{cid}.receive"] = {
        "action": "receive", "channel": {"$ref": f"#/channels/{cid}"}, "title": "Receive on the connection",
        "summary": "What the gateway sends a client outside its channels: welcome, answers, pings, and events for "
                   "this connection only.",
        "messages": _refs(cid, sorted({*direct, *gateway.GATEWAY_SENDS})),
    }  # fmt: skip
    operations[f"{cid}.send"] = {
        "action": "send", "channel": {"$ref": f"#/channels/{cid}"}, "title": "Send on the connection",
        "summary": "What a client sends: subscribe and unsubscribe (exact channel names), pong to every ping.",
        "messages": _refs(cid, sorted(gateway.CLIENT_SENDS)),
    }  # fmt: skip


def write_document(path: str, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all: a temporary file beside it, renamed over it at the end.

    A reader of the file (a docs build, a diff) never sees half a document, and a failed export
    leaves the previous file as it was. OutputFailed (exit 74) when the system refuses.
    """
    target = os.path.expanduser(path)
    if os.path.exists(target) and not stat.S_ISREG(os.stat(target).st_mode):
        _write_in_place(path, target, text)  # a device, a FIFO, /dev/stdout: never renamed over
        return
    if os.path.islink(target):
        target = os.path.realpath(target)  # replace what the link points to, and keep the link
    directory = os.path.dirname(os.path.abspath(target))
    temporary = None
    try:
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(target)}.", suffix=".tmp")
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _mode_for(target))
        os.replace(temporary, target)
        temporary = None
    except (OSError, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise OutputFailed(f"cannot write {path}: {reason}", hint="the previous file, if any, is unchanged") from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _write_in_place(path: str, target: str, text: str) -> None:
    """Write to a file that is not a regular file (a device, a FIFO, a terminal) as it is."""
    try:
        with open(target, "w", encoding="utf-8") as stream:
            stream.write(text)
    except (OSError, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise OutputFailed(f"cannot write {path}: {reason}") from None


def _mode_for(target: str) -> int:
    """The replaced file's permissions, else those a new file gets (mkstemp makes it private)."""
    try:
        return os.stat(target).st_mode & 0o7777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask
