"""A cluster's node list as a publisher walks it: which node to try, when to wait, what a failover cost.

Like the node lists of the official clients: the nodes are tried in the order given (shuffled
beforehand with ``--shuffle-nodes``); the first connection fails only when no node answered;
a lost node hands over to the next one at once, and only when every node has been tried since
the loss does the next attempt wait (the one backoff policy).
"""

from __future__ import annotations

import time
from typing import Any

from ocelot_cli.errors import BrokerTimeout, BrokerUnreachable, OcelotError
from ocelot_cli.transports.amqp.connection import connection_parameters, none_answered, translate_close
from ocelot_cli.transports.base import Endpoint
from ocelot_cli.transports.messages import PublishReport
from ocelot_cli.transports.retry import Backoff

RESTART_NOTICE = ("the broker refused messages right after the failover (a queue without its leader yet); "
                  "reconnecting to send them again")


class NodeRing:
    """The nodes of one endpoint, the one in use, and the failovers between them."""

    def __init__(self, endpoint: Endpoint, purpose: str, *, window: float = 60.0) -> None:
        self.window = window  # --reconnect-for: from a loss to the first ack on another node
        self.nodes = list(endpoint.nodes)
        self.params = [connection_parameters(node, purpose=purpose) for node in self.nodes]
        self.index = 0  # the node being tried or connected to
        self._untried = len(self.nodes) - 1  # other nodes to try at once before waiting
        self._open_errors: list[OcelotError] = []  # why each node failed the first connection
        self._lost_at: float | None = None
        self._lost_index: int | None = None
        self._reopened = False  # a connection opened since the loss (the nodes answer)

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

    def next_delay(self, backoff: Backoff, error: BaseException, *, paced: bool = False) -> float:
        """After a loss or a failed attempt: 0 to try the next node at once, else how long to wait
        first (``paced``: a reconnect asked for after refusals, never at once). Raises the
        OcelotError to end with once --reconnect-for is over."""
        if self.settle_left() <= 0:  # --reconnect-for since the loss is over
            raise self.not_settled() if paced or self._reopened else self.gave_up(error)
        if not paced and self.advance():
            return 0.0
        delay = backoff.next_delay()
        if backoff.expired:
            raise self.gave_up(error)
        return delay

    def waiting(self, delay: float) -> str:
        if len(self.nodes) == 1:
            return f"connection to {self.current.shown} lost; reconnecting in {delay:.2g}s"
        return f"no node of the cluster answered ({len(self.nodes)} tried); trying again in {delay:.2g}s"

    def gave_up(self, error: BaseException) -> OcelotError:
        """The error of a connection that could not be re-established within --reconnect-for."""
        last = translate_close(error, self.current)
        if len(self.nodes) == 1:
            return last
        tried = ", ".join(node.shown for node in self.nodes)
        return BrokerUnreachable(f"no node of the cluster answered within --reconnect-for {self.window:g}s "
                                 f"({tried}); the last: {last.message}",
                                 hint="check that the cluster is up (rabbitmqctl cluster_status)")  # fmt: skip

    def settle_left(self) -> float:
        """Seconds left of --reconnect-for since the loss (the whole window when nothing was lost)."""
        if self._lost_at is None:
            return self.window
        return self._lost_at + self.window - time.monotonic()

    def not_settled(self) -> OcelotError:
        """Connected again, but the broker confirmed nothing within --reconnect-for of the loss."""
        return BrokerTimeout(
            f"failed over to {self.current.shown}, but the broker confirmed no message (refused or unanswered) "
            f"within --reconnect-for "
            f"{self.window:g}s of losing {self.nodes[self._lost_index or 0].shown}",
            hint="a quorum queue needs a majority of its nodes up, and a full queue (reject-publish) refuses "
            "everything: check rabbitmqctl list_queues and cluster_status",
        )

    def first_connection_failed(self, error: OcelotError) -> OcelotError | None:
        """The current node refused the first connection: the error to end with once no node answered."""
        self._open_errors.append(error)
        return none_answered(self._open_errors) if len(self._open_errors) == len(self.nodes) else None

    def lost(self) -> None:
        """The open connection to the current node was lost (a loss during a failover continues it)."""
        if self._lost_at is None:
            self._lost_at, self._lost_index, self._reopened = time.monotonic(), self.index, False

    def opened(self, report: PublishReport, *, again: bool, resend: int) -> str | None:
        """A connection opened on the current node. During a failover, recorded in the report (from, to,
        the time so far; ``again``: the same failover moved on) and said; None otherwise."""
        self._untried = len(self.nodes) - 1
        report.node = self.current.shown
        if self._lost_at is None:
            return None
        self._reopened = True
        lost = self.nodes[self._lost_index if self._lost_index is not None else self.index].shown
        failover = {"from": lost, "to": self.current.shown, "window_s": round(time.monotonic() - self._lost_at, 3),
                    "settled": False}  # until the first ack on the new node
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
            report.failovers[-1].update(window_s=round(time.monotonic() - self._lost_at, 3), settled=True)
        self._lost_at = None
