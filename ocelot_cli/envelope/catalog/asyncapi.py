"""An AsyncAPI 2.6 or 3.x document as a catalog source: each message a channel carries becomes an event type.

What a message must look like (the shape ``ocelot catalog export --format asyncapi`` writes):

* its ``payload`` (references followed, ``allOf`` parts taken together) is the event's envelope: the
  Ocelot platform fields (id, type, source, timestamp, organizationId, ... data) or the OttoAI
  real-time ones (version, event, ts, tenant_id, ... data); ``properties.data`` is the type's data schema;
* the type name is ``properties.type.const`` (platform) or ``properties.event.const`` (real-time),
  else the message's ``name`` (2.6: or ``messageId``), else its key in the document;
* a platform type's routing key is the address of its channel (the one with an AMQP binding
  ``is: routingKey`` when there are several); a real-time type's channels are the message's
  ``x-ocelot-channels`` when given, else the addresses of the channels that carry it, each
  ``{parameter}`` becoming the envelope field its ``location`` names (``$message.payload#/data/lead_id``
  is ``{data.lead_id}``), or the field named like the parameter.

Message headers, operations' directions and servers are accepted and not needed. Messages that no
channel carries are not event types, nor are those marked ``x-ocelot-role`` (ocelot's export writes
it on a platform type's real-time form and on the gateway's protocol messages). Only references
inside the document are followed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocelot_cli.envelope.catalog.asyncapi_document import AsyncApiDocument, Pointer, pointer_text
from ocelot_cli.envelope.catalog.asyncapi_schema import SchemaInliner, constant_of, envelope_fields
from ocelot_cli.envelope.catalog.entry import CHANNEL_FIELD, TYPE_NAME, EventType, expand_formats
from ocelot_cli.envelope.model import PLATFORM_FIELDS, REALTIME_FIELDS, EnvelopeKind, detect_kind
from ocelot_cli.errors import CatalogError

SUPPORTED_VERSIONS = ((2, 6), (3, 0), (3, 1))  # 3.1 adds nothing this reader depends on
_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.\d+)?(?:-[0-9A-Za-z.-]+)?$")
_JSON_SCHEMA_FORMATS = ("application/vnd.aai.asyncapi", "application/schema+json", "application/schema+yaml")
_PAYLOAD_LOCATION = "$message.payload#"
# ocelot's export marks messages that are no event type of their own: "bridged" (a platform type in the
# real-time envelope, as the gateway delivers it) and "control" (the gateway's protocol).
_ROLE = "x-ocelot-role"


@dataclass(frozen=True)
class _Channel:
    at: Pointer
    address: str | None
    parameters: dict[str, Any]
    amqp: dict[str, Any] | None  # the channel's AMQP binding, when it has one


@dataclass
class _Message:
    at: Pointer  # where the message object is defined (references followed)
    value: dict[str, Any]  # the message object with its traits applied
    channels: list[_Channel] = field(default_factory=list)


def read_asyncapi(path: Path, text: str | None = None) -> list[EventType]:
    """The event types of the AsyncAPI document at ``path`` (``text`` when it does not come from disk).

    Raises CatalogError ``FILE:LINE: JSON-PATH: what is wrong; what to do``.
    """
    doc = AsyncApiDocument.read(path, text)
    major = _check_version(doc)
    messages = _messages_v3(doc) if major == 3 else _messages_v2(doc)
    if not messages:
        raise doc.error(("channels",), "no channel carries a message",
                        "ocelot makes an event type of each message on a channel: list the messages "
                        "under the channels (components alone are not enough)")  # fmt: skip
    inliner = SchemaInliner(doc)
    types: dict[str, EventType] = {}
    for message in messages.values():
        if _ROLE in message.value:  # written by ocelot's export: not an event type of its own
            continue
        entry = _event_type(doc, inliner, message)
        if entry.name in types:
            first = types[entry.name].raw["asyncapi"]["message"]
            raise doc.error(message.at, f"event type {entry.name!r} is also the type of the message {first}",
                            "give each message its own type (payload properties.type/event const), or mark "
                            "the other envelope's form of the same type with x-ocelot-role: bridged")  # fmt: skip
        types[entry.name] = entry
    return list(types.values())


def _check_version(doc: AsyncApiDocument) -> int:
    root = doc.root
    if not isinstance(root, dict) or "asyncapi" not in root:
        looks_like_entry = isinstance(root, dict) and "data_schema" in root
        raise CatalogError(
            f"{doc.path}: not an AsyncAPI document (no 'asyncapi' version key at the top)",
            hint="this is one catalog file: pass the directory that holds it to --catalog" if looks_like_entry
            else "--catalog takes a directory of catalog files or an AsyncAPI 2.6/3.0/3.1 document (YAML or JSON)",
        )  # fmt: skip
    version = str(root["asyncapi"])
    match = _VERSION.match(version)
    if match is None:
        raise doc.error(("asyncapi",), f"{version!r} is not an AsyncAPI version",
                        "write the version the document follows, e.g. asyncapi: 3.0.0")  # fmt: skip
    major, minor = int(match.group(1)), int(match.group(2))
    if (major, minor) not in SUPPORTED_VERSIONS:
        convert = ": convert it to 3.0, e.g. with 'asyncapi convert' (AsyncAPI CLI)"
        raise doc.error(("asyncapi",), f"AsyncAPI {version} is not supported", "ocelot reads AsyncAPI 2.6, 3.0 "
                        f"and 3.1 documents{convert if (major, minor) < SUPPORTED_VERSIONS[0] else ''}")  # fmt: skip
    for section in ("channels", "operations", "components"):
        if section in root and not isinstance(root[section], dict):
            raise doc.error((section,), f"'{section}' is not a mapping", f"write {section} as a mapping of names")
    return major


# -- which messages, on which channels ------------------------------------------------------------


def _messages_v3(doc: AsyncApiDocument) -> dict[Pointer, _Message]:
    """3.0: the messages of each channel, and those each operation names (on its channel)."""
    messages: dict[Pointer, _Message] = {}
    channels: dict[Pointer, _Channel] = {}
    for at, raw in _members(doc, ("channels",)):
        channel = _channel(doc, raw, at, None, channels)
        for message_at, _raw in _members(doc, (*channel.at, "messages")):
            _add(doc, messages, message_at, channel)
    for at, raw in _members(doc, ("operations",)):
        operation, at = doc.deref(raw, at)
        if not isinstance(operation, dict) or "channel" not in operation:
            raise doc.error(at, "an operation without a channel", "add channel: {$ref: '#/channels/NAME'}")
        channel = _channel(doc, operation["channel"], (*at, "channel"), None, channels)
        listed = operation.get("messages") or []
        for index in range(len(listed) if isinstance(listed, list) else 0):
            _add(doc, messages, (*at, "messages", index), channel)
    return messages


def _messages_v2(doc: AsyncApiDocument) -> dict[Pointer, _Message]:
    """2.6: the message (or each of its ``oneOf``) of each channel's publish and subscribe operations."""
    messages: dict[Pointer, _Message] = {}
    channels: dict[Pointer, _Channel] = {}
    for at, raw in _members(doc, ("channels",)):
        channel = _channel(doc, raw, at, str(at[-1]), channels)
        item = doc.get(channel.at)
        for action in ("publish", "subscribe"):
            if action not in item:
                continue
            operation, at = doc.deref(item[action], (*channel.at, action))
            if not isinstance(operation, dict) or "message" not in operation:
                continue
            message, message_at = doc.deref(operation["message"], (*at, "message"))
            one_of = message.get("oneOf") if isinstance(message, dict) else None
            if isinstance(one_of, list):
                for index in range(len(one_of)):
                    _add(doc, messages, (*message_at, "oneOf", index), channel)
            else:
                _add(doc, messages, (*at, "message"), channel)
    return messages


