"""Where RabbitMQ's management HTTP API is, when it is not given: derived from the AMQP URL.

The default is the AMQP URL's host (the first node of a list) on the management port: 15672 over
http for amqp://, 15671 over https for amqps://. The derived URL carries no credentials: the
management client uses the management URL's own user and password, else the AMQP URL's, else
guest/guest (pika's default), so a password is never copied into another string to mask.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from ocelot_cli.config.redact import split_nodes

MANAGEMENT_PORTS = {"amqp": ("http", 15672), "amqps": ("https", 15671)}
DEFAULT_CREDENTIALS = ("guest", "guest")  # pika's, when an AMQP URL names no user


def _host_part(url: str) -> tuple[str, str]:
    """The scheme and what follows the userinfo (host, port, path) of one URL, whatever its password holds."""
    scheme, _sep, rest = url.strip().partition("://")
    return scheme.lower(), rest.rpartition("@")[2]


def management_url_from_amqp(amqp_url: str) -> str | None:
    """``http://HOST:15672/`` for ``amqp://...@HOST:5672/vhost`` (https and 15671 for amqps://);
    None when the AMQP URL names no host or does not parse (its own check says why)."""
    nodes = split_nodes(amqp_url)
    if not nodes:
        return None
    scheme, host_part = _host_part(nodes[0])
    if scheme not in MANAGEMENT_PORTS:
        return None
    try:
        host = urlsplit(f"{scheme}://{host_part}").hostname
    except ValueError:
        return None
    if not host:
        return None
    http, port = MANAGEMENT_PORTS[scheme]
    return f"{http}://{f'[{host}]' if ':' in host else host}:{port}/"


def amqp_vhost(amqp_url: str) -> str:
    """The virtual host of an AMQP URL (its first node's) as pika reads it: ``/`` when the path is
    empty or ``/``, else the path without its slash, percent-decoded (``/%2F`` is ``/``)."""
    nodes = split_nodes(amqp_url)
    _scheme, host_part = _host_part(nodes[0] if nodes else "")
    path = host_part.partition("/")[2].partition("?")[0].partition("#")[0]
    return unquote(path) if path else "/"


def url_credentials(url: str) -> tuple[str, str] | None:
    """The user and password of a URL (first node of a list), percent-decoded; None when it has none."""
    nodes = split_nodes(url)
    _scheme, _sep, rest = (nodes[0] if nodes else "").partition("://")
    userinfo, at, _host = rest.rpartition("@")
    if not at or not userinfo:
        return None
    user, _colon, password = userinfo.partition(":")
    return unquote(user), unquote(password)


def without_credentials(url: str) -> str:
    """The URL with its userinfo removed (what an HTTP client requests; credentials go in a header)."""
    scheme, sep, rest = url.strip().partition("://")
    return f"{scheme}{sep}{rest.rpartition('@')[2]}" if sep else url
