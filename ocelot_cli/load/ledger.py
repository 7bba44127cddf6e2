"""What a load worker records per message, the same for every transport.

``scheduled_messages`` yields a publisher's messages on the run's schedule; a ``SendLedger``
records each message's outcome and its send delay and confirm latency; ``Receipts`` records
what a receiver got: which messages (a bitmap per publisher, for exact lost and duplicate
counts), and each one's end-to-end latency from its intended send time.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any

from ocelot_cli.load import stats
from ocelot_cli.load.plan import LoadPlan, parse_marker
from ocelot_cli.load.pool import MessagePool
from ocelot_cli.load.stats import Buckets
from ocelot_cli.transports.messages import SETTLED_ACK, SETTLED_NACK, OutgoingMessage, PublishReport

SECOND_NS = 1_000_000_000


def pack(array: bytearray) -> bytes:
    return zlib.compress(bytes(array), 1)


def unpack(data: bytes) -> bytearray:
    return bytearray(zlib.decompress(data))


def mark(array: bytearray, seq: int, value: int) -> int:
    """Set ``array[seq]`` (growing it); the previous value."""
    if seq >= len(array):
        array.extend(bytes(max(seq + 1 - len(array), len(array))))
    old = array[seq]
    array[seq] = value
    return old


def scheduled_messages(plan: LoadPlan, pool: MessagePool, pub: int, origin: float,
                       each: Callable[[], None] | None = None) -> Iterator[OutgoingMessage]:  # fmt: skip
    """Publisher ``pub``'s messages: on the schedule, or (``--rate max``) timed from when each is built."""
    origin_ns = round(origin * 1e9)
    count = plan.count_for(pub)
    end = origin + plan.total_time
    seq = 0
    while seq < count if count is not None else time.monotonic() < end:
        if count is not None:
            message = pool.message(pub, seq, plan.intended(pub, seq), origin_ns)
        else:
            message = pool.message(pub, seq, None, origin_ns)
            message.due = (time.monotonic_ns() - origin_ns) / 1e9
        yield message
        seq += 1
        if each is not None:
            each()


class SendLedger:
    """A publisher's record: each message's outcome, send delay and confirm latency."""

    def __init__(self, plan: LoadPlan, pub: int, buckets: Buckets) -> None:
        self.states = bytearray(plan.count_for(pub) or 1024)  # 0 unsettled, 1 acked, 2 nacked, 3 returned
        self.buckets = buckets
        self.origin_ns = 0

    def settled(self, message: OutgoingMessage, outcome: int) -> None:
        """Publisher callback: the broker (or Redis) answered for ``message``."""
        now_ns = time.monotonic_ns() - self.origin_ns
        due = message.due or 0.0
        sent = message.sent_at if message.sent_at is not None else due
        bucket = self.buckets.at(int(due))
        stats.record_ns(bucket.hist("send_delay"), round((sent - due) * 1e9))
        self.buckets.at(int(sent)).counts["sent"] += 1
        if outcome == SETTLED_ACK:
            bucket.counts["acked"] += 1
            stats.record_ns(bucket.hist("confirm"), now_ns - round(due * 1e9))
        else:
            bucket.counts["nacked" if outcome == SETTLED_NACK else "returned"] += 1
        mark(self.states, message.seq, outcome + 1)

    def payload(self, report: PublishReport) -> dict[str, Any]:
        """What the worker's ``done`` carries."""
        unsettled = report.published - report.confirmed - report.nacked - report.unroutable
        return {"states": pack(self.states), "unsettled": max(0, unsettled), "failovers": report.failovers}


class Receipts:
    """A receiver's record: what arrived (bitmaps per publisher), duplicates, end-to-end latency."""

    def __init__(self, plan: LoadPlan, buckets: Buckets) -> None:
        self.plan = plan
        self.prefix = plan.marker_prefix()
        self.buckets = buckets
        self.seen: dict[int, bytearray] = {}
        self.received = 0
        self.duplicates = 0
        self.origin_ns = 0

    def take(self, marker_text: Any) -> None:
        """One message arrived carrying ``marker_text`` (its timing marker, if it is ours)."""
        now_ns = time.monotonic_ns() - self.origin_ns
        buckets = self.buckets
        parsed = parse_marker(marker_text, self.prefix) if isinstance(marker_text, str) else None
        if parsed is None:
            buckets.at(max(0, now_ns // SECOND_NS)).counts["foreign"] += 1
            return
        pub, seq, intended_ns = parsed
        array = self.seen.get(pub)
        if array is None:
            array = self.seen[pub] = bytearray(self.plan.count_for(pub) or 1024)
        if mark(array, seq, 1):
            self.duplicates += 1
            buckets.at(intended_ns // SECOND_NS).counts["duplicates"] += 1
            return
        self.received += 1
        stats.record_ns(buckets.at(intended_ns // SECOND_NS).hist("end_to_end"), now_ns - intended_ns)
        buckets.at(now_ns // SECOND_NS).counts["received"] += 1

    def packed(self) -> dict[int, bytes]:
        return {pub: pack(array) for pub, array in self.seen.items()}
