"""The catalog's event types as AsyncAPI messages: the whole envelope, its AMQP headers, a sample.

A message's payload is the type's event schema (the one ``ocelot catalog schema TYPE`` prints and
``validate`` checks) in draft-07 form: the envelope's fields, ``type`` (platform) or ``event``
(real-time) fixed to the type's name, and ``data`` the type's data schema, with its
``x-ocelot-format`` and ``x-ocelot-sample`` keywords kept beside their standard expansion.
``x-ocelot-channels`` holds the type's exact channel templates. A platform type the gateway
bridges onto real-time channels also has a message of its real-time form, marked
``x-ocelot-role: bridged`` (it is the same type, not another one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ocelot_cli.contract.draft07 import as_draft07
from ocelot_cli.envelope.catalog import Catalog, EventType
from ocelot_cli.envelope.channels import as_delivered
from ocelot_cli.envelope.model import EnvelopeKind
from ocelot_cli.envelope.samples import SampleFactory, SampleOptions
from ocelot_cli.envelope.validate import EventValidator
from ocelot_cli.errors import CatalogError
from ocelot_cli.publishing.messages import amqp_properties

ROLE = "x-ocelot-role"
CHANNELS = "x-ocelot-channels"
EXAMPLE_SEED = 16  # one seed, one sampler per type: a type's example changes only when the type does
BRIDGED_SUFFIX = ".asRealtime"  # upper case: no catalog type name can end so
AMQP_BINDING_VERSION = "0.3.0"
# The real-time envelope fields a bridged event names its channels by (envelope.channels.as_delivered).
BRIDGED_CHANNELS = ("tenant:{tenant_id}:events", "lead:{lead_id}:timeline")


@dataclass
class MessageSet:
    """Messages by component id, and notes for the user: keywords AsyncAPI tools will not check, missing examples."""

    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def bridged_id(name: str) -> str:
    """The component id of a platform type's real-time form."""
    return name + BRIDGED_SUFFIX


def event_messages(catalog: Catalog, entries: list[EventType], *, bridged: list[EventType]) -> MessageSet:
    """A message per type of ``entries`` and one for the real-time form of each type of ``bridged``."""
    found = MessageSet()
    validator = EventValidator(catalog)
    for entry in entries:
        unchecked: list[str] = []
        message = found.messages[entry.name] = _message(catalog, validator, entry, entry.envelope, unchecked)
        found.notes += [f"{entry.name}: {note}: AsyncAPI tools (draft-07) do not check this keyword"
                        for note in unchecked]  # fmt: skip
        if "examples" not in message:
            found.notes.append(f"{entry.name}: no example (the sampler made no event of it that the catalog accepts)")
    for entry in bridged:
        found.messages[bridged_id(entry.name)] = _message(catalog, validator, entry, EnvelopeKind.REALTIME, [])
    return found


def _message(catalog: Catalog, validator: EventValidator, entry: EventType, kind: EnvelopeKind,
             unchecked: list[str]) -> dict[str, Any]:  # fmt: skip
    platform = kind is EnvelopeKind.PLATFORM
    bridged = kind is not entry.envelope
    message: dict[str, Any] = {
        "name": entry.name,
        "title": f"{entry.name} ({'bridged onto real-time channels' if bridged else kind.title + ' event'})",
        "summary": entry.description,
    }
    if bridged:
        message["description"] = (
            "The platform event as the gateway delivers it on real-time channels when it bridges the exchange "
            "(`ocelot gateway --source amqp`): converted to the OttoAI envelope, on its tenant's channel and, when "
            "it names a lead, on the lead's."
        )
    message["contentType"] = "application/json"
    message["tags"] = [{"name": kind.value}]
    if platform:
        message["headers"] = amqp_headers_schema(entry.name)
    message["payload"] = payload_schema(catalog, entry, kind, unchecked)
    if platform:
        message["bindings"] = {"amqp": {"contentEncoding": "utf-8", "messageType": entry.name,
                                        "bindingVersion": AMQP_BINDING_VERSION}}  # fmt: skip
    example = _example(catalog, validator, entry, kind)
    if example is not None:
        message["examples"] = [example]
    message[CHANNELS] = list(BRIDGED_CHANNELS if bridged else entry.channels)
    if bridged:
        message[ROLE] = "bridged"
    return message


