"""The messages of a load run: valid catalog samples, built once, sent with a fresh id each.

Generating a fresh sample per message would make the generator the bottleneck, so each
type gets a small pool of valid samples (validated once, padded to ``--size``); every
message takes one from the pool and gets its own event id and timing marker.
"""

from __future__ import annotations

import time
from typing import Any

from ocelot_cli.envelope.catalog import Catalog
from ocelot_cli.envelope.codec import dump_compact
from ocelot_cli.envelope.samples import SampleFactory, SampleOptions
from ocelot_cli.envelope.validate import EventValidator
from ocelot_cli.errors import InvalidEvent, UsageProblem
from ocelot_cli.load.plan import ID_PLACEHOLDER, POOL_PER_TYPE, LoadPlan, event_id, marker, mix_cycle, run_hex
from ocelot_cli.publishing.messages import amqp_properties
from ocelot_cli.transports.messages import OutgoingMessage

_PLACEHOLDER = ID_PLACEHOLDER.encode()


class _Template:
    __slots__ = ("head", "tail", "properties", "routing_keys", "type_name")

    def __init__(self, body: bytes, properties: dict[str, Any], routing_keys: list[str], type_name: str) -> None:
        self.head, _, self.tail = body.partition(_PLACEHOLDER)
        self.properties = properties
        self.routing_keys = routing_keys  # one per queue of the run
        self.type_name = type_name


class MessagePool:
    """Builds message ``seq`` of publisher ``pub``: template, fresh id, marker, intended time."""

    def __init__(self, plan: LoadPlan, catalog: Catalog) -> None:
        self.plan = plan
        self.channel = plan.ws.channel if plan.ws else None
        self.prefix = plan.marker_prefix()
        self.run_hex = run_hex(plan.run_id)
        options = SampleOptions(seed=plan.seed)
        if plan.ws:
            options = SampleOptions(tenant=plan.ws.tenant, user=plan.ws.user, lead=plan.ws.lead, seed=plan.seed)
        factory = SampleFactory(catalog, options)
        validator = EventValidator(catalog)
        self.templates: dict[str, list[_Template]] = {}
        for name, _weight in plan.mix:
            self.templates[name] = [self._template(factory, validator, catalog, name) for _ in range(POOL_PER_TYPE)]
        self.cycle = [self.templates[name] for name in mix_cycle(plan.mix, plan.seed)]

    def _template(self, factory: SampleFactory, validator: EventValidator, catalog: Catalog, name: str) -> _Template:
        event = factory.make(name)
        if self.channel is not None:
            event["key"] = ID_PLACEHOLDER  # the marker travels in the dedup key through the gateway
        else:
            event["id"] = ID_PLACEHOLDER
            if self.plan.size:
                self._pad(event, name)
        result = validator.validate(event)
        if not result.ok:
            problems = "; ".join(f"{v.path}: {v.message}" for v in result.errors)
            raise InvalidEvent(f"the {name} sample for the load run breaks the catalog: {problems}", result.errors,
                               hint="ocelot cannot make a value for such a field by itself (a pattern, say): give it "
                               "'examples' or an 'x-ocelot-sample' template in the catalog")  # fmt: skip
        properties = {} if self.channel is not None else amqp_properties(event)
        if properties:
            properties["delivery_mode"] = 2 if self.plan.persistent else 1
        if self.channel is not None:
            keys = [self.channel]
        else:
            keys = [self.plan.routing_key_for(catalog, name, q) for q in range(self.plan.queues)]
        return _Template(dump_compact(event), properties, keys, name)

    def _pad(self, event: dict[str, Any], name: str) -> None:
        size = self.plan.size or 0
        metadata = event.setdefault("metadata", {})
        metadata["padding"] = ""
        base = len(dump_compact(event))
        if base > size:
            raise UsageProblem(
                f"--size {size}: a {name} event is already {base} bytes", hint=f"give --size {base} or more"
            )
        metadata["padding"] = "x" * (size - base)

    def message(self, pub: int, seq: int, intended: float | None, origin_ns: int) -> OutgoingMessage:
        """The message; ``intended`` is seconds after the origin (None: now, for --rate max)."""
        n = seq * self.plan.publishers + pub
        choices = self.cycle[n % len(self.cycle)]
        template = choices[(n // len(self.cycle)) % len(choices)]
        intended_ns = round(intended * 1e9) if intended is not None else time.monotonic_ns() - origin_ns
        mark = marker(self.prefix, pub, seq, intended_ns)
        if self.channel is not None:
            body = template.head + mark.encode() + template.tail
            return OutgoingMessage(exchange="", routing_key=self.channel, body=body, properties={}, seq=seq,
                                   event_type=template.type_name, due=intended, channel=self.channel)  # fmt: skip
        new_id = event_id(self.run_hex, self.plan.worker, pub, seq)
        properties = dict(template.properties, message_id=new_id, correlation_id=mark)
        return OutgoingMessage(
            exchange=self.plan.exchange,
            routing_key=template.routing_keys[pub % len(template.routing_keys)],
            body=template.head + new_id.encode() + template.tail,
            properties=properties,
            event_id=new_id,
            event_type=template.type_name,
            seq=seq,
            due=intended,
        )
