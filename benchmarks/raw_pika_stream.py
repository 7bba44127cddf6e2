"""The most a publisher can get from this broker for a recording's messages: a bound for bench_replay.py.

Reads a recording (what `ocelot tail --output` writes), marshals every message's frames with pika's own
classes (basic.publish, mandatory; the recorded properties; the exact body) before anything is timed,
then streams those bytes on one SelectConnection with confirms pipelined through a window, 1,000 in
flight, doing nothing per message but count. No reading, parsing, checking or building while it sends:
no publisher of these messages can send them faster over one channel. Prints JSON: messages, the
seconds of the stream alone, and the CPU seconds this process spent streaming.

    python benchmarks/raw_pika_stream.py URL EXCHANGE RECORDING [WINDOW]
"""

import base64
import json
import resource
import sys
import time

import pika
from pika import frame, spec


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def marshal(exchange: str, record: dict, frame_max: int) -> bytes:
    if "event" in record:
        body = json.dumps(record["event"], separators=(",", ":"), ensure_ascii=False).encode()
    elif "body_text" in record:
        body = record["body_text"].encode()
    else:
        body = base64.b64decode(record.get("body_base64", ""))
    properties = pika.BasicProperties(**record.get("properties", {}))
    pieces = [
        frame.Method(1, spec.Basic.Publish(exchange=exchange, routing_key=record["routing_key"], mandatory=True)),
        frame.Header(1, len(body), properties),
    ]
    step = frame_max - 8
    pieces += [frame.Body(1, body[start : start + step]) for start in range(0, len(body), step)]
    return b"".join(piece.marshal() for piece in pieces)


def main() -> None:
    url, exchange, path = sys.argv[1], sys.argv[2], sys.argv[3]
    window = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    with open(path, encoding="utf-8") as lines:
        messages = [marshal(exchange, json.loads(line), 131072) for line in lines if '"gap":true' not in line]
    total = len(messages)
    state = {"sent": 0, "acked": 0, "nacked": 0, "start": 0.0, "cpu": 0.0}

    def pump() -> None:
        count = min(total - state["sent"], window - (state["sent"] - state["acked"]))
        if count > 0:
            connection._output_marshaled_frames([b"".join(messages[state["sent"] : state["sent"] + count])])
            state["sent"] += count

    def on_confirm(confirm: frame.Method) -> None:
        method = confirm.method
        if isinstance(method, spec.Basic.Nack):
            state["nacked"] += 1
        state["acked"] = method.delivery_tag if method.multiple else max(state["acked"], method.delivery_tag)
        if state["acked"] >= total:
            state["end"], state["cpu"] = time.perf_counter(), cpu() - state["cpu"]
            connection.close()
        elif window - (state["sent"] - state["acked"]) >= 64:
            pump()

    def on_confirm_mode(_frame: frame.Method) -> None:
        state["start"], state["cpu"] = time.perf_counter(), cpu()
        pump()

    def on_channel(channel: pika.channel.Channel) -> None:
        channel.confirm_delivery(ack_nack_callback=on_confirm, callback=on_confirm_mode)

    parameters = pika.URLParameters(url)
    parameters.frame_max = 131072
    connection = pika.SelectConnection(
        parameters,
        on_open_callback=lambda c: c.channel(on_open_callback=on_channel),
        on_close_callback=lambda c, _reason: c.ioloop.stop(),
    )
    connection.ioloop.start()
    seconds = state["end"] - state["start"]
    print(json.dumps({"messages": total, "nacked": state["nacked"], "seconds": seconds, "cpu": state["cpu"]}))


if __name__ == "__main__":
    main()
