"""Edges of the operator tools found by trying them as an adversary: header values pika decodes wrongly,
recorded byte-array headers, and --since/--until/--max-bytes values outside what AMQP can carry."""

from __future__ import annotations

import struct

import pytest
from pika import data as amqp_data

import ocelot_cli.transports.amqp.consumer  # noqa: F401 (installs the exact float decoding)
from ocelot_cli.errors import UsageProblem
from ocelot_cli.formats.recording import properties_of
from ocelot_cli.tail.history import parse_moment, parse_size


def _table(kind: bytes, packed: bytes) -> bytes:
    entry = bytes([5]) + b"score" + kind + packed
    return struct.pack(">I", len(entry)) + entry


def test_float_and_double_headers_of_other_clients_are_decoded_as_what_they_are():
    assert amqp_data.decode_table(_table(b"d", struct.pack(">d", 0.75)), 0)[0] == {"score": 0.75}
    assert amqp_data.decode_table(_table(b"f", struct.pack(">f", 0.5)), 0)[0] == {"score": 0.5}


def test_a_recorded_byte_array_header_is_bytes_again_when_replayed():
    record = {"properties": {"content_type": "text/plain", "headers": {
        "raw": {"$base64": "AP9yYXc="}, "nested": [{"$base64": "AQ=="}], "text": "kept", "odd": {"$base64": "!"}}}}
    assert properties_of(record) == {"content_type": "text/plain", "headers": {
        "raw": b"\x00\xffraw", "nested": [b"\x01"], "text": "kept", "odd": {"$base64": "!"}}}  # fmt: skip


@pytest.mark.parametrize("text", ["999999999w", "0001-01-01", "1969-12-31T00:00Z", "99999999999999d"])
def test_times_outside_what_amqp_carries_are_usage_errors(text):
    with pytest.raises(UsageProblem, match="from 1970 to 9999"):
        parse_moment(text, "--since")


def test_max_bytes_is_exact_and_bounded_by_a_long_long():
    assert parse_size("9223372036854775807") == 2**63 - 1
    assert parse_size("5GB") == 5_000_000_000 and parse_size("2GiB") == 2 * 1024**3
    for text in ("99999999999999999999999999999TB", "9300000000000000000"):
        with pytest.raises(UsageProblem, match="at most"):
            parse_size(text)
