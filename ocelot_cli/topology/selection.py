"""What a view of the topology shows, from ``--exchange``, ``--queue`` and ``--name``.

Nothing selected: every exchange (but the default exchange, whose bindings to every queue are
implicit, and amq.* exchanges nothing is bound to or from), each with all its bindings, then the
queues bound to nothing. Selected exchanges (by name or glob) are shown with all their bindings,
and so is what they feed; a selected queue is shown under each exchange that feeds it (through
other exchanges too), with only the bindings that lead to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from ocelot_cli.topology.model import BindingInfo, Topology


@dataclass(frozen=True)
class Selection:
    """Exact exchange and queue names, and glob patterns for the names of either."""

    exchanges: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    @property
    def everything(self) -> bool:
        return not (self.exchanges or self.queues or self.names)

    def wants_exchange(self, name: str) -> bool:
        return name in self.exchanges or any(fnmatchcase(name, pattern) for pattern in self.names)

    def wants_queue(self, name: str) -> bool:
        return name in self.queues or any(fnmatchcase(name, pattern) for pattern in self.names)


@dataclass
class VhostView:
    """One vhost's part of a view: the exchanges at the top of the tree, the bindings shown for each
    exchange in the view (roots and those reached through them), and the queues bound to nothing."""

    vhost: str
    roots: list[str] = field(default_factory=list)
    bindings: dict[str, list[BindingInfo]] = field(default_factory=dict)
    unbound: list[str] = field(default_factory=list)

    def queues(self) -> list[str]:
        """Every queue the view shows, bound or not, once each."""
        bound = [b.destination for shown in self.bindings.values() for b in shown if b.destination_type == "queue"]
        return sorted(set(bound) | set(self.unbound))


@dataclass
class View:
    """Per vhost what to show; ``missing``: (kind, name) of exchanges and queues named but not found."""

    vhosts: list[VhostView] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)


def select(topology: Topology, selection: Selection) -> View:
    """The view of ``topology`` that ``selection`` asks for."""
    view = View(missing=_missing(topology, selection))
    if topology.bindings is None:  # AMQP alone: the names asked about, nothing to walk
        return view
    for vhost in topology.vhosts:
        view.vhosts.append(_VhostSelector(topology, vhost, selection).view())
    return view


def _missing(topology: Topology, selection: Selection) -> list[tuple[str, str]]:
    exchanges = {e.name for e in topology.exchanges if e.exists}
    queues = {q.name for q in topology.queues if q.exists}
    return [("exchange", n) for n in selection.exchanges if n not in exchanges] + [
        ("queue", n) for n in selection.queues if n not in queues
    ]


class _VhostSelector:
    def __init__(self, topology: Topology, vhost: str, selection: Selection) -> None:
        self.topology, self.vhost, self.selection = topology, vhost, selection
        self.full: dict[str, bool] = {}  # exchange in the view -> shown with all its bindings
        self._leads: dict[str, bool] = {}

    def visible(self, name: str) -> bool:
        if name == "":
            return False
        if not name.startswith("amq.") or self.selection.wants_exchange(name):
            return True
        return bool(self.topology.bindings_from(self.vhost, name) or
                    self.topology.bindings_to(self.vhost, "exchange", name))  # fmt: skip

    def leads_to_wanted_queue(self, exchange: str, walking: frozenset[str] = frozenset()) -> bool:
        """Whether a binding of ``exchange`` leads, directly or through other exchanges, to a selected queue."""
        if exchange in self._leads:
            return self._leads[exchange]
        if exchange in walking:
            return False  # a cycle: this path adds nothing
        answer = any(self.leads_through(b, walking | {exchange}) for b in self.topology.bindings_from(self.vhost,
                                                                                                      exchange))
        if not walking:  # only an answer from the top of a walk is complete (no part of it cut by a cycle)
            self._leads[exchange] = answer
        return answer

    def leads_through(self, binding: BindingInfo, walking: frozenset[str] = frozenset()) -> bool:
        if binding.destination_type == "queue":
            return self.selection.wants_queue(binding.destination)
        return self.leads_to_wanted_queue(binding.destination, walking)

    def visit(self, name: str, full: bool) -> None:
        full = full or self.selection.everything or self.selection.wants_exchange(name)
        if name in self.full and (self.full[name] or not full):
            return
        self.full[name] = full
        for binding in self.topology.bindings_from(self.vhost, name):
            if binding.destination_type == "exchange" and (full or self.leads_through(binding)):
                self.visit(binding.destination, full)

    def is_root(self, name: str) -> bool:
        """An exchange at the top of the tree: selected (or everything is), or on the way to a selected queue."""
        if not self.visible(name):
            return False
        return self.selection.everything or self.selection.wants_exchange(name) or self.leads_to_wanted_queue(name)

    def is_unbound(self, queue: str) -> bool:
        """A queue to list as bound to nothing (the default exchange's implicit binding does not count)."""
        if not (self.selection.everything or self.selection.wants_queue(queue)):
            return False
        return not any(b.source for b in self.topology.bindings_to(self.vhost, "queue", queue))

    def view(self) -> VhostView:
        names = sorted(e.name for e in self.topology.exchanges if e.vhost == self.vhost and e.exists)
        shown = VhostView(self.vhost, [name for name in names if self.is_root(name)])
        for name in shown.roots:
            self.visit(name, False)
        for name, full in self.full.items():
            bindings = self.topology.bindings_from(self.vhost, name)
            shown.bindings[name] = bindings if full else [b for b in bindings if self.leads_through(b)]
        queues = sorted(q.name for q in self.topology.queues if q.vhost == self.vhost and q.exists)
        shown.unbound = [queue for queue in queues if self.is_unbound(queue)]
        return shown
