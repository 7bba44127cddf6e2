"""The OcelotError tree and the exit-status table.

Every expected failure is an ``OcelotError`` subclass whose ``exit_status`` says how
the process ends. ``ocelot_cli.__main__.main`` is the one place that turns them into
messages and exit codes.
"""

from __future__ import annotations

import errno
from enum import IntEnum


class ExitStatus(IntEnum):
    """Process exit codes; the table in ``ocelot --help`` and the README is built from this."""

    OK = 0
    INVALID = 1  # events break the catalog (schema, envelope, unknown type)
    USAGE = 2  # bad option or argument
    INPUT = 3  # input could not be read (missing file, syntax error, not UTF-8, empty)
    CONFIG = 4  # bad configuration file or profile
    UNREACHABLE = 5  # cannot connect to the broker or server
    AUTH = 6  # credentials or access refused (also TLS certificate refused)
    NOT_FOUND = 7  # exchange (or queue) does not exist
    DELIVERY = 8  # a message was not confirmed: unroutable, nacked, or lost
    TIMEOUT = 9  # broker blocked (resource alarm) or no answer in time
    THRESHOLD = 10  # a --assert threshold of a load test was breached
    INTERNAL = 70  # a bug in ocelot: rerun with --debug and report it
    OUTPUT = 74  # output could not be written (disk full, I/O error): sysexits' EX_IOERR
    HANGUP = 129  # SIGHUP (the terminal went away)
    INTERRUPTED = 130  # Ctrl-C (SIGINT)
    TERMINATED = 143  # SIGTERM
    PIPE = 141  # the reader of stdout went away (``| head``): stopped early, as SIGPIPE would end it


EXIT_STATUS_HELP: dict[ExitStatus, str] = {
    ExitStatus.OK: "success",
    ExitStatus.INVALID: "events break the catalog (schema violation, unknown type, wrong envelope)",
    ExitStatus.USAGE: "bad option or argument",
    ExitStatus.INPUT: "input could not be read (missing file, syntax error, not UTF-8, empty)",
    ExitStatus.CONFIG: "bad configuration file or profile",
    ExitStatus.UNREACHABLE: "cannot connect to the broker or server",
    ExitStatus.AUTH: "credentials, access or TLS certificate refused",
    ExitStatus.NOT_FOUND: "exchange missing or not a topic exchange, queue or stream missing (or no such load run)",
    ExitStatus.DELIVERY: "some messages were not confirmed (unroutable, nacked or lost)",
    ExitStatus.TIMEOUT: "broker blocked publishing (resource alarm) or did not answer in time",
    ExitStatus.THRESHOLD: "a load test --assert threshold was breached",
    ExitStatus.INTERNAL: "internal error in ocelot (rerun with --debug and report it)",
    ExitStatus.OUTPUT: "output could not be written (disk full, I/O error)",
    ExitStatus.HANGUP: "hung up (SIGHUP), after the summary",
    ExitStatus.INTERRUPTED: "interrupted (Ctrl-C), after the summary",
    ExitStatus.PIPE: "the reader of the output went away (| head): stopped early, quietly",
    ExitStatus.TERMINATED: "terminated (SIGTERM), after the summary",
}


def exit_status_table() -> str:
    """Plain-text table of exit codes, one per line."""
    return "\n".join(f"  {int(code):>3}  {text}" for code, text in EXIT_STATUS_HELP.items())


class OcelotError(Exception):
    """An expected failure with a message a user can act on (what, where, what to do).

    ``status`` overrides the class's exit status (a smoke failure exits with that of its
    first failed check). ``reported``: the command has already shown the failure in full (a
    validation report, a smoke report, a load summary), so the entry point only exits with it.
    """

    exit_status: ExitStatus = ExitStatus.INTERNAL

    def __init__(self, message: str, *, hint: str | None = None, status: ExitStatus | None = None,
                 reported: bool = False) -> None:  # fmt: skip
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.reported = reported
        if status is not None:
            self.exit_status = ExitStatus(status)

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class OutputFailed(OcelotError):
    """Output that could not be written: a full disk, an I/O error (not a reader that went away)."""

    exit_status = ExitStatus.OUTPUT


# errno values that mean "the output cannot be written", as opposed to a reader that left (EPIPE).
OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS})


