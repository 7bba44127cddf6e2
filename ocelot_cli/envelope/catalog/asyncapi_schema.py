"""The schemas of an AsyncAPI message payload: envelope fields found through allOf, self-contained data schemas.

A catalog entry's data schema must stand alone (it is embedded in each event's schema), so every
local ``$ref`` in it is replaced by what it points to, and an ``allOf`` of plain object schemas is
merged into one where that keeps its meaning (so that samples and ``catalog show`` see its fields).
Each schema is checked where it is written (as draft-07, which AsyncAPI Schema extends), so a mistake
is reported at its line; the keywords whose meaning changed (tuple ``items``, ``dependencies``) are
then rewritten into their 2020-12 form, the draft the catalog validates with.
"""

from __future__ import annotations

from typing import Any

from ocelot_cli.envelope.catalog.asyncapi_document import AsyncApiDocument, Pointer
from ocelot_cli.envelope.catalog.entry import FORMAT_EXPANSIONS, expand_formats, schema_problem, unknown_x_formats

DRAFT_07 = "http://json-schema.org/draft-07/schema#"  # AsyncAPI Schema extends draft-07: written schemas are checked so
# Keywords whose value is data, not a schema: a "$ref" key inside them is not a reference.
_DATA_KEYWORDS = frozenset({"const", "enum", "examples", "example", "default"})
# Keywords whose value maps names to schemas.
_NAME_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
# Keywords an allOf merge may take from one part, or from several parts that agree.
_ANNOTATIONS = frozenset({"title", "description", "examples", "example", "default", "$comment", "deprecated",
                          "readOnly", "writeOnly", "externalDocs"})  # fmt: skip
_LOCAL_KEYWORDS = frozenset({
    "type", "format", "pattern", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "multipleOf", "minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "minProperties",
    "maxProperties", "contentMediaType", "contentEncoding", "dependentRequired", "dependentSchemas", "propertyNames",
})  # fmt: skip


def envelope_fields(doc: AsyncApiDocument, payload: Any, at: Pointer,
                    seen: frozenset[Pointer] = frozenset()) -> dict[str, list[tuple[Any, Pointer]]]:  # fmt: skip
    """Each field a payload schema declares (in ``properties`` or those of its ``allOf`` parts) with
    every schema given for it and where that is; references followed."""
    payload, at = doc.deref(payload, at)
    if at in seen or not isinstance(payload, dict):
        return {}
    fields: dict[str, list[tuple[Any, Pointer]]] = {}
    properties = payload.get("properties")
    if isinstance(properties, dict):
        for name, schema in properties.items():
            fields.setdefault(name, []).append((schema, (*at, "properties", name)))
    parts = payload.get("allOf")
    for index, part in enumerate(parts if isinstance(parts, list) else []):
        for name, found in envelope_fields(doc, part, (*at, "allOf", index), seen | {at}).items():
            fields.setdefault(name, []).extend(found)
    return fields


def constant_of(doc: AsyncApiDocument, schema: Any, at: Pointer) -> tuple[Any, Pointer] | None:
    """The one value a schema allows (``const``, or an ``enum`` of one) and where; None when it allows more."""
    schema, at = doc.deref(schema, at)
    if not isinstance(schema, dict):
        return None
    if "const" in schema:
        return schema["const"], (*at, "const")
    enum = schema.get("enum")
    if isinstance(enum, list) and len(enum) == 1:
        return enum[0], (*at, "enum", 0)
    parts = schema.get("allOf")
    for index, part in enumerate(parts if isinstance(parts, list) else []):
        found = constant_of(doc, part, (*at, "allOf", index))
        if found is not None:
            return found
    return None


