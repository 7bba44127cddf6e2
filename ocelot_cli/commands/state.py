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

        extra = self.settings().catalog_dirs(dirs)
        catalog = load_catalog(extra)
        added = sum(1 for t in catalog if not t.builtin)
        self.output.detail(f"catalog: {len(catalog)} types ({added} from {', '.join(extra)})" if extra else
                           f"catalog: {len(catalog)} built-in types")  # fmt: skip
        return catalog

    def warn_secrets_in_flags(self, flags: dict[str, str | None]) -> None:
        """Warn when a URL flag carries a password: other users of the machine can read argv."""
        from urllib.parse import urlsplit

        for name, value in flags.items():
            try:
                password = urlsplit(value).password if value else None
            except ValueError:
                password = None
            if password:
                flag = "--" + name.replace("_", "-")
                env = {"amqp_url": "OCELOT_AMQP_URL", "redis_url": "OCELOT_REDIS_URL", "ws_url": "OCELOT_WS_URL"}[name]
                self.output.warn(
                    f"{flag} holds a password, which other users can see in the process list; "
                    f"set {env} or use a profile instead"
                )


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
