"""RabbitMQ (amqp://, amqps://): publish with confirms, tail through a private queue, probe, load.

    connection.py  the one connection path: parameters, timeouts, TLS, error translation
    publisher.py   the confirmed, pipelined, reconnecting publisher (confirms.py: what is in flight)
    frames.py      close to pika's internals, for speed and send timing (wire.py: basic.publish marshalled)
    consumer.py    the tail's private-queue source, and the load run's queue consumer
    queue_reader.py  tail --queue: a look (basic.get, everything returned) or a take of an existing queue
    stream_reader.py tail --stream: a stream read from a point, then live; queues.py: names, refusals, record
    session.py     a blocking session for smoke, doctor, load queues and the load control channel
    management.py  the management HTTP API (read-only): the topology with counts and rates
    topology.py    ocelot info's reading: the management API, else passive declares over AMQP

pika is imported by those modules only, when a method here first needs it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ocelot_cli.transports.base import (
    Capability,
    PublishOptions,
    StreamSpec,
    TailTarget,
    TopologyQuery,
    Transport,
)
from ocelot_cli.transports.messages import OutgoingMessage, TailStats


class AmqpTransport(Transport):
    name = "RabbitMQ"
    capabilities = frozenset({Capability.PUBLISH, Capability.TAIL, Capability.PROBE, Capability.LOAD,
                              Capability.TOPOLOGY})

    def publisher(self, messages: Iterator[OutgoingMessage], options: PublishOptions) -> Any:
        from ocelot_cli.transports.amqp.publisher import ConfirmedPublisher

        return ConfirmedPublisher(self.endpoint, messages, options)

    def tail_source(self, target: TailTarget, stats: TailStats) -> Any:
        if target.read is not None:  # an existing queue or stream (tail --queue, --stream)
            from ocelot_cli.transports.amqp.queue_reader import ExistingQueueSource

            return ExistingQueueSource(self.endpoint, target, stats)
        from ocelot_cli.transports.amqp.consumer import AmqpTailSource

        return AmqpTailSource(self.endpoint, target, stats)

    def declare_stream(self, spec: StreamSpec) -> bool:
        """Make the stream (or find it with the same settings) and bind it; True if it was made."""
        from ocelot_cli.transports.amqp.queues import declare_stream

        return declare_stream(self.endpoint, spec)

    def probe(self, purpose: str) -> dict[str, str]:
        with self.session(purpose) as session:
            return session.connect()

    def topology(self, query: TopologyQuery) -> Any:
        """The topology from the management API, else what passive declares over AMQP tell."""
        from ocelot_cli.transports.amqp.topology import read_topology

        return read_topology(self.endpoint, query)

    def session(self, purpose: str) -> Any:
        """A blocking session (exchanges, queues, confirmed single messages); close it, or use ``with``."""
        from ocelot_cli.transports.amqp.session import AmqpSession

        return AmqpSession(self.endpoint, purpose)

    def queue_consumer(self, queues: list[str], on_delivery: Callable[[str | None, bytes], None], *, prefetch: int,
                       purpose: str, on_notice: Callable[[str], None] | None = None) -> Any:  # fmt: skip
        """A consumer of named queues that acks in batches and reconnects (load runs)."""
        from ocelot_cli.transports.amqp.consumer import QueueConsumer

        return QueueConsumer(self.endpoint, queues, on_delivery, prefetch=prefetch, purpose=purpose,
                             on_notice=on_notice)  # fmt: skip
