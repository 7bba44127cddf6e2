"""``ocelot info``'s use case: read the topology through the transport, select what to show, and
check the catalog's platform routing keys on the platform exchange where the view shows it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ocelot_cli.topology.model import MANAGEMENT, ExchangeInfo, QueueInfo, Topology
from ocelot_cli.topology.routing import CatalogCheck, check_catalog
from ocelot_cli.topology.selection import Selection, View, select


@dataclass(frozen=True)
class InfoRequest:
    """What to show, the platform exchange (the ``exchange`` setting) and the catalog's (type, routing key)s."""

    selection: Selection = Selection()
    platform_exchange: str = "ocelot.events"
    catalog_keys: tuple[tuple[str, str], ...] = ()


@dataclass
class InfoReport:
    """The topology read, the view of it asked for, and the catalog checks of the platform exchange."""

    topology: Topology
    view: View
    checks: list[CatalogCheck] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Read from the management API (else AMQP alone: no bindings, no rates)."""
        return self.topology.source == MANAGEMENT

    def exchange(self, vhost: str, name: str) -> ExchangeInfo:
        """The exchange's info; a stand-in marked as not existing when it has gone meanwhile."""
        return self.topology.exchange(vhost, name) or ExchangeInfo(vhost, name, exists=False)

    def queue(self, vhost: str, name: str) -> QueueInfo:
        """The queue's info; a stand-in marked as not existing when it has gone meanwhile."""
        return self.topology.queue(vhost, name) or QueueInfo(vhost, name, exists=False)

    def as_data(self) -> dict[str, Any]:
        """Everything as plain data for --json: the keys ``ocelot info --help`` documents."""
        topology = self.topology
        data: dict[str, Any] = {
            "source": topology.source,
            "server": topology.server,
            "management_problem": topology.problem.as_data() if topology.problem else None,
            "vhosts": topology.vhosts,
            "missing": [{"kind": kind, "name": name} for kind, name in self.view.missing],
        }
        if not self.complete:
            data["exchanges"] = [{**e.as_data(), "bindings": None} for e in topology.exchanges]
            data["queues"] = [q.as_data() for q in topology.queues]
            data.update(unbound_queues=None, routes=None)
            return data
        data["exchanges"] = [
            {**self.exchange(part.vhost, name).as_data(), "bindings": [b.as_data() for b in bindings]}
            for part in self.view.vhosts
            for name, bindings in sorted(part.bindings.items())
        ]
        data["queues"] = [self.queue(part.vhost, name).as_data() for part in self.view.vhosts for name in part.queues()]
        data["unbound_queues"] = [{"vhost": part.vhost, "name": name} for part in self.view.vhosts
                                  for name in part.unbound]  # fmt: skip
        data["routes"] = [check.as_data() for check in self.checks]
        return data


def survey(transport: Any, query: Any, request: InfoRequest) -> InfoReport:
    """Read the topology (``transport.topology(query)``: the management API, else AMQP passive declares),
    select the view, and route the catalog's keys from the platform exchange wherever the view shows it."""
    topology: Topology = transport.topology(query)
    view = select(topology, request.selection)
    report = InfoReport(topology, view)
    if not report.complete:
        return report
    everything = request.selection.everything
    for part in view.vhosts:
        name = request.platform_exchange
        shown = name in part.bindings
        absent_and_asked = everything and len(view.vhosts) == 1 and topology.exchange(part.vhost, name) is None
        if shown or absent_and_asked:
            report.checks.append(check_catalog(topology, part.vhost, name, list(request.catalog_keys)))
    return report
