"""RabbitMQ (AMQP 0-9-1) through pika: the one connection path of every command.

Parameters (TLS verified by default, connect and handshake timeouts, heartbeat, blocked-
connection timeout, a connection name), opening a blocking connection, and translating every
pika failure into an OcelotError that names the masked URL and what to check. The publisher,
the tail, smoke, doctor, load and the gateway's bridge all connect through here, so the same
failure gives the same message and exit status whichever command met it.
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pika
import pika.exceptions as pex
from pika.adapters.utils import connection_workflow

from ocelot_cli import __version__
from ocelot_cli.config.redact import scrub, url_error_text
from ocelot_cli.errors import (
    AuthenticationFailed,
    BrokerTimeout,
    BrokerUnreachable,
    ConnectionLost,
    ExchangeNotFound,
    OcelotError,
    UsageProblem,
)
from ocelot_cli.transports.base import Endpoint
from ocelot_cli.transports.limits import short_string_problem

# Driver exceptions that mean "the connection is gone; reconnecting may help".
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    pex.AMQPConnectionError,
    pex.ConnectionClosed,
    pex.StreamLostError,
    pex.ChannelWrongStateError,
    ConnectionError,
    socket.timeout,
)
# What opening a connection can raise: pika's errors, its connector's (a handshake timeout), sockets'.
CONNECT_ERRORS: tuple[type[BaseException], ...] = (pex.AMQPError, connection_workflow.AMQPConnectorException, OSError)
# Close codes a broker uses when an operator or a policy closes the connection.
RECOVERABLE_CLOSE_CODES = {320, 541}  # CONNECTION_FORCED, INTERNAL_ERROR


def connection_parameters(endpoint: Endpoint, *, purpose: str = "ocelot") -> pika.URLParameters:
    """pika parameters for the URL: TLS verified by default, every timeout set, a connection name."""
    try:
        parts = urlsplit(endpoint.url)
        params = pika.URLParameters(endpoint.url) if parts.scheme in ("amqp", "amqps") else None
    except (ValueError, TypeError) as exc:
        raise UsageProblem(f"cannot use the AMQP URL {endpoint.shown}: {url_error_text(exc, endpoint.url)}",
                           hint="percent-encode special characters of the user and password (%40 for @)") from None
    if params is None:
        raise UsageProblem(f"{endpoint.shown} is not an amqp:// or amqps:// URL")
    if parts.scheme == "amqps":
        context = ssl.create_default_context(cafile=endpoint.ca_file)  # verifies certificate and host name
        params.ssl_options = pika.SSLOptions(context, server_hostname=parts.hostname)
    elif endpoint.ca_file:
        raise UsageProblem("--ca-file is only used with amqps:// URLs")
    params.blocked_connection_timeout = endpoint.blocked_timeout
    params.heartbeat = endpoint.heartbeat
    # TCP connect, then the whole stack (TLS and the AMQP handshake): a broker that accepts the
    # connection and never answers is given up after connect_timeout, whatever the command.
    params.socket_timeout = endpoint.connect_timeout
    params.stack_timeout = endpoint.connect_timeout
    params.connection_attempts = 1
    params.retry_delay = 0
    params.client_properties = {"product": "ocelot", "version": __version__,
                                "connection_name": endpoint.connection_name(purpose)}  # fmt: skip
    return params


def open_blocking(endpoint: Endpoint, purpose: str, *, after: Endpoint | None = None) -> Any:
    """A pika BlockingConnection to the first node that answers (see ``open_any``)."""
    return open_any(endpoint, purpose, after=after)[0]


def open_any(endpoint: Endpoint, purpose: str, *, after: Endpoint | None = None,
             notice: Callable[[str], None] | None = None) -> tuple[Any, Endpoint]:  # fmt: skip
    """A pika BlockingConnection and the node it reached: the nodes of the endpoint are tried in
    order, starting with the one after ``after`` (the node just lost) when given, like the node
    lists of the official clients; ``notice`` hears of each node skipped. When none answers, the
    OcelotError says why for each node."""
    errors: list[OcelotError] = []
    nodes = node_order(endpoint, after)
    for node in nodes:
        params = connection_parameters(node, purpose=purpose)
        try:
            return pika.BlockingConnection(params), node
        except CONNECT_ERRORS as exc:
            errors.append(translate_connect_error(exc, node))
            if notice is not None and len(errors) < len(nodes):
                notice(f"{errors[-1].message}; trying the next node")
    raise none_answered(errors)


def node_order(endpoint: Endpoint, after: Endpoint | None = None) -> list[Endpoint]:
    """The endpoint's nodes in the order to try them: as given, or starting after the node ``after``."""
    nodes = list(endpoint.nodes)
    urls = [node.url for node in nodes]
    if after is not None and after.url in urls and len(nodes) > 1:
        start = urls.index(after.url) + 1
        nodes = nodes[start:] + nodes[:start]
    return nodes


