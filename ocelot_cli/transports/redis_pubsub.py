"""Redis pub/sub, the way events reach the OttoAI real-time hub: PUBLISH to each channel.

Pub/sub has no confirms; what Redis does say is how many subscribers received each message.
A message that reached nobody is counted like an unroutable AMQP message: reported, and the
exit status says so. Messages go out in pipelined batches; replay timing is kept by sleeping
until each message is due.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import redis
import redis.exceptions as rex

from ocelot_cli.errors import AuthenticationFailed, BrokerUnreachable, ConnectionLost, OcelotError
from ocelot_cli.outgoing import SETTLED_ACK, SETTLED_RETURNED, OutgoingMessage, PublishReport
from ocelot_cli.redact import mask_url

CONNECTION_ERRORS: tuple[type[BaseException], ...] = (rex.ConnectionError, rex.TimeoutError, ConnectionError)
BATCH = 200


def translate_error(error: BaseException, url: str) -> OcelotError:
    """A redis-py failure as an OcelotError naming the masked URL."""
    shown = mask_url(url)
    text = str(error)
    if isinstance(error, rex.AuthenticationError) or "WRONGPASS" in text or "NOAUTH" in text:
        return AuthenticationFailed(
            f"Redis at {shown} refused the credentials", hint="check the password in the URL (OCELOT_REDIS_URL)"
        )
    if isinstance(error, rex.TimeoutError):
        return BrokerUnreachable(f"Redis at {shown} did not answer in time", hint="check the host and port")
    if isinstance(error, CONNECTION_ERRORS):
        return BrokerUnreachable(f"cannot connect to Redis at {shown}",
                                 hint="check that Redis is running and listening on that host and port")  # fmt: skip
    return ConnectionLost(f"Redis at {shown} failed: {type(error).__name__}")


def ping(url: str) -> None:
    """Nothing if Redis at ``url`` answers; the translated error otherwise."""
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except (rex.RedisError, OSError) as exc:
        raise translate_error(exc, url) from None
    finally:
        client.close()


class RedisPublisher:
    """PUBLISH a stream of channel messages (exchange unused, routing_key = channel)."""

    def __init__(
        self,
        url: str,
        messages: Iterator[OutgoingMessage],
        *,
        rate: float | None = None,
        reconnect_for: float = 30.0,
        on_notice: Callable[[str], None] | None = None,
        on_progress: Callable[[PublishReport], None] | None = None,
        progress_interval: float = 0.25,
        origin: float | None = None,
        on_settled: Callable[[OutgoingMessage, int], None] | None = None,
        **_unused: Any,
    ) -> None:
        self.url = url
        self.messages = messages
        self.rate = rate
        self.reconnect_for = reconnect_for
        self.notice = on_notice or (lambda _m: None)
        self.on_progress = on_progress
        self.progress_interval = progress_interval
        self.report = PublishReport()
        self._stop = False
        self._started = 0.0
        self._fixed_origin = origin  # time.monotonic() of due 0 (ocelot load shares it between processes)
        self._origin = 0.0
        self.on_settled = on_settled  # per message: SETTLED_ACK (a subscriber got it) or SETTLED_RETURNED

    def request_stop(self) -> None:
        """Stop after the batch in flight (safe from a signal handler)."""
        self._stop = True

    def run(self) -> PublishReport:
        """Publish everything (or until stopped); raises OcelotError on a fatal failure."""
        self._started = time.monotonic()
        self._origin = self._fixed_origin or self._started
        client = redis.Redis.from_url(self.url, socket_connect_timeout=5, socket_timeout=10)
        try:
            client.ping()
        except (rex.RedisError, OSError) as exc:
            raise translate_error(exc, self.url) from None
        next_progress = self._started + self.progress_interval
        batch: list[OutgoingMessage] = []
        try:
            for message in self.messages:
                if self._stop:
                    break
                self.report.total += 1
                wait = self._wait_for(message)
                if wait > 0 and batch:
                    self._send(client, batch)
                    batch = []
                if wait > 0:
                    self._sleep(wait)
                    if self._stop:
                        self.report.stopped_at = message.seq
                        break
                batch.append(message)
                if len(batch) >= BATCH:
                    self._send(client, batch)
                    batch = []
                if self.on_progress and time.monotonic() >= next_progress:
                    self.report.elapsed = time.monotonic() - self._started
                    self.on_progress(self.report)
                    next_progress = time.monotonic() + self.progress_interval
            if batch:
                self._send(client, batch)
        finally:
            client.close()
            self.report.elapsed = time.monotonic() - self._started
            self.report.interrupted = self._stop
            if self._stop and self.report.stopped_at is None:
                self.report.stopped_at = self.report.total
        return self.report

    def _wait_for(self, message: OutgoingMessage) -> float:
        if self.rate:
            due = self.report.published / self.rate
        elif message.due is not None:
            due = message.due
        else:
            return 0.0
        return self._origin + due - time.monotonic()

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self._stop and time.monotonic() < end:
            time.sleep(min(0.01, max(0.0, end - time.monotonic())))

    def _send(self, client: redis.Redis, batch: list[OutgoingMessage]) -> None:
        deadline = time.monotonic() + self.reconnect_for
        attempt = 0
        sent = time.monotonic() - self._origin
        while True:
            try:
                pipe = client.pipeline(transaction=False)
                for message in batch:
                    pipe.publish(message.routing_key, message.body)
                receivers = pipe.execute()
                break
            except CONNECTION_ERRORS as exc:
                if time.monotonic() >= deadline:
                    raise translate_error(exc, self.url) from None
                attempt += 1
                self.report.reconnects += 1
                self.notice(f"connection to Redis at {mask_url(self.url)} lost; retrying the last {len(batch)}")
                time.sleep(min(0.25 * 2**attempt, 5.0))
                if attempt == 1:
                    self.report.republished += len(batch)
        settled = self.on_settled
        for message, count in zip(batch, receivers, strict=True):
            self.report.published += 1
            if message.sent_at is None:
                message.sent_at = sent
            if count:
                self.report.confirmed += 1
            else:
                self.report.unroutable += 1
                if len(self.report.unroutable_examples) < 5:
                    self.report.unroutable_examples.append(f"{message.routing_key} ({message.event_id})")
            if settled is not None:
                settled(message, SETTLED_ACK if count else SETTLED_RETURNED)


def publisher(url: str, messages: Iterator[OutgoingMessage], **kw: Any) -> RedisPublisher:
    """A RedisPublisher for this URL."""
    return RedisPublisher(url, messages, **kw)
