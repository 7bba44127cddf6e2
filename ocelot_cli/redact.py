"""Keep secrets out of everything ocelot prints: passwords in URLs, tokens in text."""

from __future__ import annotations

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
    """``text`` with every occurrence of each non-empty secret replaced by ``****``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, MASK)
    return text
