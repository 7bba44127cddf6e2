"""A plain websocket-client reading loop, as a careful user would write one: the baseline for bench_ws.py.

Connects, reads the gateway protocol's welcome, subscribes, reads the reply, then reads COUNT
messages with UTF-8 validation skipped and json.loads of every one. Prints the messages per
second from the welcome to the last message, and the process's RSS (MB) sampled while reading.

    python benchmarks/raw_ws_reader.py PORT COUNT
"""

import json
import sys
import time
from pathlib import Path

import websocket


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    port, count = int(sys.argv[1]), int(sys.argv[2])
    ws = websocket.create_connection(f"ws://127.0.0.1:{port}/ws", skip_utf8_validation=True)
    start = time.perf_counter()
    ws.recv()
    ws.send(json.dumps({"type": "subscribe", "channel": "tenant:t1:events"}))
    ws.recv()
    half = count // 2  # RSS half-way through: reading, past any start-up (two loops: no test per message)
    for _ in range(half):
        json.loads(ws.recv())
    rss = rss_mb()
    for _ in range(count - half):
        json.loads(ws.recv())
    elapsed = time.perf_counter() - start
    ws.close()
    print(f"{count / elapsed:.1f} {rss:.1f}")


if __name__ == "__main__":
    main()