def _members(doc: AsyncApiDocument, at: Pointer) -> list[tuple[Pointer, Any]]:
    """The place and value of each member of the mapping at ``at`` (references followed); none when no mapping."""
    value, at = doc.deref(doc.get(at), at)
    return [((*at, key), item) for key, item in value.items()] if isinstance(value, dict) else []


def _channel(doc: AsyncApiDocument, raw: Any, at: Pointer, address: str | None,
             known: dict[Pointer, _Channel]) -> _Channel:  # fmt: skip
    value, at = doc.deref(raw, at)
    if at in known:
        return known[at]
    if not isinstance(value, dict):
        raise doc.error(at, "a channel that is not a mapping", "describe the channel as a Channel Object")
    if address is None:  # 3.0: the address is a field (absent or null: unknown)
        address = value.get("address")
        if address is not None and not isinstance(address, str):
            raise doc.error((*at, "address"), "the address is not text", "write the channel's address as text")
    bindings, bindings_at = doc.deref(value.get("bindings"), (*at, "bindings"))
    amqp = None
    if isinstance(bindings, dict) and "amqp" in bindings:
        amqp, _ = doc.deref(bindings["amqp"], (*bindings_at, "amqp"))
        amqp = amqp if isinstance(amqp, dict) else {}
    parameters = value.get("parameters") if isinstance(value.get("parameters"), dict) else {}
    known[at] = _Channel(at, address, parameters, amqp)
    return known[at]


