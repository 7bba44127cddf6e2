"""``ocelot info``: the broker's topology (exchanges, bindings, queues and their counts) and where the
catalog's routing keys go, from the management API or, when it cannot be used, AMQP alone."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ocelot_cli.commands import options
from ocelot_cli.commands.state import node_list, state_of
from ocelot_cli.config import settings as config


def info(
    ctx: typer.Context,
    exchange: Annotated[
        list[str] | None,
        typer.Option("--exchange", "-e", metavar="NAME", show_default=False,
                     help="Show only this exchange and what it feeds; repeatable."),
    ] = None,  # fmt: skip
    queue: Annotated[
        list[str] | None,
        typer.Option("--queue", metavar="NAME", show_default=False,
                     help="Show only this queue, under each exchange that feeds it; repeatable."),
    ] = None,  # fmt: skip
    name: Annotated[
        list[str] | None,
        typer.Option("--name", metavar="PATTERN", show_default=False,
                     help="Show only exchanges and queues whose name matches this glob (e.g. 'billing.*'); "
                     "repeatable."),
    ] = None,  # fmt: skip
    vhost: Annotated[
        str | None,
        typer.Option("--vhost", metavar="NAME", show_default=False,
                     help="The virtual host to show [default: the AMQP URL's]."),
    ] = None,  # fmt: skip
    all_vhosts: Annotated[bool, typer.Option("--all-vhosts", help="Show every vhost the user can see.")] = False,
    mgmt_url: Annotated[
        str | None,
        typer.Option("--mgmt-url", metavar="URL", show_default=False,
                     help="RabbitMQ management API [default: the AMQP URL's host, port 15672 (15671 for amqps), "
                     f"its user and password]; keep passwords out of the command line. [env: {config.ENV_MGMT_URL}]"),
    ] = None,  # fmt: skip
    fmt: options.Format = None,
    as_json: options.Json = False,
    amqp_url: options.AmqpUrl = None,
    ca_file: options.CaFile = None,
    connect_timeout: options.ConnectTimeout = None,
    catalog_dirs: options.CatalogDirs = None,
) -> None:
    """Show exchanges, bindings and queues with their counts, and where the catalog's routing keys go.

    Read from RabbitMQ's management HTTP API: a tree vhost -> exchange -> binding (pattern, key or
    headers) -> queue (messages ready and unacked, consumers, rates, type, policy) or exchange, then
    the catalog's platform routing keys matched against the bindings of the platform exchange
    (OCELOT_EXCHANGE, when shown), then the queues bound to nothing (the default exchange and unused
    amq.* exchanges are left out). --exchange, --queue and --name narrow the view; a queue is shown
    under every exchange that feeds it. When the management API cannot be used, a warning says why,
    and the exchanges and queues named (and the platform exchange) are declared passively over AMQP:
    exists or not, exchange type, ready messages and consumers. Nothing is created or changed.

    \b
    JSON (--json), with null for what the source does not tell:
      source (management|amqp), server, management_problem {message, hint, status}, vhosts,
      exchanges [{vhost, name, exists, type, durable, auto_delete, internal, policy, arguments,
        rates {publish_in, publish_out}, bindings [{routing_key, destination, destination_type,
        arguments}]}],
      queues [{vhost, name, exists, type, durable, auto_delete, exclusive, policy, operator_policy,
        arguments, state, messages_ready, messages_unacknowledged, messages, consumers,
        rates {publish, deliver_get}}],
      unbound_queues [{vhost, name}],
      routes [{vhost, exchange, exists, keys [{type, routing_key, queues, undecided, unroutable,
        alternate_exchange}], unmatched_bindings}],
      missing [{kind, name}]
      From AMQP alone, bindings, unbound_queues and routes are null.

    Exit status: 0 when the management API (or, without it, AMQP) answered; 7 when an --exchange,
    --queue or --vhost named does not exist; 5 (unreachable) or 6 (refused) when nothing answered.

    \b
    Examples:
      ocelot info
      ocelot info --exchange ocelot.events
      ocelot info --name 'billing.*' --json | jq '.queues[] | {name, messages_ready}'
      ocelot info --all-vhosts
      OCELOT_MGMT_URL=https://ops@rabbit.internal:15671/ ocelot info --queue billing.calls
    """
    from ocelot_cli.config.management import amqp_vhost
    from ocelot_cli.render.info import print_info
    from ocelot_cli.topology.survey import InfoRequest, survey
    from ocelot_cli.transports.base import Capability, TopologyQuery, transport_for

    state = state_of(ctx)
    report_format = options.chosen_format(fmt, as_json)
    selection = _selection(exchange, queue, name)
    if all_vhosts and vhost is not None:
        from ocelot_cli.errors import UsageProblem

        raise UsageProblem(f"--vhost {vhost} and --all-vhosts: choose one")
    amqp = state.endpoint("amqp_url", amqp_url, ca_file=ca_file, connect_timeout=connect_timeout)
    transport = transport_for(amqp, need=Capability.TOPOLOGY)
    management = state.management_endpoint(mgmt_url, node_list(amqp_url), amqp)
    platform = state.settings().get("exchange") or ""
    catalog = state.catalog(catalog_dirs)
    keys = tuple(sorted(((t.name, t.routing_key) for t in catalog if t.routing_key), key=lambda pair: pair[1]))
    query = TopologyQuery(management, None if all_vhosts else vhost or amqp_vhost(amqp.url),
                          exchanges=(*selection.exchanges, platform), queues=selection.queues)  # fmt: skip
    report = survey(transport, query, InfoRequest(selection, platform, keys))
    problem = report.topology.problem
    if problem is not None:
        state.output.warn(problem.message + (f"\n  hint: {problem.hint}" if problem.hint else ""))
        state.output.warn("showing what AMQP alone can tell (passive declares of the names given): no bindings, "
                          "rates or unacked counts")  # fmt: skip
    else:
        state.output.detail(f"read from the management API at {management.shown}")
    print_info(state.output, report, report_format)
    if report.view.missing:
        from ocelot_cli.errors import ExitStatus, OcelotError

        names = ", ".join(f"{kind} {name!r}" for kind, name in report.view.missing)
        where = "any vhost" if query.vhost is None else f"vhost {query.vhost!r}"
        raise OcelotError(f"not found in {where}: {names}", status=ExitStatus.NOT_FOUND,
                          hint="'ocelot info' without --exchange and --queue lists every one")  # fmt: skip


def _selection(exchanges: list[str] | None, queues: list[str] | None, names: list[str] | None) -> Any:
    """The filters, each name checked: empty names and patterns are mistakes, not 'everything'."""
    from ocelot_cli.errors import UsageProblem
    from ocelot_cli.topology.selection import Selection

    if "" in (exchanges or []):
        raise UsageProblem("--exchange '': the default exchange has no bindings to show (it delivers to the queue "
                           "named by the routing key)", hint="give --queue NAME to see a queue")  # fmt: skip
    for option, values in (("--queue", queues), ("--name", names)):
        for value in values or []:
            if not value.strip():
                raise UsageProblem(f"{option} '': give a name" + (" or a glob such as 'billing.*'" if option ==
                                                                  "--name" else ""))  # fmt: skip
    return Selection(tuple(dict.fromkeys(exchanges or [])), tuple(dict.fromkeys(queues or [])),
                     tuple(dict.fromkeys(names or [])))  # fmt: skip
