"""The gateway check of ``ocelot smoke``: subscribe on the WebSocket, publish to Redis, see it arrive.

Speaks the gateway protocol through the tail's WebSocket source (welcome, subscribe, ping/pong,
refusals as errors), so the check proves exactly what a client would see.
"""

from __future__ import annotations

import json
import time
from typing import Any

import redis

from ocelot_cli.errors import BrokerTimeout, DeliveryFailed
from ocelot_cli.redact import mask_url
from ocelot_cli.tail import TailStats
from ocelot_cli.transports.redis_pubsub import translate_error
from ocelot_cli.transports.websocket_tail import WsTailSource


def probe_gateway(url: str, token: str, channel: str, redis_url: str, event: dict[str, Any], *, timeout: float,
                  ca_file: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Publish ``event`` on ``channel`` through Redis and wait for it on the WebSocket; timings in seconds."""
    source = WsTailSource(url, token, [channel], TailStats(), ca_file=ca_file, poll=0.05, reconnect_for=0.0)
    started = time.monotonic()
    source.open()
    subscribed = time.monotonic()
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=5)
    try:
        try:
            sent_at = time.monotonic()
            receivers = client.publish(channel, json.dumps(event, separators=(",", ":")))
        except (redis.RedisError, OSError) as exc:
            raise translate_error(exc, redis_url) from None
        if not receivers:
            raise DeliveryFailed(
                f"nobody received the probe on Redis channel {channel} at {mask_url(redis_url)}",
                hint="the gateway is not reading this Redis: check its --redis-url and OCELOT_REDIS_URL here",
            )
        deadline = sent_at + timeout
        for item in source:
            if item is not None:
                try:
                    got = json.loads(item.body)
                except ValueError:
                    got = None
                if isinstance(got, dict) and got.get("key") == event["key"]:
                    return {"connect_s": subscribed - started, "round_trip_s": time.monotonic() - sent_at}
            if time.monotonic() >= deadline:
                break
    finally:
        client.close()
        source.close()
    raise BrokerTimeout(f"the probe published on {channel} did not arrive on the WebSocket within {timeout:g}s",
                        hint="the gateway received it from Redis but did not deliver it: check its logs")  # fmt: skip