def none_answered(errors: list[OcelotError]) -> OcelotError:
    """One error for a node list none of whose nodes could be used: each node's reason, the exit
    status and hint of the first."""
    if len(errors) == 1:
        return errors[0]
    first = errors[0]
    reasons = "; ".join(error.message for error in errors)
    error = type(first)(f"no node of the cluster could be used ({len(errors)} tried): {reasons}", hint=first.hint)
    error.exit_status = first.exit_status
    return error


def close_quietly(connection: Any) -> None:
    """Close a connection that may already be gone."""
    if connection is not None:
        with contextlib.suppress(Exception):
            if connection.is_open:
                connection.close()


def _root_causes(error: BaseException) -> list[BaseException]:
    """The error and every error it wraps (pika nests them several levels deep)."""
    found = [error]
    inner: list[BaseException] = [a for a in getattr(error, "args", ()) if isinstance(a, BaseException)]
    if isinstance(error, connection_workflow.AMQPConnectionWorkflowFailed):
        inner.extend(e for e in error.exceptions if e is not None)
    wrapped = getattr(error, "exception", None)
    if isinstance(wrapped, BaseException):
        inner.append(wrapped)
    for cause in inner:
        found.extend(_root_causes(cause))
    return found


def translate_connect_error(error: BaseException, endpoint: Endpoint) -> OcelotError:
    """A failed first connection as an OcelotError naming the masked URL and what to check."""
    url = endpoint.shown
    causes = _root_causes(error)
    if any(isinstance(c, pex.ProbableAuthenticationError | pex.AuthenticationError) for c in causes):
        # pika calls any disconnect during the login stage "probable"; only the broker's
        # ACCESS_REFUSED is certain. A cut connection or a TLS/plain port mix-up looks the same.
        if "ACCESS_REFUSED" in str(error) or any(isinstance(c, pex.AuthenticationError) for c in causes):
            return AuthenticationFailed(
                f"RabbitMQ at {url} refused the credentials",
                hint="check the user and password in the URL (OCELOT_AMQP_URL or your profile)",
            )
        return BrokerUnreachable(
            f"the connection to {url} was closed during the login handshake",
            hint="check the credentials, that the port speaks AMQP (not TLS, not HTTP), and any proxy in between",
        )
    if any(isinstance(c, pex.ProbableAccessDeniedError) for c in causes):
        vhost = urlsplit(endpoint.url).path.lstrip("/") or "%2F"
        return AuthenticationFailed(
            f"RabbitMQ at {url} refused access to virtual host {vhost!r}",
            hint="check that the vhost exists and that the user has permissions on it",
        )
    if any(isinstance(c, pex.IncompatibleProtocolError) for c in causes):
        return BrokerUnreachable(f"the server at {url} does not speak AMQP 0-9-1",
                                 hint="check the port: RabbitMQ listens on 5672 (5671 for amqps://)")  # fmt: skip
    for cause in causes:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return AuthenticationFailed(
                f"TLS certificate of {url} could not be verified: {cause.verify_message}",
                hint="pass --ca-file with the CA that signed the broker's certificate",
            )
        if isinstance(cause, ssl.SSLError):
            return BrokerUnreachable(f"TLS handshake with {url} failed: {cause.reason or cause}")
        if isinstance(cause, socket.gaierror):
            return BrokerUnreachable(f"cannot resolve the host of {url}", hint="check the host name in the URL")
        if isinstance(cause, ConnectionRefusedError):
            return BrokerUnreachable(
                f"cannot connect to {url}: connection refused",
                hint="check that RabbitMQ is running and listening on that host and port",
            )
        # A blocking connection raises the connector's stack timeout; a SelectConnection aborts the
        # opening with a "Timeout while setting up AMQP" reason: the same broker that never answered.
        aborted = isinstance(cause, pex.ConnectionOpenAborted) and "Timeout" in str(cause)
        if aborted or isinstance(cause, TimeoutError | socket.timeout | connection_workflow.AMQPConnectorStackTimeout):
            return BrokerUnreachable(
                f"cannot connect to {url}: no answer within {endpoint.connect_timeout:g}s",
                hint="check the host, port and any firewall between here and the broker",
            )
    return BrokerUnreachable(f"cannot connect to {url}: {_describe(error)}")


