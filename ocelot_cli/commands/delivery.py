"""Running a publisher from a command: the target, progress, Ctrl-C, summary and exit status (publish, replay)."""

from __future__ import annotations

from typing import Any


def resolve_target(state: Any, *, to: str | None, amqp_url: list[str] | None, channels: list[str] | None, oversize: str,
                   ca_file: str | None, connect_timeout: str | None, blocked_timeout: float = 30.0,
                   reconnect_for: str = "60s", shuffle: bool = False, **fields: Any) -> Any:  # fmt: skip
    """The PublishTarget of --to / --amqp-url, with --channel and --oversize checked before anything is sent.

    ``fields`` are PublishTarget fields (exchange, routing_key, declare, window, rate).
    """
    from ocelot_cli.config.durations import parse_duration
    from ocelot_cli.envelope.channels import Oversize, check_channel
    from ocelot_cli.errors import UsageProblem
    from ocelot_cli.publishing.publish import PublishTarget
    from ocelot_cli.transports.base import Capability, transport_for

    if oversize not in ("pointer", "refuse"):
        raise UsageProblem(f"--oversize {oversize!r}: choose pointer or refuse")
    endpoint = state.endpoint("amqp_url", amqp_url, url=to, url_option="--to", ca_file=ca_file,
                              connect_timeout=connect_timeout, blocked_timeout=blocked_timeout,
                              shuffle=shuffle)  # fmt: skip
    transport_for(endpoint, need=Capability.PUBLISH)
    exchange_flag = fields.get("exchange")
    fields["exchange"] = state.settings().get("exchange", exchange_flag)
    fields["reconnect_for"] = parse_duration(reconnect_for, option="--reconnect-for")
    target = PublishTarget(endpoint, channels=list(channels) if channels else None, oversize=Oversize(oversize),
                           **fields)  # fmt: skip
    if (channels or oversize != "pointer") and not target.channel_mode:
        raise UsageProblem("--channel and --oversize apply to real-time channels: add --to redis://HOST:PORT")
    for_exchange = {"--exchange": exchange_flag, "--routing-key": fields.get("routing_key"),
                    "--declare": fields.get("declare")}  # fmt: skip
    exchange_flags = [flag for flag, value in for_exchange.items() if value]
    if exchange_flags and target.channel_mode:
        verb = "goes" if len(exchange_flags) == 1 else "go"
        raise UsageProblem(f"{', '.join(exchange_flags)} {verb} with an exchange, not with real-time channels",
                           hint="with --to redis://, the catalog's channels are used, or --channel")  # fmt: skip
    for name in channels or []:
        check_channel(name)  # before anything is sent
    return target


def check_inputs(state: Any, names: list[str], validator: Any, catalog: Any, *, nothing: str) -> Any:
    """First pass over files: every problem shown with file:line, and ValidationFailed (saying
    ``nothing``) when any input is unreadable or, unless --no-validate, any event invalid."""
    from ocelot_cli.errors import ValidationFailed
    from ocelot_cli.publishing.replay import check_inputs as first_pass
    from ocelot_cli.render import validation as render_validation

    out = state.output
    report, _per_loop = first_pass(names, validator, catalog)
    if report.exit_status == 0:  # warnings only (naive times, a gap in a recording): stdout is for the messages
        for problem in report.problems:
            out.warn(render_validation.text_line(problem))
        return report
    for problem in report.problems:  # the refusal's report is what the command answers, on stdout
        out.raw(render_validation.text_line(problem, color=out.color_for(out.stdout)))
    render_validation.print_summary(out, report)
    raise ValidationFailed(nothing, status=report.exit_status)