def payload_schema(catalog: Catalog, entry: EventType, kind: EnvelopeKind, unchecked: list[str]) -> dict[str, Any]:
    """The schema of a whole event of the type in ``kind``'s envelope, as an AsyncAPI Schema object."""
    schema = catalog.event_schema(entry.name, kind=kind)
    converted = as_draft07({key: value for key, value in schema.items() if key != "$id"})
    if converted.refs:
        where = converted.refs[0].removeprefix("/properties/data") or "/"
        raise CatalogError(f"{entry.source_file or entry.name}: 'data_schema' uses $ref (at {where}), which does not "
                           "resolve once the data schema sits inside the event's schema",
                           hint="write the referenced schema out in place")  # fmt: skip
    unchecked.extend(converted.unchecked)
    if kind is not entry.envelope:  # code generators name a model by its title: one per message
        converted.schema["title"] = bridged_id(entry.name)
    return converted.schema


def amqp_headers_schema(name: str) -> dict[str, Any]:
    """The AMQP properties and headers ocelot's publisher sets (publishing.messages.amqp_properties)."""

    def prop(schema: dict[str, Any], what: str) -> dict[str, Any]:
        return {**schema, "description": what}

    return {
        "type": "object",
        "description": "The AMQP properties and headers (table) ocelot sets when it publishes (publish, replay, "
                       "load); other publishers may set fewer: consumers read the event from the payload.",
        "properties": {
            "content_type": prop({"const": "application/json"}, "AMQP property content_type."),
            "content_encoding": prop({"const": "utf-8"}, "AMQP property content_encoding."),
            "delivery_mode": prop({"const": 2}, "AMQP property delivery_mode: 2, persistent."),
            "message_id": prop({"type": "string"}, "AMQP property message_id: the event's id."),
            "timestamp": prop({"type": "integer", "minimum": 0}, "AMQP property timestamp: the event's time in "
                              "whole seconds since 1970 (left out for an earlier time)."),
            "type": prop({"const": name}, "AMQP property type: the event type."),
            "app_id": prop({"type": "string"}, "AMQP property app_id: the publisher, ocelot/VERSION for ocelot."),
            "organizationId": prop({"type": "string"}, "AMQP header (headers table): the event's organizationId."),
            "source": prop({"type": "string"}, "AMQP header (headers table): the event's source."),
        },
    }  # fmt: skip


def amqp_headers_of(event: dict[str, Any]) -> dict[str, Any]:
    """What ocelot sets on ``event`` published over AMQP, as the headers schema lays it out (flat)."""
    properties = dict(amqp_properties(event))
    table = properties.pop("headers", {})
    return {**properties, **table}


def _example(catalog: Catalog, validator: EventValidator, entry: EventType,
             kind: EnvelopeKind) -> dict[str, Any] | None:  # fmt: skip
    """A sample event of the type (its headers too, for a platform event); None when no valid one comes out."""
    event = SampleFactory(catalog, SampleOptions(seed=EXAMPLE_SEED)).make(entry.name)
    if kind is not entry.envelope:
        event = as_delivered(event, catalog)[0]
    if not validator.validate(event).ok:  # a user's schema the sampler cannot satisfy: no example beats a wrong one
        return None
    example: dict[str, Any] = {"name": "sample", "summary": f"A sample {entry.name} event (ocelot catalog sample)."}
    if kind is EnvelopeKind.PLATFORM:
        example["headers"] = amqp_headers_of(event)
    example["payload"] = event
    return example
