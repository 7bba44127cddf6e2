"""``ocelot info``'s views: a tree (rich on a terminal, indented plain text when piped) or JSON.

vhost -> exchange -> binding (routing key, pattern or headers) -> queue or exchange (and on), then
the catalog's routing keys on the platform exchange, then the queues bound to nothing. Every name
comes from the broker and is escaped before it is printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ocelot_cli.render.output import Output
from ocelot_cli.render.safe_text import escape_control
from ocelot_cli.topology.model import BindingInfo, ExchangeInfo, QueueInfo
from ocelot_cli.topology.routing import CatalogCheck, KeyRoute
from ocelot_cli.topology.selection import VhostView
from ocelot_cli.topology.survey import InfoReport


@dataclass
class Node:
    """One line of the tree and the lines under it."""

    label: str
    style: str = ""
    children: list[Node] = field(default_factory=list)

    def add(self, label: str, style: str = "") -> Node:
        child = Node(label, style)
        self.children.append(child)
        return child


def print_info(output: Output, report: InfoReport, fmt: str) -> None:
    """The report as JSON, or as a tree: rich on a terminal, indented text when piped."""
    if fmt == "json":
        output.json(report.as_data())
        return
    roots = tree_of(report)
    if output.stdout_is_tty:
        from rich.text import Text
        from rich.tree import Tree

        def build(node: Node, tree: Any) -> None:
            for child in node.children:
                build(child, tree.add(Text(escape_control(child.label, one_line=True), style=child.style)))

        for root in roots:
            tree = Tree(Text(escape_control(root.label, one_line=True), style=root.style or "bold"))
            build(root, tree)
            output.console().print(tree)
        return
    for root in roots:
        _print_plain(output, root, 0)


def _print_plain(output: Output, node: Node, depth: int) -> None:
    output.data("  " * depth + escape_control(node.label, one_line=True))
    for child in node.children:
        _print_plain(output, child, depth + 1)


def tree_of(report: InfoReport) -> list[Node]:
    """The report as a tree: one root per vhost."""
    if not report.complete:
        return [_passive_tree(report)]
    roots = []
    for part in report.view.vhosts:
        root = Node(f"vhost {part.vhost}", "bold")
        for name in part.roots:
            _exchange_node(root, report, part, name, frozenset())
        for check in report.checks:
            if check.vhost == part.vhost:
                _catalog_node(root, check)
        if part.unbound:
            unbound = root.add("queues bound to nothing", "bold")
            for name in part.unbound:
                unbound.add(queue_label(report.queue(part.vhost, name)), "cyan")
        if not root.children:
            root.add("no exchange or queue to show")
        roots.append(root)
    return roots


def _exchange_node(parent: Node, report: InfoReport, part: VhostView, name: str, path: frozenset[str]) -> None:
    exchange = report.exchange(part.vhost, name)
    node = parent.add(exchange_label(exchange), "bold")
    if name in path:
        node.label += " (bound in a cycle: shown above)"
        return
    groups: dict[tuple[str, str], list[BindingInfo]] = {}
    for binding in part.bindings.get(name, []):
        groups.setdefault((binding.routing_key, repr(sorted(binding.arguments.items()))), []).append(binding)
    for bindings in groups.values():
        under = node.add(binding_label(exchange.type, bindings[0]), "yellow")
        for binding in bindings:
            if binding.destination_type == "exchange":
                _exchange_node(under, report, part, binding.destination, path | {name})
            else:
                under.add(queue_label(report.queue(part.vhost, binding.destination)), "cyan")


def _rates(rates: dict[str, float], names: dict[str, str]) -> list[str]:
    # An idle rate (0.0/s) is left out of the tree, where it would be on every line; --json has it.
    return [f"{shown} {rates[key]:.1f}/s" for key, shown in names.items() if rates.get(key)]


def exchange_label(exchange: ExchangeInfo) -> str:
    """``exchange NAME (topic, durable): in 1.0/s, out 2.0/s, policy P, alternate exchange AE``."""
    if not exchange.exists:
        return f"exchange {exchange.name} (gone)"
    traits = [exchange.type or "type unknown"]
    traits += [flag for flag, on in (("durable", exchange.durable), ("auto-delete", exchange.auto_delete),
                                     ("internal", exchange.internal)) if on]  # fmt: skip
    facts = _rates(exchange.rates, {"publish_in": "in", "publish_out": "out"})
    if exchange.policy:
        facts.append(f"policy {exchange.policy}")
    if exchange.alternate_exchange:
        facts.append(f"alternate exchange {exchange.alternate_exchange}")
    return f"exchange {exchange.name} ({', '.join(traits)})" + (f": {', '.join(facts)}" if facts else "")


def binding_label(exchange_type: str | None, binding: BindingInfo) -> str:
    """How the binding chooses: a topic pattern, a direct key, any key (fanout), headers."""
    arguments = ", ".join(f"{k}={v}" for k, v in sorted(binding.arguments.items()))
    if exchange_type == "headers":
        return f"headers {arguments or '(none)'}"
    if exchange_type == "fanout":
        label = "any routing key" + (f" (bound with {binding.routing_key!r})" if binding.routing_key else "")
    elif exchange_type == "topic":
        label = f"pattern {binding.routing_key}" if binding.routing_key else "pattern '' (empty keys only)"
    else:
        label = f"routing key {binding.routing_key!r}"
    return label + (f" [{arguments}]" if arguments else "")


def _plural(count: int, one: str) -> str:
    return f"{count} {one}" if count == 1 else f"{count} {one}s"


def queue_label(queue: QueueInfo) -> str:
    """``queue NAME (quorum, durable): 3 ready, 0 unacked, 1 consumer, in 2.0/s, out 2.0/s, policy P``."""
    if not queue.exists:
        return f"queue {queue.name} (gone)"
    traits = [queue.type or "type unknown"]
    traits += [flag for flag, on in (("durable", queue.durable), ("exclusive", queue.exclusive),
                                     ("auto-delete", queue.auto_delete)) if on]  # fmt: skip
    if queue.state not in (None, "running", "live"):
        traits.append(queue.state)
    facts = []
    if queue.messages_ready is not None:
        facts.append(f"{queue.messages_ready} ready")
    if queue.messages_unacknowledged is not None:
        facts.append(f"{queue.messages_unacknowledged} unacked")
    if queue.consumers is not None:
        facts.append(_plural(queue.consumers, "consumer"))
    facts += _rates(queue.rates, {"publish": "in", "deliver_get": "out"})
    facts += [f"{what} {name}" for what, name in (("policy", queue.policy),
                                                  ("operator policy", queue.operator_policy)) if name]  # fmt: skip
    return f"queue {queue.name} ({', '.join(traits)})" + (f": {', '.join(facts)}" if facts else "")


def route_line(key: KeyRoute) -> str:
    """``comms.call.ended (call.ended): bound to 2 queues (q1, q2)``, or why it reaches none."""
    route = key.route
    head = f"{route.routing_key} ({key.event_type})"
    through = f" through the alternate exchange {route.alternate}" if route.alternate else ""
    if route.queues:
        sure = f"bound to {_plural(len(route.queues), 'queue')}{through} ({', '.join(route.queues)})"
        return head + ": " + sure + (f"; maybe more through {', '.join(route.undecided)}" if route.undecided else "")
    if route.undecided:
        return f"{head}: depends on the message headers at {', '.join(route.undecided)}"
    if route.alternate and not route.alternate_exists:
        return (f"{head}: no queue bound, messages to it are unroutable (its alternate exchange {route.alternate} "
                "does not exist)")
    if route.alternate:
        return f"{head}: no queue bound, messages to it are unroutable (the alternate exchange {route.alternate} " \
               "routes them nowhere either)"
    return f"{head}: no queue bound, messages to it are unroutable"


def _catalog_node(parent: Node, check: CatalogCheck) -> None:
    if not check.exists:
        parent.add(f"catalog routing keys: the platform exchange {check.exchange} does not exist in vhost "
                   f"{check.vhost}: publishing platform events there fails", "red")  # fmt: skip
        return
    node = parent.add(f"catalog routing keys on {check.exchange}", "bold")
    for key in check.keys:
        node.add(route_line(key), "red" if key.route.unroutable else "green")
    if check.unmatched_bindings:
        node.add(f"bound, but no catalog routing key matches: {', '.join(check.unmatched_bindings)}", "yellow")


def _passive_tree(report: InfoReport) -> Node:
    topology = report.topology
    root = Node(f"vhost {topology.vhosts[0]} (AMQP alone: existence, exchange types, queue depths)", "bold")
    for exchange in topology.exchanges:
        if exchange.exists:
            root.add(f"exchange {exchange.name}: exists ({exchange.type or 'type not known'})", "bold")
        else:
            root.add(f"exchange {exchange.name}: does not exist", "red")
    for queue in topology.queues:
        if not queue.exists:
            root.add(f"queue {queue.name}: does not exist", "red")
        elif queue.messages_ready is None:
            root.add(f"queue {queue.name}: exists (another connection's exclusive queue: no counts)", "cyan")
        else:
            root.add(f"queue {queue.name}: exists: {queue.messages_ready} ready, "
                     f"{_plural(queue.consumers or 0, 'consumer')}", "cyan")  # fmt: skip
    if not root.children:
        root.add("nothing was named to check (name exchanges with --exchange, queues with --queue)")
    return root
