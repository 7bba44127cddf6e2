"""Tailing OttoAI real-time channels over WebSocket (websocket-client), speaking the gateway protocol.

Waits for ``welcome``, subscribes to each channel (a refusal is an error, with its reason),
answers every ``{"type": "ping"}`` with ``pong`` at once, waits and retries on
``rate_limited``, and treats a connection that says nothing for longer than its stale time as
dead. A lost connection is re-opened with backoff, re-authenticated and re-subscribed within
the subscribe limit (10 a minute), with a warning that a gap is possible.
"""

from __future__ import annotations

import collections
import contextlib
import json
import ssl
import time
from collections.abc import Callable
from typing import Any

import websocket

from ocelot_cli.errors import AuthenticationFailed, BrokerUnreachable, OcelotError
from ocelot_cli.redact import mask_url
from ocelot_cli.tail import PolledSource, ReceivedMessage, TailStats, reopen

CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    websocket.WebSocketConnectionClosedException,
    websocket.WebSocketTimeoutException,
    websocket.WebSocketException,
    ConnectionError,
    OSError,
)
SUBSCRIBE_LIMIT, SUBSCRIBE_WINDOW = 10, 60.0


class WsTailSource(PolledSource):
    """Iterable of ReceivedMessage (None when idle) from the subscribed channels."""

    lost_errors = CONNECTION_ERRORS

    def __init__(
        self,
        url: str,
        token: str,
        channels: list[str],
        stats: TailStats,
        *,
        ca_file: str | None = None,
        poll: float = 0.25,
        stale_after: float = 45.0,
        reconnect_for: float = 600.0,
        on_notice: Callable[[str], None] | None = None,
    ) -> None:
        self.url = url
        self.token = token
        self.channels = channels
        self.stats = stats
        self.ca_file = ca_file
        self.poll = poll
        self.stale_after = stale_after
        self.reconnect_for = reconnect_for
        self.notice = on_notice or (lambda _m: None)
        self.queue = None  # the AMQP tail names its queue; a WebSocket tail has none
        self._ws: Any = None
        self._ops: collections.deque[float] = collections.deque()
        self._last_heard = 0.0
        self._pending: collections.deque[ReceivedMessage] = collections.deque()

    @property
    def shown(self) -> str:
        return mask_url(self.url)

    # -- connection ----------------------------------------------------------------
    def open(self) -> None:
        """Connect, wait for welcome, subscribe to every channel; OcelotError on refusal."""
        sslopt = {"cert_reqs": ssl.CERT_REQUIRED, "ca_certs": self.ca_file} if self.ca_file else None
        try:
            self._ws = websocket.create_connection(
                self.url, timeout=10, header=[f"Authorization: Bearer {self.token}"], sslopt=sslopt,
                skip_utf8_validation=True, enable_multithread=False,
            )  # fmt: skip
        except websocket.WebSocketBadStatusException as exc:
            raise BrokerUnreachable(f"{self.shown} refused the WebSocket upgrade (HTTP {exc.status_code})",
                                    hint="check the URL path (the gateway serves /ws)") from None  # fmt: skip
        except ssl.SSLCertVerificationError as exc:
            raise AuthenticationFailed(f"TLS certificate of {self.shown} could not be verified: {exc.verify_message}",
                                       hint="pass --ca-file with the CA that signed it") from None  # fmt: skip
        except CONNECTION_ERRORS as exc:
            raise BrokerUnreachable(f"cannot connect to {self.shown}: {type(exc).__name__}",
                                    hint="check that the gateway is running at that address") from None  # fmt: skip
        self._ws.settimeout(self.poll)
        self._last_heard = time.monotonic()
        welcome = self._await(lambda m: m.get("type") == "welcome", what="welcome")
        heartbeat = welcome.get("heartbeat_s")
        if isinstance(heartbeat, int | float) and heartbeat > 0:
            self.stale_after = max(2.0 * heartbeat, self.poll * 4)
        for channel in self.channels:
            self._subscribe(channel)

    def _subscribe(self, channel: str) -> None:
        while True:
            self._pace()
            self._send({"type": "subscribe", "channel": channel})
            reply = self._await(lambda m: m.get("type") in ("subscribe_result", "error"), what="subscribe_result")
            if reply.get("type") == "error" and reply.get("code") == "rate_limited":
                wait = float(reply.get("retry_after") or 1.0)
                self.notice(f"the gateway rate-limited subscribing; retrying {channel} in {wait:g}s")
                time.sleep(min(wait, 60.0))
                continue
            if reply.get("type") == "error":
                raise OcelotError(f"the gateway refused subscribing to {channel}: {reply.get('message') or reply}")
            if not reply.get("success"):
                raise AuthenticationFailed(
                    f"the gateway refused channel {channel}: {reply.get('reason')}",
                    hint="a token may use its own tenant and user channels, and lead channels",
                )
            return

    def _pace(self) -> None:
        """Stay within the gateway's subscribe limit, so a reconnect never trips it."""
        now = time.monotonic()
        while self._ops and now - self._ops[0] >= SUBSCRIBE_WINDOW:
            self._ops.popleft()
        if len(self._ops) >= SUBSCRIBE_LIMIT:
            time.sleep(SUBSCRIBE_WINDOW - (now - self._ops[0]))
        self._ops.append(time.monotonic())

    def _send(self, message: dict[str, Any]) -> None:
        self._ws.send(json.dumps(message))

    def _await(self, accept: Callable[[dict[str, Any]], bool], *, what: str, timeout: float = 10.0) -> dict[str, Any]:
        """Read until a control message ``accept`` takes; events read meanwhile are kept."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frame = self._read()
            if frame is None:
                continue
            message = frame if isinstance(frame, dict) else None
            if message is not None and accept(message):
                return message
        raise BrokerUnreachable(f"{self.shown} did not send {what} within {timeout:g}s")

    def _read(self) -> dict[str, Any] | None:
        """One frame: control frames handled here, events queued; returns a control message or None."""
        try:
            opcode, raw = self._ws.recv_data(control_frame=True)
        except websocket.WebSocketTimeoutException:
            return None
        self._last_heard = time.monotonic()
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            code = int.from_bytes(raw[:2], "big") if len(raw) >= 2 else None
            reason = raw[2:].decode("utf-8", "replace")
            if code == 1008:  # policy violation: the gateway refused the token
                raise AuthenticationFailed(
                    f"{self.shown} refused the token ({reason or 'close code 1008'})",
                    hint="mint one with 'ocelot token' using the gateway's secret, and check that it has not expired",
                )
            raise websocket.WebSocketConnectionClosedException(f"closed by the gateway ({code}: {reason})")
        if opcode not in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY):
            return None  # WebSocket-level ping/pong frames are answered by the library
        # Control messages ({"type": ...}) are parsed here; events go to the session unparsed
        # (it parses each once), which matters at tens of thousands of messages a second.
        message = None
        if raw[:16].lstrip().startswith(b'{"type"') or (raw[:1] == b"{" and b'"type"' in raw[:40]):
            try:
                message = json.loads(raw)
            except ValueError:
                message = None
        if isinstance(message, dict) and "type" in message and "event" not in message:
            if message["type"] == "ping":
                self._send({"type": "pong"})
                return None
            if message["type"] == "error" and message.get("code") != "rate_limited":
                self.notice(f"gateway error: {message.get('code')}: {message.get('message', '')}")
            return message
        channel = self.channels[0] if len(self.channels) == 1 else None
        self._pending.append(ReceivedMessage(raw, time.time(), channel=channel))
        return None

    def close(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            with contextlib.suppress(*CONNECTION_ERRORS):
                ws.close(timeout=1)
            # After a close the server started, the library only marks itself disconnected: shut the
            # socket so the server sees EOF now instead of waiting out its close timeout.
            with contextlib.suppress(*CONNECTION_ERRORS):
                ws.shutdown()

    # -- iteration (PolledSource) ----------------------------------------------------
    def _connected(self) -> bool:
        return self._ws is not None

    def _poll(self) -> None:
        self._read()
        if time.monotonic() - self._last_heard > self.stale_after:
            raise websocket.WebSocketTimeoutException(f"nothing heard for {self.stale_after:g}s")

    def _reconnect(self, error: BaseException) -> None:
        self.close()
        reopen(self.open, self.stats, self.notice, what=self.shown, reconnect_for=self.reconnect_for, error=error)
        self.notice("reconnected and re-subscribed; events sent while disconnected were not seen (gap)")


def tail_source(url: str, channels: list[str], stats: TailStats, *, token: str, **kw: Any) -> WsTailSource:
    """A WsTailSource for this URL."""
    return WsTailSource(url, token, channels, stats, **kw)
