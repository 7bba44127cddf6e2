"""Property: the diff says BACKWARD (FORWARD) is broken exactly when an event valid under OLD (NEW) is rejected
by NEW (OLD).

OLD data schemas come from a small schema language that still has what catalogs use (objects,
nested objects, arrays, string/integer/number/boolean/enum/const fields, required lists,
additionalProperties, numeric and length bounds, formats); NEW is OLD after random mutations. For
such pairs the engine must be decisive (no "cannot prove compatible"), every broken direction must
come with an example that really is valid on one side and rejected by the other (checked here with
jsonschema-rs directly), and when a direction is not broken, no generated event valid on the one
side may be rejected by the other.
"""

from __future__ import annotations

import copy
import random

import jsonschema_rs
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ocelot_cli.contract.changes import Direction
from ocelot_cli.contract.schema_diff import compare_data_schemas

NAMES = ["a", "b", "c", "d"]
POOL = ["x", "y", "z", 1, 2, None, True]
FORMATS = ["date", "date-time", "email"]
FORMAT_VALUES = ["2025-09-20", "2025-09-20T10:30:00.000Z", "2025-09-20T10:30:00", "ada@example.com", "x"]


# -- the schema language -------------------------------------------------------------------------
@st.composite
def numeric_bounds(draw, kind):
    """Bounds that leave room for a value of ``kind`` (lo and hi at least 2 apart)."""
    lo = draw(st.integers(-4, 3))
    hi = draw(st.integers(lo + 2, 6))
    if kind == "number" and draw(st.booleans()):
        lo, hi = lo + 0.5, hi - 0.5 if hi - lo > 2 else hi
    out = {}
    for value, keys in ((lo, ("minimum", "exclusiveMinimum")), (hi, ("maximum", "exclusiveMaximum"))):
        choice = draw(st.sampled_from([None, 0, 1]))
        if choice is not None:
            out[keys[choice]] = value
    return out


@st.composite
def length_bounds(draw, low="minLength", high="maxLength", top=5):
    lo = draw(st.integers(0, top))
    hi = draw(st.integers(lo, top))
    out = {}
    if draw(st.booleans()):
        out[low] = lo
    if draw(st.booleans()):
        out[high] = hi
    return out


@st.composite
def leaf(draw):
    kind = draw(st.sampled_from(["string", "integer", "number", "boolean", "enum", "const"]))
    if kind == "enum":
        return {"enum": draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=3, unique_by=repr))}
    if kind == "const":
        return {"const": draw(st.sampled_from(POOL))}
    node = {"type": kind if not draw(st.booleans()) else [kind, "null"]}
    if kind in ("integer", "number"):
        node.update(draw(numeric_bounds(kind)))
    elif kind == "string":
        if draw(st.booleans()):
            node["format"] = draw(st.sampled_from(FORMATS))
        else:
            node.update(draw(length_bounds()))
    return node


def objects_of(children):
    @st.composite
    def build(draw):
        props = draw(st.dictionaries(st.sampled_from(NAMES), children, min_size=1, max_size=3))
        node = {"type": "object", "properties": props}
        required = draw(st.lists(st.sampled_from(sorted(props)), unique=True))
        if required:
            node["required"] = required
        extra = draw(st.sampled_from([None, True, False]))
        if extra is not None:
            node["additionalProperties"] = extra
        return node

    return build()


def arrays_of(children):
    return st.builds(lambda items, bounds: {"type": "array", "items": items, **bounds},
                     children, length_bounds("minItems", "maxItems", 2))  # fmt: skip


LEAVES = leaf()
SCHEMAS = objects_of(st.recursive(LEAVES, lambda inner: objects_of(inner) | arrays_of(inner), max_leaves=6))


# -- mutations -------------------------------------------------------------------------------------
def nodes(schema, at=()):
    """Every (path, node) of a schema, the root first."""
    yield at, schema
    for name, child in (schema.get("properties") or {}).items():
        yield from nodes(child, (*at, "properties", name))
    if isinstance(schema.get("items"), dict):
        yield from nodes(schema["items"], (*at, "items"))


def at_path(schema, path):
    for part in path:
        schema = schema[part]
    return schema


@st.composite
def mutated(draw, old):
    new = copy.deepcopy(old)
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3]))):  # mostly one: each kind of change on its own
        path, node = draw(st.sampled_from(list(nodes(new))))
        node = at_path(new, path)
        mutate = draw(st.sampled_from(OBJECT_MUTATIONS if node.get("type") == "object" else LEAF_MUTATIONS))
        mutate(draw, node)
    return new


def add_field(draw, node):
    name = draw(st.sampled_from(NAMES))
    node["properties"][name] = draw(LEAVES)
    if draw(st.booleans()):
        node["required"] = sorted(set(node.get("required", [])) | {name})


def remove_field(draw, node):
    name = draw(st.sampled_from(sorted(node["properties"])))
    if len(node["properties"]) > 1:
        del node["properties"][name]
        node["required"] = [r for r in node.get("required", []) if r != name]


def toggle_required(draw, node):
    name = draw(st.sampled_from(sorted(node["properties"])))
    required = set(node.get("required", []))
    node["required"] = sorted(required ^ {name})


def set_additional(draw, node):
    choice = draw(st.sampled_from([None, True, False]))
    node.pop("additionalProperties", None)
    if choice is not None:
        node["additionalProperties"] = choice


