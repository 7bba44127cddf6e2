from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocelot_cli.envelope import formats


@pytest.mark.parametrize("number", ["+14155550123", "+420601123456", "+12"])
def test_e164_accepts_plus_country_code_and_up_to_15_digits(number):
    assert formats.is_e164(number)


@pytest.mark.parametrize("number", ["14155550123", "+0123", "+1 415 555 0123", "+1234567890123456", "+", ""])
def test_e164_refuses_numbers_without_plus_leading_zero_spaces_or_too_long(number):
    assert not formats.is_e164(number)


@pytest.mark.parametrize(
    "tag", ["en", "en-US", "zh-Hant-TW", "es-419", "sr-Latn-RS", "de-CH-1996", "x-private", "cs-CZ"]
)
def test_bcp47_accepts_well_formed_tags(tag):
    assert formats.is_bcp47(tag)


@pytest.mark.parametrize("tag", ["en_US", "e", "1234", "en-", "-US", "en-US-", ""])
def test_bcp47_refuses_malformed_tags(tag):
    assert not formats.is_bcp47(tag)


@pytest.mark.parametrize(
    "text",
    ["2025-09-20T10:30:00Z", "2025-09-20T10:30:00.123Z", "2025-09-20T10:30:00+02:00", "2025-09-20 10:30:00+00:00",
     "2025-09-20t10:30:00z", "2025-09-20T10:30:00.123456789Z"],
)  # fmt: skip
def test_iso_datetimes_with_offsets_parse_as_aware(text):
    parsed = formats.parse_iso_datetime(text)
    assert parsed is not None and parsed.tzinfo is not None


def test_naive_datetime_is_recognised_and_marked_utc():
    assert formats.is_naive_datetime("2025-09-20T10:30:00")
    assert formats.as_utc_text("2025-09-20T10:30:00") == "2025-09-20T10:30:00Z"
    assert formats.as_utc_text("2025-09-20T10:30:00Z") == "2025-09-20T10:30:00Z"


@pytest.mark.parametrize(
    "text", ["2025-13-01T00:00:00Z", "2025-02-30T00:00:00Z", "2025-09-20", "yesterday", "2025-09-20T25:00:00Z"]
)
def test_impossible_or_partial_datetimes_are_refused(text):
    assert formats.parse_iso_datetime(text) is None


@given(st.datetimes(min_value=datetime(1, 1, 1), timezones=st.just(UTC)))
def test_format_timestamp_round_trips_to_the_millisecond(moment):
    text = formats.format_timestamp(moment)
    assert text.endswith("Z")
    parsed = formats.parse_iso_datetime(text)
    assert parsed == moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def test_uuid_requires_canonical_hyphenated_form():
    assert formats.is_uuid("3fa85f64-5717-4562-b3fc-2c963f66afa6")
    assert not formats.is_uuid("3fa85f6457174562b3fc2c963f66afa6")
    assert not formats.is_uuid("not-a-uuid")


@pytest.mark.parametrize(
    ("text", "valid"),
    [("2025-09-20T10:30:00Z", True), ("2025-09-20T10:30:00.123Z", True), ("2025-02-30T10:30:00Z", False),
     ("2025-09-20T24:30:00Z", False), ("2025-09-20T10:30:00+02:00", True), ("2025-09-20T10:30:00", False),
     ("2025-09-20T10:30:00.1234567Z", True)],
)  # fmt: skip
def test_strict_date_time_check_agrees_with_the_parser_on_both_paths(text, valid):
    from ocelot_cli.envelope.validate import _strict_datetime

    assert _strict_datetime(text) is valid
