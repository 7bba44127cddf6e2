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
        """--connect-timeout, else OCELOT_CONNECT_TIMEOUT or the profile, else 10 s; errors name the source."""
        from ocelot_cli.config.durations import parse_duration
        from ocelot_cli.errors import UsageProblem

        resolved = self.settings().resolve("connect_timeout", flag)
        source = resolved.source("--connect-timeout")
        try:
            seconds = parse_duration(resolved.value or "", option=source)
        except UsageProblem as exc:
            raise resolved.error(exc.message, exc.hint) from None
        if seconds <= 0:
            raise resolved.error(f"{source} {resolved.value}: give a time above zero, e.g. 5s")
        return seconds

    def endpoint(self, setting: str, flag: str | list[str] | None = None, *, option: str | None = None,
                 url: str | None = None, url_option: str | None = None, connect_timeout: str | None = None,
                 shuffle: bool = False, **extra: Any) -> Endpoint:  # fmt: skip
        """Where to connect, and where that came from (for messages).

        The URL is ``url`` when given (``--to``, tail's URL argument: any scheme, which the
        transport checks), else the setting's (flag > env > profile > default), which must have
        one of the setting's schemes: an --amqp-url that says redis:// is a mistake, not a switch.
        ``extra`` are Endpoint fields (ca_file, token, blocked_timeout). A repeated option (a list)
        and a comma-separated value both name the nodes of a cluster; ``shuffle`` puts them in a
        random order (``--shuffle-nodes``), else they are tried in the order given.
        """
        from ocelot_cli.transports.base import Endpoint

        flag = node_list(flag)
        settings = self.settings()
        if url is not None:
            value, source = url, url_option or "the URL"
            self.warn_secret_on_command_line(source, url)
        else:
            value, source, from_flag = self.setting_url(setting, flag, option)
            if from_flag:
                self.warn_secret_on_command_line(source, value)
        if shuffle:
            import random

            from ocelot_cli.config.redact import split_nodes

            nodes = split_nodes(value)
            random.shuffle(nodes)
            value = ",".join(nodes)
        return Endpoint(value, connect_timeout=self.connect_timeout(connect_timeout), source=source,
                        client_name=settings.get("client_name"), **extra)  # fmt: skip

    def management_endpoint(self, flag: str | None, amqp_flag: str | None, amqp: Endpoint) -> Endpoint:
        """The management API's endpoint: --mgmt-url, OCELOT_MGMT_URL, the profile's mgmt_url, else derived
        from the AMQP URL (flag included); the AMQP endpoint's CA file and timeouts."""
        import dataclasses

        from ocelot_cli.config.redact import mask_url
        from ocelot_cli.transports.base import check_url, scheme_of

        resolved = self.settings().resolve("mgmt_url", flag, flags={"amqp_url": amqp_flag})
        source = resolved.source("--mgmt-url")
        value = resolved.value or ""
        if scheme_of(value) not in ("http", "https"):
            raise resolved.error(f"{source} {mask_url(value) or '(empty)'}: give an http:// or https:// URL",
                                 hint="the management API's URL, e.g. http://rabbit.internal:15672/")  # fmt: skip
        if resolved.origin == "flag":
            self.warn_secret_on_command_line("--mgmt-url", flag)
        check_url(value, f"{source} {mask_url(value)}")
        return dataclasses.replace(amqp, url=value, source=source)

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
        if any(ord(c) < 0x21 or ord(c) == 0x7F for c in token):  # a CR/LF would become extra HTTP headers
            raise ConfigError("the gateway token holds spaces or control characters, which no token has",
                              hint=f"check {ENV_WS_TOKEN} or the token file: one line, the token alone")  # fmt: skip
        return token

    def gateway(self, url: str | None, channel: str, *, token_file: str | None = None, token: str | None = None,
                ca_file: str | None = None, connect_timeout: str | None = None,
                option: str | None = None) -> tuple[Endpoint, dict[str, str | None]]:  # fmt: skip
        """A client of one gateway channel (load, smoke): the endpoint with its token, and who the
        channel's events belong to (tenant, user, lead: the channel's own id, else the token's)."""
        from ocelot_cli.envelope.channels import channel_owner, check_channel
        from ocelot_cli.gateway.auth import TENANT_CLAIMS, USER_CLAIMS, claimed, unverified_claims

        check_channel(channel)  # before anything is sent
        self.setting_url("ws_url", url, option)  # the URL's kind is checked before the token is read
        secret = self.gateway_token(token_file, token)
        endpoint = self.endpoint("ws_url", url, option=option, ca_file=ca_file, connect_timeout=connect_timeout,
                                 token=secret)  # fmt: skip
        claims = unverified_claims(secret)
        return endpoint, channel_owner(channel, claimed(claims, TENANT_CLAIMS), claimed(claims, USER_CLAIMS))

    def setting_url(self, setting: str, flag: str | None = None, option: str | None = None) -> tuple[str, str, bool]:
        """The URL of a setting, where it came from, and whether from the command line; an error
        naming that source when it is not of the setting's kind (an --amqp-url that says redis://)."""
        from ocelot_cli.config.redact import mask_url
        from ocelot_cli.config.settings import SETTINGS
        from ocelot_cli.transports.base import scheme_of

        resolved = self.settings().resolve(setting, flag)
        value, source = resolved.value or "", resolved.source(option)
        allowed = SETTINGS[setting].schemes
        if allowed and scheme_of(value) not in allowed:
            kinds = " or ".join(f"{s}://" for s in allowed)
            article = "an" if allowed[0][0] in "aeiou" else "a"
            raise resolved.error(f"{source} {mask_url(value)}: give {article} {kinds} URL",
                                 hint=_other_option_hint(scheme_of(value)))  # fmt: skip
        return value, source, resolved.origin == "flag"

    def warn_secret_on_command_line(self, option: str, url: str | list[str] | None) -> None:
        """Warn when a URL on the command line carries a password: other users of the machine can read argv."""
        from ocelot_cli.config.redact import split_nodes
        from ocelot_cli.config.settings import SETTINGS
        from ocelot_cli.transports.base import scheme_of

        url = node_list(url)
        if not url or not any(":" in node.partition("://")[2].rpartition("@")[0] for node in split_nodes(url)):
            return
        env = next((s.env for s in SETTINGS.values() if scheme_of(url) in s.schemes), "the environment")
        self.output.warn(f"{option} holds a password, which other users can see in the process list; "
                         f"set {env} or use a profile instead")  # fmt: skip

    def warn_secrets_in_flags(self, flags: dict[str, str | list[str] | None]) -> None:
        """Warn about each URL flag (by setting name) that carries a password."""
        from ocelot_cli.config.settings import SETTINGS

        for name, value in flags.items():
            self.warn_secret_on_command_line(SETTINGS[name].option, value)


def node_list(flag: str | list[str] | None) -> str | None:
    """A repeated URL option (a list) as one comma-separated node list; None when not given."""
    if isinstance(flag, list | tuple):
        return ",".join(flag) if flag else None
    return flag


def _other_option_hint(scheme: str) -> str | None:
    """Where a URL of this scheme belongs instead, if ocelot knows the scheme."""
    return {
        "redis": "a Redis URL goes in --redis-url (OCELOT_REDIS_URL), or publish to it with --to",
        "rediss": "a Redis URL goes in --redis-url (OCELOT_REDIS_URL), or publish to it with --to",
        "ws": "a gateway URL goes in --ws-url (OCELOT_WS_URL) or --ws",
        "wss": "a gateway URL goes in --ws-url (OCELOT_WS_URL) or --ws",
        "amqp": "a RabbitMQ URL goes in --amqp-url (OCELOT_AMQP_URL)",
        "amqps": "a RabbitMQ URL goes in --amqp-url (OCELOT_AMQP_URL)",
    }.get(scheme)


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
