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


def run(argv: Sequence[str] | None = None) -> int:
    """Run ocelot with ``argv`` and return the exit status (never raises for expected failures)."""
    import typer
    from typer.main import get_command

    from ocelot_cli.app import app
    from ocelot_cli.commands.state import current
    from ocelot_cli.config.redact import scrub
    from ocelot_cli.errors import ExitStatus, OcelotError

    args = list(sys.argv[1:] if argv is None else argv)
    if "_OCELOT_COMPLETE" in os.environ:  # a shell asking for completions (see completions/)
        from typer.completion import completion_init

        completion_init()
    command = get_command(app)
    try:
        result = command.main(args=args, prog_name="ocelot", standalone_mode=False)
        return int(result) if isinstance(result, int) else ExitStatus.OK
    except OcelotError as exc:
        if _debug_requested(args):
            _print_traceback()
        if not exc.reported:
            current().output.error(scrub(str(exc)))
        return exc.exit_status
    except BrokenPipeError:
        _quiet_broken_pipe()
        return ExitStatus.OK
    except (KeyboardInterrupt, typer.Abort):
        print("interrupted", file=sys.stderr)
        return ExitStatus.INTERRUPTED
    except typer.TyperException as exc:  # usage errors: bad option, missing argument, unknown command
        exc.show()  # type: ignore[attr-defined]
        return getattr(exc, "exit_code", ExitStatus.USAGE)
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if _debug_requested(args):
            _print_traceback()
        else:
            print(
                f"error: internal error ({type(exc).__name__}); rerun with --debug for the traceback and report it",
                file=sys.stderr,
            )
        return ExitStatus.INTERNAL


def main() -> None:
    """Console-script entry point."""
    status = run()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_broken_pipe()
    sys.exit(status)


if __name__ == "__main__":
    main()
