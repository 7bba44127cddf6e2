"""The servers of an AsyncAPI document, from ocelot's settings: RabbitMQ, the gateway, Redis.

Only where a server is goes in: host, port and path (the virtual host, the gateway's path, the
Redis database). User names, passwords and query parameters (which may hold tokens) never do;
the security schemes say what a client needs instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from ocelot_cli.config.redact import mask_url, split_nodes
from ocelot_cli.errors import UsageProblem

AMQP_PROTOCOL_VERSION = "0.9.1"
AMQP_SECURITY = "amqpUser"
GATEWAY_SECURITY = "gatewayToken"
REDIS_SECURITY = "redisUser"


@dataclass(frozen=True)
class BusSettings:
    """Where the buses are, as the settings give them (flag > env > profile > default)."""

    amqp_url: str
    exchange: str
    ws_url: str
    redis_url: str


@dataclass(frozen=True)
class ServerUrl:
    """The parts of a URL a document may show."""

    scheme: str
    host: str  # host[:port], IPv6 in brackets
    path: str
    has_credentials: bool


def server_url(url: str) -> ServerUrl:
    """The scheme, host and path of ``url``: no user information, no query, no fragment."""
    scheme, _sep, rest = url.strip().partition("://")
    userinfo, at, host_part = rest.rpartition("@")  # the last @: a password may hold one (see redact.mask_url)
    parts = urlsplit(f"{scheme}://{host_part if at else rest}")
    return ServerUrl(scheme.lower(), parts.netloc, parts.path, bool(at and userinfo))


def check_server_urls(value: str, source: str) -> None:
    """UsageProblem naming ``source`` when a URL (or a node of a list) has no host to describe."""
    nodes = split_nodes(value)
    for number, node in enumerate(nodes or [""], 1):
        which = f"node {number} of " if len(nodes) > 1 else ""
        try:
            parsed = server_url(node)
            port = urlsplit(f"{parsed.scheme}://{parsed.host}").port  # ValueError when not 0-65535
        except ValueError as exc:
            raise UsageProblem(f"{source}: {which}{mask_url(value) or 'the URL'} cannot be used ({exc})",
                               hint="write SCHEME://HOST:PORT/...; percent-encode special characters of the user "
                               "and password (%5B for [, %40 for @, %2F for /)") from None  # fmt: skip
        if port == 0:
            raise UsageProblem(f"{source}: {which}{mask_url(value)}: its port is not a number from 1 to 65535")
        if not parsed.host:
            raise UsageProblem(f"{source}: {which}{mask_url(value) or 'the URL'} has no host",
                               hint="give the URL of a server, e.g. amqp://rabbit.internal:5672/%2F")  # fmt: skip


def amqp_vhost(url: str) -> str:
    """The virtual host an AMQP URL (its first node) names."""
    return _vhost(server_url(split_nodes(url)[0]).path)


def _vhost(path: str) -> str:
    """An AMQP URL's path as a virtual host: without the first slash, decoded; ``/`` when empty."""
    return unquote(path[1:]) if len(path) > 1 else "/"


def servers(bus: BusSettings, *, platform: bool, realtime: bool) -> dict[str, dict[str, Any]]:
    """The servers of the buses exported: every RabbitMQ node; the gateway and Redis for real-time."""
    found: dict[str, dict[str, Any]] = {}
    if platform:
        nodes = split_nodes(bus.amqp_url)
        for number, node in enumerate(nodes, 1):
            name = "amqp" if len(nodes) == 1 else f"amqp-{number}"
            found[name] = _amqp_server(server_url(node), bus.exchange, number, len(nodes))
    if realtime:
        found["ws"] = _gateway_server(server_url(bus.ws_url))
        found["redis"] = _redis_server(server_url(bus.redis_url))
    return found


def _located(url: ServerUrl, protocol: str, **fields: Any) -> dict[str, Any]:
    server: dict[str, Any] = {"host": url.host, "protocol": protocol}
    if url.path:
        server["pathname"] = url.path
    return {**server, **fields}


def _amqp_server(url: ServerUrl, exchange: str, number: int, nodes: int) -> dict[str, Any]:
    node = f"node {number} of {nodes} of the cluster; " if nodes > 1 else ""
    tls = " over TLS" if url.scheme == "amqps" else ""
    return _located(
        url, url.scheme, protocolVersion=AMQP_PROTOCOL_VERSION, title="RabbitMQ (the Ocelot platform bus)",
        description=f"RabbitMQ{tls} ({node}virtual host {_vhost(url.path)}): modules publish "
                    f"platform events to the topic exchange {exchange} with the routing key of their type, and "
                    "consumers bind their queues to it.",
        security=[{"$ref": f"#/components/securitySchemes/{AMQP_SECURITY}"}],
    )  # fmt: skip


def _gateway_server(url: ServerUrl) -> dict[str, Any]:
    return _located(
        url, url.scheme, title="Real-time gateway (WebSocket)",
        description="The OttoAI real-time gateway: a client connects with a Bearer token, gets `welcome`, subscribes "
                    "to exact channel names (at most 10 subscribe/unsubscribe a minute), answers every `ping` with "
                    "`pong`, and receives the events of its channels. Messages over 32 KB arrive as pointer messages "
                    "(`data._truncated: true`).",
        security=[{"$ref": f"#/components/securitySchemes/{GATEWAY_SECURITY}"}],
    )  # fmt: skip


def _redis_server(url: ServerUrl) -> dict[str, Any]:
    tls = " over TLS" if url.scheme == "rediss" else ""
    extra = {"security": [{"$ref": f"#/components/securitySchemes/{REDIS_SECURITY}"}]} if url.has_credentials else {}
    return _located(
        url, "redis", title="Redis pub/sub (the real-time hub)",
        description=f"Redis{tls}: the backend publishes each real-time event on the pub/sub channel of the same name "
                    "(tenant:{tenant_id}:events ...), and the gateway forwards it to the subscribed clients.",
        **extra,
    )  # fmt: skip


def security_schemes(found: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The security schemes the servers name."""
    schemes = {
        AMQP_SECURITY: {"type": "userPassword", "description": "A RabbitMQ user and password (in the AMQP URL of "
                        "the client's settings: never in this document)."},
        GATEWAY_SECURITY: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                           "description": "A Clerk JWT (or one from `ocelot token`) naming the tenant and the user, "
                           "in the Authorization header of the WebSocket upgrade."},
        REDIS_SECURITY: {"type": "userPassword", "description": "The Redis user and password (in the Redis URL of "
                         "the client's settings: never in this document)."},
    }  # fmt: skip
    named = {ref["$ref"].rpartition("/")[2] for server in found.values() for ref in server.get("security", [])}
    return {name: scheme for name, scheme in schemes.items() if name in named}