def change_type(draw, node):
    if "enum" in node or "const" in node:
        return
    kinds = [node["type"]] if isinstance(node["type"], str) else list(node["type"])
    base = draw(st.sampled_from(["string", "integer", "number", "boolean"]))
    nullable = draw(st.booleans()) if draw(st.booleans()) else "null" in kinds
    node["type"] = [base, "null"] if nullable else base
    if base == "string" and "format" in node:
        for key in ("minLength", "maxLength"):
            node.pop(key, None)


def change_bounds(draw, node):
    kinds = {node.get("type")} if isinstance(node.get("type"), str) else set(node.get("type") or [])
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "minItems",
                "maxItems"):  # fmt: skip
        node.pop(key, None)
    if kinds & {"integer", "number"}:
        node.update(draw(numeric_bounds("number" if "number" in kinds else "integer")))
    elif "array" in kinds:
        node.update(draw(length_bounds("minItems", "maxItems", 2)))
    elif "string" in kinds and "format" not in node:
        node.update(draw(length_bounds()))


def change_listed(draw, node):
    if "enum" in node:
        values = set(map(repr, node["enum"]))
        extra = [v for v in POOL if repr(v) not in values]
        if draw(st.booleans()) and extra:
            node["enum"].append(draw(st.sampled_from(extra)))
        elif len(node["enum"]) > 1:
            node["enum"].pop(draw(st.integers(0, len(node["enum"]) - 1)))
    elif "const" in node:
        node["const"] = draw(st.sampled_from(POOL))


def change_format(draw, node):
    if node.get("type") in ("string", ["string", "null"]) and "minLength" not in node and "maxLength" not in node:
        choice = draw(st.sampled_from([None, *FORMATS]))
        node.pop("format", None)
        if choice:
            node["format"] = choice


def replace_leaf(draw, node):
    replacement = draw(LEAVES)
    node.clear()
    node.update(replacement)


OBJECT_MUTATIONS = [add_field, remove_field, toggle_required, set_additional]
LEAF_MUTATIONS = [change_type, change_bounds, change_listed, change_format, replace_leaf]


# -- events of a schema ---------------------------------------------------------------------------
SCALARS = [None, True, False, *range(-8, 9), -2.5, -0.5, 0.5, 1.5, 4.5, *FORMAT_VALUES, *POOL]


def scalar(rng):
    if rng.random() < 0.3:
        return "".join(rng.choice("abz09") for _ in range(rng.randint(0, 7)))
    return rng.choice(SCALARS)


def instance(schema, rng, depth=0):
    """A value for ``schema``: mostly shaped like it, sometimes anything (the validators sort them out)."""
    if rng.random() < 0.1 or depth > 6:
        return scalar(rng)
    if schema.get("type") == "object":
        props = schema.get("properties") or {}
        required = set(schema.get("required", []))
        out = {k: instance(v, rng, depth + 1) for k, v in props.items() if k in required or rng.random() < 0.6}
        if schema.get("additionalProperties") is not False and rng.random() < 0.3:
            out["unlisted"] = scalar(rng)
        return out
    if schema.get("type") == "array":
        return [instance(schema["items"], rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if "enum" in schema or "const" in schema:
        return rng.choice(schema.get("enum") or [schema.get("const")]) if rng.random() < 0.7 else scalar(rng)
    return scalar(rng)


def validator(schema):
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def format_meets_length(old, new):
    """A format on one side where either side bounds the length: analysed conservatively (the format samples
    have few lengths), so left out of the exact property."""
    old_nodes, new_nodes = dict(nodes(old)), dict(nodes(new))
    for path in old_nodes.keys() & new_nodes.keys():
        pair = (old_nodes[path], new_nodes[path])
        if any("format" in n for n in pair) and any(k in n for n in pair for k in ("minLength", "maxLength")):
            return True
    return False


# -- the property ----------------------------------------------------------------------------------
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_the_diff_says_a_direction_is_broken_exactly_when_an_event_shows_it(data):
    old = data.draw(SCHEMAS, label="old")
    new = data.draw(mutated(old), label="new")
    assume(not format_meets_length(old, new))
    changes = compare_data_schemas("x.y", old, new)
    check = {"OLD": validator(old), "NEW": validator(new)}
    assert [c for c in changes if c.unproven] == [], "the schema language is one the engine decides"
    broken = {d for c in changes for d in c.breaks}
    for change in changes:
        shown = {e.direction for e in change.examples}
        assert shown == change.breaks, (change.path, change.kind, "every broken direction has an example")
        for example in change.examples:
            assert check[example.accepted_by].is_valid(example.data), (change.kind, example)
            assert not check[example.refused_by].is_valid(example.data), (change.kind, example)
    for direction, (accepting, refusing) in ((Direction.BACKWARD, (old, new)), (Direction.FORWARD, (new, old))):
        if direction in broken:
            continue
        rng = random.Random(data.draw(st.integers(0, 2**32), label="seed"))
        events = [instance(accepting, rng) for _ in range(200)]
        valid = [e for e in events if validator(accepting).is_valid(e)]
        rejected = [e for e in valid if not validator(refusing).is_valid(e)]
        assert rejected == [], (direction, "the diff says compatible, yet an event breaks")


def test_an_identical_schema_has_no_changes():
    schema = {"type": "object", "required": ["a"], "properties": {"a": {"type": "string", "description": "x"}}}
    other = {"type": "object", "required": ["a"], "properties": {"a": {"type": "string", "description": "y"}}}
    assert compare_data_schemas("x.y", schema, other) == []
