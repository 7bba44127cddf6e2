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
from typing import Any

from ocelot_cli.errors import RunNotFound, Unroutable
from ocelot_cli.transports.base import Capability, Endpoint, transport_for

EXCHANGE = "ocelot.load.control"


def leader_key(run_id: str) -> str:
    return f"{run_id}.leader"


class Control:
    """One session on the control exchange (opened for each exchange of messages)."""

    def __init__(self, endpoint: Endpoint, run_id: str, *, lead: bool = False) -> None:
        self.endpoint = endpoint
        self.run_id = run_id
        self.queue: str | None = None
        self.session = transport_for(endpoint, need=Capability.LOAD).session("ocelot load control")
        self.session.connect()
        if lead:  # auto-delete: it goes when the leader's queue (its only binding) is deleted
            self.session.declare_exchange(EXCHANGE, durable=False, auto_delete=True)
        elif not self.session.exchange_exists(EXCHANGE):
            # a worker never creates it: an exchange that never had a binding would stay forever
            self.close()
            raise self._no_run()

    def _no_run(self) -> RunNotFound:
        return RunNotFound(
            f"no load run {self.run_id!r} is waiting for workers on {self.endpoint.shown}",
            hint="start it first with 'ocelot load --workers N ...' and use the run id it prints",
        )

    # -- queues -----------------------------------------------------------------------
    @property
    def leader_queue(self) -> str:
        return f"ocelot.load.control.{self.run_id}"

    def listen_as_leader(self, expires_s: float) -> None:
        """The run's leader queue (survives reconnects of the leader; expires if abandoned)."""
        self.queue = self.leader_queue
        self.session.declare_queue(self.queue, arguments={"x-expires": int(expires_s * 1000)}, bind_to=EXCHANGE,
                                   routing_keys=[leader_key(self.run_id)])  # fmt: skip

    def listen_as_worker(self) -> str:
        self.queue = self.session.exclusive_queue()
        return self.queue

    def delete_leader_queue(self) -> None:
        with contextlib.suppress(Exception):
            self.session.delete_queue(self.leader_queue)

    # -- messages ---------------------------------------------------------------------
    def send_to_leader(self, message: dict[str, Any]) -> None:
        try:
            self.session.publish(EXCHANGE, leader_key(self.run_id), json.dumps(message).encode())
        except Unroutable:
            raise self._no_run() from None

    def send_to(self, queue: str, message: dict[str, Any]) -> None:
        self.session.publish("", queue, json.dumps(message).encode())

    def receive(self, timeout: float) -> dict[str, Any] | None:
        """The next message for us, or None after ``timeout`` seconds."""
        assert self.queue is not None
        while True:
            body = self.session.get(self.queue, timeout)
            if body is None:
                return None
            try:
                value = json.loads(body)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value

    def close(self) -> None:
        self.session.close()
