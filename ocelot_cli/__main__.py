"""Entry point: the one place where errors become messages and exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence


def _debug_requested(argv: Sequence[str]) -> bool:
    from ocelot_cli.config.settings import ENV_DEBUG

    return "--debug" in argv or os.environ.get(ENV_DEBUG, "") not in ("", "0")


def _quiet_broken_pipe() -> None:
    # Downstream closed the pipe (`ocelot ... | head -1`): stop quietly, and keep Python
    # from complaining while it flushes stdout at exit.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _print_traceback() -> None:
    import traceback

    from ocelot_cli.config.redact import scrub

    print(scrub(traceback.format_exc()), file=sys.stderr, end="")


def _raise_on_termination() -> dict[int, object]:
    """SIGTERM and SIGHUP unwind like Ctrl-C (every cleanup runs), then exit 143 or 129; the handlers
    they replace, to put back."""
    import signal

    from ocelot_cli.errors import ExitStatus, SignalInterrupt

    def handle(number: int, _frame: object) -> None:
        raise SignalInterrupt(ExitStatus.TERMINATED if number == signal.SIGTERM else ExitStatus.HANGUP)

    return {number: signal.signal(number, handle) for number in (signal.SIGTERM, signal.SIGHUP)}


def _invoke(command: object, args: list[str]) -> object:
    """Parse and run the command line, letting every exception through to ``run``.

    Not click's ``main``: that turns Ctrl-C into a silent 130, SIGTERM with it, and a closed
    stdout pipe into exit 1, which the exit table reserves for invalid events.
    """
    if "_OCELOT_COMPLETE" in os.environ:  # a shell asking for completions (see completions/)
        from typer.completion import completion_init

        completion_init()
        return command.main(args=args, prog_name="ocelot", standalone_mode=False)  # type: ignore[attr-defined]
    # a copy of the arguments: parsing consumes the list, and run() looks at it afterwards (--debug)
    with command.make_context("ocelot", list(args)) as ctx:  # type: ignore[attr-defined]
        return command.invoke(ctx)  # type: ignore[attr-defined]


def _error_line(message: str) -> None:
    """An error on stderr through this run's output (colour, --quiet), once the run has one."""
    from ocelot_cli.commands.state import current

    current().output.error(message)


def _printed_version_alone(args: list[str]) -> bool:
    """``ocelot --version`` alone prints what the --version option prints, without importing typer (a third
    of the start-up). False for the full way: other arguments, a shell completing, or a failed write
    (a closed pipe, a full disk), which the full way then meets again and reports as for any command."""
    if args != ["--version"] or "_OCELOT_COMPLETE" in os.environ:
        return False
    from ocelot_cli import version_line

    try:
        sys.stdout.write(f"{version_line()}\n")
    except OSError:
        return False
    return True


def run(argv: Sequence[str] | None = None) -> int:
    """Run ocelot with ``argv`` and return the exit status (never raises for expected failures)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if _printed_version_alone(args):
        return 0
    import typer
    from typer.main import get_command

    from ocelot_cli.app import app
    from ocelot_cli.errors import INTERRUPTS, ExitStatus, OcelotError, interrupt_status, output_failure

    command = get_command(app)
    previous = _raise_on_termination()
    try:
        result = _invoke(command, args)
        return int(result) if isinstance(result, int) else ExitStatus.OK
    except typer.Exit as exc:  # --help, --version, and the like
        return exc.exit_code
    except OcelotError as exc:
        if _debug_requested(args):
            _print_traceback()
        if not exc.reported:
            from ocelot_cli.config.redact import scrub

            _error_line(scrub(str(exc)))
        return exc.exit_status
    except BrokenPipeError:  # `ocelot ... | head -1`: the reader has what it wanted; 141 as SIGPIPE would give,
        _quiet_broken_pipe()  # so that `set -o pipefail` never mistakes a cut-short run for a complete one
        return ExitStatus.PIPE
    except (*INTERRUPTS, typer.Abort) as exc:
        status = interrupt_status(exc)
        print({ExitStatus.TERMINATED: "terminated", ExitStatus.HANGUP: "hung up"}.get(status, "interrupted"),
              file=sys.stderr)  # fmt: skip
        return status
    except typer.TyperException as exc:  # usage errors: bad option, missing argument, unknown command
        exc.show()  # type: ignore[attr-defined]
        return getattr(exc, "exit_code", ExitStatus.USAGE)
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        failure = output_failure(exc) if isinstance(exc, OSError) else None
        if failure is not None:  # stdout on a full disk (> /dev/full): say so, not "internal error"
            _error_line(str(failure))
            return failure.exit_status
        if _debug_requested(args):
            _print_traceback()
        else:
            print(
                f"error: internal error ({type(exc).__name__}); rerun with --debug for the traceback and report it",
                file=sys.stderr,
            )
        return ExitStatus.INTERNAL
    finally:
        import signal

        for number, handler in previous.items():
            signal.signal(number, handler)  # type: ignore[arg-type]


def main() -> None:
    """Console-script entry point."""
    status = run()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_broken_pipe()
        status = status or 141
    except OSError as exc:  # the last of the output did not fit (a full disk)
        _quiet_broken_pipe()
        print(f"error: cannot write the output: {exc.strerror}", file=sys.stderr)
        status = status or 74
    sys.exit(status)


if __name__ == "__main__":
    main()
