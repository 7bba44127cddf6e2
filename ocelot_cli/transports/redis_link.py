"""The link to Redis that publishing, tailing and the gateway's live source share: a client with the
endpoint's timeouts and no retries of its own, redis-py's failures in words, channel names and patterns."""

from __future__ import annotations

import re
import time
from typing import Any

import redis
import redis.exceptions as rex
from redis.backoff import NoBackoff
from redis.retry import Retry

from ocelot_cli.config.redact import url_error_text
from ocelot_cli.errors import AuthenticationFailed, BrokerUnreachable, ConnectionLost, OcelotError, UsageProblem
from ocelot_cli.transports.base import Endpoint
from ocelot_cli.transports.messages import ReceivedMessage

CONNECTION_ERRORS: tuple[type[BaseException], ...] = (rex.ConnectionError, rex.TimeoutError, ConnectionError)
_GLOB = re.compile(r"[*?\[]")


def split_channels(names: list[str]) -> tuple[list[str], list[str]]:
    """Exact channel names (SUBSCRIBE) and glob patterns (PSUBSCRIBE)."""
    return [c for c in names if not _GLOB.search(c)], [c for c in names if _GLOB.search(c)]


def translate_error(error: BaseException, endpoint: Endpoint) -> OcelotError:
    """A redis-py failure as an OcelotError naming the masked URL."""
    shown = endpoint.shown
    text = str(error)
    if isinstance(error, rex.AuthenticationError) or "WRONGPASS" in text or "NOAUTH" in text:
        return AuthenticationFailed(
            f"Redis at {shown} refused the credentials", hint="check the password in the URL (OCELOT_REDIS_URL)"
        )
    if isinstance(error, rex.ResponseError) and ("DB index is out of range" in text or "out of range" in text
                                                  and "not an integer" in text):  # SELECT of a number too big
        return UsageProblem(f"Redis at {shown} has no such database: {text}",
                            hint="use a database number below the server's 'databases' setting (16 by default)")
    if isinstance(error, rex.InvalidResponse | rex.ResponseError) and not isinstance(error, rex.AuthenticationError):
        return BrokerUnreachable(f"the server at {shown} does not answer like Redis ({type(error).__name__})",
                                 hint="check the host and port: Redis listens on 6379")  # fmt: skip
    if isinstance(error, rex.TimeoutError):
        return BrokerUnreachable(f"cannot connect to Redis at {shown}: no answer within {endpoint.connect_timeout:g}s",
                                 hint="check the host, port and any firewall in between")  # fmt: skip
    if isinstance(error, CONNECTION_ERRORS):
        return BrokerUnreachable(f"cannot connect to Redis at {shown}",
                                 hint="check that Redis is running and listening on that host and port")  # fmt: skip
    return ConnectionLost(f"Redis at {shown} failed: {type(error).__name__}")


def client_for(endpoint: Endpoint, purpose: str, client_class: Any = redis.Redis, retry: Any = Retry) -> Any:
    """A client (of ``client_class``: redis.Redis, or redis.asyncio's with its own Retry) with the endpoint's
    timeouts and a client name Redis shows in CLIENT LIST."""
    name = re.sub(r"[^A-Za-z0-9_.:-]+", "-", endpoint.connection_name(purpose)).strip("-")
    try:
        # No retries inside redis-py: a lost connection must surface, so that the one backoff policy
        # applies and a tail can say that messages may have been missed meanwhile.
        return client_class.from_url(endpoint.url, socket_connect_timeout=endpoint.connect_timeout,
                                     socket_timeout=endpoint.connect_timeout, client_name=name,
                                     retry=retry(NoBackoff(), 0))  # fmt: skip
    except ValueError as exc:
        hint = "write redis://HOST:PORT/DB, a password percent-encoded before the host"
        reason = url_error_text(exc, endpoint.url)
        raise UsageProblem(f"cannot use the Redis URL {endpoint.shown}: {reason}", hint=hint) from None


SUBSCRIBED = (b"subscribe", b"psubscribe")  # the first item of a subscription's confirmation


def received(message: dict[str, Any]) -> ReceivedMessage | None:
    """A pub/sub reply as a ReceivedMessage: a (pattern) message; None for anything else (a pong)."""
    if message.get("type") not in ("message", "pmessage"):
        return None
    channel = message["channel"]
    name = channel.decode("utf-8", "replace") if isinstance(channel, bytes) else str(channel)
    data = message["data"]
    return ReceivedMessage(data if isinstance(data, bytes) else str(data).encode(), time.time(), channel=name)


class LinkHealth:
    """Whether a subscribed link still works: a link that stalls (no error, nothing arrives) is found by a
    PING after a silence, which must be answered within the connect timeout."""

    def __init__(self, connect_timeout: float) -> None:
        self.timeout = connect_timeout
        self.after = min(5.0, max(1.0, connect_timeout / 2))
        self.heard()

    def heard(self) -> None:
        """Something arrived: the link works."""
        self._heard, self._pinged_at = time.monotonic(), None

    def ping_due(self) -> bool:
        """After a silent poll: True when a PING should go now; rex.TimeoutError when one went unanswered."""
        now = time.monotonic()
        if self._pinged_at is not None:
            if now - self._pinged_at > self.timeout:
                raise rex.TimeoutError(f"no answer to PING within {self.timeout:g}s (a stalled link)")
            return False
        if now - self._heard > self.after:
            self._pinged_at = now
            return True
        return False
