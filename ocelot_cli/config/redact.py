"""Keep secrets out of everything ocelot prints: passwords in URLs, tokens in text."""

from __future__ import annotations

import contextlib
import os
import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

MASK = "****"
# Query parameters whose value is a secret: exact names, and names that contain one of the words.
_SECRET_PARAMS = {"password", "passwd", "pass", "pwd", "token", "access_token", "secret", "key", "api_key", "auth",
                  "jwt", "sig", "signature", "credential", "credentials", "code"}  # fmt: skip
_SECRET_WORDS = ("token", "secret", "passw", "key", "sig", "jwt", "auth", "cred")


def _secret_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in _SECRET_PARAMS or any(word in lowered for word in _SECRET_WORDS)


# Between the URLs of a node list (a cluster): a comma, then the next scheme, another comma or the end.
_NODE_SEPARATOR = re.compile(r"\s*,\s*(?=[a-zA-Z][a-zA-Z0-9+.-]*://|,|$)")


def split_nodes(value: str) -> list[str]:
    """The URLs of a node list: ``amqp://a:5672/,amqp://b:5672/`` (one URL gives a list of one).

    A comma followed by a scheme (or by nothing: ``a,,b``, ``a,``) separates nodes, so a comma
    inside a URL stays in it; an empty entry is kept as ``""``, for the caller to refuse.
    """
    parts = _NODE_SEPARATOR.split(value.strip())
    return parts if len(parts) > 1 else [part for part in parts if part]


def mask_url(url: str) -> str:
    """The URL with its password and secret-looking query parameters replaced by ``****``.

    A node list is masked URL by URL.

    Robust to any character in the password: the userinfo is whatever stands between ``://``
    and the last ``@`` (a raw ``/``, ``?``, ``#`` or ``[`` in a password does not hide it), and
    when the rest does not parse as a URL the whole userinfo is masked.
    """
    nodes = split_nodes(url)
    if len(nodes) > 1 and all("://" in node for node in nodes):
        return ",".join(_mask_one(node) for node in nodes)
    return _mask_one(url)  # one URL, or pieces that are no URLs (commas in a password): masked as one


def _mask_one(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    userinfo, at, host_part = rest.rpartition("@")
    if at:
        user, colon, _password = userinfo.partition(":")
        shown_userinfo = f"{user}:{MASK}@" if colon and "/" not in user else f"{MASK}@" if colon else f"{userinfo}@"
    else:
        shown_userinfo, host_part = "", rest
    try:
        parts = urlsplit(f"{scheme}://{host_part}")
    except ValueError:
        return f"{scheme}://{MASK}@{host_part}" if at else f"{scheme}://{host_part}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, MASK if _secret_param(k) else v) for k, v in pairs], safe="*%/:")
    return urlunsplit((parts.scheme, shown_userinfo + parts.netloc, parts.path, query, parts.fragment))


def redact(text: str, secrets: list[str | None]) -> str:
    """``text`` with every occurrence of each non-empty secret replaced by ``****``.

    A secret that is also the user name of a URL (guest:guest) stays visible in the user
    position, where it is a name; the password position is masked by ``mask_url``.
    """
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = re.sub(rf"(?<!//){re.escape(secret)}|{re.escape(secret)}(?!:)", MASK, text)
    return text


# In free text (errors, tracebacks): scheme://user:PASSWORD@host, the password running to the last
# '@' of the word, so that a '/' or '?' in it is masked too.
_URL_WITH_PASSWORD = re.compile(
    r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@,]*:)(?P<password>(?:(?!,[a-zA-Z][a-zA-Z0-9+.-]*://)\S)+)(?P<tail>@)"
)
_SECRET_ENV = ("OCELOT_WS_TOKEN", "OCELOT_JWT_SECRET")


def scrub(text: str) -> str:
    """Text safe to print: passwords in any URL inside it masked, secret env values removed."""
    text = _URL_WITH_PASSWORD.sub(lambda m: m.group("head") + MASK + m.group("tail"), text)
    secrets: list[str | None] = [os.environ.get(name) for name in _SECRET_ENV]
    for name in ("OCELOT_AMQP_URL", "OCELOT_REDIS_URL", "OCELOT_WS_URL", "OCELOT_MGMT_URL"):
        value = os.environ.get(name)
        if value:
            for node in split_nodes(value):
                with contextlib.suppress(ValueError):
                    secrets.append(urlsplit(node).password)
    return redact(text, secrets)


def url_error_text(error: BaseException, url: str) -> str:
    """A library's complaint about ``url``, fit to print: when it quotes any part of the URL's
    password (however short), a plain description instead of the library's words."""
    text = scrub(str(error))
    userinfo, at, _rest = url.partition("://")[2].rpartition("@")
    password = userinfo.partition(":")[2] if at else ""
    if password and any(part and part in text for part in (password, unquote(password), *password.split("/"))):
        return "the URL could not be read (its password is not shown)"
    return text
