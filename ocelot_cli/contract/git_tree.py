"""Files of a git commit, read with the ``git`` command (``git:REF[:PATH]`` of ``ocelot catalog diff``).

Only plumbing commands with fixed arguments: a ref is checked to be a commit before anything is
read at it, and a ref that starts with ``-`` is refused (it would be taken for an option).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ocelot_cli.errors import UsageProblem

_TIMEOUT = 60.0


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a directory at a commit."""

    mode: str
    kind: str  # blob | tree | commit (a submodule)
    object_id: str
    name: str


def _git(cwd: Path, *args: str, what: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, timeout=_TIMEOUT, check=False,
                              env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})  # fmt: skip
    except FileNotFoundError:
        raise UsageProblem(f"{what}: git is not installed (it is needed to read a catalog at a commit)",
                           hint="install git, or compare two directories") from None  # fmt: skip
    except subprocess.TimeoutExpired:
        raise UsageProblem(f"{what}: git did not answer within {_TIMEOUT:.0f} s") from None


def _first_line(output: bytes) -> str:
    lines = output.decode("utf-8", "replace").strip().splitlines()
    return lines[0].removeprefix("fatal: ") if lines else "git failed"


class GitRepository:
    """A working tree's repository, for reading what a commit holds."""

    def __init__(self, root: Path, what: str) -> None:
        self.root = root
        self.what = what  # the argument being read, for messages: "git:origin/main"

    @classmethod
    def containing(cls, where: Path, what: str) -> GitRepository:
        """The repository that ``where`` (a directory or a file) is in; a usage error when none is."""
        directory = where if where.is_dir() else where.parent
        result = _git(directory, "rev-parse", "--show-toplevel", what=what)
        if result.returncode != 0:
            raise UsageProblem(f"{what}: {directory} is not in a git repository ({_first_line(result.stderr)})",
                               hint="run it inside the repository, or compare two directories")  # fmt: skip
        return cls(Path(result.stdout.decode().strip()), what)

    def relative(self, path: Path) -> str | None:
        """``path`` relative to the top of the working tree (POSIX form, "" for the top), or None if outside."""
        try:
            relative = path.resolve().relative_to(self.root.resolve())
        except ValueError:
            return None
        return relative.as_posix() if relative.parts else ""

    def commit(self, ref: str) -> str:
        """The commit id ``ref`` names; a usage error naming the ref when it names none."""
        if not ref or ref.startswith("-"):
            raise UsageProblem(f"{self.what}: {ref!r} is not a git revision", hint="e.g. git:origin/main or git:HEAD~1")
        result = _git(self.root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}",
                      what=self.what)  # fmt: skip
        if result.returncode != 0:
            raise UsageProblem(
                f"{self.what}: no commit {ref!r} in the repository at {self.root}",
                hint="fetch it first (git fetch origin main); in GitHub Actions check out with fetch-depth: 0",
            )
        return result.stdout.decode().strip()

    def kind(self, commit: str, path: str) -> str | None:
        """``tree``, ``blob`` or None (nothing there) for ``path`` at ``commit``."""
        result = _git(self.root, "cat-file", "-t", f"{commit}:{path}", what=self.what)
        return result.stdout.decode().strip() if result.returncode == 0 else None

    def entries(self, commit: str, path: str) -> list[TreeEntry]:
        """The entries directly in directory ``path`` at ``commit``."""
        result = _git(self.root, "ls-tree", "-z", "--end-of-options", f"{commit}:{path}", what=self.what)
        if result.returncode != 0:
            raise UsageProblem(f"{self.what}: cannot list {path or '/'}: {_first_line(result.stderr)}")
        found = []
        for record in result.stdout.split(b"\0"):
            if record:
                meta, _, name = record.partition(b"\t")
                mode, kind, object_id = meta.decode().split()
                found.append(TreeEntry(mode, kind, object_id, name.decode("utf-8", "surrogateescape")))
        return found

    def blobs(self, object_ids: list[str]) -> dict[str, bytes]:
        """The contents of several blobs, read by one ``git cat-file --batch``."""
        if not object_ids:
            return {}
        try:
            result = subprocess.run(["git", "-C", str(self.root), "cat-file", "--batch"], capture_output=True,
                                    input="".join(f"{o}\n" for o in object_ids).encode(), timeout=_TIMEOUT,
                                    check=False)  # fmt: skip
        except subprocess.TimeoutExpired:
            raise UsageProblem(f"{self.what}: git did not answer within {_TIMEOUT:.0f} s") from None
        if result.returncode != 0:
            raise UsageProblem(f"{self.what}: cannot read files: {_first_line(result.stderr)}")
        out, at, found = result.stdout, 0, {}
        for object_id in object_ids:
            end = out.index(b"\n", at)
            header = out[at:end].split()
            if len(header) != 3:  # "<id> missing"
                raise UsageProblem(f"{self.what}: git has no object {object_id}")
            size = int(header[2])
            found[object_id] = out[end + 1 : end + 1 + size]
            at = end + 1 + size + 1
        return found

    def read(self, commit: str, path: str) -> bytes:
        """The content of file ``path`` at ``commit``."""
        result = _git(self.root, "cat-file", "blob", f"{commit}:{path}", what=self.what)
        if result.returncode != 0:
            raise UsageProblem(f"{self.what}: cannot read {path}: {_first_line(result.stderr)}")
        return result.stdout
