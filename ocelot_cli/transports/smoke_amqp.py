"""What ``ocelot smoke`` and ``ocelot doctor`` ask RabbitMQ: connect, the exchange and its type,
a probe through a temporary binding, and waiting for traffic of a type.

The probe's queue is server-named, exclusive and auto-delete: the broker removes it when the
connection closes, and ``close`` deletes it first anyway. Nothing else is declared.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from typing import Any

import pika
import pika.exceptions as pex

from ocelot_cli.errors import DeliveryFailed, ExitStatus
from ocelot_cli.smoke import CheckFailed
from ocelot_cli.transports.amqp import (
    CONNECTION_ERRORS,
    AmqpOptions,
    connection_parameters,
    exchange_missing,
    translate_close,
    translate_connect_error,
)


class AmqpProbe:
    def __init__(self, options: AmqpOptions, purpose: str = "ocelot smoke") -> None:
        self.options = options
        self.purpose = purpose
        self.connection: Any = None
        self.queues: list[str] = []

    def connect(self) -> dict[str, Any]:
        try:
            self.connection = pika.BlockingConnection(connection_parameters(self.options, purpose=self.purpose))
        except CONNECTION_ERRORS as exc:
            raise translate_connect_error(exc, self.options) from None
        server = getattr(getattr(self.connection, "_impl", None), "server_properties", None) or {}
        version = server.get("version", b"")
        return {"url": self.options.shown, "server": f"{_text(server.get('product'))} {_text(version)}".strip()}

    def declare_exchange(self, name: str) -> bool:
        """Create the exchange as the platform does (durable topic) if it is missing; True if created."""
        channel = self.connection.channel()
        try:
            channel.exchange_declare(name, passive=True)
            return False
        except pex.ChannelClosedByBroker:
            pass  # missing: create it
        channel = self.connection.channel()
        channel.exchange_declare(name, "topic", durable=True)
        with contextlib.suppress(Exception):
            channel.close()
        return True

    def exchange_type(self, name: str) -> str:
        """The exchange's type if it is a topic exchange; CheckFailed otherwise (or if it is missing)."""
        channel = self.connection.channel()
        try:
            channel.exchange_declare(name, passive=True)
        except pex.ChannelClosedByBroker as exc:
            if exc.reply_code == 404:
                raise exchange_missing(name, self.options) from None
            raise translate_close(exc, self.options, name) from None
        with contextlib.suppress(Exception):
            channel.close()
        # A declaration with the same type and flags is a no-op on an existing exchange, and the
        # broker refuses one that differs, naming the difference: that tells the type.
        for durable in (True, False):
            channel = self.connection.channel()
            try:
                channel.exchange_declare(name, "topic", durable=durable)
                with contextlib.suppress(Exception):
                    channel.close()
                return "topic"
            except pex.ChannelClosedByBroker as exc:
                text = str(exc.reply_text)
                if exc.reply_code == 406 and "'type'" in text:
                    current = re.search(r"current is '([^']+)'", text)
                    raise CheckFailed(
                        f"exchange {name!r} is a {current.group(1) if current else 'different'} exchange, not topic",
                        ExitStatus.NOT_FOUND,
                        hint="the platform publishes to a topic exchange with routing keys comms.<type>",
                    ) from None
                if exc.reply_code == 406 and "'durable'" in text:
                    continue
                return "topic (not confirmed: " + text + ")"
        return "topic"

    def probe_queue(self, exchange: str, routing_key: str) -> str:
        channel = self.connection.channel()
        queue = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
        channel.queue_bind(queue, exchange, routing_key=routing_key)
        self.queues.append(queue)
        return queue

    def publish(self, exchange: str, routing_key: str, body: bytes, properties: dict[str, Any]) -> None:
        """Publish with a confirm and mandatory; unroutable or nacked is a DeliveryFailed."""
        channel = self.connection.channel()
        channel.confirm_delivery()
        try:
            channel.basic_publish(exchange, routing_key, body, pika.BasicProperties(**properties), mandatory=True)
        except pex.UnroutableError:
            raise DeliveryFailed(f"the probe was unroutable: nothing is bound to {routing_key!r} on {exchange!r}",
                                 hint="the probe's own binding should have caught it: is the exchange a topic "
                                      "exchange?") from None  # fmt: skip
        except pex.NackError:
            raise DeliveryFailed("the broker refused (nacked) the probe") from None
        except CONNECTION_ERRORS as exc:
            raise translate_close(exc, self.options, exchange) from None

    def wait_for(self, queue: str, accept: Callable[[Any, bytes], bool], timeout: float) -> tuple[Any, bytes] | None:
        """The first message of ``queue`` that ``accept`` takes (properties, body), or None after ``timeout``."""
        channel = self.connection.channel()
        deadline = time.monotonic() + timeout
        try:
            for method, properties, body in channel.consume(queue, auto_ack=True, inactivity_timeout=0.05):
                if method is not None and accept(properties, body):
                    return properties, body
                if time.monotonic() >= deadline:
                    return None
        except CONNECTION_ERRORS as exc:
            raise translate_close(exc, self.options) from None
        finally:
            with contextlib.suppress(Exception):
                channel.cancel()
        return None

    def close(self) -> None:
        if self.connection is None:
            return
        with contextlib.suppress(Exception):
            channel = self.connection.channel()
            for queue in self.queues:
                channel.queue_delete(queue)
        with contextlib.suppress(Exception):
            self.connection.close()


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value or "")
