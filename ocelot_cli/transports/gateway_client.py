"""The one client of the real-time gateway's protocol (ws://, wss://), on websocket-client.

``GatewayClient`` is one connection: Bearer token on the upgrade, ``welcome``, ``subscribe``
paced within the gateway's limit (10 a minute) and retried on ``rate_limited`` after
``retry_after``, refusals raised as errors with the gateway's reason, every ``{"type": "ping"}``
answered with ``pong`` at once, and a connection that says nothing for twice the announced
heartbeat treated as dead. ``ocelot tail ws://``, ``ocelot load --ws-url`` and smoke's gateway
check all speak the protocol through it.

``GatewayTailSource`` adds what a tail needs: reconnect with the one backoff policy,
re-authenticate and re-subscribe every channel, and say that a gap is possible.
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

from ocelot_cli.config.redact import mask_url
from ocelot_cli.errors import AuthenticationFailed, BrokerUnreachable, OcelotError
from ocelot_cli.transports.base import Capability, Endpoint, TailTarget, Transport
from ocelot_cli.transports.messages import ReceivedMessage, TailStats
from ocelot_cli.transports.retry import PolledSource, reopen
from ocelot_cli.transports.ws_frames import BINARY, CLOSE, PING, TEXT, FrameReader

CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    websocket.WebSocketConnectionClosedException,
    websocket.WebSocketTimeoutException,
    websocket.WebSocketException,
    ConnectionError,
    OSError,
)
SUBSCRIBE_LIMIT, SUBSCRIBE_WINDOW = 10, 60.0
_ANSWERED = object()  # a control message handled by the client itself (a ping)
MAX_RETRY_AFTER = 60.0


def _error_code(message: dict[str, Any]) -> Any:
    # ocelot's gateway names the error in "code", hubs modelled on the public one in "error"
    return message.get("code") or message.get("error")


class GatewayClient:
    """One authenticated connection to the gateway; events are kept for ``take_events``."""

    def __init__(self, endpoint: Endpoint, *, poll: float = 0.25, stale_after: float = 45.0,
                 on_notice: Callable[[str], None] | None = None,
                 on_event: Callable[[bytes], None] | None = None) -> None:  # fmt: skip
        """``on_event`` takes each event as it is read; without it, events are kept in ``events``."""
        self.endpoint = endpoint
        self.poll = poll
        self.stale_after = stale_after
        self.notice = on_notice or (lambda _m: None)
        self.channels: list[str] = []
        self.welcome: dict[str, Any] = {}
        self.events: collections.deque[bytes] = collections.deque()
        self._on_event = on_event or self.events.append
        self._ws: Any = None
        self._frames: FrameReader | None = None
        self._ops: collections.deque[float] = collections.deque()
        self._last_heard = 0.0

    @property
    def shown(self) -> str:
        return self.endpoint.shown

    @property
    def connected(self) -> bool:
        return self._ws is not None

    # -- connecting -----------------------------------------------------------------
    def connect(self) -> dict[str, Any]:
        """Open the connection and wait for ``welcome``; OcelotError when refused or unreachable."""
        endpoint = self.endpoint
        sslopt = {"cert_reqs": ssl.CERT_REQUIRED, "ca_certs": endpoint.ca_file} if endpoint.ca_file else None
        try:
            self._ws = websocket.create_connection(
                endpoint.url, timeout=endpoint.connect_timeout, header=[f"Authorization: Bearer {endpoint.token}"],
                sslopt=sslopt, skip_utf8_validation=True, enable_multithread=False,
            )  # fmt: skip
        except websocket.WebSocketBadStatusException as exc:
            raise self._refused_upgrade(exc.status_code, getattr(exc, "resp_body", None)) from None
        except ssl.SSLCertVerificationError as exc:
            raise AuthenticationFailed(f"TLS certificate of {self.shown} could not be verified: {exc.verify_message}",
                                       hint="pass --ca-file with the CA that signed it") from None  # fmt: skip
        except (TimeoutError, websocket.WebSocketTimeoutException):
            raise BrokerUnreachable(f"cannot connect to {self.shown}: no answer within {endpoint.connect_timeout:g}s",
                                    hint="check the host, port and any firewall in between") from None  # fmt: skip
        except CONNECTION_ERRORS as exc:
            raise BrokerUnreachable(f"cannot connect to {self.shown}: {type(exc).__name__}",
                                    hint="check that the gateway is running at that address") from None  # fmt: skip
        self._ws.settimeout(self.poll)
        self._frames = FrameReader(self._ws.sock)
        self._last_heard = time.monotonic()
        self.welcome = self._await(lambda m: m.get("type") == "welcome", what="welcome")
        heartbeat = self.welcome.get("heartbeat_s")
        if isinstance(heartbeat, int | float) and heartbeat > 0:
            self.stale_after = max(2.0 * heartbeat, self.poll * 4)
        return self.welcome

    def _refused_upgrade(self, status: int, body: Any = None) -> OcelotError:
        if status in (401, 403):
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
            said = f": {' '.join(text.split())[:200]}" if text.strip() else ""  # escaped where it is printed
            return AuthenticationFailed(
                f"{self.shown} refused the token (HTTP {status} before the WebSocket upgrade){said}",
                hint="check that the token is signed for this gateway and has not expired",
            )
        if status == 431:  # Request Header Fields Too Large: in practice, the token
            return AuthenticationFailed(
                f"{self.shown} refused the request headers as too large (HTTP 431): the token is too long for it",
                hint="check OCELOT_WS_TOKEN / --token-file: a token is a few hundred bytes, not kilobytes",
            )
        return BrokerUnreachable(f"{self.shown} refused the WebSocket upgrade (HTTP {status})",
                                 hint="check the URL path (ocelot's gateway serves /ws)")  # fmt: skip

    def subscribe(self, channel: str) -> None:
        """Subscribe, within the rate limit; AuthenticationFailed when the gateway refuses the channel."""
        while True:
            self._pace()
            self._send({"type": "subscribe", "channel": channel})
            reply = self._await(lambda m: m.get("type") in ("subscribe_result", "error"), what="subscribe_result")
            if reply.get("type") == "error" and _error_code(reply) == "rate_limited":
                wait = _number(reply.get("retry_after"), 1.0)
                self.notice(f"the gateway rate-limited subscribing; retrying {channel} in {wait:g}s")
                time.sleep(min(wait, MAX_RETRY_AFTER))
                continue
            if reply.get("type") == "error":
                detail = reply.get("message") or _error_code(reply) or json.dumps(reply)
                raise OcelotError(f"the gateway refused subscribing to {channel}: {detail}")
            if not reply.get("success"):
                reason = reply.get("reason") or reply.get("error") or "no reason given"
                raise AuthenticationFailed(
                    f"the gateway refused channel {channel}: {reason}",
                    hint="a token may use its own tenant and user channels, and lead channels",
                )
            if channel not in self.channels:
                self.channels.append(channel)
            return

    def _pace(self) -> None:
        """Stay within the gateway's subscribe limit, so that a reconnect never trips it."""
        now = time.monotonic()
        while self._ops and now - self._ops[0] >= SUBSCRIBE_WINDOW:
            self._ops.popleft()
        if len(self._ops) >= SUBSCRIBE_LIMIT:
            time.sleep(SUBSCRIBE_WINDOW - (now - self._ops[0]))
        self._ops.append(time.monotonic())

    def _send(self, message: dict[str, Any]) -> None:
        self._ws.send(json.dumps(message))

    def _await(self, accept: Callable[[dict[str, Any]], bool], *, what: str) -> dict[str, Any]:
        """Read until a control message ``accept`` takes; events read meanwhile are kept."""
        timeout = self.endpoint.connect_timeout
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self.read()
            if message is not None and accept(message):
                return message
        raise BrokerUnreachable(f"{self.shown} did not send {what} within {timeout:g}s")

    # -- reading --------------------------------------------------------------------
    def fileno(self) -> int:
        return self._ws.sock.fileno()

    def buffered(self) -> bool:
        """True when a frame is already read, or TLS has decrypted bytes waiting, that select() on the
        socket would not see."""
        if self._frames is not None and self._frames.has_frame():
            return True
        pending = getattr(self._ws.sock, "pending", None)
        return bool(pending and pending())

    def read(self) -> dict[str, Any] | None:
        """What has arrived (waits up to the poll interval when nothing has): events go to ``on_event``
        (kept in ``events`` by default) unparsed, in order; control messages are handled here, and the
        first one not answered here (a subscribe_result, an error) is returned, the frames after it
        left for the next read."""
        frames = self._frames
        assert frames is not None, "read() before connect()"
        item = frames.next()
        if item is None:
            try:
                frames.fill()
            except websocket.WebSocketTimeoutException:
                return None
            self._last_heard = time.monotonic()
            item = frames.next()
        on_event = self._on_event
        while item is not None:
            opcode, raw = item
            if opcode in (TEXT, BINARY):
                message = self._control(raw)
                if message is None:
                    on_event(raw)
                elif message is not _ANSWERED:
                    return message
            elif opcode == CLOSE:
                raise self._closed(raw)
            elif opcode == PING:  # a WebSocket-level ping, answered as websocket-client answers it
                self._ws.pong(raw)
            item = frames.next()
        return None

    def _control(self, raw: bytes) -> Any:
        """A control message ({"type": ...}, no "event") parsed, _ANSWERED for a ping answered with pong;
        None for an event (kept unparsed: the reader parses each once, at tens of thousands a second)."""
        if not (raw[:16].lstrip().startswith(b'{"type"') or (raw[:1] == b"{" and b'"type"' in raw[:40])):
            return None
        try:
            message = json.loads(raw)
        except ValueError:
            return None
        if not (isinstance(message, dict) and "type" in message and "event" not in message):
            return None
        if message["type"] == "ping":
            self._send({"type": "pong", **({"ts": message["ts"]} if "ts" in message else {})})
            return _ANSWERED
        if message["type"] == "error" and _error_code(message) != "rate_limited":
            self.notice(f"gateway error: {_error_code(message)}: {message.get('message', '')}")
        return message

    def _closed(self, raw: bytes) -> Exception:
        """The error for a close frame from the gateway (answered with a close, as websocket-client does)."""
        with contextlib.suppress(*CONNECTION_ERRORS):
            self._ws.send_close()
        code = int.from_bytes(raw[:2], "big") if len(raw) >= 2 else None
        reason = raw[2:].decode("utf-8", "replace")
        if code == 1008:  # policy violation: the gateway refused the token
            return AuthenticationFailed(
                f"{self.shown} refused the token ({reason or 'close code 1008'})",
                hint="check that the token is signed for this gateway (its secret or --jwks keys), not expired",
            )
        return websocket.WebSocketConnectionClosedException(f"closed by the gateway ({code}: {reason})")

    def check_alive(self) -> None:
        """WebSocketTimeoutException when nothing was heard for longer than the stale time."""
        if time.monotonic() - self._last_heard > self.stale_after:
            raise websocket.WebSocketTimeoutException(f"nothing heard for {self.stale_after:g}s")

    def close(self) -> None:
        ws, self._ws, self._frames = self._ws, None, None
        if ws is not None:
            with contextlib.suppress(*CONNECTION_ERRORS):
                ws.close(timeout=1)
            # After a close the server started, the library only marks itself disconnected: shut the
            # socket so the server sees EOF now instead of waiting out its close timeout.
            with contextlib.suppress(*CONNECTION_ERRORS):
                ws.shutdown()


