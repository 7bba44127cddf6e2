"""What the global options decide for one run, shared with every command through the context."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from ocelot_cli.config.settings import Settings
    from ocelot_cli.envelope.catalog import Catalog
    from ocelot_cli.render.output import Output
    from ocelot_cli.transports.base import Endpoint


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
            from ocelot_cli.config.settings import Settings

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

    def connect_timeout(self, flag: str | None = None) -> float:
        """--connect-timeout, else OCELOT_CONNECT_TIMEOUT or the profile, else 10 s."""
        from ocelot_cli.config.durations import parse_duration

        value = self.settings().get("connect_timeout", flag) or "10s"
        seconds = parse_duration(value, option="--connect-timeout")
        if seconds <= 0:
            from ocelot_cli.errors import UsageProblem

            raise UsageProblem(f"--connect-timeout {value}: give a time above zero, e.g. 5s")
        return seconds

    def endpoint(self, setting: str, flag: str | None = None, *, url: str | None = None,
                 connect_timeout: str | None = None, **extra: Any) -> Endpoint:  # fmt: skip
        """Where to connect: the URL of a setting (flag > env > profile > default) or ``url``, the
        --connect-timeout, the client name; ``extra`` are Endpoint fields (ca_file, token, ...)."""
        from ocelot_cli.transports.base import Endpoint

        if flag is not None:
            self.warn_secrets_in_flags({setting: flag})
        settings = self.settings()
        return Endpoint(url or settings.get(setting, flag) or "", connect_timeout=self.connect_timeout(connect_timeout),
                        client_name=settings.get("client_name"), **extra)  # fmt: skip

    def gateway_token(self, token_file: str | None = None, token: str | None = None) -> str:
        """The gateway's Bearer token: --token (warned), --token-file, OCELOT_WS_TOKEN_FILE, OCELOT_WS_TOKEN."""
        from pathlib import Path

        from ocelot_cli.config.settings import ENV_WS_TOKEN
        from ocelot_cli.errors import ConfigError

        if token:
            self.output.warn("--token is visible to other users in the process list; use OCELOT_WS_TOKEN or "
                             "--token-file")  # fmt: skip
            return token
        file_name = token_file or self.settings().get("ws_token_file")
        if file_name:
            try:
                token = Path(file_name).expanduser().read_text().strip()
            except OSError as exc:
                raise ConfigError(f"cannot read the token file {file_name}: {exc.strerror}") from None
        token = token or (self.settings().get("ws_token") or "").strip()
        if not token:
            raise ConfigError("no token for the gateway",
                              hint=f"set {ENV_WS_TOKEN} or pass --token-file (see 'ocelot token')")  # fmt: skip
        return token

    def gateway(self, url: str | None, channel: str, *, token_file: str | None = None, token: str | None = None,
                ca_file: str | None = None, connect_timeout: str | None = None,
                option: str | None = None) -> tuple[Endpoint, dict[str, str | None]]:  # fmt: skip
        """A client of one gateway channel (load, smoke): the endpoint with its token, and who the
        channel's events belong to (tenant, user, lead: the channel's own id, else the token's)."""
        from ocelot_cli.config.redact import mask_url
        from ocelot_cli.envelope.channels import channel_owner, check_channel
        from ocelot_cli.errors import UsageProblem
        from ocelot_cli.gateway.auth import unverified_claims
        from ocelot_cli.transports.base import scheme_of

        check_channel(channel)  # before anything is sent
        resolved = self.settings().get("ws_url", url) or ""
        if scheme_of(resolved) not in ("ws", "wss"):
            raise UsageProblem(
                f"{option or '--ws-url'} {mask_url(resolved)}: give a ws:// or wss:// URL of the gateway"
            )
        secret = self.gateway_token(token_file, token)
        endpoint = self.endpoint("ws_url", url, ca_file=ca_file, connect_timeout=connect_timeout, token=secret)
        return endpoint, channel_owner(channel, unverified_claims(secret))

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
