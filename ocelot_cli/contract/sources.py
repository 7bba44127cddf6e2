"""What OLD and NEW of ``ocelot catalog diff`` stand for, read into event types.

* ``builtin``: the catalog built into ocelot (a directory of that name is ``./builtin``).
* A directory: the types its catalog files define (not the built-in ones). A directory in which
  the configured catalog (``OCELOT_CATALOG`` or the profile's ``catalog``, taken relative to the
  directory) exists is a project root, and stands for that catalog: with ``OCELOT_CATALOG=events``,
  ``.`` means ``./events``.
* A file: an AsyncAPI 2.6/3.x document.
* ``git:REF[:PATH]``: the same at a commit, read from the repository that holds the other argument
  (else the current directory's). PATH is relative to the top of the repository (``./`` and ``../``
  to the current directory). Without PATH it is the catalog the other argument stands for, at the
  same place in the tree, so ``git:origin/main .`` compares the branch's catalog with main's; a
  catalog missing at REF is then empty (every type is new) with a warning. Both sides ``git:`` without
  PATH: the current directory, as a directory argument.
"""

from __future__ import annotations

import posixpath
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ocelot_cli.contract.git_tree import GitRepository
from ocelot_cli.envelope.catalog import EventType, read_catalog_source
from ocelot_cli.errors import CatalogError, UsageProblem

BUILTIN = "builtin"
GIT_PREFIX = "git:"
_ENTRY_SUFFIXES = (".yaml", ".yml", ".json")
_WHAT_ARGS = "OLD and NEW are catalog directories, AsyncAPI documents, git:REF[:PATH] or builtin"


@dataclass
class CatalogSide:
    """One side of a diff: what was asked for, what it turned out to be, and its types."""

    spec: str
    shown: str
    types: list[EventType] = field(default_factory=list)
    local: list[Path] = field(default_factory=list)  # the local catalog sources it stands for, if local
    warnings: list[str] = field(default_factory=list)


def read_sides(old: str, new: str, configured: list[str], cwd: Path | None = None) -> tuple[CatalogSide, CatalogSide]:
    """Both sides read; local and built-in ones first, so that a ``git:`` side can default to their paths."""
    cwd = cwd or Path.cwd()
    sides: dict[str, CatalogSide] = {}
    for role, spec in (("OLD", old), ("NEW", new)):
        if not spec.strip():
            raise UsageProblem(f"{role} is empty: give a catalog directory, an AsyncAPI document, builtin or "
                               "git:REF[:PATH]", hint=_WHAT_ARGS)  # fmt: skip
        if not spec.startswith(GIT_PREFIX):
            sides[role] = _read_builtin() if spec == BUILTIN else _read_local(spec, configured)
    for role, spec, other in (("OLD", old, "NEW"), ("NEW", new, "OLD")):
        if spec.startswith(GIT_PREFIX):
            sides[role] = _read_git(spec, sides.get(other), configured, cwd)
    return sides["OLD"], sides["NEW"]


def _read_builtin() -> CatalogSide:
    from ocelot_cli.envelope.catalog import load_catalog

    return CatalogSide(BUILTIN, "the built-in catalog", list(load_catalog([])))


# -- local ------------------------------------------------------------------------------
def _configured_under(root: Path, configured: list[str]) -> list[Path]:
    found = []
    for entry in configured:
        path = Path(entry).expanduser()
        if path.is_absolute():
            try:
                path = root / path.resolve().relative_to(root.resolve())
            except ValueError:
                continue
        else:
            path = root / path
        if path.exists() and path.resolve() != root.resolve():
            found.append(path)
    return found


def _read_local(spec: str, configured: list[str]) -> CatalogSide:
    path = Path(spec).expanduser()
    if not path.exists():
        raise UsageProblem(f"{spec}: no such file or directory", hint=_WHAT_ARGS)
    sources = _configured_under(path, configured) if path.is_dir() else []
    is_file = not path.is_dir()  # a regular file, or a FIFO such as <(git show main:asyncapi.yaml)
    shown = ", ".join(str(p) for p in sources) if sources else spec
    try:
        types = _merge(read_catalog_source(p) for p in sources or [path])
    except CatalogError as exc:
        if sources or is_file:
            raise
        raise CatalogError(exc.message, hint=_root_hint(spec, configured)) from None
    if not types:
        raise UsageProblem(f"{spec}: no catalog files in {shown}", hint=_root_hint(spec, configured))
    return CatalogSide(spec, shown, types, local=sources or [path])


def _root_hint(spec: str, configured: list[str]) -> str:
    if configured:
        return (f"{spec} is read as a catalog directory, since the configured catalog ({', '.join(configured)}) is "
                "not under it; name the catalog directory or document instead")
    return (f"{spec} is read as a catalog directory; if it is a project's root, set OCELOT_CATALOG to its catalog "
            "directory (relative to the root), or name that directory: ocelot catalog diff git:origin/main events/")


def _merge(groups: Iterable[list[EventType]]) -> list[EventType]:
    """Types of several sources; a later source overrides an earlier one's type of the same name."""
    merged: dict[str, EventType] = {}
    for group in groups:
        merged.update((t.name, t) for t in group)
    return list(merged.values())


