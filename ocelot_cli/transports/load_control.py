"""The control exchange of a multi-machine load run, on the same RabbitMQ.

``ocelot.load.control`` (topic, auto-delete) carries small JSON messages: a worker's ``join``
to ``<run>.leader``; the leader's ``start`` (plan, worker index, wall-clock start time) to the
worker's own queue; the worker's ``report`` (with its encoded histograms) back to the
leader. The leader's queue is named after the run and expires on its own if a run is
abandoned; a worker's queue is exclusive. Nothing is left behind after a run.
"""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

import pika
import pika.exceptions as pex

from ocelot_cli.errors import RunNotFound
from ocelot_cli.transports.amqp import (
    CONNECTION_ERRORS,
    AmqpOptions,
    connection_parameters,
    translate_close,
    translate_connect_error,
)

EXCHANGE = "ocelot.load.control"


def leader_key(run_id: str) -> str:
    return f"{run_id}.leader"


class Control:
    """One connection to the control exchange (opened for each exchange of messages)."""

    def __init__(self, options: AmqpOptions, run_id: str, *, lead: bool = False) -> None:
        self.options = options
        self.run_id = run_id
        self.queue: str | None = None
        try:
            self.connection = pika.BlockingConnection(connection_parameters(options, purpose="ocelot load control"))
        except CONNECTION_ERRORS as exc:
            raise translate_connect_error(exc, options) from None
        self.channel = self.connection.channel()
        if lead:  # auto-delete: it goes when the leader's queue (its only binding) is deleted
            self.channel.exchange_declare(EXCHANGE, "topic", auto_delete=True)
        else:  # a worker never creates it: an exchange that never had a binding would stay forever
            try:
                self.channel.exchange_declare(EXCHANGE, passive=True)
            except pex.ChannelClosedByBroker:
                self.close()
                raise self._no_run() from None
        self.channel.confirm_delivery()

    def _no_run(self) -> RunNotFound:
        return RunNotFound(
            f"no load run {self.run_id!r} is waiting for workers on {self.options.shown}",
            hint="start it first with 'ocelot load --workers N ...' and use the run id it prints",
        )

    # -- queues -----------------------------------------------------------------------
    @property
    def leader_queue(self) -> str:
        return f"ocelot.load.control.{self.run_id}"

    def listen_as_leader(self, expires_s: float) -> None:
        """The run's leader queue (survives reconnects of the leader; expires if abandoned)."""
        self.queue = self.leader_queue
        self.channel.queue_declare(self.queue, arguments={"x-expires": int(expires_s * 1000)})
        self.channel.queue_bind(self.queue, EXCHANGE, routing_key=leader_key(self.run_id))

    def listen_as_worker(self) -> str:
        frame = self.channel.queue_declare("", exclusive=True, auto_delete=True)
        self.queue = frame.method.queue
        return self.queue

    def delete_leader_queue(self) -> None:
        with contextlib.suppress(Exception):
            self.channel.queue_delete(self.leader_queue)

    # -- messages ---------------------------------------------------------------------
    def send_to_leader(self, message: dict[str, Any]) -> None:
        try:
            self.channel.basic_publish(EXCHANGE, leader_key(self.run_id), json.dumps(message).encode(), mandatory=True)
        except pex.UnroutableError:
            raise self._no_run() from None
        except CONNECTION_ERRORS as exc:
            raise translate_close(exc, self.options) from None

    def send_to(self, queue: str, message: dict[str, Any]) -> None:
        self.channel.basic_publish("", queue, json.dumps(message).encode(), mandatory=True)

    def receive(self, timeout: float) -> dict[str, Any] | None:
        """The next message for us, or None after ``timeout`` seconds."""
        assert self.queue is not None
        deadline = time.monotonic() + timeout
        while True:
            method, _props, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is not None:
                try:
                    value = json.loads(body)
                except ValueError:
                    continue
                if isinstance(value, dict):
                    return value
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.connection.process_data_events(time_limit=min(0.1, remaining))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.connection.close()
