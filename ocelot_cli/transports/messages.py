"""What crosses the transport interface: messages to send, messages received, and their counts.

Plain data: the use cases build ``OutgoingMessage`` and read ``PublishReport``; a transport turns
them into driver calls. A tail source yields ``ReceivedMessage`` and counts into ``TailStats``.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ocelot_cli.envelope import formats

# What a publisher's on_settled callback is told about each message.
SETTLED_ACK, SETTLED_NACK, SETTLED_RETURNED = 0, 1, 2


@dataclass(slots=True)  # millions are made in a run: slots make them smaller and their fields quicker
class OutgoingMessage:
    """One message for the exchange: where it goes, its properties, its body."""

    exchange: str
    routing_key: str
    body: bytes
    properties: dict[str, Any]
    event_id: str | None = None
    event_type: str | None = None
    seq: int = 0  # position in the input, for reports and --resume-from
    sends: int = 0  # how many times it was sent (more than once after a reconnect)
    due: float | None = None  # seconds after the start when it should leave (replay timing)
    sent_at: float | None = None  # seconds after the start when it first left
    channel: str | None = None  # a real-time channel (Redis pub/sub) instead of exchange/routing key
    where: str = ""  # FILE:LINE of the record it was made from, for a refusal that names it

    def describe(self) -> str:
        """Where it went and which event it was, for people: ``comms.call.ended (ID)``."""
        return f"{self.routing_key} ({self.event_id})" if self.event_id else self.routing_key

    def to_dict(self) -> dict[str, Any]:
        """What --dry-run prints: exactly what would be sent."""
        try:
            body: Any = json.loads(self.body)
            key = "event"
        except ValueError:  # UnicodeDecodeError included
            try:
                body, key = self.body.decode("utf-8"), "body_text"
            except UnicodeDecodeError:
                body, key = base64.b64encode(self.body).decode("ascii"), "body_base64"
        if self.channel is not None:
            return {"channel": self.channel, key: body}
        return {"exchange": self.exchange, "routing_key": self.routing_key, "properties": self.properties, key: body}




@dataclass
class PublishReport:
    """What happened to every message: the numbers ``publish``, ``replay`` and ``load`` report."""

    total: int = 0  # messages taken from the input
    published: int = 0  # sent at least once
    confirmed: int = 0  # acknowledged by the broker and routed to a queue
    unroutable: int = 0  # returned: no queue bound for the routing key
    nacked: int = 0  # refused by the broker
    republished: int = 0  # sent again after a reconnect (consumers may see duplicates)
    reconnects: int = 0
    elapsed: float = 0.0
    interrupted: bool = False
    unroutable_examples: list[str] = field(default_factory=list)
    stopped_at: int | None = None  # first input position not confirmed, for --resume-from
    # Messages in flight when a connection was lost, sent again: a consumer may see them twice.
    possible_duplicate_ids: list[str] = field(default_factory=list)
    failovers: list[dict[str, Any]] = field(default_factory=list)  # {"from", "to", "window_s"} per reconnect
    node: str | None = None  # the node (of a cluster's list) last connected to

    @property
    def possible_duplicates(self) -> int:
        return len(self.possible_duplicate_ids)

    @property
    def settled(self) -> int:
        """Messages the broker answered: confirmed, returned or refused."""
        return self.confirmed + self.unroutable + self.nacked

    @property
    def unconfirmed(self) -> int:
        """Messages sent that the broker never answered (in flight at the end): published = confirmed +
        unroutable + nacked + unconfirmed, each message in one bucket."""
        return max(0, self.published - self.settled)

    @property
    def unsent(self) -> int:
        """Messages taken from the input but never sent (stopped, or given up before their turn)."""
        return max(0, self.total - self.published)

    @property
    def ok(self) -> bool:
        return self.confirmed == self.total and not self.interrupted

    @property
    def rate(self) -> float:
        return self.confirmed / self.elapsed if self.elapsed > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "total": self.total,
            "published": self.published,
            "confirmed": self.confirmed,
            "unroutable": self.unroutable,
            "nacked": self.nacked,
            "unconfirmed": self.unconfirmed,
            "unsent": self.unsent,
            "republished": self.republished,
            "reconnects": self.reconnects,
            "elapsed_s": round(self.elapsed, 3),
            "rate_per_s": round(self.rate, 1),
            "interrupted": self.interrupted,
            "stopped_at": self.stopped_at,
            "unroutable_examples": self.unroutable_examples,
            "possible_duplicates": self.possible_duplicates,
            "possible_duplicate_ids": self.possible_duplicate_ids,
            "failovers": self.failovers,
            "node": self.node,
        }


class ReceivedMessage:
    """One message as it arrived: body bytes and where it came from.

    Transport properties are converted to plain data only when asked for (recordings
    need them; showing a message does not), which keeps the per-message path short.
    """

    __slots__ = ("body", "received_at", "exchange", "routing_key", "channel", "redelivered", "_properties",
                 "_raw", "_reader", "tag")  # fmt: skip

    def __init__(
        self,
        body: bytes,
        received_at: float,
        exchange: str | None = None,
        routing_key: str | None = None,
        channel: str | None = None,
        properties: dict[str, Any] | None = None,
        redelivered: bool = False,
        raw_properties: Any = None,
        reader: Callable[[Any], dict[str, Any]] | None = None,
        tag: int | None = None,
    ) -> None:
        self.body = body
        self.received_at = received_at
        self.exchange = exchange
        self.routing_key = routing_key
        self.channel = channel
        self.redelivered = redelivered
        self._properties = properties
        self._raw = raw_properties
        self._reader = reader
        self.tag = tag  # the broker's delivery tag, where the source acknowledges what was written (tail --consume)

    @property
    def properties(self) -> dict[str, Any]:
        if self._properties is None:
            self._properties = self._reader(self._raw) if self._reader is not None else {}
        return self._properties

    @property
    def received_text(self) -> str:
        return formats.format_timestamp(formats.utc_from_epoch(self.received_at))


@dataclass
class QueueCounts:
    """What a read of an existing queue or stream did (``tail --queue``, ``tail --stream``), for the summary.

    A look or a take: ``read`` = ``taken`` + ``returned`` (every message not acknowledged goes back to the
    queue). A stream: the offsets read, to start again from (``--since offset:N``).
    """

    queue: str
    mode: str  # "look" (returns everything), "take" (acknowledges what was written), "stream"
    read: int = 0
    taken: int = 0
    first_offset: int | None = None
    last_offset: int | None = None
    # The offset after the last message the tail dealt with (shown, filtered out or trimmed before --since): where
    # a next read goes on without a gap. Messages received ahead (the prefetch) but never handled are not counted.
    next_offset: int | None = None
    before_since: int = 0  # read from the broker's chunk before --since, not shown
    ending: str = ""  # why the read ended, in words (the queue had no more, caught up, --until)

    @property
    def returned(self) -> int:
        return self.read - self.taken

    @property
    def resume_offset(self) -> int | None:
        """Where ``--since offset:N`` goes on from: after the last message handled, else the first one received."""
        return self.next_offset if self.next_offset is not None else self.first_offset

    def to_dict(self) -> dict[str, Any]:
        counts = {"queue": self.queue, "mode": self.mode}
        if self.mode == "stream":
            counts.update(first_offset=self.first_offset, last_offset=self.last_offset, next_offset=self.resume_offset,
                          before_since=self.before_since)
        else:
            counts.update(read=self.read, taken=self.taken, returned=self.returned)
        return {**counts, "ending": self.ending}


@dataclass
class TailStats:
    """Counts for the summary line."""

    received: int = 0
    shown: int = 0
    invalid: int = 0
    warned: int = 0  # valid, with warnings (--validate: naive times)
    not_json: int = 0
    dropped: int = 0  # overflowed out of the tail's own bounded queue
    reconnects: int = 0
    gaps: int = 0  # reconnects after which messages sent meanwhile were not seen
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    stop_reason: str = ""
    queue: QueueCounts | None = None  # a read of an existing queue or stream

    @property
    def elapsed(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    def to_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "shown": self.shown,
            "filtered_out": self.received - self.shown,
            "invalid": self.invalid,
            "warned": self.warned,
            "not_json": self.not_json,
            "dropped": self.dropped,
            "reconnects": self.reconnects,
            "gaps": self.gaps,
            "elapsed_s": round(self.elapsed, 3),
            "stop_reason": self.stop_reason,
            **({"queue": self.queue.to_dict()} if self.queue is not None else {}),
        }
