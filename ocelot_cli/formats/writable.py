"""Output paths checked before a run, so that hours of work never end in a file that cannot be written."""

from __future__ import annotations

import os
import tempfile

from ocelot_cli.errors import UsageProblem


def check_writable(option: str, path: str) -> None:
    """UsageProblem (exit 2) naming ``option`` when ``path`` cannot become a file: a directory, a
    directory that does not exist, or one that takes no new file (read-only, /proc). Devices and
    pipes that exist are left to the writer (opening a fifo would wait for its reader)."""
    target = os.path.expanduser(path)
    if os.path.isdir(target):
        raise UsageProblem(f"{option} {path}: that is a directory", hint="name a file in it")
    if os.path.exists(target) and not os.path.isfile(target):
        return
    parent = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(parent):
        raise UsageProblem(f"{option} {path}: the directory {parent} does not exist",
                           hint="name a file in a directory that exists")  # fmt: skip
    try:
        with tempfile.NamedTemporaryFile(dir=parent, prefix=".ocelot-probe-"):
            pass
    except OSError as exc:
        raise UsageProblem(f"{option} {path}: cannot write in {parent}: {exc.strerror}",
                           hint="name a file in a directory you can write to") from None  # fmt: skip
