"""What the global options decide for one run, shared with every command through the context."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from ocelot_cli.envelope.catalog import Catalog
    from ocelot_cli.render.output import Output
    from ocelot_cli.settings import Settings


def _default_output() -> Output:
    from ocelot_cli.render.output import Output

    return Output()


@dataclass
class RunState:
    """Global options plus lazily built settings and catalog."""

    output: Output = field(default_factory=_default_output)
    profile: str | None = None
    debug: bool = False
    _settings: Settings | None = None

    def settings(self) -> Settings:
        if self._settings is None:
            from ocelot_cli.settings import Settings

            self._settings = Settings(self.profile)
        return self._settings

    def catalog(self, dirs: list[str] | None = None) -> Catalog:
        from ocelot_cli.envelope.catalog import load_catalog

        return load_catalog(self.settings().catalog_dirs(dirs))


_current: RunState | None = None


def current() -> RunState:
    """The state of this run (a default one before the global options are parsed)."""
    global _current
    if _current is None:
        _current = RunState()
    return _current


def set_current(state: RunState) -> None:
    global _current
    _current = state


def state_of(ctx: typer.Context) -> RunState:
    """The run state from a command's context."""
    obj = ctx.find_root().obj
    return obj if isinstance(obj, RunState) else current()