def _number(value: Any, default: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if number >= 0 else default


class GatewayTailSource(PolledSource):
    """Iterable of ReceivedMessage (None when idle) from the subscribed channels, reconnecting."""

    lost_errors = CONNECTION_ERRORS

    def __init__(self, endpoint: Endpoint, target: TailTarget, stats: TailStats) -> None:
        self.endpoint = endpoint
        self.channels = list(target.channels)
        self.stats = stats
        self.reconnect_for = target.reconnect_for
        self.notice = target.on_notice or (lambda _m: None)
        self._pending: collections.deque[ReceivedMessage] = collections.deque()
        self._channel = self.channels[0] if len(self.channels) == 1 else None
        self.client = GatewayClient(endpoint, poll=target.poll, on_notice=self.notice, on_event=self._take)

    def open(self) -> None:
        """Connect, wait for welcome, subscribe to every channel; OcelotError on refusal, and when the
        connection ends or breaks the protocol on the way (BrokerUnreachable: retried within --reconnect-for)."""
        try:
            self.client.connect()
            for channel in self.channels:
                self.client.subscribe(channel)
        except CONNECTION_ERRORS as exc:
            self.client.close()
            raise BrokerUnreachable(f"{self.client.shown}: the connection ended before the subscriptions were made "
                                    f"({type(exc).__name__}: {exc})", hint="check the gateway's logs") from None

    def close(self) -> None:
        self.client.close()

    def _connected(self) -> bool:
        return self.client.connected

    def _take(self, raw: bytes) -> None:
        self._pending.append(ReceivedMessage(raw, time.time(), channel=self._channel))

    def _poll(self) -> None:
        self.client.read()
        self.client.check_alive()

    def _reconnect(self, error: BaseException) -> None:
        self.close()
        reopen(self.open, self.stats, self.notice, what=self.client.shown, reconnect_for=self.reconnect_for,
               error=error)  # fmt: skip
        self.notice("reconnected and re-subscribed; events sent while disconnected were not seen (gap)")


class GatewayTransport(Transport):
    name = "the real-time gateway"
    capabilities = frozenset({Capability.TAIL, Capability.PROBE})

    def tail_source(self, target: TailTarget, stats: TailStats) -> GatewayTailSource:
        return GatewayTailSource(self.endpoint, target, stats)

    def client(self, *, poll: float = 0.25, on_notice: Callable[[str], None] | None = None) -> GatewayClient:
        """A connection to speak the protocol directly (smoke's check, load runs)."""
        return GatewayClient(self.endpoint, poll=poll, on_notice=on_notice)

    def ready_url(self) -> str:
        """The gateway's readiness page: /ready beside the WebSocket path, over http(s)."""
        url = self.endpoint.url
        return "http" + url[2:].rsplit("/", 1)[0] + "/ready"

    def readiness(self) -> tuple[int, str]:
        """HTTP status and body of the readiness page; BrokerUnreachable when nothing answers."""
        import urllib.error
        import urllib.request

        ready = self.ready_url()
        context = ssl.create_default_context(cafile=self.endpoint.ca_file) if ready.startswith("https") else None
        try:
            with urllib.request.urlopen(ready, timeout=self.endpoint.connect_timeout, context=context) as response:  # noqa: S310
                return response.status, response.read(200).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(300).decode("utf-8", "replace")
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise BrokerUnreachable(f"no gateway answers at {mask_url(ready)} ({reason})",
                                    hint="start it ('ocelot gateway') or set OCELOT_WS_URL") from None  # fmt: skip

    def probe(self, purpose: str) -> dict[str, str]:
        client = self.client()
        try:
            welcome = client.connect()
        finally:
            client.close()
        return {"url": self.endpoint.shown, "server": f"gateway (tenant {welcome.get('tenant_id')})"}
