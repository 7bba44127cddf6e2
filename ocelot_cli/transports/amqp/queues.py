"""Existing queues and streams by name: checks, the broker's refusals in words, and making a stream.

A queue to read (``tail --queue``, ``tail --stream``) is declared passively first: a missing one is
a not-found error, never created. A stream is made only when asked (``ocelot record``): a durable
queue of type stream, kept by age and/or size, bound to the exchange with the patterns given;
making it again with the same settings changes nothing, other settings are refused by the broker
(406 PRECONDITION_FAILED), which is said with what differs.

AMQP has no question for a queue's type. RabbitMQ (3.9+) answers ``basic.get`` on a stream by
closing the connection with 540 NOT_IMPLEMENTED, which takes nothing from the stream: that answer
is how a look tells a stream from a classic or quorum queue.
"""

from __future__ import annotations

import re
from typing import Any

import pika.exceptions as pex

from ocelot_cli.errors import AuthenticationFailed, ExchangeNotFound, OcelotError, QueueNotFound, UsageProblem
from ocelot_cli.transports.amqp.connection import check_names, close_quietly, open_any, translate_close
from ocelot_cli.transports.base import Endpoint, StreamSpec
from ocelot_cli.transports.limits import short_string_problem


class IsAStream(Exception):  # noqa: N818 - an answer, not a failure
    """The broker's answer to ``basic.get`` on a stream: read it as a stream instead."""


def check_queue_name(name: str, option: str) -> None:
    """UsageProblem, before connecting, for a name no queue can have."""
    if not name.strip():
        raise UsageProblem(f"{option} '': give the name of the queue")
    problem = short_string_problem(name, "the queue name")
    if problem:
        raise UsageProblem(f"{problem} ({option})", hint="give a shorter one")


def is_stream_refusal(error: BaseException) -> bool:
    """True for the close RabbitMQ answers ``basic.get`` on a stream with."""
    return isinstance(error, pex.ConnectionClosedByBroker) and error.reply_code == 540 and "stream" in str(
        error.reply_text
    )


def passive_declare(channel: Any, name: str, node: Endpoint, *, stream: bool = False) -> Any:
    """The queue's declare-ok (ready messages, consumers); QueueNotFound when it does not exist."""
    try:
        return channel.queue_declare(name, passive=True).method
    except pex.ChannelClosedByBroker as exc:
        if exc.reply_code == 404 and stream:
            raise QueueNotFound(f"stream {name!r} does not exist on {node.shown}",
                                hint="make it with 'ocelot record --stream NAME [PATTERN]... --max-age 7d' "
                                "(or check the name and the URL's vhost)") from None  # fmt: skip
        if exc.reply_code == 404:
            raise QueueNotFound(f"queue {name!r} does not exist on {node.shown}",
                                hint="check the name and the URL's vhost ('ocelot info' lists the queues); "
                                "tail never creates the queue it reads") from None  # fmt: skip
        raise queue_refusal(exc, name, node) from None


def queue_refusal(error: pex.ChannelClosedByBroker, name: str, node: Endpoint) -> OcelotError:
    """A channel the broker closed while reading ``name``, in words."""
    if error.reply_code == 405:
        return AuthenticationFailed(f"queue {name!r} is exclusive to another connection: only that one can read it",
                                    hint="an exclusive queue belongs to the connection that made it")  # fmt: skip
    if error.reply_code == 403:
        return AuthenticationFailed(f"RabbitMQ at {node.shown} refused access to queue {name!r}: "
                                    f"({error.reply_code}) {error.reply_text}",
                                    hint="the user needs read permission on the queue in this vhost")  # fmt: skip
    return translate_close(error, node)


