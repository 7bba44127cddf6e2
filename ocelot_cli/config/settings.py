"""Connection and catalog settings: flag > environment variable > profile > default.

Profiles live in a YAML file (``$OCELOT_CONFIG``, else ``$XDG_CONFIG_HOME/ocelot/config.yaml``,
else ``~/.config/ocelot/config.yaml``)::

    default_profile: local
    profiles:
      local:
        amqp_url: amqp://127.0.0.1:5672/%2F
      staging:
        amqp_url:                      # a cluster: every node, tried in order
          - amqps://deployer@rabbit-1.staging.internal:5671/ocelot
          - amqps://deployer@rabbit-2.staging.internal:5671/ocelot
        exchange: ocelot.events
        ws_token_file: ~/.config/ocelot/staging.token

Secrets are never defaults of a flag: passwords come from the URL in the environment or a
profile, tokens from an environment variable or a file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ocelot_cli.errors import ConfigError, OcelotError, UsageProblem

ENV_CONFIG = "OCELOT_CONFIG"
ENV_PROFILE = "OCELOT_PROFILE"
ENV_AMQP_URL = "OCELOT_AMQP_URL"
ENV_MGMT_URL = "OCELOT_MGMT_URL"
ENV_EXCHANGE = "OCELOT_EXCHANGE"
ENV_REDIS_URL = "OCELOT_REDIS_URL"
ENV_WS_URL = "OCELOT_WS_URL"
ENV_WS_TOKEN = "OCELOT_WS_TOKEN"
ENV_WS_TOKEN_FILE = "OCELOT_WS_TOKEN_FILE"
ENV_CATALOG = "OCELOT_CATALOG"
ENV_CONNECT_TIMEOUT = "OCELOT_CONNECT_TIMEOUT"
ENV_CLIENT_NAME = "OCELOT_CLIENT_NAME"
ENV_DEBUG = "OCELOT_DEBUG"


@dataclass(frozen=True)
class Setting:
    """One setting: its name in profiles, its environment variable, default and whether it is secret."""

    name: str
    env: str
    default: str | None
    help: str
    url: bool = False
    secret: bool = False
    schemes: tuple[str, ...] = ()  # for a URL: the schemes it may have
    derived_from: str | None = None  # unset, it is derived from this setting (see Settings.resolve)

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting("amqp_url", ENV_AMQP_URL, "amqp://127.0.0.1:5672/%2F",
                "RabbitMQ URL (amqp:// or amqps://); a cluster's nodes separated by commas", url=True,
                schemes=("amqp", "amqps")),
        Setting("exchange", ENV_EXCHANGE, "ocelot.events", "topic exchange of the platform bus"),
        Setting("mgmt_url", ENV_MGMT_URL, None,
                "RabbitMQ management API URL for 'ocelot info' (default: the AMQP URL's host, port 15672)", url=True,
                schemes=("http", "https"), derived_from="amqp_url"),
        Setting("redis_url", ENV_REDIS_URL, "redis://127.0.0.1:6379/0", "Redis URL of the real-time hub", url=True,
                schemes=("redis", "rediss")),
        Setting("ws_url", ENV_WS_URL, "ws://127.0.0.1:8765/ws", "WebSocket URL of the real-time gateway", url=True,
                schemes=("ws", "wss")),
        Setting("ws_token", ENV_WS_TOKEN, None, "Bearer token for the WebSocket gateway", secret=True),
        Setting("ws_token_file", ENV_WS_TOKEN_FILE, None, "file holding the WebSocket Bearer token"),
        Setting("catalog", ENV_CATALOG, None,
                f"extra catalog directories or AsyncAPI documents, separated by '{os.pathsep}'"),
        Setting("connect_timeout", ENV_CONNECT_TIMEOUT, "10s", "give up connecting after this long (e.g. 5s)"),
        Setting("client_name", ENV_CLIENT_NAME, None, "added to connection names the broker shows"),
    )
}


@dataclass(frozen=True)
class Resolved:
    """A setting's value and where it came from (flag, env, profile:NAME, default)."""

    name: str
    value: str | None
    origin: str

    def source(self, option: str | None = None) -> str:
        """Where the value came from, as a user would look for it: the option, the variable, the profile."""
        setting = SETTINGS[self.name]
        if self.origin == "flag":
            return option or setting.option
        if self.origin.startswith("env "):
            return setting.env
        if self.origin.startswith("profile "):
            return f"{self.name} of {self.origin}"
        if self.origin.startswith("derived "):
            return f"{self.name} derived from {setting.derived_from}"
        return f"the default {self.name}"

    def error(self, message: str, hint: str | None = None) -> OcelotError:
        """A problem with the value: a usage error, or a configuration error when a profile holds it."""
        cls = ConfigError if self.origin.startswith("profile ") else UsageProblem
        return cls(message, hint=hint)

    def shown(self) -> str:
        """The value as it may be printed: URLs masked, secrets hidden."""
        setting = SETTINGS[self.name]
        if self.value is None:
            return "(not set)"
        if setting.secret:
            return "**** (set)"
        from ocelot_cli.config.redact import mask_url

        return mask_url(self.value) if setting.url else self.value


