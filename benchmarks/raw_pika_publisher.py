"""A plain pika publisher, as a careful user would write one: a baseline for bench_publish.py.

Builds COUNT distinct call.ended events (uuid4 id, current timestamp, json.dumps body, per-message
properties) and publishes them persistent and mandatory with confirms pipelined through a
window, on SelectConnection. Prints the confirmed count and the seconds spent publishing.
SHAPE "same" (the default) sends the messages ocelot sends (its properties, a transcript that fits
the outcome); "minimal" fewer properties and no transcript (see node_amqplib_publisher.js).

    python benchmarks/raw_pika_publisher.py URL EXCHANGE COUNT [WINDOW] [same|minimal]
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
    same = (sys.argv[5] if len(sys.argv) > 5 else "same") == "same"
    transcripts = {
        "completed": "Customer confirmed the installation date and thanked the agent.",
        "callback_requested": "Customer wants a callback tomorrow at 2pm to discuss pricing.",
        "voicemail": "Left a voicemail about the pending quote.",
        "failed": None,
    }
    outcomes = list(transcripts)
    state = {"sent": 0, "tag": 0, "acked": 0, "outstanding": collections.OrderedDict()}
    channel_holder = []

    def event() -> tuple[bytes, pika.BasicProperties]:
        event_id = str(uuid.uuid4())
        now = datetime.datetime.now(datetime.UTC)
        outcome = random.choice(outcomes)
        body = {
            "id": event_id, "type": "call.ended", "source": "communications",
            "timestamp": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "organizationId": "org-1a2b3c", "userId": "user-4d5e6f",
            "data": {"call_id": f"call-{random.getrandbits(48):012x}",
                     "duration": 0 if same and outcome == "failed" else random.randint(5, 900),
                     "outcome": outcome, "transcript": transcripts[outcome] if same else None},
            "metadata": {"version": "1.0.0", "module": "cc-lite"},
        }  # fmt: skip
        if same:
            props = pika.BasicProperties(
                content_type="application/json", content_encoding="utf-8", delivery_mode=2, message_id=event_id,
                timestamp=int(now.timestamp()), type="call.ended", app_id="ocelot/0.1.0",
                headers={"organizationId": body["organizationId"], "source": body["source"]},
            )  # fmt: skip
        else:
            props = pika.BasicProperties(content_type="application/json", delivery_mode=2, message_id=event_id,
                                         type="call.ended", headers={"organizationId": body["organizationId"]})
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