def declare_stream(endpoint: Endpoint, spec: StreamSpec) -> bool:
    """Make the stream ``spec`` names, or find it with the same settings, and bind it; True if it was made.

    ExchangeNotFound for an exchange that does not exist; UsageProblem when a queue of that name exists
    with other settings (or is no stream), saying what differs.
    """
    check_queue_name(spec.name, "--stream")
    for exchange, pattern in spec.bindings:
        check_names(exchange=exchange, pattern=pattern)
    connection, node = open_any(endpoint, spec.purpose)
    try:
        for exchange in dict.fromkeys(exchange for exchange, _ in spec.bindings):
            _require_exchange(connection, exchange, node)
        existed = _exists(connection, spec.name, node)
        channel = connection.channel()
        try:
            channel.queue_declare(spec.name, durable=True, arguments=stream_arguments(spec))
            for exchange, pattern in spec.bindings if not (existed and spec.default_bindings) else ():
                channel.queue_bind(spec.name, exchange, routing_key=pattern)
        except pex.ChannelClosedByBroker as exc:
            if exc.reply_code == 406:
                raise stream_mismatch(spec, str(exc.reply_text)) from None
            raise queue_refusal(exc, spec.name, node) from None
        return not existed
    finally:
        close_quietly(connection)


def stream_arguments(spec: StreamSpec) -> dict[str, Any]:
    """The declaration's arguments: the type, and the retention asked for."""
    arguments: dict[str, Any] = {"x-queue-type": "stream"}
    if spec.max_age is not None:
        arguments["x-max-age"] = spec.max_age
    if spec.max_bytes is not None:
        arguments["x-max-length-bytes"] = spec.max_bytes
    return arguments


def _require_exchange(connection: Any, exchange: str, node: Endpoint) -> None:
    channel = connection.channel()
    try:
        channel.exchange_declare(exchange, passive=True)
    except pex.ChannelClosedByBroker as exc:
        if exc.reply_code == 404:
            raise ExchangeNotFound(f"exchange {exchange!r} does not exist on {node.shown}",
                                   hint="check the name (--exchange / OCELOT_EXCHANGE); record never creates "
                                   "exchanges, 'ocelot publish --declare' does") from None  # fmt: skip
        raise translate_close(exc, node, exchange) from None
    channel.close()


def _exists(connection: Any, name: str, node: Endpoint) -> bool:
    channel = connection.channel()
    try:
        passive_declare(channel, name, node)
    except QueueNotFound:
        return False
    channel.close()
    return True


_OPTION_OF = {"x-max-age": "--max-age", "x-max-length-bytes": "--max-bytes"}
_INEQUIVALENT = re.compile(r"inequivalent arg '(?P<arg>[^']+)'.*?: received (?P<received>.+?) but current is "
                           r"(?P<current>.+)$")  # fmt: skip


def stream_mismatch(spec: StreamSpec, reply_text: str) -> UsageProblem:
    """The broker's refusal of a declaration with other settings than the queue has, in words."""
    found = _INEQUIVALENT.search(reply_text)
    arg = found["arg"] if found else ""
    received = _value(found["received"]) if found else ""
    policy = {"x-max-age": f'{{"max-age":"{received}"}}', "x-max-length-bytes": f'{{"max-length-bytes":{received}}}'}
    hint = (f"give the settings it was made with; retention can change without making it again, by a policy "
            f"(rabbitmqctl set_policy NAME '^{re.escape(spec.name)}$' '{policy.get(arg, policy['x-max-age'])}' "
            f"--apply-to queues); or delete it and its history (rabbitmqctl delete_queue {spec.name})")  # fmt: skip
    if not found:
        return UsageProblem(f"stream {spec.name!r} exists with other settings: {reply_text}", hint=hint)
    current = _value(found["current"])
    option = _OPTION_OF.get(arg)
    if option is None:  # not the retention: a queue of another kind by that name
        what = "it is not durable" if arg == "durable" else f"its {arg} is {current}"
        return UsageProblem(f"{spec.name!r} exists and is not a stream ({what})", hint="give the stream another name")
    given = f"{received} (from {option})" if received != "none" else f"none (no {option})"
    return UsageProblem(f"stream {spec.name!r} exists with other settings: its {arg} is {current}, this run "
                        f"gives {given}", hint=hint)  # fmt: skip


def _value(text: str) -> str:
    """A value as the broker quotes it ('7D', or the value '7D' of type 'longstr'), bare: 7D."""
    text = text.strip()
    found = re.fullmatch(r"the value (.+) of type '[^']*'", text)
    return (found[1] if found else text).strip("'")