def _add(doc: AsyncApiDocument, messages: dict[Pointer, _Message], at: Pointer, channel: _Channel) -> None:
    value, at = doc.deref(doc.get(at), at)
    if at not in messages:
        if not isinstance(value, dict):
            raise doc.error(at, "a message that is not a mapping", "describe the message as a Message Object")
        merged = dict(value)
        traits = value.get("traits")
        for index, raw in enumerate(traits if isinstance(traits, list) else []):
            trait, _ = doc.deref(raw, (*at, "traits", index))
            for key, item in (trait.items() if isinstance(trait, dict) else ()):
                merged.setdefault(key, item)  # the message's own fields win over its traits'
        messages[at] = _Message(at, merged)
    if channel not in messages[at].channels:
        messages[at].channels.append(channel)


# -- one message as an event type -----------------------------------------------------------------


def _event_type(doc: AsyncApiDocument, inliner: SchemaInliner, message: _Message) -> EventType:
    payload, payload_at = _payload(doc, message)
    fields = envelope_fields(doc, payload, payload_at)
    kind = detect_kind(dict.fromkeys(fields))
    if kind is None or "data" not in fields:
        raise doc.error(payload_at, "the payload is neither an Ocelot platform event nor an OttoAI real-time event",
                        f"describe the envelope's fields: platform {', '.join(PLATFORM_FIELDS)}; "
                        f"real-time {', '.join(REALTIME_FIELDS)} (each with data)")  # fmt: skip
    name = _type_name(doc, message, kind, fields)
    data_schema = inliner.data_schema(fields["data"])
    exchange, routing_key = None, None
    if kind is EnvelopeKind.PLATFORM:
        exchange, routing_key = _routing_key(doc, message)
    channels = _channels(doc, message, kind)
    description = _description(message.value) or f"{name} (no description in the AsyncAPI document)"
    where = pointer_text(message.at)
    raw = {"type": name, "envelope": kind.value, "description": description, "routing_key": routing_key,
           "channels": list(channels), "data_schema": data_schema,
           "asyncapi": {"message": where, "exchange": exchange}}  # fmt: skip
    return EventType(name=name, envelope=kind, description=description, data_schema=expand_formats(data_schema),
                     routing_key=routing_key, channels=channels, source_file=f"{doc.path}{where}", builtin=False,
                     raw=raw)  # fmt: skip


def _payload(doc: AsyncApiDocument, message: _Message) -> tuple[Any, Pointer]:
    value = message.value
    if value.get("payload") is None:
        raise doc.error(message.at, "the message has no payload",
                        "give it a payload schema: the event's envelope with its data")  # fmt: skip
    payload, at = doc.deref(value["payload"], (*message.at, "payload"))
    schema_format = value.get("schemaFormat")  # 2.6: on the message
    if isinstance(payload, dict) and "schemaFormat" in payload and "schema" in payload:  # 3.0: multi-format
        schema_format = payload["schemaFormat"]
        payload, at = doc.deref(payload["schema"], (*at, "schema"))
    if schema_format is not None and not str(schema_format).startswith(_JSON_SCHEMA_FORMATS):
        raise doc.error(at, f"payload schema format {schema_format!r} is not supported",
                        "ocelot reads payloads written as AsyncAPI Schema or JSON Schema")  # fmt: skip
    if not isinstance(payload, dict):
        raise doc.error(at, "the payload is not a schema object", "describe the payload as {type: object, ...}")
    return payload, at


def _type_name(doc: AsyncApiDocument, message: _Message, kind: EnvelopeKind,
               fields: dict[str, list[tuple[Any, Pointer]]]) -> str:  # fmt: skip
    candidates: list[tuple[Any, Pointer, str]] = []
    for schema, at in fields.get(kind.type_field, []):
        found = constant_of(doc, schema, at)
        if found is not None:
            candidates.append((*found, f"the payload's {kind.type_field} const"))
    for key in ("name", "messageId"):
        if isinstance(message.value.get(key), str):
            candidates.append((message.value[key], (*message.at, key), f"the message {key}"))
    key = message.at[-1]
    candidates.append((key, message.at, "the message's key"))
    name, at, origin = candidates[0]
    if not isinstance(name, str) or not TYPE_NAME.match(name):
        raise doc.error(at, f"event type {name!r} (from {origin}) is not a dotted lower-case name",
                        f"set the payload's properties.{kind.type_field} to a const such as "
                        "billing.invoice.paid")  # fmt: skip
    return name


