"""A plain pika publisher, as a careful user would write one: the baseline for bench_publish.py.

Builds COUNT distinct call.ended events (uuid4 id, current timestamp, json.dumps body, per-message
properties) and publishes them persistent and mandatory with confirms pipelined through a
window, on SelectConnection. Prints the confirmed count and the seconds spent publishing.

    python benchmarks/raw_pika_publisher.py URL EXCHANGE COUNT [WINDOW]
"""

import collections
import datetime
import json
import random
import sys
import time
import uuid

import pika


def main() -> None:
    url, exchange, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    window = int(sys.argv[4]) if len(sys.argv) > 4 else 512
    outcomes = ["completed", "callback_requested", "voicemail", "failed"]
    state = {"sent": 0, "tag": 0, "acked": 0, "outstanding": collections.OrderedDict()}
    channel_holder = []

    def event() -> tuple[bytes, pika.BasicProperties]:
        event_id = str(uuid.uuid4())
        body = {
            "id": event_id, "type": "call.ended", "source": "communications",
            "timestamp": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "organizationId": "org-1", "userId": "user-1",
            "data": {"call_id": f"call-{random.getrandbits(48):012x}", "duration": random.randint(5, 900),
                     "outcome": random.choice(outcomes), "transcript": None},
            "metadata": {"version": "1.0.0", "module": "cc-lite"},
        }  # fmt: skip
        props = pika.BasicProperties(content_type="application/json", delivery_mode=2, message_id=event_id,
                                     type="call.ended", headers={"organizationId": "org-1"})  # fmt: skip
        return json.dumps(body, separators=(",", ":")).encode(), props

    def pump() -> None:
        channel = channel_holder[0]
        while len(state["outstanding"]) < window and state["sent"] < count:
            body, props = event()
            state["sent"] += 1
            state["tag"] += 1
            state["outstanding"][state["tag"]] = True
            channel.basic_publish(exchange, "comms.call.ended", body, props, mandatory=True)

    def on_confirm(frame) -> None:
        tag = frame.method.delivery_tag
        if frame.method.multiple:
            while state["outstanding"] and next(iter(state["outstanding"])) <= tag:
                state["outstanding"].popitem(last=False)
                state["acked"] += 1
        elif state["outstanding"].pop(tag, None):
            state["acked"] += 1
        if state["acked"] == count:
            connection.close()
        else:
            pump()

    def on_channel(channel) -> None:
        channel_holder.append(channel)
        channel.confirm_delivery(on_confirm, callback=lambda _f: pump())

    start = time.perf_counter()
    connection = pika.SelectConnection(
        pika.URLParameters(url),
        on_open_callback=lambda c: c.channel(on_open_callback=on_channel),
        on_close_callback=lambda c, _e: c.ioloop.stop(),
    )
    connection.ioloop.start()
    print(state["acked"], time.perf_counter() - start)


if __name__ == "__main__":
    main()
