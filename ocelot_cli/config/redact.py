"""Keep secrets out of everything ocelot prints: passwords in URLs, tokens in text."""

from __future__ import annotations

import contextlib
import os
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "****"
_SECRET_PARAMS = {"password", "passwd", "pass", "token", "access_token", "secret", "key", "api_key", "auth"}


def mask_url(url: str) -> str:
    """The URL with its password and secret-looking query parameters replaced by ``****``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            user = userinfo.split(":", 1)[0]
            netloc = f"{user}:{MASK}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, MASK if k.lower() in _SECRET_PARAMS else v) for k, v in pairs], safe="*%/")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact(text: str, secrets: list[str | None]) -> str:
    """``text`` with every occurrence of each non-empty secret replaced by ``****``.

    A secret that is also the user name of a URL (guest:guest) stays visible in the user
    position, where it is a name; the password position is masked by ``mask_url``.
    """
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = re.sub(rf"(?<!//){re.escape(secret)}|{re.escape(secret)}(?!:)", MASK, text)
    return text


_URL_WITH_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]*:)(?P<password>[^\s@/]+)(?P<tail>@)")
_SECRET_ENV = ("OCELOT_WS_TOKEN", "OCELOT_JWT_SECRET")


def scrub(text: str) -> str:
    """Text safe to print: passwords in any URL inside it masked, secret env values removed."""
    text = _URL_WITH_PASSWORD.sub(lambda m: m.group("head") + MASK + m.group("tail"), text)
    secrets: list[str | None] = [os.environ.get(name) for name in _SECRET_ENV]
    for name in ("OCELOT_AMQP_URL", "OCELOT_REDIS_URL", "OCELOT_WS_URL"):
        value = os.environ.get(name)
        if value:
            with contextlib.suppress(ValueError):
                secrets.append(urlsplit(value).password)
    return redact(text, secrets)
