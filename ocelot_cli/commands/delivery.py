"""Running a publisher from a command: the target, progress, Ctrl-C, summary and exit status (publish, replay)."""

from __future__ import annotations

from typing import Any


def resolve_target(state: Any, *, to: str | None, amqp_url: str | None, channels: list[str] | None, oversize: str,
                   ca_file: str | None, connect_timeout: str | None, blocked_timeout: float = 30.0,
                   **fields: Any) -> Any:  # fmt: skip
    """The PublishTarget of --to / --amqp-url, with --channel and --oversize checked before anything is sent.

    ``fields`` are PublishTarget fields (exchange, routing_key, declare, window, rate).
    """
    from ocelot_cli.envelope.channels import Oversize, check_channel
    from ocelot_cli.errors import UsageProblem
    from ocelot_cli.publishing.publish import PublishTarget
    from ocelot_cli.transports.base import Capability, transport_for

    if oversize not in ("pointer", "refuse"):
        raise UsageProblem(f"--oversize {oversize!r}: choose pointer or refuse")
    endpoint = state.endpoint("amqp_url", amqp_url, url=to, url_option="--to", ca_file=ca_file,
                              connect_timeout=connect_timeout, blocked_timeout=blocked_timeout)  # fmt: skip
    transport_for(endpoint, need=Capability.PUBLISH)
    fields["exchange"] = state.settings().get("exchange", fields.get("exchange"))
    target = PublishTarget(endpoint, channels=list(channels) if channels else None, oversize=Oversize(oversize),
                           **fields)  # fmt: skip
    if (channels or oversize != "pointer") and not target.channel_mode:
        raise UsageProblem("--channel and --oversize apply to real-time channels: add --to redis://HOST:PORT")
    for name in channels or []:
        check_channel(name)  # before anything is sent
    return target


def run_publisher(state: Any, target: Any, messages: Any, total: int | None, as_json: bool, *,
                  resumable: bool = False) -> None:  # fmt: skip
    """Publish with progress on stderr, Ctrl-C handling, the summary; raise what the outcome says.

    ``resumable`` (replay) makes an interrupted run say which --resume-from continues it.
    """
    import signal

    from ocelot_cli.errors import DeliveryFailed, Interrupted
    from ocelot_cli.render.publish import ProgressLine, print_summary

    out = state.output
    progress = ProgressLine(out, total)

    def notice(message: str) -> None:
        progress.clear()
        out.warn(message)

    publisher = target.publisher(messages, on_notice=notice, on_progress=progress.update)
    interrupts = 0

    def on_sigint(_signum: int, _frame: Any) -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts > 1:
            raise KeyboardInterrupt
        progress.clear()
        out.status(
            f"stopping: waiting up to {target.drain_timeout:g}s for outstanding confirms (Ctrl-C again to quit now)"
        )
        publisher.request_stop()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        report = publisher.run()
    finally:
        signal.signal(signal.SIGINT, previous)
        progress.clear()
    if as_json:
        out.json({**report.to_dict(), "exchange": target.exchange, "url": target.endpoint.shown}, pretty=False)
    print_summary(out, report, target.describe(), channels=target.channel_mode)
    if report.interrupted:
        if report.stopped_at is not None and resumable:
            position = report.stopped_at
            out.status(f"stopped before message {position + 1}; continue with --resume-from {position}")
        elif report.stopped_at is not None:
            out.status(f"stopped: the first {report.stopped_at} message(s) were sent; {report.confirmed} confirmed")
        raise Interrupted("interrupted", reported=True)
    if report.unroutable and target.channel_mode:
        raise DeliveryFailed(
            f"{report.unroutable} message(s) reached no subscriber: nobody listened on "
            + ", ".join(report.unroutable_examples[:3]),
            hint="start the real-time hub (or 'ocelot gateway'), or subscribe to the channel, before publishing",
        )
    if report.unroutable:
        raise DeliveryFailed(
            f"{report.unroutable} message(s) were unroutable: no queue is bound for "
            + ", ".join(report.unroutable_examples[:3]),
            hint=f"bind a queue to {target.exchange!r} for that routing key (or run 'ocelot tail' while publishing)",
        )
    if not report.ok:
        raise DeliveryFailed(f"{report.unconfirmed} message(s) were not confirmed by the broker")
