"""What an AMQP 0-9-1 message can carry, checked before it is sent.

The broker (and pika, which encodes the frames) refuses a routing key or exchange name over 255
bytes, a property that is not one of AMQP's fourteen, a short-string property over 255 bytes, a
header value it has no type for (a float, an integer beyond 64 bits). Sent anyway, such a message
closes the connection, and sending it again after a reconnect closes it again: it is refused here,
at its place in the input, before anything is sent. Pure Python: the validators use it without pika.
"""

from __future__ import annotations

from typing import Any

SHORT_STRING_BYTES = 255
SHORT_PROPERTIES = ("content_type", "content_encoding", "correlation_id", "reply_to", "expiration", "message_id",
                    "type", "user_id", "app_id", "cluster_id")  # fmt: skip
OCTET_PROPERTIES = ("delivery_mode", "priority")
PROPERTIES = {*SHORT_PROPERTIES, *OCTET_PROPERTIES, "timestamp", "headers"}
_SHORT_SET = frozenset(SHORT_PROPERTIES)
_SHORT_CHARS = SHORT_STRING_BYTES // 4  # text this short fits whatever its characters (at most 4 bytes each)
_INT64 = (-(2**63), 2**63 - 1)
_MAX_NESTING = 64


def short_string_problem(value: Any, what: str) -> str | None:
    if type(value) is str and len(value) <= _SHORT_CHARS:
        return None
    if not isinstance(value, str):
        return f"{what} must be text, not {type(value).__name__}"
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > SHORT_STRING_BYTES:
        return f"{what} is {size} bytes; AMQP allows at most {SHORT_STRING_BYTES}"
    return None


def _header_value(value: Any, where: str, depth: int = 0) -> str | None:
    if depth > _MAX_NESTING:
        return f"{where} nests deeper than {_MAX_NESTING} levels"
    if value is None or isinstance(value, str | bytes | bool):
        return None
    if isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            return f"{where} is an integer beyond 64 bits, which an AMQP header cannot hold"
        return None
    if isinstance(value, dict):
        return _table(value, where, depth + 1)
    if isinstance(value, list):
        for index, item in enumerate(value):
            problem = _header_value(item, f"{where}[{index}]", depth + 1)
            if problem:
                return problem
        return None
    kind = "a decimal number" if isinstance(value, float) else type(value).__name__
    return f"{where} is {kind}, which pika cannot send in a header (write it as text)"


def _table(table: dict[Any, Any], where: str, depth: int = 0) -> str | None:
    for key, value in table.items():
        if type(key) is str and len(key) <= _SHORT_CHARS and type(value) is str:
            continue  # the usual header: nothing to check (and no message to build)
        problem = short_string_problem(key, f"the key {where}.{key!s:.40}")
        problem = problem or _header_value(value, f"{where}.{key}", depth)
        if problem:
            return problem
    return None


def _property(name: str, value: Any) -> str | None:
    where = f"properties.{name}"
    if name in SHORT_PROPERTIES:
        return short_string_problem(value, where)
    if name == "delivery_mode":  # RabbitMQ closes the connection for any other (406 delivery_mode_unknown)
        if type(value) is not int or value not in (1, 2):
            return f"{where} must be 1 (transient) or 2 (persistent)"
        return None
    if name in OCTET_PROPERTIES:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255:
            return f"{where} must be a whole number from 0 to 255"
        return None
    if name == "timestamp":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**64:
            return f"{where} must be whole seconds since 1970"
        return None
    if not isinstance(value, dict):
        return f"{where} must be an object"
    return _table(value, where)


def amqp_problem(exchange: str, routing_key: str, properties: dict[str, Any] | None) -> str | None:
    """Why AMQP cannot carry a message with this exchange, routing key and properties; None when it can."""
    problem = short_string_problem(exchange, "the exchange name")
    problem = problem or short_string_problem(routing_key, "the routing key")
    if problem:
        return problem
    if properties is None:
        return None
    if not isinstance(properties, dict):
        return "properties must be an object"
    for name, value in properties.items():
        if name not in PROPERTIES:
            return f"properties.{name} is not an AMQP property (one of {', '.join(sorted(PROPERTIES))})"
        if name in _SHORT_SET and type(value) is str and len(value) <= _SHORT_CHARS:
            continue  # the usual property: nothing to check (and no message to build)
        if value is not None:
            problem = _property(name, value)
            if problem:
                return problem
    return None
