"""``ocelot tail --queue`` and ``--stream``'s set-up: the options checked before connecting, the
confirmation a take asks for, and the hooks that tie a read to the tail's session."""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

LOOK_TIME_BOUND = 30.0  # seconds a look holds messages (away from other consumers) unless --for says otherwise


@dataclasses.dataclass(frozen=True)
class ReadOptions:
    """The options of a read of an existing queue or stream, as given."""

    queue: str | None = None
    stream: str | None = None
    consume: bool = False
    yes: bool = False
    since: str | None = None
    until: str | None = None


@dataclasses.dataclass
class ReadPlan:
    """A checked read: what the transport reads, the --since/--until window, and how to say where it starts."""

    read: Any  # transports.base.QueueRead
    window: Any = None  # tail.history.TimeWindow
    start: str = ""
    until: str = ""
    yes: bool = False
    time_bound: float | None = None  # the default --for of a look

    @property
    def look(self) -> bool:
        return not self.read.stream and not self.read.take


def read_plan(options: ReadOptions, *, bound: int, count: int | None, filtered: bool) -> ReadPlan | None:
    """The read the options ask for (None: a tail of an exchange), every combination checked before connecting."""
    from ocelot_cli.transports.base import QueueRead

    _check_combinations(options)
    if options.queue is None and options.stream is None:
        return None
    if options.stream is None:
        assert options.queue is not None
        read = QueueRead(options.queue, take=options.consume, bound=bound,
                         one_at_a_time=count is not None and not filtered)  # fmt: skip
        return ReadPlan(read, yes=options.yes)
    from ocelot_cli.tail.history import TimeWindow, parse_moment, parse_since

    start = parse_since(options.since or "next")
    until = parse_moment(options.until, "--until") if options.until else None
    if until is not None and start.moment is not None and until <= start.moment:
        from ocelot_cli.errors import UsageProblem

        raise UsageProblem(f"--until {options.until} is not after --since {options.since}: nothing could be shown")
    window = TimeWindow(since=start.moment, until=until) if start.moment is not None or until is not None else None
    until_text = ""
    if until is not None:
        from ocelot_cli.envelope import formats

        until_text = formats.format_timestamp(formats.utc_from_epoch(until))
    return ReadPlan(QueueRead(options.stream, stream=True, offset=start.offset), window, start.describe(), until_text)


def _check_combinations(options: ReadOptions) -> None:
    from ocelot_cli.errors import UsageProblem

    if options.queue is not None and options.stream is not None:
        raise UsageProblem("choose one of --queue (an existing queue's backlog) and --stream (a stream from a point)")
    if options.consume and options.queue is None:
        raise UsageProblem("--consume goes with --queue NAME" if options.stream is None else
                           "--consume: a stream keeps its messages, nothing can be taken from it",
                           hint="e.g. ocelot tail --queue orders.dlq --consume --output dlq.jsonl")  # fmt: skip
    if options.yes and not options.consume:
        raise UsageProblem("--yes confirms --consume, which it goes with")
    if (options.since or options.until) and options.stream is None:
        raise UsageProblem("--since and --until read a stream from a point: they go with --stream NAME",
                           hint="make one with 'ocelot record --stream NAME [PATTERN]... --max-age 7d'")  # fmt: skip
    if options.consume and not options.yes and not sys.stdin.isatty():
        raise UsageProblem("--consume takes messages for good: confirm at the prompt of a terminal, or add --yes "
                           "(standard input is not a terminal)")  # fmt: skip


def check_read_target(scheme: str, patterns: list[str], exchanges: list[str] | None, channels: list[str] | None,
                      queue: Any) -> None:  # fmt: skip
    """A read of an existing queue or stream goes alone: RabbitMQ, no bindings of its own."""
    from ocelot_cli.errors import UsageProblem

    if scheme not in ("amqp", "amqps"):
        raise UsageProblem("--queue and --stream read RabbitMQ queues: give an amqp:// or amqps:// URL")
    given = [name for name, value in (("binding patterns", patterns), ("--exchange", exchanges),
                                      ("--channel", channels), ("--durable-queue", queue.durable_queue)) if value]
    if queue.queue_type != "classic":
        given.append("--queue-type")
    if given:
        raise UsageProblem(f"--queue and --stream read the queue as it is: {', '.join(given)} cannot go with them",
                           hint="the queue's own bindings decide what is in it ('ocelot info' shows them)")


def start_read(out: Any, feed: Any, plan: ReadPlan, where: str, count: int | None, filtered: bool) -> bool:
    """Say how the read goes; a take asks first on a terminal (False: not confirmed, nothing taken)."""
    from ocelot_cli.render.queue_read import read_status

    if plan.read.take and not plan.yes and not _confirmed(out, feed, plan.read, count, filtered):
        return False
    out.status(read_status(plan.read, feed, where, plan.start, plan.until))
    if plan.look and plan.time_bound is not None:
        out.detail(f"a look holds what it fetched for at most {plan.time_bound:g}s (--for gives another time)")
    return True


def _confirmed(out: Any, feed: Any, read: Any, count: int | None, filtered: bool) -> bool:
    import typer

    from ocelot_cli.errors import ExitStatus, Interrupted
    from ocelot_cli.render.safe_text import escape_control

    what = f"up to {count if count is not None else read.bound:,} message(s)"
    what += " that match the filters (the others go back)" if filtered else ""
    ready = f" ({feed.ready:,} ready now)" if feed.ready is not None else ""
    question = f"take {what} from queue {escape_control(read.name, one_line=True)!r}{ready}? They will be removed"
    try:
        answer = typer.confirm(question, default=False, err=True)
    except typer.Abort:  # Ctrl-C or the end of input at the prompt
        out.status("not confirmed: nothing taken")
        raise Interrupted("interrupted", status=ExitStatus.INTERRUPTED, reported=True) from None
    if not answer:
        out.status("not confirmed: nothing taken")
    return answer


def session_hooks(plan: ReadPlan | None, feed: Any) -> dict[str, Any]:
    """The session's window (--since/--until, told when the stream is caught up) and, for a take, who
    acknowledges what was written."""
    if plan is None:
        return {}
    if plan.window is not None:
        plan.window.caught_up = lambda: feed.caught_up
    return {"window": plan.window, "on_written": feed.written if plan.read.take else None}


def finish_read(plan: ReadPlan | None, stats: Any) -> None:
    """Why the read ended, in words, when the tail (not the source) ended it."""
    counts = stats.queue
    if plan is None or counts is None:
        return
    if stats.stop_reason == "until" and plan.window is not None:
        counts.before_since = plan.window.skipped
        counts.ending = plan.window.reason
    elif plan.window is not None:
        counts.before_since = plan.window.skipped
    if counts.ending:
        return
    if stats.stop_reason == "count":
        counts.ending = "stopped at --count"
    elif stats.stop_reason == "duration" and plan.time_bound is not None:
        counts.ending = f"stopped at the time bound of a look ({plan.time_bound:g}s; --for gives another)"
    elif stats.stop_reason == "duration":
        counts.ending = "stopped at --for"
    elif stats.stop_reason == "idle":
        counts.ending = "stopped at --idle-timeout"
