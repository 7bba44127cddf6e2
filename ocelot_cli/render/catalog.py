"""Terminal views of the catalog (tables); JSON output goes through Output.json."""

from __future__ import annotations

from typing import Any

from ocelot_cli.envelope.catalog import EventType
from ocelot_cli.render.output import Output
from ocelot_cli.render.safe_text import escape_control


def _route(entry: EventType, sep: str = ", ") -> str:
    if entry.routing_key:
        return entry.routing_key
    return sep.join(entry.channels) if entry.channels else "(direct to the connection)"


def print_type_table(output: Output, entries: list[EventType]) -> None:
    """One row per event type."""
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("TYPE", no_wrap=True)
    table.add_column("ENVELOPE", no_wrap=True)
    table.add_column("ROUTING KEY / CHANNELS", no_wrap=True)
    table.add_column("DESCRIPTION", overflow="fold")
    for entry in entries:
        name = entry.name if entry.builtin else f"{entry.name} *"
        table.add_row(
            Text(escape_control(name, one_line=True)),
            entry.envelope.value,
            Text("\n".join(escape_control(part, one_line=True) for part in _route(entry, "\n").split("\n"))),
            Text(escape_control(entry.description, one_line=True)),
        )
    output.console().print(table)
    if any(not e.builtin for e in entries):
        output.status("* from a --catalog directory")


def _type_text(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    declared = schema.get("type", "any")
    text = " | ".join(declared) if isinstance(declared, list) else str(declared)
    if declared == "array" or (isinstance(declared, list) and "array" in declared):
        text += f" of {_type_text(schema.get('items', {}))}"
    return text


def _constraints(schema: dict[str, Any]) -> str:
    parts = []
    if "minimum" in schema or "maximum" in schema:
        parts.append(f"{schema.get('minimum', '-inf')}..{schema.get('maximum', 'inf')}")
    if "format" in schema:
        parts.append(schema["format"])
    fmt = schema.get("x-ocelot-format")
    if fmt:
        parts.append({"e164": "E.164", "bcp47": "BCP-47", "iso-date-or-time": "ISO 8601 date or date-time"}[fmt])
    elif "pattern" in schema:
        parts.append(f"pattern {schema['pattern']}")
    if schema.get("description") and not fmt:
        parts.append(schema["description"])
    return ", ".join(parts)


def _field_rows(schema: dict[str, Any], prefix: str = "") -> list[tuple[str, str, str, str]]:
    rows = []
    required = set(schema.get("required", []))
    for name, sub in (schema.get("properties") or {}).items():
        rows.append((prefix + name, _type_text(sub), "yes" if name in required else "", _constraints(sub)))
        if sub.get("properties"):
            rows.extend(_field_rows(sub, prefix + name + "."))
    return rows


def print_type_detail(output: Output, entry: EventType) -> None:
    """Description, route and a table of data fields."""
    from rich.table import Table
    from rich.text import Text

    console = output.console()
    console.print(Text(entry.name, style="bold"), Text(f"({entry.envelope.title} event)"))
    console.print(Text(escape_control(entry.description)))
    if entry.routing_key:
        console.print(Text(f"routing key: {entry.routing_key}"))
    if entry.channels or not entry.routing_key:  # a platform type reaches the hub's channels too, converted
        shown = ", ".join(entry.channels) if entry.channels else "(direct to the connection)"
        via = " (converted to the real-time envelope)" if entry.routing_key else ""
        console.print(Text(f"channels:    {escape_control(shown, one_line=True)}{via}"))
    if not entry.builtin:
        console.print(Text(f"defined in:  {entry.source_file}"))
    table = Table(box=None, pad_edge=False, header_style="bold", title_justify="left")
    for column in ("FIELD", "TYPE", "REQUIRED", "CONSTRAINTS"):
        table.add_column(column, overflow="fold")
    for row in _field_rows(entry.data_schema, "data."):
        table.add_row(*(Text(escape_control(cell, one_line=True)) for cell in row))
    console.print()
    console.print(table)