class SchemaInliner:
    """Self-contained copies of the schemas of one document, each written schema checked once."""

    def __init__(self, doc: AsyncApiDocument) -> None:
        self.doc = doc
        self._checked: set[Pointer] = set()

    def data_schema(self, parts: list[tuple[Any, Pointer]]) -> dict[str, Any]:
        """The data schema from every schema given for ``data`` (several when allOf parts each name it)."""
        inlined = [self.inline(schema, at) for schema, at in parts]
        for value, (_schema, at) in zip(inlined, parts, strict=True):
            if not isinstance(value, dict):
                raise self.doc.error(at, "the schema of 'data' is not an object schema",
                                     "describe the event's data as {type: object, properties: ...}")  # fmt: skip
        combined = inlined[0] if len(inlined) == 1 else {"allOf": inlined}
        if len(inlined) > 1:
            combined = merge_all_of(combined) or combined
        problem = schema_problem(expand_formats(combined))  # each part passed as draft-07; the whole as 2020-12
        if problem is not None:
            raise self.doc.error(parts[-1][1], f"the data schema is not valid JSON Schema 2020-12 at "
                                 f"{'/'.join(map(str, problem[0])) or '(root)'}: {problem[1]}",
                                 "write it in keywords both drafts read alike")  # fmt: skip
        return combined

    def inline(self, value: Any, at: Pointer) -> Any:
        """``value`` (a schema at ``at``) with every reference replaced by a copy of what it points to."""
        self.check(value, at)
        return self._inline(value, at, ())

    def _inline(self, value: Any, at: Pointer, expanding: tuple[Pointer, ...], names: bool = False) -> Any:
        # names: ``value`` maps names to schemas (properties, $defs), so its keys are not keywords
        if isinstance(value, list):
            return [self._inline(item, (*at, index), expanding) for index, item in enumerate(value)]
        if not isinstance(value, dict):
            return value
        if not names and "$ref" in value:
            return self._resolve(value, at, expanding)
        out = {}
        for key, item in value.items():
            if names or key not in _DATA_KEYWORDS:
                item = self._inline(item, (*at, key), expanding, names=not names and key in _NAME_MAPS)
            out[key] = item
        if names:
            return out
        from_draft07(out)
        if isinstance(out.get("allOf"), list):
            out = merge_all_of(out) or out
        return out

    def _resolve(self, value: dict[str, Any], at: Pointer, expanding: tuple[Pointer, ...]) -> Any:
        target_value, target = self.doc.deref(value, at)
        if target in expanding:
            raise self.doc.error((*at, "$ref"), f"$ref {value['$ref']!r} is recursive",
                                 "ocelot needs data schemas it can write out in full: "
                                 "replace the inner reference with a plain {type: object}")  # fmt: skip
        self.check(target_value, target)
        resolved = self._inline(target_value, target, (*expanding, target))
        # Keywords next to a $ref: draft-07 (AsyncAPI Schema) ignores them, as the official parser does, so
        # only annotations (description, examples, x-...) are kept; a constraint there would refuse events
        # the document allows.
        siblings = {key: item for key, item in value.items()
                    if key != "$ref" and (key in _ANNOTATIONS or key.startswith("x-"))}  # fmt: skip
        if siblings and isinstance(resolved, dict):
            return {**resolved, **self._inline(siblings, at, expanding)}
        return resolved

    def check(self, value: Any, at: Pointer) -> None:
        """A schema written at ``at`` is valid JSON Schema with known x-ocelot-formats (once per place)."""
        if at in self._checked or not isinstance(value, dict):
            return
        self._checked.add(at)
        unknown = unknown_x_formats(value)
        if unknown:
            where, name = unknown[0]
            raise self.doc.error((*at, *where, "x-ocelot-format"), f"unknown x-ocelot-format {name!r}",
                                 f"use one of {', '.join(FORMAT_EXPANSIONS)}")  # fmt: skip
        problem = schema_problem({"$schema": DRAFT_07, **expand_formats(value)} if "$schema" not in value
                                 else expand_formats(value))  # fmt: skip
        if problem is not None:
            where, message = problem
            raise self.doc.error((*at, *where), f"not a valid JSON Schema: {message}",
                                 "correct the schema (JSON Schema draft 2020-12 / AsyncAPI Schema)")  # fmt: skip


def from_draft07(schema: dict[str, Any]) -> None:
    """Rewrite, in place, the keywords whose meaning changed from draft-07 (AsyncAPI Schema) to 2020-12."""
    if isinstance(schema.get("items"), list):  # draft-07's tuple form
        schema["prefixItems"] = schema.pop("items")
        if "additionalItems" in schema:
            schema["items"] = schema.pop("additionalItems")
    schema.pop("additionalItems", None)  # without a tuple, draft-07 ignores it (and 2020-12 has no such keyword)
    dependencies = schema.get("dependencies")
    if isinstance(dependencies, dict):
        del schema["dependencies"]
        for key, wanted in (("dependentRequired", True), ("dependentSchemas", False)):
            part = {name: value for name, value in dependencies.items() if isinstance(value, list) is wanted}
            if part:
                schema[key] = {**schema.get(key, {}), **part}


def merge_all_of(schema: dict[str, Any]) -> dict[str, Any] | None:
    """``schema`` with its ``allOf`` merged into one schema of the same meaning; None when that cannot be
    done safely (a keyword that depends on its neighbours, such as additionalProperties, or a conflict)."""
    parts = [{key: value for key, value in schema.items() if key != "allOf"}, *schema["allOf"]]
    merged: dict[str, Any] = {}
    for part in parts:
        if not isinstance(part, dict) or not _merge_into(merged, part):
            return None
    return merged


def _merge_into(merged: dict[str, Any], part: dict[str, Any]) -> bool:
    for key, value in part.items():
        if key == "properties" and isinstance(value, dict):
            properties = merged.setdefault("properties", {})
            for name, sub in value.items():
                if name in properties and properties[name] != sub:
                    both = {"allOf": [properties[name], sub]}
                    sub = merge_all_of(both) or both
                properties[name] = sub
        elif key == "required" and isinstance(value, list):
            merged["required"] = list(dict.fromkeys([*merged.get("required", []), *value]))
        elif key in _ANNOTATIONS or key.startswith("x-"):
            merged.setdefault(key, value)
        elif key in _LOCAL_KEYWORDS and merged.get(key, value) == value:
            merged[key] = value
        else:
            return False
    return True
