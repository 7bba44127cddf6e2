"""Bus drivers behind one interface, picked by URL scheme (see ``base``).

Only modules in this package import broker drivers (pika, websocket-client, redis). Each
transport declares which driver exceptions mean "the connection was lost", so that retry
logic never names a driver outside its own module.

    base.py            the Transport interface, Endpoint, the scheme table, transport_for()
    messages.py        what crosses the interface: OutgoingMessage, PublishReport, ReceivedMessage
    retry.py           the one reconnect policy (Backoff) and the tail sources' shared iteration
    amqp/              RabbitMQ: one connection path, the confirmed publisher, the tail's consumer,
                       and blocking sessions for smoke, doctor and load
    redis_pubsub.py    Redis pub/sub: publish to channels, tail channels and patterns
    redis_live.py      the same subscription read on an asyncio loop (the gateway's Redis source)
    redis_link.py      what both share: the client, redis-py's failures in words, channel patterns
    gateway_client.py  the one client of the real-time gateway's protocol
"""

from ocelot_cli.transports.base import Capability, Endpoint, transport_for

__all__ = ["Capability", "Endpoint", "transport_for"]
