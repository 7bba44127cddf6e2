"""The gateway's Redis source on an event loop (transports/redis_live.py), against the real Redis."""

import asyncio
import time
import uuid

import pytest
import redis

from ocelot_cli.transports import redis_live
from ocelot_cli.transports.base import Capability, Endpoint, TailTarget, transport_for
from ocelot_cli.transports.messages import TailStats
from tests.integration.conftest import REDIS_URL

pytestmark = pytest.mark.integration


def test_a_burst_comes_out_whole_and_in_order_in_batches_of_at_most_drain(monkeypatch):
    """What a batch leaves at its limit is in the next one: a message fetched is never dropped."""
    monkeypatch.setattr(redis_live, "DRAIN", 3)
    channel = f"ocelot.test.live.{uuid.uuid4().hex[:10]}"
    total = 1500

    async def read() -> tuple[list[bytes], list[int]]:
        transport = transport_for(Endpoint(REDIS_URL, connect_timeout=5.0), need=Capability.LIVE)
        source = transport.live_source(TailTarget(channels=[channel], purpose="ocelot test"), TailStats())
        await source.open()
        try:
            sender = redis.Redis.from_url(REDIS_URL)
            pipe = sender.pipeline(transaction=False)
            for n in range(total):
                pipe.publish(channel, b"%d" % n)
            assert pipe.execute() == [1] * total  # this source, and no one else, on a channel of its own
            sender.close()
            bodies, sizes = [], []
            deadline = time.monotonic() + 20  # what never comes is a failure below, not a wait forever
            while len(bodies) < total and time.monotonic() < deadline:
                batch = await asyncio.wait_for(source.next_batch(), 10)
                sizes.append(len(batch))
                bodies += [message.body for message in batch]
            return bodies, sizes
        finally:
            await source.close()

    bodies, sizes = asyncio.run(read())
    assert len(bodies) == total and bodies == [b"%d" % n for n in range(total)]
    assert max(sizes) == 3 and sizes.count(3) > 10  # the limit was reached, many times
