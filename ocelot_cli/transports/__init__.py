"""One module per bus, picked by URL scheme; imported only when used.

Only modules in this package import broker drivers (pika, websocket-client, redis). Each
transport module declares ``CONNECTION_ERRORS``: the driver exceptions that mean "the
connection was lost", so that retry logic elsewhere never names a driver.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from urllib.parse import urlsplit

from ocelot_cli.errors import UsageProblem

# scheme -> module path (lazy)
TRANSPORTS = {
    "amqp": "ocelot_cli.transports.amqp",
    "amqps": "ocelot_cli.transports.amqp",
    "redis": "ocelot_cli.transports.redis_pubsub",
    "rediss": "ocelot_cli.transports.redis_pubsub",
    "ws": "ocelot_cli.transports.websocket_tail",
    "wss": "ocelot_cli.transports.websocket_tail",
}


def transport_for(url: str) -> ModuleType:
    """The transport module for a URL's scheme."""
    from ocelot_cli.redact import mask_url

    scheme = urlsplit(url).scheme.lower()
    try:
        return importlib.import_module(TRANSPORTS[scheme])
    except KeyError:
        known = ", ".join(f"{s}://" for s in sorted(TRANSPORTS))
        raise UsageProblem(f"no transport for {mask_url(url)!r}", hint=f"use one of {known}") from None
