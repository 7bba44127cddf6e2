"""Redis pub/sub (redis://, rediss://), the way events reach the OttoAI real-time hub.

Publishing: PUBLISH to each channel, in pipelined batches. Pub/sub has no confirms; what Redis
does say is how many subscribers received each message, and a message that reached nobody is
counted like an unroutable AMQP message: reported, and the exit status says so. Replay timing
is kept by sleeping until each message is due.

Tailing: SUBSCRIBE to exact channels and PSUBSCRIBE to glob patterns (``tenant:*:events``), so
users see what reaches Redis before the gateway does. A lost connection is re-opened with the
one backoff policy, with a warning that messages published meanwhile were not seen (pub/sub
keeps nothing).
"""

from __future__ import annotations

import collections
import contextlib
import time
from collections.abc import Iterator
from typing import Any

import redis
import redis.exceptions as rex

from ocelot_cli.transports.base import Capability, Endpoint, PublishOptions, TailTarget, Transport
from ocelot_cli.transports.messages import (
    SETTLED_ACK,
    SETTLED_RETURNED,
    OutgoingMessage,
    PublishReport,
    ReceivedMessage,
    TailStats,
)
from ocelot_cli.transports.redis_link import (
    CONNECTION_ERRORS,
    SUBSCRIBED,
    LinkHealth,
    client_for,
    received,
    split_channels,
    translate_error,
)
from ocelot_cli.transports.retry import Backoff, PolledSource, reopen

BATCH = 200


class RedisTransport(Transport):
    name = "Redis pub/sub"
    capabilities = frozenset({Capability.PUBLISH, Capability.TAIL, Capability.PROBE, Capability.LIVE})

    def publisher(self, messages: Iterator[OutgoingMessage], options: PublishOptions) -> RedisPublisher:
        return RedisPublisher(self.endpoint, messages, options)

    def tail_source(self, target: TailTarget, stats: TailStats) -> RedisTailSource:
        return RedisTailSource(self.endpoint, target, stats)

    def live_source(self, target: TailTarget, stats: TailStats) -> Any:
        from ocelot_cli.transports.redis_live import RedisLiveSource

        return RedisLiveSource(self.endpoint, target, stats)

    def probe(self, purpose: str) -> dict[str, str]:
        client = client_for(self.endpoint, purpose)
        try:
            info = client.info("server")
        except (rex.RedisError, OSError) as exc:
            raise translate_error(exc, self.endpoint) from None
        finally:
            client.close()
        return {"url": self.endpoint.shown, "server": f"Redis {info.get('redis_version', '')}".strip()}


class RedisPublisher:
    """PUBLISH a stream of channel messages (exchange unused, routing_key = channel)."""

    def __init__(self, endpoint: Endpoint, messages: Iterator[OutgoingMessage], options: PublishOptions) -> None:
        self.endpoint = endpoint
        self.messages = messages
        self.options = options
        self.rate = options.rate
        self.notice = options.on_notice or (lambda _m: None)
        self.report = PublishReport()
        self._stop = False
        self._started = 0.0
        self._origin = 0.0

    def request_stop(self) -> None:
        """Stop after the batch in flight (safe from a signal handler)."""
        self._stop = True

    def run(self) -> PublishReport:
        """Publish everything (or until stopped); raises OcelotError on a fatal failure."""
        self._started = time.monotonic()
        self._origin = self.options.origin or self._started
        client = client_for(self.endpoint, "ocelot publish")
        try:
            client.ping()
        except (rex.RedisError, OSError) as exc:
            raise translate_error(exc, self.endpoint) from None
        on_progress = self.options.on_progress
        next_progress = self._started + self.options.progress_interval
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
                if on_progress and time.monotonic() >= next_progress:
                    self.report.elapsed = time.monotonic() - self._started
                    on_progress(self.report)
                    next_progress = time.monotonic() + self.options.progress_interval
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
        backoff = Backoff(self.options.reconnect_for)
        sent = time.monotonic() - self._origin
        while True:
            try:
                pipe = client.pipeline(transaction=False)
                for message in batch:
                    pipe.publish(message.routing_key, message.body)
                receivers = pipe.execute()
                break
            except CONNECTION_ERRORS as exc:
                delay = backoff.next_delay()
                if backoff.expired or self._stop:  # this batch is not sent: resume from its first message
                    self.report.stopped_at = batch[0].seq
                    if self._stop:
                        return
                    raise translate_error(exc, self.endpoint) from None
                if backoff.attempts == 1:
                    self.report.republished += len(batch)
                self.report.reconnects += 1
                self.notice(f"connection to Redis at {self.endpoint.shown} lost; retrying the last {len(batch)}")
                self._sleep(delay)
        settled = self.options.on_settled
        for message, count in zip(batch, receivers, strict=True):
            self.report.published += 1
            if message.sent_at is None:
                message.sent_at = sent
            if count:
                self.report.confirmed += 1
            else:
                self.report.unroutable += 1
                if len(self.report.unroutable_examples) < 5:
                    self.report.unroutable_examples.append(message.describe())
            if settled is not None:
                settled(message, SETTLED_ACK if count else SETTLED_RETURNED)


