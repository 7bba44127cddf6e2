"""Compare the OLD and NEW data schema of one event type, node by node, into Changes.

Objects are compared field by field (a field's schema, whether it is required, what unknown
fields may hold), arrays by their items, and every other keyword by ``keywords.py``. Each
possible break is then looked for with a witness (``witness.py``): a concrete value valid on
one side and refused by the other, shown as an example ``data`` object. Where ocelot's
analysis is complete and finds no witness, the change breaks nothing; where it is not (a
changed ``pattern``, ``anyOf``, ``$ref`` ...), the change is assumed to break and says that
ocelot cannot prove it compatible.
"""

from __future__ import annotations

from typing import Any

from ocelot_cli.contract import witness
from ocelot_cli.contract.changes import Change, Direction, Example
from ocelot_cli.contract.explain import why
from ocelot_cli.contract.keywords import keyword_changes
from ocelot_cli.contract.witness import Route, as_node, assertions, same


def pointer(route: Route) -> str:
    """``/data/participants/items/role`` for a route (JSON pointer escaping of ``~`` and ``/``)."""
    parts = ["data"]
    for step in route:
        if step[0] == "property":
            parts.append(step[1].replace("~", "~0").replace("/", "~1"))
        else:
            parts.append("items" if step[0] == "items" else "additionalProperties")
    return "/" + "/".join(parts)


def _fresh_key(*nodes: dict[str, Any]) -> str:
    """A field name that no side lists: where a witness puts an unknown field."""
    taken = {k for node in nodes for k in (node.get("properties") or {})}
    name, number = "unlisted_field", 1
    while name in taken:
        number += 1
        name = f"unlisted_field_{number}"
    return name


def _shown(schema: Any) -> Any:
    """A field's schema as a change shows it: what decides validity, without descriptions and samples."""
    if not isinstance(schema, dict):
        return schema
    out = assertions(schema)
    for key in ("items", "additionalProperties"):
        if isinstance(out.get(key), dict):
            out[key] = _shown(out[key])
    if isinstance(out.get("properties"), dict):
        out["properties"] = {name: _shown(value) for name, value in out["properties"].items()}
    return out


