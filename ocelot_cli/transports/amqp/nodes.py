"""A cluster's node list as a publisher walks it: which node to try, when to wait, what a failover cost.

Like the node lists of the official clients: the nodes are tried in the order given (shuffled
beforehand with ``--shuffle-nodes``); the first connection fails only when no node answered;
a lost node hands over to the next one at once, and only when every node has been tried since
the loss does the next attempt wait (the one backoff policy).
"""

from __future__ import annotations

import time
from typing import Any

from ocelot_cli.errors import OcelotError
from ocelot_cli.transports.amqp.connection import connection_parameters, none_answered
from ocelot_cli.transports.base import Endpoint
from ocelot_cli.transports.messages import PublishReport


class NodeRing:
    """The nodes of one endpoint, the one in use, and the failovers between them."""

    def __init__(self, endpoint: Endpoint, purpose: str) -> None:
        self.nodes = list(endpoint.nodes)
        self.params = [connection_parameters(node, purpose=purpose) for node in self.nodes]
        self.index = 0  # the node being tried or connected to
        self._untried = len(self.nodes) - 1  # other nodes to try at once before waiting
        self._open_errors: list[OcelotError] = []  # why each node failed the first connection
        self._lost_at: float | None = None
        self._lost_index: int | None = None

    @property
    def current(self) -> Endpoint:
        return self.nodes[self.index]

    @property
    def current_params(self) -> Any:
        return self.params[self.index]

    def advance(self) -> bool:
        """Move to the next node; True when it is to be tried at once (not yet tried since the
        loss), False when every node was tried and the next attempt should wait."""
        if len(self.nodes) == 1:
            return False
        self.index = (self.index + 1) % len(self.nodes)
        if self._untried > 0:
            self._untried -= 1
            return True
        self._untried = len(self.nodes) - 1
        return False

    def first_connection_failed(self, error: OcelotError) -> OcelotError | None:
        """The current node refused the first connection: the error to end with once no node answered."""
        self._open_errors.append(error)
        return none_answered(self._open_errors) if len(self._open_errors) == len(self.nodes) else None

    def lost(self) -> None:
        """The open connection to the current node was lost (a loss during a failover continues it)."""
        if self._lost_at is None:
            self._lost_at, self._lost_index = time.monotonic(), self.index

    def opened(self, report: PublishReport, *, again: bool, resend: int) -> str | None:
        """A connection opened on the current node. During a failover, recorded in the report (from, to,
        the time so far; ``again``: the same failover moved on) and said; None otherwise."""
        self._untried = len(self.nodes) - 1
        report.node = self.current.shown
        if self._lost_at is None:
            return None
        lost = self.nodes[self._lost_index if self._lost_index is not None else self.index].shown
        failover = {"from": lost, "to": self.current.shown, "window_s": round(time.monotonic() - self._lost_at, 3)}
        report.reconnects += 1
        if again and report.failovers:
            report.failovers[-1].update(failover)
        else:
            report.failovers.append(failover)
        verb = f"failed over from {lost} to {failover['to']}" if lost != failover["to"] else f"reconnected to {lost}"
        return f"{verb} after {failover['window_s']:.2f}s; sending again {resend} unconfirmed"

    def settled(self, report: PublishReport) -> None:
        """The broker accepted a message again: the failover is over, its window is from the loss to now.

        Right after a failover, a quorum queue whose leader was on the lost node refuses messages
        (nack) until it has a new leader, and a channel opened before that keeps refusing: the
        publisher reconnects and sends them again until the first ack, not counting them as refused.
        """
        if self._lost_at is not None and report.failovers:
            report.failovers[-1]["window_s"] = round(time.monotonic() - self._lost_at, 3)
        self._lost_at = None