def config_path() -> Path:
    """Where the profiles file is looked for."""
    explicit = os.environ.get(ENV_CONFIG)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "ocelot" / "config.yaml"


def _load_config(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the configuration file: {exc}") from None
    import yaml  # only when there is a file to read: the YAML parser costs start-up time

    from ocelot_cli.formats import safe_yaml

    try:
        config = safe_yaml.load_one(text) or {}
    except yaml.YAMLError as exc:
        line, column, message = safe_yaml.describe_error(exc)
        raise ConfigError(f"{path}:{line}:{column}: {message}" if line else f"{path}: {message}") from None
    if not isinstance(config, dict) or not isinstance(config.get("profiles", {}), dict):
        raise ConfigError(f"{path}: expected a mapping with 'profiles:' (and optionally 'default_profile:')")
    unknown = set(config) - {"profiles", "default_profile"}
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key(s): {', '.join(sorted(map(str, unknown)))}")
    for name, profile in config.get("profiles", {}).items():
        if not isinstance(profile, dict):
            raise ConfigError(f"{path}: profile {name!r} must be a mapping of settings")
        bad = set(profile) - (set(SETTINGS) - {"ws_token"})
        if bad:
            allowed = ", ".join(sorted(set(SETTINGS) - {"ws_token"}))
            raise ConfigError(
                f"{path}: profile {name!r} has unknown setting(s) {', '.join(sorted(map(str, bad)))}",
                hint=f"known settings: {allowed} (tokens go in a file named by ws_token_file)",
            )
    return config


class Settings:
    """Resolves settings for one run, given the chosen profile name (or None)."""

    def __init__(self, profile: str | None = None, *, environ: dict[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ
        self.path = config_path()
        self.config = _load_config(self.path)
        profiles = self.config.get("profiles", {})
        requested = profile or self.environ.get(ENV_PROFILE) or self.config.get("default_profile")
        if requested and requested not in profiles:
            known = ", ".join(sorted(profiles)) or "none"
            raise ConfigError(
                f"profile {requested!r} is not defined in {self.path}",
                hint=f"defined profiles: {known}",
            )
        self.profile_name: str | None = requested
        self.profile: dict[str, Any] = profiles.get(requested, {}) if requested else {}

    def resolve(self, name: str, flag_value: str | None = None, *, flags: dict[str, Any] | None = None) -> Resolved:
        """The value of one setting by precedence: flag, env var, profile, default; a setting with nothing
        set and ``derived_from`` is derived from that setting (resolved with its flag in ``flags``)."""
        setting = SETTINGS[name]
        if flag_value is not None:
            return Resolved(name, flag_value, "flag")
        env_value = self.environ.get(setting.env)
        if env_value:
            return Resolved(name, env_value, f"env {setting.env}")
        if name in self.profile and self.profile[name] is not None:
            value = self.profile[name]
            if isinstance(value, list) and setting.url:  # a node list: one URL per item
                value = self._node_list(name, value)
            return Resolved(name, str(value), f"profile {self.profile_name}")
        if setting.derived_from:
            return self._derived(setting, (flags or {}).get(setting.derived_from))
        return Resolved(name, setting.default, "default")

    def _derived(self, setting: Setting, base_flag: str | None) -> Resolved:
        """The management URL from the AMQP URL's host (the one derivation there is)."""
        from ocelot_cli.config.management import management_url_from_amqp

        base = self.resolve(setting.derived_from or "", base_flag)
        value = management_url_from_amqp(base.value) if base.value else None
        return Resolved(setting.name, value, f"derived from {base.name} ({base.origin})")

    def _node_list(self, name: str, items: list[Any]) -> str:
        """A profile's YAML list of node URLs as one comma-separated list; each item must be a URL."""
        where = f"{self.path}: {name} of profile {self.profile_name}"
        if not items:
            raise ConfigError(f"{where} is an empty list", hint="list the nodes' URLs, or give one URL")
        for number, item in enumerate(items, 1):
            if not isinstance(item, str) or "://" not in item:
                shown = "an empty item" if item is None else f"{type(item).__name__} item"
                raise ConfigError(f"{where}: item {number} is {shown}, not a URL",
                                  hint="each item is one node's URL, e.g. amqp://rabbit-1:5672/%2F")  # fmt: skip
        return ",".join(items)

    def get(self, name: str, flag_value: str | None = None) -> str | None:
        """Just the value of ``resolve``."""
        return self.resolve(name, flag_value).value

    def catalog_dirs(self, flag_values: list[str] | None = None) -> list[str]:
        """Extra catalog sources (directories, AsyncAPI documents): flags if given, else the env var / profile list."""
        if flag_values:
            return list(flag_values)
        value = self.get("catalog")
        return [p for p in value.split(os.pathsep) if p] if value else []

    def all(self) -> list[Resolved]:
        """Every setting, resolved (for ``ocelot config show``)."""
        return [self.resolve(name) for name in SETTINGS]
