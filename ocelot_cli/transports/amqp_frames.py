"""A faster basic.publish for streams of messages: see FrameWriter."""

from __future__ import annotations

from typing import Any

from pika import frame as amqp_frame
from pika import spec as amqp_spec


class FrameWriter:
    """basic.publish with the constant method frame marshalled once per routing key.

    pika marshals a fresh Basic.Publish method frame for every message; for a stream of
    messages to a few routing keys that work is the same each time. Header and body frames
    still go through pika's own marshalling. If pika's internals ever differ, the plain
    ``channel.basic_publish`` is used instead (see benchmarks/bench_publish.py for the gain).
    """

    def __init__(self, connection: Any, channel: Any) -> None:
        self.channel = channel
        self.number = channel.channel_number
        self.emit = getattr(connection, "_output_marshaled_frames", None)
        self.body_max = getattr(connection, "_body_max_length", None)
        self.methods: dict[tuple[str, str], bytes] = {}

    @property
    def usable(self) -> bool:
        return callable(self.emit) and isinstance(self.body_max, int) and self.body_max > 0

    def publish(self, exchange: str, routing_key: str, body: bytes, properties: Any) -> None:
        method = self.methods.get((exchange, routing_key))
        if method is None:
            publish = amqp_spec.Basic.Publish(exchange=exchange, routing_key=routing_key, mandatory=True)
            method = self.methods[(exchange, routing_key)] = amqp_frame.Method(self.number, publish).marshal()
        frames = [method, amqp_frame.Header(self.number, len(body), properties).marshal()]
        limit = self.body_max
        for start in range(0, len(body), limit):
            frames.append(amqp_frame.Body(self.number, body[start : start + limit]).marshal())
        self.emit(frames)