def translate_close(error: BaseException, endpoint: Endpoint, exchange: str | None = None) -> OcelotError:
    """An unexpected connection or channel close as an OcelotError."""
    url = endpoint.shown
    if isinstance(error, pex.ConnectionBlockedTimeout):
        return BrokerTimeout(
            f"RabbitMQ at {url} blocked publishing for more than {endpoint.blocked_timeout:g}s "
            "(a memory or disk resource alarm)",
            hint="free memory or disk on the broker (rabbitmqctl status shows the alarm), then retry",
        )
    if isinstance(error, pex.ChannelClosedByBroker) and error.reply_code == 404 and exchange is not None:
        return exchange_missing(exchange, endpoint)
    other = existing_type(error)
    if other and exchange:
        return not_topic(exchange, other)  # --declare of an exchange that exists as another type
    if isinstance(error, pex.ChannelClosedByBroker | pex.ConnectionClosedByBroker):
        return ConnectionLost(f"RabbitMQ at {url} closed the connection: ({error.reply_code}) {error.reply_text}")
    return ConnectionLost(f"connection to {url} lost: {_describe(error)}")


def existing_type(error: BaseException) -> str | None:
    """The type of an existing exchange, from the broker's refusal of a declaration of another type
    (406 "inequivalent arg 'type' ... current is 'fanout'"); None for any other close."""
    text = str(getattr(error, "reply_text", ""))
    if not isinstance(error, pex.ChannelClosedByBroker) or error.reply_code != 406 or "'type'" not in text:
        return None
    current = re.search(r"current is '([^']+)'", text)
    return current.group(1) if current else "different"


def not_topic(name: str, kind: str) -> ExchangeNotFound:
    """The error for an exchange of another type than topic (exit 7, as for a missing one)."""
    return ExchangeNotFound(f"exchange {name!r} is a {kind} exchange, not topic",
                            hint="the platform publishes to a topic exchange, routing keys comms.<type>")  # fmt: skip


def exchange_missing(exchange: str, endpoint: Endpoint, *, tailing: bool = False) -> ExchangeNotFound:
    """The error for an exchange that does not exist, with how to create it."""
    if tailing:
        return ExchangeNotFound(
            f"exchange {exchange!r} does not exist on {endpoint.shown}",
            hint="check the name (--exchange / OCELOT_EXCHANGE); tail never creates exchanges, "
            "'ocelot publish --declare' does",
        )
    return ExchangeNotFound(
        f"exchange {exchange!r} does not exist on {endpoint.shown}",
        hint=(
            "create it with 'ocelot publish --declare ...' (a durable topic exchange), or "
            f"'rabbitmqadmin declare exchange name={exchange} type=topic durable=true'"
        ),
    )


def is_recoverable(error: BaseException | None) -> bool:
    """True when a closed connection is worth reconnecting (lost, forced closed), not a refusal."""
    if error is None or isinstance(error, pex.ConnectionClosedByClient | pex.ConnectionBlockedTimeout):
        return False
    if isinstance(error, pex.ConnectionClosedByBroker):
        return error.reply_code in RECOVERABLE_CLOSE_CODES
    return isinstance(error, CONNECTION_ERRORS)


def _describe(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return scrub(text)


def check_names(*, exchange: str | None = None, routing_key: str | None = None, pattern: str | None = None,
                queue: str | None = None) -> None:  # fmt: skip
    """UsageProblem for an exchange name, routing key or binding pattern AMQP cannot carry (over 255
    bytes): refused before connecting, not met as a connection the broker closes again and again."""
    named = (("the exchange name", "--exchange", exchange), ("the routing key", "--routing-key", routing_key),
             ("the binding pattern", "PATTERN", pattern), ("the queue name", "--durable-queue", queue))  # fmt: skip
    for what, option, value in named:
        problem = short_string_problem(value, what) if value is not None else None
        if problem:
            raise UsageProblem(f"{problem} ({option})", hint="give a shorter one")