class RedisTailSource(PolledSource):
    """Iterable of ReceivedMessage (None when idle) from Redis channels and glob patterns."""

    lost_errors = CONNECTION_ERRORS
    DRAIN = 500  # messages taken per poll once one has arrived

    def __init__(self, endpoint: Endpoint, target: TailTarget, stats: TailStats) -> None:
        self.endpoint = endpoint
        self.channels, self.patterns = split_channels(target.channels)
        self.stats = stats
        self.poll = target.poll
        self.reconnect_for = target.reconnect_for
        self.notice = target.on_notice or (lambda _m: None)
        self.purpose = target.purpose
        self.health = LinkHealth(endpoint.connect_timeout)
        self._client: Any = None
        self._pubsub: Any = None
        self._pending: collections.deque[ReceivedMessage] = collections.deque()

    def open(self) -> None:
        """Connect and subscribe; OcelotError when Redis cannot be reached or refuses."""
        client = client_for(self.endpoint, self.purpose)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            if self.channels:
                pubsub.subscribe(*self.channels)
            if self.patterns:
                pubsub.psubscribe(*self.patterns)
            # SUBSCRIBE has no reply of its own until read: read the confirmations, so a refused
            # connection or password fails here, and the tail says "tailing" only when it is.
            expected = len(self.channels) + len(self.patterns)
            deadline = time.monotonic() + self.endpoint.connect_timeout
            while expected:
                reply = pubsub.parse_response(block=False, timeout=max(0.0, deadline - time.monotonic()))
                if reply is None:
                    raise rex.TimeoutError("no subscribe confirmation")
                if isinstance(reply, list) and reply and reply[0] in SUBSCRIBED:
                    expected -= 1
        except (rex.RedisError, OSError) as exc:
            pubsub.close()
            client.close()
            raise translate_error(exc, self.endpoint) from None
        self._client, self._pubsub = client, pubsub
        self.health.heard()

    def close(self) -> None:
        pubsub, client, self._pubsub, self._client = self._pubsub, self._client, None, None
        for thing in (pubsub, client):
            if thing is not None:
                with contextlib.suppress(Exception):  # closing a connection that may be gone
                    thing.close()

    def _connected(self) -> bool:
        return self._pubsub is not None

    def _poll(self) -> None:
        message = self._pubsub.get_message(timeout=self.poll)
        if message is not None:
            self.health.heard()
        elif self.health.ping_due():
            self._pubsub.ping()
        taken = 0
        while message is not None:
            item = received(message)
            if item is not None:
                self._pending.append(item)
            taken += 1
            if taken >= self.DRAIN:
                return
            message = self._pubsub.get_message(timeout=0)

    def _reconnect(self, error: BaseException) -> None:
        self.close()
        reopen(self.open, self.stats, self.notice, what=f"Redis at {self.endpoint.shown}",
               reconnect_for=self.reconnect_for, error=error)  # fmt: skip
        self.notice("reconnected and re-subscribed; messages published while disconnected were not seen (gap)")
