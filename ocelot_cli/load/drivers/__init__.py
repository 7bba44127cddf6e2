"""The transport side of a load run: one driver per mode, with the same four hooks.

``prepare`` (before any worker starts: check the target, declare the run's queues), ``cleanup``
(after the run: remove them; how many messages were left), ``run_publisher`` and
``run_consumer`` (each in its own worker process). Drivers reach the bus through the
transports' interface only.

    amqp.py  publish to the exchange, consume the run's own queues (RabbitMQ)
    ws.py    publish to Redis channels, receive through the real-time gateway (--ws-url)
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from ocelot_cli.load.plan import LoadPlan
from ocelot_cli.load.pool import MessagePool
from ocelot_cli.transports.base import Endpoint


@dataclass
class WorkerSpec:
    """What every process of a run needs besides its index: the plan, where to connect, the messages.

    ``pool`` is built by the coordinator before the workers are forked, which take it as it is.
    """

    plan: LoadPlan
    broker: Endpoint  # RabbitMQ: the exchange, the run's queues (and the control exchange)
    declare: bool = False  # create the exchange if it is missing
    gateways: list[Endpoint] = field(default_factory=list)  # --ws-url: the gateways (each with the token)
    redis: Endpoint | None = None  # --ws-url: where the events are published
    pool: MessagePool | None = None

    @property
    def mode(self) -> str:
        return "ws" if self.plan.ws else "amqp"


def driver_for(spec: WorkerSpec) -> Any:
    """The driver module of the run's mode."""
    return importlib.import_module(f"ocelot_cli.load.drivers.{spec.mode}")
