"""RabbitMQ (AMQP 0-9-1) through pika: connection parameters and error translation.

Publishing lives in ``amqp_publish``, tailing in ``amqp_tail``; both use this module so
that every pika failure becomes an OcelotError that names the masked URL and what to check.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

import pika
import pika.exceptions as pex
from pika.adapters.utils import connection_workflow

from ocelot_cli import __version__
from ocelot_cli.errors import (
    AuthenticationFailed,
    BrokerTimeout,
    BrokerUnreachable,
    ConnectionLost,
    ExchangeNotFound,
    OcelotError,
    UsageProblem,
)
from ocelot_cli.redact import mask_url

# Driver exceptions that mean "the connection is gone; reconnecting may help".
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    pex.AMQPConnectionError,
    pex.ConnectionClosed,
    pex.StreamLostError,
    pex.ChannelWrongStateError,
    ConnectionError,
    socket.timeout,
)
# Close codes a broker uses when an operator or a policy closes the connection.
RECOVERABLE_CLOSE_CODES = {320, 541}  # CONNECTION_FORCED, INTERNAL_ERROR


@dataclass(frozen=True)
class AmqpOptions:
    """How to connect: URL, TLS trust, timeouts."""

    url: str
    ca_file: str | None = None
    blocked_timeout: float = 30.0
    heartbeat: int = 30
    connect_timeout: float = 10.0

    @property
    def shown(self) -> str:
        return mask_url(self.url)


def connection_parameters(options: AmqpOptions, *, purpose: str = "ocelot") -> pika.URLParameters:
    """pika parameters for the URL: TLS verified by default, blocked-connection timeout set."""
    parts = urlsplit(options.url)
    if parts.scheme not in ("amqp", "amqps"):
        raise UsageProblem(f"{options.shown} is not an amqp:// or amqps:// URL")
    try:
        params = pika.URLParameters(options.url)
    except (ValueError, TypeError) as exc:
        raise UsageProblem(f"cannot use the AMQP URL {options.shown}: {exc}") from None
    if parts.scheme == "amqps":
        context = ssl.create_default_context(cafile=options.ca_file)  # verifies certificate and host name
        params.ssl_options = pika.SSLOptions(context, server_hostname=parts.hostname)
    elif options.ca_file:
        raise UsageProblem("--ca-file is only used with amqps:// URLs")
    params.blocked_connection_timeout = options.blocked_timeout
    params.heartbeat = options.heartbeat
    params.socket_timeout = options.connect_timeout
    params.stack_timeout = options.connect_timeout + 5
    params.connection_attempts = 1
    params.retry_delay = 0
    params.client_properties = {"product": "ocelot", "version": __version__, "connection_name": purpose}
    return params


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


def translate_connect_error(error: BaseException, options: AmqpOptions) -> OcelotError:
    """A failed first connection as an OcelotError naming the masked URL and what to check."""
    url = options.shown
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
        vhost = urlsplit(options.url).path.lstrip("/") or "%2F"
        return AuthenticationFailed(
            f"RabbitMQ at {url} refused access to virtual host {vhost!r}",
            hint="check that the vhost exists and that the user has permissions on it",
        )
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
        if isinstance(cause, TimeoutError | socket.timeout | connection_workflow.AMQPConnectorStackTimeout):
            return BrokerUnreachable(
                f"cannot connect to {url}: no answer within {options.connect_timeout:g}s",
                hint="check the host, port and any firewall between here and the broker",
            )
    return BrokerUnreachable(f"cannot connect to {url}: {_describe(error)}")


def translate_close(error: BaseException, options: AmqpOptions, exchange: str | None = None) -> OcelotError:
    """An unexpected connection or channel close as an OcelotError."""
    url = options.shown
    if isinstance(error, pex.ConnectionBlockedTimeout):
        return BrokerTimeout(
            f"RabbitMQ at {url} blocked publishing for more than {options.blocked_timeout:g}s "
            "(a memory or disk resource alarm)",
            hint="free memory or disk on the broker (rabbitmqctl status shows the alarm), then retry",
        )
    if isinstance(error, pex.ChannelClosedByBroker) and error.reply_code == 404 and exchange is not None:
        return exchange_missing(exchange, options)
    if isinstance(error, pex.ChannelClosedByBroker | pex.ConnectionClosedByBroker):
        return ConnectionLost(f"RabbitMQ at {url} closed the connection: ({error.reply_code}) {error.reply_text}")
    return ConnectionLost(f"connection to {url} lost: {_describe(error)}")


def exchange_missing(exchange: str, options: AmqpOptions, *, tailing: bool = False) -> ExchangeNotFound:
    """The error for an exchange that does not exist, with how to create it."""
    if tailing:
        return ExchangeNotFound(
            f"exchange {exchange!r} does not exist on {options.shown}",
            hint="check the name (--exchange / OCELOT_EXCHANGE); tail never creates exchanges, "
            "'ocelot publish --declare' does",
        )
    return ExchangeNotFound(
        f"exchange {exchange!r} does not exist on {options.shown}",
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
    from ocelot_cli.redact import scrub

    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return scrub(text)


def publisher(url: str, messages, *, exchange: str, ca_file: str | None = None, blocked_timeout: float = 30.0, **kw):  # noqa: ANN001, ANN201, E501
    """A ConfirmedPublisher for this URL (see amqp_publish for the keyword arguments)."""
    from ocelot_cli.transports.amqp_publish import ConfirmedPublisher

    options = AmqpOptions(url=url, ca_file=ca_file, blocked_timeout=blocked_timeout)
    return ConfirmedPublisher(options, messages, exchange=exchange, **kw)


def tail_source(url: str, bindings: list[tuple[str, str]], stats, *, ca_file: str | None = None, **kw):  # noqa: ANN001, ANN201
    """An AmqpTailSource for this URL (see amqp_tail for the keyword arguments)."""
    from ocelot_cli.transports.amqp_tail import AmqpTailSource

    return AmqpTailSource(AmqpOptions(url=url, ca_file=ca_file), bindings, stats, **kw)