class SchemaComparer:
    """Finds the Changes between the OLD and NEW ``data`` schema of one event type."""

    def __init__(self, event_type: str, old_root: dict[str, Any], new_root: dict[str, Any]) -> None:
        self.event_type = event_type
        # the accepting and the refusing root, by the direction a witness shows broken
        self.roots = {Direction.BACKWARD: (old_root, new_root), Direction.FORWARD: (new_root, old_root)}
        self.changes: list[Change] = []

    def run(self) -> list[Change]:
        """Every change, outermost first."""
        old_root, new_root = self.roots[Direction.BACKWARD]
        self.compare(old_root, new_root, ())
        return self.changes

    def compare(self, old: Any, new: Any, route: Route) -> None:
        """The changes between two nodes at ``route`` (nodes of the same place in both schemas).

        Fields and items are compared only where both sides may be objects (arrays): where one side
        cannot, the change of ``type`` says it all.
        """
        a, b = as_node(old), as_node(new)
        if same(assertions(a), assertions(b)):
            return
        self._keywords(a, b, route)
        both = witness.kinds(a) & witness.kinds(b)
        if "object" in both:
            self._fields(a, b, route)
        if "array" in both and "prefixItems" not in a and "prefixItems" not in b and ("items" in a or "items" in b):
            self.compare(a.get("items", True), b.get("items", True), (*route, ("items",)))

    # -- objects -------------------------------------------------------------------
    def _fields(self, a: dict[str, Any], b: dict[str, Any], route: Route) -> None:
        old_props, new_props = a.get("properties") or {}, b.get("properties") or {}
        old_extra, new_extra = a.get("additionalProperties", True), b.get("additionalProperties", True)
        for key in sorted(set(old_props) | set(new_props)):
            at = (*route, ("property", key))
            if key in old_props and key in new_props:
                self.compare(old_props[key], new_props[key], at)
            elif key in old_props:
                self._field("field-removed", (a, b), route, key, (old_props[key], new_extra),
                            (_shown(old_props[key]), None))  # fmt: skip
            else:
                self._field("field-added", (a, b), route, key, (old_extra, new_props[key]),
                            (None, _shown(new_props[key])))  # fmt: skip
        old_required, new_required = set(a.get("required") or []), set(b.get("required") or [])
        for key in sorted(new_required - old_required):
            self._required(a, b, route, key, Direction.BACKWARD)
        for key in sorted(old_required - new_required):
            self._required(a, b, route, key, Direction.FORWARD)
        fresh = _fresh_key(a, b)
        if isinstance(old_extra, dict) and isinstance(new_extra, dict):
            self.compare(old_extra, new_extra, (*route, ("additional", fresh)))
        elif not same(assertions(as_node(old_extra)), assertions(as_node(new_extra))):
            self._field("additional-properties-changed", (a, b), route, fresh, (old_extra, new_extra),
                        (_shown(old_extra), _shown(new_extra)))  # fmt: skip

    def _field(self, kind: str, parents: tuple[dict[str, Any], dict[str, Any]], route: Route, key: str,
               schemas: tuple[Any, Any], shown: tuple[Any, Any]) -> None:  # fmt: skip
        """A field added or removed, or what unknown fields may hold changed. ``schemas``: what the OLD and
        the NEW object say of field ``key`` (its own schema, else their ``additionalProperties``)."""
        nodes = (as_node(schemas[0]), as_node(schemas[1]))
        breaks: set[Direction] = set()
        unproven: set[Direction] = set()
        examples: list[Example] = []
        for direction in Direction:
            flip = direction is Direction.FORWARD
            accepting, refusing = nodes[flip], nodes[not flip]
            if witness.accepts_everything(refusing) or not witness.kinds(accepting):
                continue  # the refusing side takes any value here, or the accepting side never has the field
            base = witness.object_base(parents[flip])
            values = [value for value, _keywords in witness.witnesses(accepting, refusing)]
            objects = [{**base, key: value} for value in values] if isinstance(base, dict) else []
            example = self._prove(direction, route, objects, parents)
            if example is not None:
                breaks.add(direction)
                examples.append(example)
            elif not (witness.decidable(accepting, refusing) and isinstance(base, dict)) and self._reachable(
                    direction, route):  # fmt: skip
                breaks.add(direction)
                unproven.add(direction)
        keyword = "additionalProperties" if kind.startswith("additional") else "properties"
        at = route if kind.startswith("additional") else (*route, ("property", key))
        self._add(kind, at, keyword, *shown, breaks, unproven, examples)

    def _required(self, a: dict[str, Any], b: dict[str, Any], route: Route, key: str, direction: Direction) -> None:
        """``key`` became required (breaks BACKWARD) or optional (FORWARD): shown by an object without it."""
        parents = (a, b)
        base = witness.object_base(parents[direction is Direction.FORWARD])
        if isinstance(base, dict):
            base.pop(key, None)
        example = self._prove(direction, route, [base] if isinstance(base, dict) else [], parents)
        breaks, unproven = {direction}, set()
        if example is None and not self._reachable(direction, route):
            breaks = set()  # no event has this object (an array that must stay empty holds it)
        elif example is None:  # no valid object of the accepting side was found: assume one exists
            unproven.add(direction)
        kind = "required-added" if direction is Direction.BACKWARD else "required-removed"
        old, new = ("optional", "required") if direction is Direction.BACKWARD else ("required", "optional")
        self._add(kind, (*route, ("property", key)), "required", old, new, breaks, unproven,
                  [example] if example else [])  # fmt: skip

    # -- every other keyword ---------------------------------------------------------
    def _keywords(self, a: dict[str, Any], b: dict[str, Any], route: Route) -> None:
        changes = keyword_changes(a, b)
        if not changes:
            return
        needed = {d for change in changes for d in change.possible}
        found = {d: witness.witnesses(*((a, b) if d is Direction.BACKWARD else (b, a))) for d in needed}
        complete = {d: witness.decidable(*((a, b) if d is Direction.BACKWARD else (b, a))) for d in needed}
        for change in changes:
            breaks: set[Direction] = set()
            unproven: set[Direction] = set()
            examples: list[Example] = []
            for direction in sorted(change.possible):
                hits = [value for value, keywords in found[direction] if keywords & change.refusing]
                example = self._prove(direction, route, hits, (a, b))
                if example is not None:
                    breaks.add(direction)
                    examples.append(example)
                elif (hits or not complete[direction]) and self._reachable(direction, route):
                    breaks.add(direction)
                    unproven.add(direction)
            self._add(change.kind, route, change.keyword, change.old, change.new, breaks, unproven, examples)

    # -- results -----------------------------------------------------------------------
    def _reachable(self, direction: Direction, route: Route) -> bool:
        return witness.reachable(self.roots[direction][0], route)

    def _prove(self, direction: Direction, route: Route, values: list[Any],
               nodes: tuple[dict[str, Any], dict[str, Any]]) -> Example | None:  # fmt: skip
        """The first of ``values`` (valid at ``route`` on the accepting side, refused by the other side's node
        there) that makes a whole ``data`` object valid on one side and refused by the other, as an Example."""
        accepting, refusing = self.roots[direction]
        local = nodes if direction is Direction.BACKWARD else (nodes[1], nodes[0])
        check_accepting, check_refusing = witness.validator(local[0]), witness.validator(local[1])
        for value in values[:8]:
            if check_accepting is None or not check_accepting.is_valid(value) or check_refusing.is_valid(value):
                continue
            data = witness.embed(accepting, route, value)
            refusal = witness.verified(accepting, refusing, data, route)
            if refusal:
                return Example(direction, data, refusal)
        return None

    def _add(self, kind: str, route: Route, keyword: str, old: Any, new: Any, breaks: set[Direction],
             unproven: set[Direction], examples: list[Example]) -> None:  # fmt: skip
        field = route[-1][1] if route and route[-1][0] == "property" else None
        self.changes.append(Change(
            event_type=self.event_type, path=pointer(route), kind=kind, old=old, new=new, breaks=frozenset(breaks),
            why=why(kind, frozenset(breaks), frozenset(unproven), field=field, keyword=keyword, old=old, new=new),
            keyword=keyword, unproven=frozenset(unproven), examples=tuple(examples)))  # fmt: skip


def compare_data_schemas(event_type: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """The Changes between two ``data`` schemas of ``event_type`` (local ``$ref``s inlined first)."""
    from ocelot_cli.contract.refs import inline_refs

    return SchemaComparer(event_type, inline_refs(old), inline_refs(new)).run()