def run_publisher(state: Any, target: Any, messages: Any, total: int | None, as_json: bool, *,
                  resumable: bool = False) -> None:  # fmt: skip
    """Publish with progress on stderr; the same summary however it ends (done, failed, given up,
    blocked, Ctrl-C, SIGTERM, SIGHUP); raise what the outcome says.

    ``resumable`` (replay, publish -f) makes an unfinished run say which --resume-from continues it.
    """
    from ocelot_cli.errors import INTERRUPTS, OcelotError
    from ocelot_cli.render.publish import ProgressLine

    out = state.output
    progress = ProgressLine(out, total)

    def notice(message: str) -> None:
        progress.clear()
        out.warn(message)

    publisher = target.publisher(messages, on_notice=notice, on_progress=progress.update)
    stopping = _StopOnSignals(publisher, lambda: _stopping_notice(out, progress, target))
    failure: OcelotError | None = None
    with stopping:
        try:
            publisher.run()
        except OcelotError as exc:  # gave up, blocked, refused: the counts so far are still the answer
            failure = exc
        except INTERRUPTS:  # a second signal: quit now, still with the summary and the first signal's status
            pass
        finally:
            progress.clear()
    _end(out, publisher.report, target, as_json, resumable, stopping.signal, failure)


def _stopping_notice(out: Any, progress: Any, target: Any) -> None:
    progress.clear()
    out.status(f"stopping: waiting up to {target.drain_timeout:g}s for outstanding confirms (again to quit now)")


class _StopOnSignals:
    """SIGINT, SIGTERM and SIGHUP ask the publisher to stop (a second one quits at once)."""

    def __init__(self, publisher: Any, on_first: Any) -> None:
        self.publisher = publisher
        self.on_first = on_first
        self.signal: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _StopOnSignals:
        import signal

        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            self._previous[number] = signal.signal(number, self._handle)
        return self

    def _handle(self, number: int, _frame: Any) -> None:
        if self.signal is not None:
            from ocelot_cli.errors import ExitStatus, SignalInterrupt

            raise SignalInterrupt(ExitStatus(128 + number))  # quit now: 130, 143 or 129
        self.signal = number
        self.on_first()
        self.publisher.request_stop()

    def __exit__(self, *_exc: object) -> None:
        import signal

        for number, previous in self._previous.items():
            signal.signal(number, previous)


def _end(out: Any, report: Any, target: Any, as_json: bool, resumable: bool, signal_number: int | None,
         failure: Any) -> None:  # fmt: skip
    """The summary, the resume point, and the exit: a signal's status, the failure, or undelivered messages."""
    from ocelot_cli.errors import DeliveryFailed, ExitStatus, Interrupted
    from ocelot_cli.render.publish import print_summary

    if as_json:
        out.json({**report.to_dict(), "exchange": target.exchange, "url": target.endpoint.shown,
                  **({"error": failure.message} if failure is not None else {})}, pretty=False)  # fmt: skip
    print_summary(out, report, target.describe(), channels=target.channel_mode)
    if report.stopped_at is not None:  # something was left unconfirmed or unsent: where to pick up
        position = report.stopped_at
        if position == 0 and not report.published:
            out.status("nothing was sent")
        elif resumable:
            out.status(f"stopped before message {position + 1}; continue with --resume-from {position}")
        else:
            out.status(f"stopped: the first {position} message(s) were sent and answered")
    if signal_number is not None:
        status = {2: ExitStatus.INTERRUPTED, 15: ExitStatus.TERMINATED, 1: ExitStatus.HANGUP}[signal_number]
        raise Interrupted("interrupted", status=status, reported=True)
    if failure is not None:
        raise failure
    if report.unroutable and target.channel_mode:
        raise DeliveryFailed(
            f"{report.unroutable} message(s) reached no subscriber: nobody listened on "
            + ", ".join(report.unroutable_examples[:3]),
            hint="start the real-time hub (or 'ocelot gateway'), or subscribe to the channel, before publishing",
        )
    if report.unroutable:
        raise target.not_a_topic_exchange() or DeliveryFailed(
            f"{report.unroutable} message(s) were unroutable: no queue is bound for "
            + ", ".join(report.unroutable_examples[:3]),
            hint=f"bind a queue to {target.exchange!r} for that routing key (or run 'ocelot tail' while publishing)",
        )
    if not report.ok:
        raise DeliveryFailed(f"{report.total - report.confirmed} message(s) were not confirmed by the broker")
