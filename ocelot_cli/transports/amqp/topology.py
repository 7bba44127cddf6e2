"""``ocelot info``'s reading of a RabbitMQ broker: the management API, else what AMQP alone can tell.

AMQP 0-9-1 cannot list anything. When the management API cannot be used (not enabled, unreachable,
credentials refused), each exchange and queue asked about is declared passively: it exists or not,
a queue's ready messages and consumers come back with the answer, and an exchange's type is learnt
the way doctor learns it (see ``session.exchange_kind``). Nothing is created or changed.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any
from urllib.parse import quote

import pika.exceptions as pex

from ocelot_cli.config.management import amqp_vhost
from ocelot_cli.config.redact import split_nodes
from ocelot_cli.errors import OcelotError
from ocelot_cli.topology.model import AMQP, ExchangeInfo, Problem, QueueInfo, Topology
from ocelot_cli.transports.amqp.connection import CONNECTION_ERRORS, translate_close
from ocelot_cli.transports.amqp.management import ManagementApi, VhostNotFound
from ocelot_cli.transports.amqp.management import read_topology as read_management
from ocelot_cli.transports.amqp.session import AmqpSession, exchange_kind
from ocelot_cli.transports.base import Endpoint, TopologyQuery


def read_topology(endpoint: Endpoint, query: TopologyQuery) -> Topology:
    """The management API's topology; else, with the reason in ``problem``, the passive declares' answers.
    When neither answers, the AMQP error, its message saying what the management API said too."""
    problem = None
    if query.management is not None:
        api = ManagementApi(query.management, endpoint)  # an unusable URL is a usage error, not a reason to fall back
        try:
            topology = read_management(api, query.vhost)
        except VhostNotFound:
            raise  # a definite answer: AMQP would only be refused the same vhost
        except OcelotError as exc:
            problem = Problem(exc.message, exc.hint, int(exc.exit_status))
        else:
            topology.server["amqp_url"] = endpoint.shown
            return topology
    try:
        topology = passive_topology(endpoint, query)
    except OcelotError as exc:
        if problem is None:
            raise
        error = type(exc)(f"{problem.message}; over AMQP: {exc.message}", hint=exc.hint or problem.hint)
        error.exit_status = exc.exit_status
        raise error from None
    topology.problem = problem
    return topology


def in_vhost(endpoint: Endpoint, vhost: str) -> Endpoint:
    """The endpoint with each node's URL pointing at ``vhost`` (its path replaced, the query kept)."""

    def one(url: str) -> str:
        scheme, _sep, rest = url.partition("://")
        userinfo, at, host_part = rest.rpartition("@")
        host, _slash, path = host_part.partition("/")
        query = path.partition("?")[2]
        return f"{scheme}://{userinfo}{at}{host}/{quote(vhost, safe='')}" + (f"?{query}" if query else "")

    return dataclasses.replace(endpoint, url=",".join(one(url) for url in split_nodes(endpoint.url)))


def passive_topology(endpoint: Endpoint, query: TopologyQuery) -> Topology:
    """Each exchange and queue of the query declared passively in the query's vhost (the AMQP URL's
    when every vhost was asked for): exists or not, exchange type, a queue's ready messages and consumers."""
    vhost = query.vhost if query.vhost is not None else amqp_vhost(endpoint.url)
    if vhost != amqp_vhost(endpoint.url):
        endpoint = in_vhost(endpoint, vhost)
    with AmqpSession(endpoint, query.purpose) as session:
        server = session.connect()
        exchanges = [_exchange(session, vhost, name) for name in dict.fromkeys(query.exchanges)]
        queues = [_queue(session, vhost, name) for name in dict.fromkeys(query.queues)]
    info = {"rabbitmq_version": server.get("server", "").removeprefix("RabbitMQ ").strip(),
            "cluster_name": server.get("cluster", ""), "amqp_url": server.get("url", endpoint.shown)}  # fmt: skip
    return Topology(AMQP, [vhost], exchanges, queues, None, server=info)


def _exchange(session: AmqpSession, vhost: str, name: str) -> ExchangeInfo:
    if name == "" or not session.exchange_exists(name):
        return ExchangeInfo(vhost, name, exists=name == "", type="direct" if name == "" else None)
    try:
        kind = exchange_kind(session.connection.channel, name)
    except CONNECTION_ERRORS as exc:
        raise translate_close(exc, session.node) from None
    return ExchangeInfo(vhost, name, type=kind)


def _queue(session: AmqpSession, vhost: str, name: str) -> QueueInfo:
    channel = _open_channel(session)
    try:
        answer = channel.queue_declare(name, passive=True).method
    except pex.ChannelClosedByBroker as exc:
        if exc.reply_code == 404:
            return QueueInfo(vhost, name, exists=False)
        if exc.reply_code == 405:  # RESOURCE_LOCKED: another connection's exclusive queue; it exists
            return QueueInfo(vhost, name, exclusive=True)
        raise translate_close(exc, session.node) from None
    except CONNECTION_ERRORS as exc:
        raise translate_close(exc, session.node) from None
    with contextlib.suppress(Exception):
        channel.close()
    return QueueInfo(vhost, name, messages_ready=answer.message_count, consumers=answer.consumer_count)


def _open_channel(session: AmqpSession) -> Any:
    try:
        return session.connection.channel()
    except CONNECTION_ERRORS as exc:
        raise translate_close(exc, session.node) from None
