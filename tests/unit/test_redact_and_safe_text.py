import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ocelot_cli.config.redact import mask_url, redact, scrub
from ocelot_cli.render.safe_text import escape_control, safe_json


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("amqp://guest:guest@localhost:5672/%2F", "amqp://guest:****@localhost:5672/%2F"),
        ("amqps://user:p%40ss@host/vhost", "amqps://user:****@host/vhost"),
        ("redis://:secret@127.0.0.1:6379/0", "redis://:****@127.0.0.1:6379/0"),
        ("wss://gw.example.com/ws?token=abc&x=1", "wss://gw.example.com/ws?token=****&x=1"),
        ("ws://127.0.0.1:8765/ws", "ws://127.0.0.1:8765/ws"),
        ("amqp://user:pa/ss?x#y@host:5672/v", "amqp://user:****@host:5672/v"),
        ("amqp://u:pa[ss@127.0.0.1:5672/", "amqp://u:****@127.0.0.1:5672/"),
        ("wss://gw/ws?jwt=abc&x=1&sig=zz&apiKey=k", "wss://gw/ws?jwt=****&x=1&sig=****&apiKey=****"),
    ],
)
def test_mask_url_hides_passwords_and_secret_parameters(url, shown):
    assert mask_url(url) == shown


@given(st.text(alphabet=st.characters(codec="ascii", exclude_characters="@:/?#[]%*"), min_size=4))
@example("00,,")  # commas that read as a node list's separators: the pieces are no URLs, masked as one
@example(",,amqp://x")
def test_mask_url_never_shows_the_password(password):
    assert password not in mask_url(f"amqp://user:{password}@host:5672/vhost").split("@")[0].split(":", 2)[2]


# Any printable character but '@' and '*' (the mask itself): '/', '?', '#', '[' and non-ASCII too.
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp"),
                                      exclude_characters="@*"), min_size=6))  # fmt: skip
def test_mask_url_hides_a_password_of_any_characters_and_so_does_scrub(password):
    url = f"amqp://user:{password}@host:5672/vhost"
    assert password not in mask_url(url)
    assert password not in scrub(f"-> {url} <-")


def test_redact_replaces_every_known_secret():
    assert redact("token abcd1234 and abcd1234", ["abcd1234", None, ""]) == "token **** and ****"


@given(st.text())
def test_escaped_text_has_no_terminal_control_characters(text):
    escaped = escape_control(text)
    assert not any((ord(c) < 0x20 and c not in "\t\n") or 0x7F <= ord(c) <= 0x9F for c in escaped)


def test_escape_sequences_are_shown_not_interpreted():
    assert escape_control("\x1b[31mred\x1b[0m\x07\x9b2J") == "\\e[31mred\\e[0m\\x07\\x9b2J"
    assert escape_control("a\tb\nc", one_line=True) == "a\\tb\\nc"
    assert escape_control("\u202eevil") == "\\u202eevil"


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))  # fmt: skip
def test_safe_json_is_lossless_and_terminal_safe(value):
    text = safe_json(value)
    assert json.loads(text) == value
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text)


def test_scrub_masks_urls_in_free_text_and_secret_env_values(monkeypatch):
    monkeypatch.setenv("OCELOT_WS_TOKEN", "eyJhbGciOi.secret.token")
    monkeypatch.setenv("OCELOT_AMQP_URL", "amqp://ops:pa55word@rabbit/%2F")
    text = "failed amqp://ops:pa55word@rabbit/%2F with eyJhbGciOi.secret.token; pa55word again"
    assert scrub(text) == "failed amqp://ops:****@rabbit/%2F with ****; **** again"


@pytest.mark.parametrize(("url", "quoted"), [
    ("amqp://u:pa/ss@h/%2F", "pa"),  # urlsplit reads "pa" as the port
    ("amqp://u:pa/ss@h/%2F", "pa/ss"),
    ("amqp://u:p%40ss@h/%2F", "p@ss"),  # the decoded password
    ("amqp://u:p%40ss@h/%2F", "p%40ss"),
    ("redis://u:x@h/0", "x"),  # however short
])  # fmt: skip
def test_a_library_error_quoting_any_part_of_the_password_is_replaced(url, quoted):
    from ocelot_cli.config.redact import url_error_text

    shown = url_error_text(ValueError(f"Port could not be cast to integer value as '{quoted}'"), url)
    assert shown == "the URL could not be read (its password is not shown)"
    assert url_error_text(ValueError("Invalid heartbeat value 'abc'"), url) == "Invalid heartbeat value 'abc'"
