"""A blocking RabbitMQ session for short conversations: smoke and doctor checks, a load run's queues,
and the control messages of a multi-machine load run.

Everything it declares is either asked for (``--declare``), server-named and exclusive (the
broker removes it with the connection), or removed by the caller (a load run's queues, which
also expire on their own). ``close`` deletes the probe queues it made first anyway.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

import pika
import pika.exceptions as pex

from ocelot_cli.errors import DeliveryFailed, OcelotError, Unroutable
from ocelot_cli.transports.amqp.connection import (
    CONNECTION_ERRORS,
    check_names,
    close_quietly,
    exchange_missing,
    existing_type,
    none_answered,
    not_topic,
    open_any,
    open_blocking,
    translate_close,
)
from ocelot_cli.transports.base import Endpoint


class AmqpSession:
    """One blocking connection; every method raises OcelotError (translated), never a pika error."""

    def __init__(self, endpoint: Endpoint, purpose: str) -> None:
        self.endpoint = endpoint
        self.purpose = purpose
        self.connection: Any = None
        self.node: Endpoint = endpoint  # the node connected to (of a cluster's list)
        self.queues: list[str] = []  # probe queues to delete at the end
        self._confirmed: Any = None

    def connect(self) -> dict[str, str]:
        """Open the connection (to the first node that answers); ``url`` of that node, ``server``
        (product and version) and ``cluster`` (the cluster's name) as the broker gave them."""
        self.connection, self.node = open_any(self.endpoint, self.purpose)
        return {"url": self.node.shown, **_server_of(self.connection)}

    def connect_every_node(self) -> tuple[dict[str, str], list[dict[str, Any]]]:
        """Connect to each node of the list in turn (a cluster's check) and keep the first that answers
        as this session's connection: ``connect``'s answer, and for each node ``url``, ``answered``,
        then ``server`` and ``cluster``, or ``error``. When no node answers, the error of ``connect``."""
        found: list[dict[str, Any]] = []
        errors: list[OcelotError] = []
        for node in self.endpoint.nodes:
            try:
                connection = open_blocking(node, self.purpose)
            except OcelotError as exc:
                errors.append(exc)
                found.append({"url": node.shown, "answered": False, "error": exc.message,
                              "status": int(exc.exit_status)})  # fmt: skip
                continue
            found.append({"url": node.shown, "answered": True, **_server_of(connection)})
            if self.connection is None:
                self.connection, self.node = connection, node
            else:
                close_quietly(connection)
        if self.connection is None:
            raise none_answered(errors)
        return {"url": self.node.shown, **_server_of(self.connection)}, found

    def _channel(self) -> Any:
        if self.connection is None:
            self.connect()
        try:
            return self.connection.channel()
        except CONNECTION_ERRORS as exc:
            raise translate_close(exc, self.node) from None

    # -- exchanges --------------------------------------------------------------------
    def exchange_exists(self, name: str) -> bool:
        check_names(exchange=name)
        channel = self._channel()
        try:
            channel.exchange_declare(name, passive=True)
        except pex.ChannelClosedByBroker as exc:
            if exc.reply_code == 404:
                return False
            raise translate_close(exc, self.node, name) from None
        _close_channel(channel)
        return True

    def declare_exchange(self, name: str, *, kind: str = "topic", durable: bool = True,
                         auto_delete: bool = False) -> bool:  # fmt: skip
        """Create the exchange if it is missing (as the platform does: a durable topic); True if created."""
        if self.exchange_exists(name):
            return False
        channel = self._channel()
        try:
            channel.exchange_declare(name, kind, durable=durable, auto_delete=auto_delete)
        except pex.ChannelClosedByBroker as exc:
            raise translate_close(exc, self.node, name) from None
        _close_channel(channel)
        return True

    def require_exchange(self, name: str, *, tailing: bool = False) -> None:
        """ExchangeNotFound (exit 7), saying how to create it, when the exchange does not exist."""
        if not self.exchange_exists(name):
            raise exchange_missing(name, self.node, tailing=tailing)

    def exchange_type(self, name: str) -> str:
        """``topic`` for a topic exchange; ExchangeNotFound when it is missing or of another type."""
        self.require_exchange(name)
        kind = exchange_kind(self._channel, name)
        if kind is not None and kind != "topic":
            raise not_topic(name, kind)
        return kind or "topic (not confirmed: no permission to declare it)"

    # -- queues -----------------------------------------------------------------------
    def probe_queue(self, exchange: str, routing_key: str) -> str:
        """A server-named, exclusive queue bound to ``routing_key`` (deleted by ``close``)."""
        check_names(exchange=exchange, pattern=routing_key)
        channel = self._channel()
        queue = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
        channel.queue_bind(queue, exchange, routing_key=routing_key)
        self.queues.append(queue)
        return queue

    def declare_queue(self, name: str, *, durable: bool = False, arguments: dict[str, Any] | None = None,
                      bind_to: str | None = None, routing_keys: list[str] | tuple[str, ...] = ()) -> None:  # fmt: skip
        """A named queue the caller will delete (``delete_queue``), bound to ``routing_keys`` of ``bind_to``."""
        channel = self._channel()
        try:
            channel.queue_declare(name, durable=durable, arguments=arguments or {})
            for key in dict.fromkeys(routing_keys):
                channel.queue_bind(name, bind_to, routing_key=key)
        except pex.ChannelClosedByBroker as exc:
            raise translate_close(exc, self.node, bind_to) from None

    def exclusive_queue(self) -> str:
        """A server-named queue that goes with this connection."""
        return self._channel().queue_declare("", exclusive=True, auto_delete=True).method.queue

    def delete_queue(self, name: str) -> int:
        """Delete a queue; how many messages were still in it."""
        return int(getattr(self._channel().queue_delete(name).method, "message_count", 0))

    # -- messages ---------------------------------------------------------------------
    def publish(self, exchange: str, routing_key: str, body: bytes, properties: dict[str, Any] | None = None) -> None:
        """Publish with a confirm and mandatory; Unroutable or DeliveryFailed when it did not arrive."""
        if self._confirmed is None or not self._confirmed.is_open:
            self._confirmed = self._channel()
            self._confirmed.confirm_delivery()
        try:
            self._confirmed.basic_publish(exchange, routing_key, body, pika.BasicProperties(**(properties or {})),
                                          mandatory=True)  # fmt: skip
        except pex.UnroutableError:
            raise Unroutable(f"the message was unroutable: nothing is bound to {routing_key!r} on {exchange!r}",
                             hint="bind a queue for that routing key") from None  # fmt: skip
        except pex.NackError:
            raise DeliveryFailed("the broker refused (nacked) the message") from None
        except pex.ChannelClosedByBroker as exc:
            self._confirmed = None
            raise translate_close(exc, self.node, exchange) from None
        except CONNECTION_ERRORS as exc:
            raise translate_close(exc, self.node, exchange) from None

    def get(self, queue: str, timeout: float) -> bytes | None:
        """The body of the next message of ``queue`` (acknowledged), or None after ``timeout`` seconds."""
        channel = self._channel()
        deadline = time.monotonic() + timeout
        try:
            while True:
                method, _properties, body = channel.basic_get(queue, auto_ack=True)
                if method is not None:
                    return body
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.connection.process_data_events(time_limit=min(0.1, remaining))
        except CONNECTION_ERRORS as exc:
            raise translate_close(exc, self.node) from None
        finally:
            _close_channel(channel)

    def wait_for(self, queue: str, accept: Callable[[str | None, bytes], bool],
                 timeout: float) -> bytes | None:  # fmt: skip
        """The body of the first message of ``queue`` that ``accept(message_id, body)`` takes, or None."""
        channel = self._channel()
        deadline = time.monotonic() + timeout
        try:
            for method, properties, body in channel.consume(queue, auto_ack=True, inactivity_timeout=0.05):
                if method is not None and accept(properties.message_id, body):
                    return body
                if time.monotonic() >= deadline:
                    return None
        except CONNECTION_ERRORS as exc:
            raise translate_close(exc, self.node) from None
        finally:
            with contextlib.suppress(Exception):
                channel.cancel()
        return None

    def close(self) -> None:
        """Delete the probe queues, then close."""
        if self.connection is None:
            return
        with contextlib.suppress(Exception):
            channel = self.connection.channel()
            for queue in self.queues:
                channel.queue_delete(queue)
        close_quietly(self.connection)
        self.connection = None

    def __enter__(self) -> AmqpSession:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def exchange_kind(new_channel: Callable[[], Any], name: str) -> str | None:
    """The type of an existing exchange (``topic``, ``fanout``, ...), or None when the broker does
    not say. AMQP has no query for it; a declaration with the same type and flags is a no-op on an
    existing exchange, and the broker refuses one that differs, naming the difference."""
    for durable in (True, False):
        channel = new_channel()
        try:
            channel.exchange_declare(name, "topic", durable=durable)
            _close_channel(channel)
            return "topic"
        except pex.ChannelClosedByBroker as exc:
            other = existing_type(exc)
            if other:
                return other
            if exc.reply_code == 406 and "'durable'" in str(exc.reply_text):
                continue
            return None  # no configure permission, a reserved amq.* name: not known
    return None


def probe_topic(connection: Any, name: str, on_topic: Callable[[], None], on_other: Callable[[Any], None]) -> None:
    """The same question as exchange_kind, asked on an asynchronous connection before publishing:
    ``on_other(ExchangeNotFound)`` when the existing exchange is surely not a topic exchange, else
    ``on_topic()`` (a topic exchange, or the broker would not say: no permission, a reserved name)."""
    answered = False

    def on_open(channel: Any) -> None:
        channel.add_on_close_callback(on_close)
        channel.exchange_declare(name, "topic", durable=True, callback=lambda _frame: answer(channel))

    def answer(channel: Any) -> None:
        nonlocal answered
        answered = True
        channel.close()
        on_topic()

    def on_close(_channel: Any, reason: BaseException) -> None:
        nonlocal answered
        if answered or not isinstance(reason, pex.ChannelClosedByBroker):
            return  # the connection is going: its own callbacks decide
        answered = True
        other = existing_type(reason)
        if other:
            on_other(not_topic(name, other))
        else:
            on_topic()

    connection.channel(on_open_callback=on_open)


def _server_of(connection: Any) -> dict[str, str]:
    server = getattr(getattr(connection, "_impl", None), "server_properties", None) or {}
    product = f"{_text(server.get('product'))} {_text(server.get('version', b''))}".strip()
    return {"server": product, "cluster": _text(server.get("cluster_name", b""))}


def _close_channel(channel: Any) -> None:
    with contextlib.suppress(Exception):
        channel.close()


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value or "")
