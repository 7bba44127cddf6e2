"""What a read of an existing queue or stream says: how it reads, dead-lettering in words, its counts.

The text of ``tail --queue`` and ``tail --stream`` beside the messages themselves: the status line
at the start (a look says it takes nothing and what returning messages does), each ``x-death``
entry of a dead-lettered message as a sentence, and the summary's part (taken, returned, the
stream's offsets to start again from).
"""

from __future__ import annotations

import re
from typing import Any

from ocelot_cli.render.safe_text import escape_control

LOOK_EFFECTS = ("messages are fetched and returned to the queue: the broker marks them redelivered and may put "
                "them back out of order relative to other consumers; on a quorum queue each look counts as a "
                "delivery attempt (a delivery-limit can dead-letter a message looked at too often)")  # fmt: skip


def read_status(read: Any, source: Any, where: str, start: str = "", until: str = "") -> str:
    """The status line a read starts with: what is read, how, and what that does to the queue."""
    name = escape_control(read.name, one_line=True)
    if read.stream:
        then = f"until {until}" if until else "then live"
        return f"reading stream {name!r} at {where} from {start}, {then}; taking nothing (Ctrl-C to stop)"
    ready = source.ready
    counts = f" ({ready:,} ready, {source.consumers:,} consumer(s))" if ready is not None else ""
    if read.take:
        return (f"taking messages from queue {name!r}{counts} at {where}: each is acknowledged, and so removed, "
                "once written; what is not written or filtered out goes back (Ctrl-C to stop)")  # fmt: skip
    return f"looking at queue {name!r}{counts} at {where} without taking: {LOOK_EFFECTS}"


def death_lines(headers: dict[str, Any]) -> list[str]:
    """Each ``x-death`` entry as a sentence: 'dead-lettered 2 times from queue orders (rejected) at
    2026-11-28T10:00:00Z, exchange ocelot.events, keys comms.call.ended'."""
    deaths = headers.get("x-death")
    if not isinstance(deaths, list):
        return []
    return [_death_line(death) for death in deaths if isinstance(death, dict)]


_OFFSET = re.compile(r"(Z|[+-]\d\d:\d\d)$")


def _death_line(death: dict[str, Any]) -> str:
    count = death.get("count")
    times = "once" if count == 1 else f"{count} times" if isinstance(count, int) else "(count not given)"
    line = f"dead-lettered {times} from queue {death.get('queue', '?')} ({death.get('reason', 'reason not given')})"
    moment = death.get("time")
    if isinstance(moment, str):  # the broker's time is UTC
        moment = moment.removesuffix("+00:00")
        line += f" at {moment if _OFFSET.search(moment) else moment + 'Z'}"
    if death.get("exchange") is not None:
        line += f", exchange {death['exchange'] or '(default)'}"
    keys = death.get("routing-keys")
    if isinstance(keys, list) and keys:
        line += f", key{'s' if len(keys) > 1 else ''} {' '.join(str(key) for key in keys)}"
    return escape_control(line, one_line=True)


def queue_summary(counts: Any) -> str:
    """The summary's part for a queue or stream read ('' for a tail of an exchange)."""
    if counts is None:
        return ""
    name = escape_control(counts.queue, one_line=True)
    ending = f"; {escape_control(counts.ending, one_line=True)}" if counts.ending else ""
    if counts.mode == "stream":
        resume = counts.resume_offset
        if counts.last_offset is None:
            text = f"; stream {name!r}: nothing read"
        elif resume is None or resume <= counts.first_offset:
            text = f"; stream {name!r}: nothing handled (next: --since offset:{counts.first_offset})"
        else:
            text = (f"; stream {name!r} offsets {counts.first_offset:,}-{resume - 1:,} "
                    f"(next: --since offset:{resume})")  # fmt: skip
        if counts.before_since:
            text += f", {counts.before_since:,} from just before --since skipped"
        return text + ending
    if counts.mode == "take":
        return (f"; read {counts.read:,} from queue {name!r}: took {counts.taken:,} (acknowledged once written), "
                f"returned {counts.returned:,}{ending}")  # fmt: skip
    if not counts.read:
        return f"; nothing in queue {name!r} was looked at{ending}"
    return f"; looked at {counts.read:,} in queue {name!r} and returned all {counts.returned:,} (redelivered){ending}"
