"""Running a publisher from a command: progress, Ctrl-C, summary and exit status (publish, replay)."""

from __future__ import annotations

import typer


def resolve_target(state, to, amqp_url, channels, oversize) -> tuple[str, bool]:  # noqa: ANN001
    """The URL to publish to and whether it is real-time channels; --to/--channel/--oversize checked."""
    from ocelot_cli import publishing
    from ocelot_cli.errors import UsageProblem
    from ocelot_cli.realtime import check_channel

    state.warn_secrets_in_flags({"amqp_url": amqp_url, "redis_url": to})
    if oversize not in ("pointer", "refuse"):
        raise UsageProblem(f"--oversize {oversize!r}: choose pointer or refuse")
    url = to or state.settings().get("amqp_url", amqp_url)
    channel_mode = publishing.is_channel_url(url)
    if (channels or oversize != "pointer") and not channel_mode:
        raise UsageProblem("--channel and --oversize apply to real-time channels: add --to redis://HOST:PORT")
    for name in channels or []:
        check_channel(name)  # before anything is sent
    return url, channel_mode


def run_publisher(state, target, messages, total, as_json, *, resumable: bool = False) -> None:  # noqa: ANN001
    """Publish with progress on stderr, Ctrl-C handling, the summary, and the exit status.

    ``resumable`` (replay) makes an interrupted run say which --resume-from continues it.
    """
    import signal

    from ocelot_cli import publishing
    from ocelot_cli.errors import DeliveryFailed, ExitStatus
    from ocelot_cli.redact import mask_url
    from ocelot_cli.render.publish import ProgressLine, print_summary

    out = state.output
    channel_mode = publishing.is_channel_url(target.url)
    where = (
        f"channels at {mask_url(target.url)}"
        if channel_mode
        else f"exchange {target.exchange!r} at {mask_url(target.url)}"
    )
    progress = ProgressLine(out, total)

    def notice(message: str) -> None:
        progress.clear()
        out.warn(message)

    publisher = publishing.make_publisher(target, messages, on_notice=notice, on_progress=progress.update)
    interrupts = 0

    def on_sigint(_signum, _frame) -> None:  # noqa: ANN001
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
        out.json({**report.to_dict(), "exchange": target.exchange, "url": mask_url(target.url)}, pretty=False)
    print_summary(out, report, where, channels=channel_mode)
    if report.interrupted:
        if report.stopped_at is not None and resumable:
            position = report.stopped_at
            out.status(f"stopped before message {position + 1}; continue with --resume-from {position}")
        elif report.stopped_at is not None:
            out.status(f"stopped: the first {report.stopped_at} message(s) were sent; {report.confirmed} confirmed")
        raise typer.Exit(int(ExitStatus.INTERRUPTED))
    if report.unroutable and channel_mode:
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