def _routing_key(doc: AsyncApiDocument, message: _Message) -> tuple[str | None, str]:
    """(exchange named by the AMQP binding, routing key) of a platform message."""
    keyed = _keyed_channels(message)
    if not message.channels:
        raise doc.error(message.at, "no channel carries this platform message",
                        "put it on a channel whose address is its routing key")  # fmt: skip
    if not keyed:
        channel = message.channels[0]
        raise doc.error((*channel.at, "address"), f"the address {channel.address!r} has parameters",
                        "a platform event's routing key is one fixed address, e.g. billing.invoice.paid")  # fmt: skip
    for channel in keyed:
        if channel.address is None:
            raise doc.error(channel.at, "the channel of a platform message has no address",
                            "set its address to the routing key, e.g. address: billing.invoice.paid")  # fmt: skip
    addresses = list(dict.fromkeys(str(channel.address) for channel in keyed))
    if len(addresses) > 1:
        raise doc.error(message.at, f"the channels that carry it have different addresses ({', '.join(addresses)})",
                        "a platform type has one routing key: mark its channel with an AMQP binding "
                        "'is: routingKey', or keep the message on one channel")  # fmt: skip
    exchange = None
    amqp = keyed[0].amqp or {}
    if isinstance(amqp.get("exchange"), dict) and isinstance(amqp["exchange"].get("name"), str):
        exchange = amqp["exchange"]["name"]
    return exchange, addresses[0]


def _keyed_channels(message: _Message) -> list[_Channel]:
    """The channels whose address is a platform message's routing key."""
    bound = [c for c in message.channels if c.amqp is not None]
    if bound:
        return [c for c in bound if c.amqp.get("is", "routingKey") != "queue"]  # type: ignore[union-attr]
    return [c for c in message.channels if c.address is None or not CHANNEL_FIELD.search(c.address)]


def _channels(doc: AsyncApiDocument, message: _Message, kind: EnvelopeKind) -> tuple[str, ...]:
    listed = message.value.get("x-ocelot-channels")
    if listed is not None:
        if not isinstance(listed, list) or not all(isinstance(item, str) for item in listed):
            raise doc.error((*message.at, "x-ocelot-channels"), "x-ocelot-channels is not a list of text",
                            "list channel templates such as 'tenant:{tenant_id}:events'")  # fmt: skip
        return tuple(listed)
    keyed = _keyed_channels(message) if kind is EnvelopeKind.PLATFORM else []
    templates = [_template(doc, channel) for channel in message.channels
                 if channel.amqp is None and channel not in keyed and channel.address is not None]  # fmt: skip
    return tuple(dict.fromkeys(templates))


def _template(doc: AsyncApiDocument, channel: _Channel) -> str:
    """A channel address as an ocelot channel template: each {parameter} becomes the field it comes from."""

    def field_of(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in channel.parameters:
            return "{" + name + "}"
        parameter, at = doc.deref(channel.parameters[name], (*channel.at, "parameters", name))
        location = parameter.get("location") if isinstance(parameter, dict) else None
        if location is None:
            return "{" + name + "}"
        pointer = location[len(_PAYLOAD_LOCATION):] if isinstance(location, str) else ""
        parts = pointer.split("/")[1:]
        if not isinstance(location, str) or not location.startswith(_PAYLOAD_LOCATION + "/") or not all(parts):
            raise doc.error((*at, "location"), f"location {location!r} is not a field of the event",
                            "ocelot fills channel parameters from event fields: write $message.payload#/tenant_id "
                            "(or leave location out to use the field named like the parameter)")  # fmt: skip
        return "{" + ".".join(part.replace("~1", "/").replace("~0", "~") for part in parts) + "}"

    return CHANNEL_FIELD.sub(field_of, str(channel.address))


def _description(message: dict[str, Any]) -> str:
    """The message's summary, else description, else title: its first line."""
    for key in ("summary", "description", "title"):
        text = message.get(key)
        if isinstance(text, str) and text.strip():
            return text.strip().splitlines()[0].strip()
    return ""
