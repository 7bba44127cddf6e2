"""Validating big JSON-lines files on every core: the first pass of replay (and validate).

The main process reads lines and hands out chunks in order; worker processes (forked, so
they share the loaded catalog and compiled validators) parse and validate them and send
back only the problems. Line numbers and record positions stay exact because the main
process numbers every chunk. Everything else (JSON documents, YAML, stdin) is checked in
process by ``validation.validate_sources``.
"""

from __future__ import annotations

import collections
import io
import os
import signal
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context
from typing import IO, Any

from ocelot_cli.envelope.validate import EventValidator
from ocelot_cli.formats.recording import is_gap, is_recording
from ocelot_cli.formats.sources import JSON_LINES_SUFFIXES, ReadProblem, Record, read_json_lines
from ocelot_cli.validation.report import Problem, SourceSummary, ValidationReport, check_record, validate_sources

# Files smaller than this are checked in process: starting workers would cost more.
PARALLEL_BYTES = 16 * 1024 * 1024
# A chunk this small holds no body near the broker's 128 MB limit (a body re-serialised from its line stays
# within a small factor of it).
ROUTED_BYTES = 16 * 1024 * 1024
CHUNK_LINES = 2000

_validator: EventValidator | None = None  # set in the parent before forking


def _quiet_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business
    # Not the parent's handlers (they unwind a command, with a summary): a worker that is told to
    # end (the pool's own terminate, or a SIGTERM to the process group) just ends, without a traceback.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def _check_chunk(job: tuple[str, int, bytes]) -> tuple[list[Problem], int, int, int]:
    """Problems, events, invalid events and routed records of one chunk of lines (runs in a worker).

    Record positions are counted from 0 in the chunk; the parent adds the records before it.
    Routed: recordings that carry their routing key (and bodies far below the broker's limit):
    their messages are built without anything that can fail.
    """
    label, first_line, blob = job
    assert _validator is not None
    report = ValidationReport()
    summary = report.sources[label] = SourceSummary(label)
    pending: list[Problem] = []
    index = 0
    routed = 0
    small = len(blob) < ROUTED_BYTES
    for item in read_json_lines(io.BytesIO(blob), label, None, allow_empty=True):  # type: ignore[arg-type]
        if isinstance(item, ReadProblem):
            problem = Problem(label, item.line + first_line - 1 if item.line else None, item.column, item.message,
                              "error", item.kind.value)  # fmt: skip
            (pending if item.kind.value == "duplicate-key" else report.problems).append(problem)
            continue
        record = Record(label, item.line + first_line - 1, index, item.value)
        index += 1
        check_record(record, label, summary, _validator, report, pending, False)
        pending = []
        if small and _routed(item.value):
            routed += 1
    report.problems.extend(pending)
    return report.problems, summary.events, summary.invalid, routed


def _routed(value: Any) -> bool:
    return is_recording(value) and not is_gap(value) and type(value.get("routing_key")) is str and (
        value["routing_key"] != "" and "channel" not in value
    )


def _chunks(path: str, label: str) -> Iterator[tuple[str, int, bytes]]:
    line_no = 1
    with open(path, "rb") as stream:
        while True:
            lines = stream.readlines(CHUNK_LINES * 512)
            if not lines:
                return
            if line_no == 1 and lines[0].startswith(b"\xef\xbb\xbf"):
                lines[0] = lines[0][3:]
            yield label, line_no, b"".join(lines)
            line_no += len(lines)


def _big_json_lines(name: str) -> bool:
    try:
        return os.path.splitext(name)[1].lower() in JSON_LINES_SUFFIXES and os.path.getsize(name) >= PARALLEL_BYTES
    except OSError:
        return False


def check_sources(
    names: list[str], validator: EventValidator, *, stdin: IO[bytes] | None = None, workers: int | None = None
) -> ValidationReport:
    """Like ``validate_sources``, with big JSON-lines files checked by several processes."""
    workers = workers or min(os.cpu_count() or 1, 4)
    if workers < 2 or not any(_big_json_lines(n) for n in names):
        return validate_sources(names, validator, stdin=stdin)
    global _validator
    _validator = validator
    report = ValidationReport()
    # concurrent.futures, not multiprocessing.Pool: a worker killed while it waits for work (a SIGTERM
    # to the process group) leaves Pool.terminate() waiting forever for a lock the worker held.
    pool = ProcessPoolExecutor(workers, mp_context=get_context("fork"), initializer=_quiet_worker)
    report.routed = 0
    try:
        for name in names:
            if not _big_json_lines(name):
                part = validate_sources([name], validator, stdin=stdin)
                report.sources.update(part.sources)
                report.problems.extend(part.problems)
                report.routed = None  # not counted in process
                continue
            _check_file(pool, name, report.sources.setdefault(name, SourceSummary(name)), report, 4 * workers)
    except BaseException:
        # Waited for (the workers end with their chunk, or with the signal that reached them all): a pool left
        # shutting down races Python's own clean-up at exit, which then prints a traceback (CPython 3.11).
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    return report


def _check_file(pool: ProcessPoolExecutor, name: str, summary: SourceSummary, report: ValidationReport,
                window: int) -> None:  # fmt: skip
    """Chunks of one file to the workers, at most ``window`` at a time; results merged in file order."""
    pending: collections.deque[Future[tuple[list[Problem], int, int, int]]] = collections.deque()
    for job in _chunks(name, name):
        pending.append(pool.submit(_check_chunk, job))
        while pending and (pending[0].done() or len(pending) >= window):
            _merge(summary, report, pending.popleft().result())
    while pending:
        _merge(summary, report, pending.popleft().result())


def _merge(summary: SourceSummary, report: ValidationReport, result: tuple[list[Problem], int, int, int]) -> None:
    problems, events, invalid, routed = result
    if report.routed is not None:
        report.routed += routed
    base = summary.events  # records in the chunks before this one
    report.problems.extend(replace(p, index=p.index + base) if p.index is not None else p for p in problems)
    summary.events += events
    summary.invalid += invalid
