import pytest

from ocelot_cli.config.settings import ENV_AMQP_URL, ENV_CONFIG, ENV_EXCHANGE, ENV_PROFILE, SETTINGS, Settings
from ocelot_cli.errors import ConfigError

CONFIG = """\
default_profile: local
profiles:
  local:
    amqp_url: amqp://ops:s3cret-pass@rabbit.local:5672/%2F
    exchange: local.events
  staging:
    exchange: staging.events
"""


@pytest.fixture
def config_file(tmp_path, monkeypatch):
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG)
    monkeypatch.setenv(ENV_CONFIG, str(path))
    for name in (ENV_AMQP_URL, ENV_EXCHANGE, ENV_PROFILE):
        monkeypatch.delenv(name, raising=False)
    return path


def test_precedence_is_flag_then_env_then_profile_then_default(config_file, monkeypatch):
    settings = Settings()
    assert settings.resolve("exchange").value == "local.events"
    assert settings.resolve("exchange").origin == "profile local"
    monkeypatch.setenv(ENV_EXCHANGE, "env.events")
    assert Settings().resolve("exchange").value == "env.events"
    assert Settings().resolve("exchange", "flag.events").value == "flag.events"
    assert Settings().resolve("redis_url").origin == "default"


def test_profile_flag_beats_env_profile_beats_default_profile(config_file, monkeypatch):
    monkeypatch.setenv(ENV_PROFILE, "staging")
    assert Settings().profile_name == "staging"
    assert Settings("local").profile_name == "local"
    assert Settings("local").get("exchange") == "local.events"


def test_unknown_profile_lists_the_defined_ones(config_file):
    with pytest.raises(ConfigError) as info:
        Settings("prod")
    assert "profile 'prod' is not defined" in str(info.value)
    assert "local, staging" in str(info.value)


def test_password_is_masked_when_shown(config_file):
    shown = Settings().resolve("amqp_url").shown()
    assert shown == "amqp://ops:****@rabbit.local:5672/%2F"
    assert "s3cret" not in shown


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("profiles:\n  local:\n    amqp_uri: x\n", "unknown setting(s) amqp_uri"),
        ("profiles:\n  local:\n    ws_token: abc\n", "unknown setting(s) ws_token"),
        ("profiles: [1, 2]\n", "expected a mapping"),
        ("colour: red\n", "unknown top-level key(s): colour"),
        ("profiles:\n  a: 1\n  a: 2\n", ":3:3: while constructing a mapping: found duplicate key 'a'"),
        ("profiles: {a: [\n", ":2:1"),
    ],
)
def test_bad_config_files_are_config_errors_naming_the_file(config_file, text, says):
    config_file.write_text(text)
    with pytest.raises(ConfigError) as info:
        Settings()
    assert str(config_file) in str(info.value)
    assert says in str(info.value)


def test_missing_config_file_means_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_CONFIG, str(tmp_path / "none.yaml"))
    monkeypatch.delenv(ENV_EXCHANGE, raising=False)
    assert Settings().get("exchange") == "ocelot.events"


def test_no_default_holds_a_password_or_token():
    for setting in SETTINGS.values():
        assert setting.default is None or "@" not in setting.default, setting.name
    assert SETTINGS["ws_token"].default is None
