"""``ocelot replay`` without a broker: the schedule and the rewrites of --dry-run."""

from __future__ import annotations

import json
import time
from datetime import datetime

import pytest


def platform_event(number: int, timestamp: str) -> str:
    return json.dumps({"id": f"e{number}", "type": "call.started", "source": "s", "timestamp": timestamp,
                       "organizationId": "o", "userId": "u", "data": {}, "metadata": {}})  # fmt: skip


def stamped(line: str) -> float:
    return datetime.fromisoformat(json.loads(line)["event"]["timestamp"].replace("Z", "+00:00")).timestamp()


@pytest.mark.parametrize(("flags", "gap"), [(["--speed", "10"], 1.0), ([], 10.0), (["--no-delay"], 10.0)],
                         ids=["speed-10", "speed-1", "no-delay"])  # fmt: skip
def test_now_stamps_each_event_with_the_time_it_is_sent(cli, tmp_path, flags, gap):
    events = tmp_path / "three.jsonl"
    times = ["2026-01-01T10:00:00Z", "2026-01-01T10:00:10Z", "2026-01-01T10:00:20Z"]
    events.write_text("".join(platform_event(i, t) + "\n" for i, t in enumerate(times)))
    before = time.time()
    result = cli("replay", str(events), "--now", "--dry-run", "--no-validate", *flags)
    assert result.code == 0, result.err
    schedule = result.out.splitlines()
    stamps = [stamped(line) for line in schedule]
    assert before - 1 <= stamps[0] <= time.time() + 1  # moved to the present
    assert [round(b - a, 3) for a, b in zip(stamps, stamps[1:], strict=False)] == [gap, gap]
    if "--no-delay" not in flags:  # sent as stamped: the gaps of the schedule are those of the times
        assert [round(json.loads(line)["at"], 3) for line in schedule] == [0.0, gap, 2 * gap]