# -- git ----------------------------------------------------------------------------------
def _split_git(spec: str) -> tuple[str, str | None]:
    ref, colon, path = spec[len(GIT_PREFIX):].partition(":")
    if not ref:
        raise UsageProblem(f"{spec}: name a commit after git:, e.g. git:origin/main or git:HEAD~1:events",
                           hint=_WHAT_ARGS)  # fmt: skip
    return ref, (path if colon else None)


def _in_repo_path(repo: GitRepository, cwd: Path, path: str, spec: str) -> str:
    """PATH of ``git:REF:PATH`` relative to the top of the repository."""
    if path.startswith(("./", "../")) or path in (".", ".."):
        here = repo.relative(cwd)
        if here is None:
            raise UsageProblem(f"{spec}: the current directory is not in the repository at {repo.root}")
        path = posixpath.join(here, path)
    normal = posixpath.normpath(path.strip("/")) if path.strip("/") else ""
    if normal in (".", ""):
        return ""
    if normal.startswith("../") or normal == "..":
        raise UsageProblem(f"{spec}: {path} is outside the repository")
    return normal


def _read_git(spec: str, other: CatalogSide | None, configured: list[str], cwd: Path) -> CatalogSide:
    ref, path = _split_git(spec)
    anchor = other.local[0] if other and other.local else None
    repo = _repository(anchor, cwd, spec)
    commit = repo.commit(ref)
    side = CatalogSide(spec, "", local=[])
    if path is None and other is not None and anchor is not None and repo.relative(anchor) is not None:
        targets = _same_place(repo, commit, ref, other.local, side)
    else:
        base = _in_repo_path(repo, cwd, path, spec) if path is not None else (repo.relative(cwd) or "")
        targets = _targets_at(repo, commit, base, configured, spec, ref)
    side.types = _merge(_read_git_source(repo, commit, ref, rel) for rel in targets)
    side.shown = f"{', '.join(f'{ref}:{t}' for t in targets) or ref} ({commit[:12]})"
    if not side.types and targets:
        raise UsageProblem(f"{spec}: no catalog files in {', '.join(targets) or '/'} at {ref}",
                           hint=_root_hint(spec, configured))  # fmt: skip
    return side


def _same_place(repo: GitRepository, commit: str, ref: str, local: list[Path], side: CatalogSide) -> list[str]:
    """The other argument's catalog sources at the commit; one missing there is warned about and left out."""
    targets = []
    for rel in (r for p in local if (r := repo.relative(p)) is not None):
        if repo.kind(commit, rel) is None:
            side.warnings.append(f"{side.spec}: {rel or '/'} does not exist at {ref}: its types count as added")
        else:
            targets.append(rel)
    return targets


def _repository(anchor: Path | None, cwd: Path, spec: str) -> GitRepository:
    if anchor is not None:
        try:
            return GitRepository.containing(anchor, spec)
        except UsageProblem:
            pass  # the other side is outside any repository: the current directory's
    return GitRepository.containing(cwd, spec)


def _targets_at(repo: GitRepository, commit: str, base: str, configured: list[str], spec: str, ref: str) -> list[str]:
    """What ``base`` stands for at the commit: itself, or the configured catalog under it (a project root)."""
    kind = repo.kind(commit, base)
    if kind is None:
        raise UsageProblem(f"{spec}: {base} does not exist at {ref}", hint=_WHAT_ARGS)
    if kind != "tree":
        return [base]
    found = []
    for entry in configured:
        entry_path = Path(entry).expanduser()
        if entry_path.is_absolute():
            rel = repo.relative(entry_path)
            if rel is None:
                continue
        else:
            rel = posixpath.normpath(posixpath.join(base, entry_path.as_posix()))
        if rel not in (".", base) and not rel.startswith("..") and repo.kind(commit, rel) is not None:
            found.append(rel)
    return found or [base]


def _read_git_source(repo: GitRepository, commit: str, ref: str, path: str) -> list[EventType]:
    shown = f"{ref}:{path}" if path else f"{ref}:"
    if repo.kind(commit, path) != "tree":
        data = repo.read(commit, path)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CatalogError(f"{shown}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
        return read_catalog_source(Path(path), text, shown)
    wanted = [e for e in repo.entries(commit, path)
              if e.kind == "blob" and e.mode in ("100644", "100755") and e.name.endswith(_ENTRY_SUFFIXES)]  # fmt: skip
    contents = repo.blobs([e.object_id for e in wanted])
    prefix = f"{shown}/" if path else shown
    with tempfile.TemporaryDirectory(prefix="ocelot-diff-") as tmp:
        for entry in wanted:
            (Path(tmp) / entry.name).write_bytes(contents[entry.object_id])
        try:
            types = read_catalog_source(Path(tmp))
        except CatalogError as exc:
            hint = exc.hint.replace(f"{tmp}/", prefix) if exc.hint else exc.hint
            raise CatalogError(exc.message.replace(f"{tmp}/", prefix), hint=hint) from None
    return [replace(t, source_file=t.source_file.replace(f"{tmp}/", prefix), builtin=False) for t in types]
