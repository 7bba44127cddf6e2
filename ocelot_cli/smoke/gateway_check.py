"""The gateway check of ``ocelot smoke``: subscribe on the WebSocket, publish to Redis, see it arrive.

Speaks the gateway protocol through the one gateway client (welcome, subscribe, ping/pong,
refusals as errors), and publishes through the Redis transport, so the check proves exactly
what a client would see.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from ocelot_cli.envelope.catalog import Catalog
from ocelot_cli.envelope.channels import types_for_channel
from ocelot_cli.envelope.codec import dump_compact, parse_body
from ocelot_cli.errors import BrokerTimeout, DeliveryFailed
from ocelot_cli.transports.base import Capability, PublishOptions, transport_for
from ocelot_cli.transports.messages import OutgoingMessage


def gateway_event(catalog: Catalog, channel: str, owner: dict[str, str | None]) -> dict[str, Any]:
    """A valid real-time sample for the channel's owner, with a unique key to recognise it by."""
    from ocelot_cli.envelope.samples import SampleFactory, SampleOptions

    name = next(iter(types_for_channel(catalog, channel)), "task.updated")
    event = SampleFactory(catalog, SampleOptions(**owner)).make(name)
    event["key"] = f"ocelot-smoke-{uuid.uuid4()}"
    return event


def probe_gateway(target: Any, event: dict[str, Any], *, timeout: float) -> dict[str, float]:
    """Publish ``event`` on the channel through Redis and wait for it on the WebSocket; timings in seconds."""
    gateway = transport_for(target.gateway, need=Capability.TAIL)
    client = gateway.client(poll=0.05)
    started = time.monotonic()
    try:
        client.connect()
        client.subscribe(target.channel)
        subscribed = time.monotonic()
        message = OutgoingMessage("", target.channel, dump_compact(event), {}, event["key"], event["event"],
                                  channel=target.channel)  # fmt: skip
        publisher = transport_for(target.redis, need=Capability.PUBLISH).publisher(iter([message]), PublishOptions())
        sent_at = time.monotonic()
        report = publisher.run()
        if report.unroutable:
            raise DeliveryFailed(
                f"nobody received the probe on Redis channel {target.channel} at {target.redis.shown}",
                hint="the gateway is not reading this Redis: check its --redis-url and OCELOT_REDIS_URL here",
            )
        deadline = sent_at + timeout
        while time.monotonic() < deadline:
            client.read()
            client.check_alive()
            while client.events:
                try:
                    got = parse_body(client.events.popleft())
                except ValueError:
                    continue
                if isinstance(got, dict) and got.get("key") == event["key"]:
                    return {"connect_s": subscribed - started, "round_trip_s": time.monotonic() - sent_at}
    finally:
        client.close()
    raise BrokerTimeout(f"the probe published on {target.channel} did not arrive on the WebSocket within {timeout:g}s",
                        hint="the gateway received it from Redis but did not deliver it: check its logs")  # fmt: skip
