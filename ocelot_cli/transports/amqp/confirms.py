"""The messages a confirmed publisher has in flight, and what the broker said about each one.

A message is outstanding from its basic.publish until its confirm. A basic.return (no queue
bound for its routing key) arrives just before the ack of the same message, so an ack after a
return counts as unroutable, never as delivered. On a lost connection every outstanding message
goes back to be sent again.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any

from ocelot_cli.transports.messages import SETTLED_ACK, SETTLED_NACK, SETTLED_RETURNED, OutgoingMessage, PublishReport


class InFlight:
    """Outstanding messages by delivery tag, returns awaiting their ack, and messages to send again."""

    def __init__(self, report: PublishReport, on_settled: Callable[[OutgoingMessage, int], None] | None) -> None:
        self.report = report
        self.on_settled = on_settled
        self.outstanding: collections.OrderedDict[int, OutgoingMessage] = collections.OrderedDict()
        self.resend: collections.deque[OutgoingMessage] = collections.deque()
        self._returned: set[int] = set()
        self._next_tag = 1
        self._maybe_twice: set[int] = set()  # seq of messages already counted as possible duplicates

    def __len__(self) -> int:
        return len(self.outstanding)

    def new_channel(self) -> None:
        """Delivery tags start again at 1 on a new channel."""
        self._next_tag = 1

    def sent(self, message: OutgoingMessage, now: float) -> None:
        """``message`` was just published: count it (a repeat counts as republished)."""
        self.outstanding[self._next_tag] = message
        self._next_tag += 1
        if message.sends:
            self.report.republished += 1
        else:
            self.report.published += 1
            message.sent_at = now
        message.sends += 1

    def returned(self, message_id: str | None) -> None:
        """A basic.return: mark the message it belongs to (by id, else the oldest unreturned)."""
        for tag, message in self.outstanding.items():
            if tag not in self._returned and message.event_id == message_id:
                self._returned.add(tag)
                return
        if self.outstanding:  # no id to match on: the oldest unreturned message
            unreturned = [t for t in self.outstanding if t not in self._returned]
            if unreturned:
                self._returned.add(unreturned[0])

    def confirmed(self, method: Any, acked: bool) -> None:
        """A basic.ack or basic.nack for one tag or, with ``multiple``, every tag up to it."""
        last = method.delivery_tag
        if method.multiple:
            tags = []
            for tag in self.outstanding:
                if tag > last:
                    break
                tags.append(tag)
        else:
            tags = [last] if last in self.outstanding else []
        report = self.report
        settled = self.on_settled
        for tag in tags:
            message = self.outstanding.pop(tag)
            if not acked:
                report.nacked += 1
                outcome = SETTLED_NACK
            elif tag in self._returned:
                self._returned.discard(tag)
                report.unroutable += 1
                outcome = SETTLED_RETURNED
                if len(report.unroutable_examples) < 5:
                    report.unroutable_examples.append(message.describe())
            else:
                report.confirmed += 1
                outcome = SETTLED_ACK
            if settled is not None:
                settled(message, outcome)

    def requeue(self) -> None:
        """The connection is lost: everything outstanding is to be sent again, in order."""
        unconfirmed = list(self.outstanding.values())
        for message in unconfirmed:  # the broker may have routed it before the connection died
            if message.seq not in self._maybe_twice:
                self._maybe_twice.add(message.seq)
                self.report.possible_duplicate_ids.append(message.event_id or f"#{message.seq}")
        self.outstanding.clear()
        self._returned.clear()
        self.resend.extendleft(reversed(unconfirmed))

    def pending_positions(self) -> list[int]:
        """Input positions of messages not confirmed yet (in flight or to be sent again)."""
        return [m.seq for m in self.outstanding.values()] + [m.seq for m in self.resend]
