"""The diff engine's finer decisions: what is no change, what it cannot prove, JSON equality, references."""

from __future__ import annotations

from ocelot_cli.contract.changes import Direction
from ocelot_cli.contract.diff import diff_catalogs
from ocelot_cli.contract.refs import inline_refs
from ocelot_cli.contract.schema_diff import compare_data_schemas
from ocelot_cli.envelope.catalog import load_catalog


def obj(**properties):
    return {"type": "object", "properties": properties}


def kinds(old, new):
    return [(c.path, c.kind, sorted(c.breaks), sorted(c.unproven)) for c in compare_data_schemas("x.y", old, new)]


def test_a_bound_integers_cannot_reach_breaks_nothing():
    assert kinds(obj(n={"type": "integer", "maximum": 10}), obj(n={"type": "integer", "maximum": 10.5})) == [
        ("/data/n", "bounds-loosened", [], [])]


def test_exclusive_and_inclusive_bounds_that_allow_the_same_integers_break_nothing():
    old = obj(n={"type": "integer", "exclusiveMinimum": 0})
    assert kinds(old, obj(n={"type": "integer", "minimum": 1})) == [("/data/n", "bounds-tightened", [], [])]
    assert kinds(old, obj(n={"type": "number", "minimum": 1})) == [
        ("/data/n", "type-widened", ["FORWARD"], []), ("/data/n", "bounds-tightened", [], [])]


def test_the_same_enum_in_another_order_is_no_break_and_true_is_not_one():
    assert kinds(obj(e={"enum": ["a", "b"]}), obj(e={"enum": ["b", "a"]})) == [("/data/e", "enum-reordered", [], [])]
    assert kinds(obj(c={"const": True}), obj(c={"const": 1})) == [
        ("/data/c", "const-changed", ["BACKWARD", "FORWARD"], [])]
    assert kinds(obj(c={"const": None}), obj(c={"type": "null"})) == [
        ("/data/c", "type-narrowed", [], []), ("/data/c", "const-removed", [], [])]


def test_a_field_under_a_changed_type_is_not_reported_again():
    old = obj(a={"type": "object", "required": ["b"], "properties": {"b": {"type": "string"}}})
    assert kinds(old, obj(a={"type": "string"})) == [("/data/a", "type-changed", ["BACKWARD", "FORWARD"], [])]


def test_items_of_an_array_that_must_stay_empty_break_nothing():
    old = obj(a={"type": "array", "maxItems": 0, "items": {"type": "string"}})
    new = obj(a={"type": "array", "maxItems": 0, "items": {"type": "integer"}})
    assert kinds(old, new) == [("/data/a/items", "type-changed", [], [])]


def test_a_pattern_change_is_proven_where_a_sample_shows_it_and_assumed_where_not():
    old, new = obj(p={"type": "string", "pattern": "^[a-z]+$"}), obj(p={"type": "string", "pattern": "^[a-z0-9]+$"})
    assert kinds(old, new) == [("/data/p", "pattern-changed", ["BACKWARD", "FORWARD"], ["BACKWARD"])]
    (change,) = compare_data_schemas("x.y", old, new)
    assert [e.direction for e in change.examples] == [Direction.FORWARD]
    assert change.why.startswith("cannot prove compatible (pattern is beyond what ocelot analyses)")


def test_local_refs_are_inlined_and_a_recursive_one_is_kept():
    schema = {"type": "object", "properties": {"a": {"$ref": "#/$defs/a"}}, "$defs": {"a": {"type": "string"}}}
    assert inline_refs(schema) == {"type": "object", "properties": {"a": {"type": "string"}}}
    tree = {"$defs": {"node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/node"}}}},
            "type": "object", "properties": {"root": {"$ref": "#/$defs/node"}}}  # fmt: skip
    inlined = inline_refs(tree)
    assert inlined["properties"]["root"]["properties"]["child"] == {"$ref": "#/$defs/node"} and "$defs" in inlined


def test_a_recursive_schema_change_is_assumed_breaking():
    def tree(kind):
        return {"$defs": {"node": {"type": "object", "properties": {"name": {"type": kind},
                                                                    "child": {"$ref": "#/$defs/node"}}}},
                "type": "object", "properties": {"root": {"$ref": "#/$defs/node"}}}  # fmt: skip

    changes = compare_data_schemas("x.y", tree("string"), tree("integer"))
    assert any(c.unproven for c in changes) and all(c.breaks for c in changes if c.kind == "constraint-changed")


def test_the_built_in_catalog_against_itself_has_no_changes_and_its_report_passes():
    catalog = list(load_catalog())
    report = diff_catalogs(catalog, catalog)
    assert report.changes == [] and report.exit_status == 0 and len(report.types) == 19