def output_failure(error: OSError, what: str = "the output") -> OutputFailed | None:
    """The OutputFailed for an OSError met while writing ``what``; None when it is another kind of error."""
    if error.errno not in OUTPUT_ERRNOS:
        return None
    return OutputFailed(f"cannot write {what}: {error.strerror}",
                        hint="free some space (or write somewhere else) and run it again")  # fmt: skip


class UsageProblem(OcelotError):
    """A flag or argument value that cannot be used."""

    exit_status = ExitStatus.USAGE


class InputError(OcelotError):
    """Input that could not be read at all (missing file, unreadable stream)."""

    exit_status = ExitStatus.INPUT


class ConfigError(OcelotError):
    """A configuration file or profile that cannot be used."""

    exit_status = ExitStatus.CONFIG


class CatalogError(ConfigError):
    """A catalog directory or catalog file that cannot be used."""


class UnknownEventType(OcelotError):
    """An event type that is not in the catalog."""

    exit_status = ExitStatus.INVALID

    def __init__(self, event_type: str, suggestions: list[str]) -> None:
        hint = (
            f"did you mean {' or '.join(repr(s) for s in suggestions)}?"
            if suggestions
            else "run 'ocelot catalog list' to see the known types"
        )
        super().__init__(f"unknown event type {event_type!r}", hint=hint)
        self.event_type = event_type
        self.suggestions = suggestions


class InvalidEvent(OcelotError):
    """An event that breaks the catalog; carries every violation."""

    exit_status = ExitStatus.INVALID

    def __init__(self, message: str, violations: list | None = None, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.violations = violations or []


class BrokerUnreachable(OcelotError):
    """The broker or server cannot be reached."""

    exit_status = ExitStatus.UNREACHABLE


class AuthenticationFailed(OcelotError):
    """Credentials, vhost access or the server's TLS certificate were refused."""

    exit_status = ExitStatus.AUTH


class ExchangeNotFound(OcelotError):
    """The exchange does not exist (and --declare was not given)."""

    exit_status = ExitStatus.NOT_FOUND


class QueueNotFound(OcelotError):
    """The queue or stream to read (``tail --queue``, ``tail --stream``) does not exist."""

    exit_status = ExitStatus.NOT_FOUND


class RunNotFound(OcelotError):
    """No load run with this id is waiting for workers."""

    exit_status = ExitStatus.NOT_FOUND


class DeliveryFailed(OcelotError):
    """Some messages were not confirmed by the broker."""

    exit_status = ExitStatus.DELIVERY


class Unroutable(DeliveryFailed):
    """A message published mandatory that no queue was bound for."""


class BrokerTimeout(OcelotError):
    """The broker blocked us for too long, or did not answer in time."""

    exit_status = ExitStatus.TIMEOUT


class ThresholdBreached(OcelotError):
    """A ``--assert`` threshold of a load test did not hold."""

    exit_status = ExitStatus.THRESHOLD


class ConnectionLost(OcelotError):
    """The connection dropped and could not be restored in time."""

    exit_status = ExitStatus.UNREACHABLE


class CheckFailed(OcelotError):
    """A smoke or doctor check failed; its exit status is that of the kind of failure."""

    def __init__(self, message: str, status: ExitStatus, hint: str | None = None) -> None:
        super().__init__(message, hint=hint, status=status)


class ChecksFailed(OcelotError):
    """A smoke or doctor report with failed checks (already shown); exits with the first failure's status."""


class ValidationFailed(OcelotError):
    """Events were invalid or inputs unreadable (the report, already shown, says which)."""


class SignalInterrupt(BaseException):
    """SIGTERM or SIGHUP, raised where the program is (like Ctrl-C's KeyboardInterrupt) so that every
    ``finally`` runs (temporary files, queues, connections); ``status`` is the exit status it calls for."""

    def __init__(self, status: ExitStatus) -> None:
        super().__init__(status.name.lower())
        self.status = status


INTERRUPTS: tuple[type[BaseException], ...] = (KeyboardInterrupt, SignalInterrupt)


def interrupt_status(exc: BaseException) -> ExitStatus:
    """The exit status of an interruption: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP."""
    return ExitStatus(getattr(exc, "status", None) or getattr(exc.__cause__, "status", None) or ExitStatus.INTERRUPTED)


class Interrupted(OcelotError):
    """The user stopped the command (Ctrl-C); what was done is already summarised."""

    exit_status = ExitStatus.INTERRUPTED
