import io
import json

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ocelot_cli.envelope.strategies import events
from ocelot_cli.formats.sources import (
    InputFormat,
    ProblemKind,
    ReadProblem,
    Record,
    format_for,
    read_source,
    read_sources,
)


def items(path, **kw):
    return list(read_source(str(path), **kw))


def records(found):
    return [(i.line, i.value) for i in found if isinstance(i, Record)]


def problems(found):
    return [(i.line, i.column, i.kind, i.message) for i in found if isinstance(i, ReadProblem)]


def test_json_lines_records_carry_their_line_numbers_and_blank_lines_are_skipped(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"a": 1}\n\n{"b": 2}\n')
    assert records(items(path)) == [(1, {"a": 1}), (3, {"b": 2})]


def test_every_bad_json_line_is_reported_and_good_lines_still_read(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"a": 1}\n{bad\n{"c": 3}\n\xff\xfe{}\n{"a": 1, "a": 2}\n')
    found = items(path)
    assert records(found) == [(1, {"a": 1}), (3, {"c": 3}), (5, {"a": 2})]
    kinds = [(line, kind) for line, _c, kind, _m in problems(found)]
    assert kinds == [(2, ProblemKind.SYNTAX), (4, ProblemKind.ENCODING), (5, ProblemKind.DUPLICATE_KEY)]
    assert problems(found)[2][1] == 10  # column of the second "a"


def test_json_array_elements_get_the_line_they_start_on(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('[\n  {"a": 1},\n\n  {"b":\n 2}\n]\n')
    assert records(items(path)) == [(2, {"a": 1}), (4, {"b": 2})]


def test_json_syntax_error_gives_line_and_column(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('[\n  {"a": 1},\n  {"b": }\n]\n')
    found = items(path)
    assert records(found) == [(2, {"a": 1})]
    assert problems(found) == [(3, 9, ProblemKind.SYNTAX, "invalid JSON: Expecting value")]


def test_unclosed_array_and_trailing_text_are_syntax_errors(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('[{"a": 1}')
    assert [p[3] for p in problems(items(path))] == ["invalid JSON: expected ',' or ']' after an element"]
    path.write_text('[{"a": 1}] x')
    assert [p[3] for p in problems(items(path))] == ["unexpected text after the closing ']'"]


def test_concatenated_pretty_json_objects_are_each_a_record(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('{\n "a": 1\n}\n{\n "b": 2\n}\n')
    assert records(items(path)) == [(1, {"a": 1}), (4, {"b": 2})]


def test_yaml_lists_documents_and_duplicate_keys(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("- a: 1\n- b: 2\n  b: 3\n---\nts: 2025-09-20T10:30:00Z\n")
    found = items(path)
    assert records(found) == [(1, {"a": 1}), (2, {"b": 3}), (5, {"ts": "2025-09-20T10:30:00Z"})]
    assert problems(found) == [(3, 3, ProblemKind.DUPLICATE_KEY, "duplicate key 'b' (first defined on line 2)")]


def test_yaml_timestamps_stay_text(tmp_path):
    path = tmp_path / "a.yml"
    path.write_text("ts: 2025-09-20T10:30:00Z\ndate: 2025-09-20\n")
    assert records(items(path)) == [(1, {"ts": "2025-09-20T10:30:00Z", "date": "2025-09-20"})]


def test_yaml_is_loaded_safely_without_constructing_objects(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("!!python/object/apply:os.system ['echo owned']\n")
    found = items(path)
    assert records(found) == []
    assert problems(found)[0][2] is ProblemKind.SYNTAX


def test_yaml_syntax_error_has_line_and_column(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("a: 1\nb: [1, 2\nc: 3\n")
    (line, column, kind, message) = problems(items(path))[0]
    assert kind is ProblemKind.SYNTAX and line == 3 and column == 2
    assert message.startswith("invalid YAML")


def test_non_utf8_document_names_line_and_column(tmp_path):
    path = tmp_path / "a.json"
    path.write_bytes(b'[\n {"a": "caf\xe9"}\n]')
    assert problems(items(path)) == [
        (2, 12, ProblemKind.ENCODING, "not valid UTF-8 (byte 0xe9); save the file as UTF-8")
    ]


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}\n')
    assert records(items(path)) == [(1, {"a": 1})]


def test_empty_and_whitespace_only_inputs_are_reported_as_empty(tmp_path):
    for name, content in (("a.json", ""), ("b.jsonl", "\n\n"), ("c.yaml", "---\n"), ("d.yaml", "# nothing\n")):
        path = tmp_path / name
        path.write_text(content)
        assert [p[2] for p in problems(items(path))] == [ProblemKind.EMPTY], name


def test_missing_file_and_directory_without_event_files(tmp_path):
    (tmp_path / "empty").mkdir()
    found = list(read_sources([str(tmp_path / "nope.json"), str(tmp_path / "empty")]))
    assert [(p.kind, p.message) for p in found] == [
        (ProblemKind.UNREADABLE, "no such file"),
        (ProblemKind.EMPTY, "directory holds no .json, .jsonl, .ndjson, .yaml or .yml files"),
    ]


def test_directories_expand_to_event_files_in_order(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "b.jsonl").write_text('{"b": 1}\n')
    (tmp_path / "sub" / "a.yaml").write_text("a: 1\n")
    (tmp_path / "notes.txt").write_text("ignored")
    values = [i.value for i in read_sources([str(tmp_path)])]
    assert values == [{"b": 1}, {"a": 1}]


def test_stdin_format_is_sniffed(tmp_path):
    assert format_for("", b'{"a": 1}\n{"b": 2}\n') is InputFormat.JSON_LINES
    assert format_for("", b'{\n  "a": 1\n}\n') is InputFormat.JSON
    assert format_for("", b"  [1, 2]") is InputFormat.JSON
    assert format_for("", b"type: call.ended\n") is InputFormat.YAML
    stream = io.BytesIO(b'{"a": 1}\n{"b": 2}\n')
    assert records(list(read_source("-", stdin=stream))) == [(1, {"a": 1}), (2, {"b": 2})]


class _CountingStream(io.RawIOBase):
    """An endless JSON-lines stream that counts how much was read."""

    def __init__(self):
        self.read_bytes = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        line = b'{"n": 1}\n' * 100
        n = min(len(buffer), len(line))
        buffer[:n] = line[:n]
        self.read_bytes += n
        return n


def test_json_lines_are_streamed_not_loaded_whole():
    raw = _CountingStream()
    reader = read_source("-", stdin=io.BufferedReader(raw))
    first = [next(reader) for _ in range(1000)]
    assert all(isinstance(i, Record) for i in first)
    assert raw.read_bytes < 64 * 1024  # an endless input, yet only a few buffers were read


@settings(max_examples=60)
@given(st.lists(events(), min_size=1, max_size=5), st.sampled_from(["jsonl", "json", "yaml"]))
def test_events_written_in_any_format_read_back_unchanged(tmp_path_factory, batch, fmt):
    path = tmp_path_factory.mktemp("rt") / f"events.{fmt}"
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(e) + "\n" for e in batch))
    elif fmt == "json":
        path.write_text(json.dumps(batch, indent=2))
    else:
        path.write_text(yaml.safe_dump(batch))  # escaped: PyYAML mangles raw U+0085
    found = items(path)
    assert problems(found) == []
    assert [value for _line, value in records(found)] == batch


def test_documents_over_the_size_limit_are_refused_with_advice(tmp_path, monkeypatch):
    import ocelot_cli.formats.sources as fixtures

    monkeypatch.setattr(fixtures, "MAX_DOCUMENT_BYTES", 1024)
    path = tmp_path / "big.json"
    path.write_text(json.dumps([{"pad": "x" * 100}] * 20))
    (line, column, kind, message) = problems(items(path))[0]
    assert kind is ProblemKind.TOO_LARGE and "JSON lines (.jsonl), which are streamed" in message
    jsonl = tmp_path / "big.jsonl"
    jsonl.write_text("".join(json.dumps({"pad": "x" * 100}) + "\n" for _ in range(20)))
    assert len(records(items(jsonl))) == 20  # JSON lines have no such limit


@pytest.mark.parametrize(
    "line",
    ['{"a": 1, "a": 2}', '{"x": {"b": 1, "b": 1}}', '{"s": "a\\":b", "s": 3}', '[{"k": 1}, {"k": 2, "k": 3}]'],
)
def test_fast_path_never_hides_a_duplicate_key(tmp_path, line):
    path = tmp_path / "d.jsonl"
    path.write_text(line + "\n")
    assert [p[2] for p in problems(items(path))] == [ProblemKind.DUPLICATE_KEY]


def test_strings_that_look_like_keys_are_not_duplicates(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"note": "a\\": b", "n": 1}\n')
    assert problems(items(path)) == [] and records(items(path)) == [(1, {"note": 'a": b', "n": 1})]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=12,
)


@given(value=st.dictionaries(st.text(max_size=4), json_values, min_size=1, max_size=4), duplicate=st.booleans(),
       spaced=st.booleans())  # fmt: skip
def test_fast_parse_never_hides_a_duplicate_and_never_changes_a_value(value, duplicate, spaced):
    from ocelot_cli.formats.json_text import _SLOW, _fast_parse

    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": ") if spaced else (",", ":"))
    if duplicate:
        text = text[:-1] + "," + json.dumps(next(iter(value)), ensure_ascii=False) + ":0}"
    seen_duplicate = []

    def hook(pairs):
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            seen_duplicate.append(True)
        return dict(pairs)

    expected = json.loads(text, object_pairs_hook=hook)
    fast = _fast_parse(text)
    if seen_duplicate:
        assert fast is _SLOW
    elif fast is not _SLOW:
        assert fast == expected
        assert json.dumps(fast) == json.dumps(expected)  # same types too: an int stays an int
