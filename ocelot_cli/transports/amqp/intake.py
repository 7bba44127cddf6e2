"""The publisher's input side: messages taken from the caller's iterator, read ahead while the
broker works, and the error of a message that could not be built or encoded.

A message that cannot be built (the iterator raises OcelotError) or encoded (``refuse``) ends the
input there: what came before it is still sent and settled, nothing after it is sent, and the
error ends the run; ``stopped_at`` is where a resumed run starts.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator

from ocelot_cli.errors import InvalidEvent
from ocelot_cli.transports.limits import amqp_problem
from ocelot_cli.transports.messages import OutgoingMessage, PublishReport


class Intake:
    """Messages to send, in input order: those read ahead (or held for their due time), then the rest."""

    def __init__(self, messages: Iterator[OutgoingMessage], report: PublishReport) -> None:
        self.messages = messages
        self.report = report
        self.ready: collections.deque[OutgoingMessage] = collections.deque()
        self.done = False  # the iterator is exhausted (or failed)
        self.error: Exception | None = None  # why the input ended early (an OcelotError, or a defect)
        self.halted = False  # the message at the head of ``ready`` cannot be encoded: nothing new is sent
        self.next_seq = 0  # input position after the last message taken (for --resume-from)

    def take(self) -> OutgoingMessage | None:
        """The next message from the iterator; None at its end or at a message that cannot be built."""
        if self.done:
            return None
        try:
            message = next(self.messages)
        except StopIteration:
            self.done = True
            return None
        # A message that cannot be built (an OcelotError: too large, no route), or a defect: either ends the
        # input, and is raised after what was sent is settled (never mistaken for a lost connection).
        except Exception as exc:  # noqa: BLE001
            self.error = exc
            self.done = True
            return None
        self.report.total += 1
        self.next_seq = message.seq + 1
        return message

    def next(self) -> OutgoingMessage | None:
        """The next message to send for the first time, or None."""
        if self.halted:
            return None
        if self.ready:
            return self.ready.popleft()
        return self.take()

    def read_ahead(self, count: int, limit: int) -> bool:
        """Take up to ``count`` messages into ``ready`` while it holds fewer than ``limit``; True when
        there may be more to read."""
        for _ in range(count):
            if len(self.ready) >= limit or self.done:
                return False
            message = self.take()
            if message is None:
                return False
            self.ready.append(message)
        return True

    def hold(self, message: OutgoingMessage) -> None:
        """Put back a message that is not sent yet (not due, or a confirm to read first)."""
        self.ready.appendleft(message)

    def refuse(self, message: OutgoingMessage, error: BaseException) -> None:
        """``message`` could not be encoded: it and everything after it stay unsent."""
        problem = amqp_problem(message.exchange, message.routing_key, message.properties)
        reason = problem or f"pika cannot encode it ({type(error).__name__})"
        self.error = InvalidEvent(f"message {message.seq + 1} cannot be sent over AMQP: {reason}",
                                  hint="nothing after it was sent; fix it, then continue from there")  # fmt: skip
        self.done = self.halted = True
        self.ready.appendleft(message)  # unsent: it is where a resumed run starts

    @property
    def exhausted(self) -> bool:
        """Nothing more will be sent for the first time."""
        return self.done and (not self.ready or self.halted)

    def unsent_positions(self) -> list[int]:
        return [message.seq for message in self.ready]

    def stop_position(self, in_flight: list[int], stopped: bool) -> int | None:
        """The first input position not confirmed (for --resume-from); None when all went through."""
        pending = in_flight + self.unsent_positions()
        if pending:
            return min(pending)
        if stopped or self.error is not None or not self.done:
            return self.next_seq  # nothing in flight: the next one not taken
        return None
