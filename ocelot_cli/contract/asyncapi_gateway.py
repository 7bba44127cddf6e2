"""The real-time gateway's control messages, as AsyncAPI messages of the WebSocket connection.

The protocol the spec's client speaks and ``ocelot gateway`` serves (see gateway/server.py):
``welcome`` after the upgrade, ``subscribe``/``unsubscribe`` answered by ``*_result`` or ``error``
(``rate_limited`` with ``retry_after``), and ``ping``/``pong``. Each message carries
``x-ocelot-role: control``: it is no event type of the catalog.
"""

from __future__ import annotations

from typing import Any

from ocelot_cli.envelope.channels import CHANNEL_PATTERN

ROLE = "x-ocelot-role"
# A JavaScript regular expression has no \A and \Z.
_CHANNEL = {"type": "string", "pattern": CHANNEL_PATTERN.pattern.replace("\\A", "^").replace("\\Z", "$"),
            "description": "An exact channel name: tenant:{id}:events, user:{id}:tasks or lead:{id}:timeline."}
_TS = {"type": "string", "format": "date-time", "description": "When the gateway sent it (UTC)."}
_EXAMPLE_TS = "2025-09-20T10:30:00.000Z"
_EXAMPLE_CHANNEL = "tenant:org-1:events"


def _kind(name: str) -> dict[str, Any]:
    return {"type": "string", "const": name}


def _message(name: str, summary: str, properties: dict[str, Any], required: list[str],
             example: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    title = "gateway " + name.replace("_", " ")  # code generators name a model by its title
    return {
        "name": name,
        "title": f"{name} (gateway control message)",
        "summary": summary,
        "contentType": "application/json",
        "tags": [{"name": "gateway-control"}],
        "payload": {"title": title, "type": "object", "required": ["type", *required],
                    "properties": {"type": _kind(name), **properties}},
        "examples": [{"name": name, "payload": {"type": name, **example}}],
        ROLE: "control",
    }  # fmt: skip


def _result(kind: str) -> dict[str, Any]:
    return _message(
        f"{kind}_result", f"The gateway's answer to a {kind}: success, or the reason it refused.",
        {"channel": {"type": ["string", "null"]}, "success": {"type": "boolean"},
         "reason": {"type": "string", "description": "Why it was refused (success false)."}, "ts": _TS},
        ["channel", "success"], {"channel": _EXAMPLE_CHANNEL, "success": True, "ts": _EXAMPLE_TS},
    )  # fmt: skip


def control_messages() -> dict[str, dict[str, Any]]:
    """The control messages, by component id."""
    return {
        "gatewayWelcome": _message(
            "welcome", "Sent once the connection is authenticated: who it belongs to and the gateway's limits.",
            {"connection_id": {"type": "string"}, "tenant_id": {"type": "string", "minLength": 1},
             "user_id": {"type": ["string", "null"]},
             "heartbeat_s": {"type": "number", "description": "Seconds between pings: answer each with pong."},
             "max_message_bytes": {"type": "integer", "description": "Larger messages arrive as pointer messages."},
             "ts": _TS},
            ["tenant_id"], {"connection_id": "c-1", "tenant_id": "org-1", "user_id": "user-1", "heartbeat_s": 20,
                            "max_message_bytes": 32768, "ts": _EXAMPLE_TS},
        ),
        "gatewaySubscribe": _message(
            "subscribe", "Start receiving a channel's events (at most 10 subscribe/unsubscribe a minute).",
            {"channel": _CHANNEL}, ["channel"], {"channel": _EXAMPLE_CHANNEL},
        ),
        "gatewayUnsubscribe": _message(
            "unsubscribe", "Stop receiving a channel's events.", {"channel": _CHANNEL}, ["channel"],
            {"channel": _EXAMPLE_CHANNEL},
        ),
        "gatewaySubscribeResult": _result("subscribe"),
        "gatewayUnsubscribeResult": _result("unsubscribe"),
        "gatewayError": _message(
            "error", "A message the gateway could not take: bad JSON, an unknown type, or too many subscriptions "
            "(rate_limited: try again after retry_after seconds).",
            {"error": {"type": "string", "description": "What went wrong, e.g. rate_limited."},
             "code": {"type": "string"}, "message": {"type": "string"},
             "retry_after": {"type": "integer", "minimum": 0, "description": "Whole seconds to wait (rate_limited)."},
             "retry_after_s": {"type": "number", "minimum": 0}, "ts": _TS},
            [], {"error": "rate_limited", "code": "rate_limited", "message": "at most 10 subscribe/unsubscribe per "
                 "60s", "retry_after": 12, "retry_after_s": 11.4, "ts": _EXAMPLE_TS},
        ),
        "gatewayPing": _message(
            "ping", "The heartbeat: the gateway sends one every heartbeat_s and closes a connection that has not "
            "answered with pong within the stale time (a client may ping too).", {"ts": _TS}, [],
            {"ts": _EXAMPLE_TS},
        ),
        "gatewayPong": _message("pong", "The answer to a ping.", {"ts": _TS}, [], {}),
    }  # fmt: skip


# Who sends which control message on the connection.
GATEWAY_SENDS = ("gatewayWelcome", "gatewaySubscribeResult", "gatewayUnsubscribeResult", "gatewayError",
                 "gatewayPing", "gatewayPong")  # fmt: skip
CLIENT_SENDS = ("gatewaySubscribe", "gatewayUnsubscribe", "gatewayPing", "gatewayPong")
