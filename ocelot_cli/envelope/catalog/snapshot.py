"""The built-in catalog files parsed ahead of time, so that loading the catalog needs no YAML parser.

The YAML files stay the source. ``builtin.snapshot`` (JSON) holds each file's parsed entry with a
checksum of the file; it is used only while every built-in file is still there and unchanged, else
the files are parsed as before. A test fails when it is stale; to rewrite it:

    python -m ocelot_cli.envelope.catalog
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).with_name("builtin.snapshot")


def checksum(data: bytes) -> str:
    """The checksum a snapshot records for a file's bytes."""
    return f"{zlib.crc32(data):08x}-{len(data)}"


def snapshot_text(files: list[Path], parse: Callable[[Path], Any]) -> str:
    """The snapshot of ``files`` (parsed with ``parse``), as the file holds it."""
    entries = {path.name: {"checksum": checksum(path.read_bytes()), "entry": parse(path)} for path in files}
    return json.dumps(entries, indent=1, ensure_ascii=False) + "\n"


def read_snapshot(files: list[Path], snapshot: Path = SNAPSHOT) -> dict[str, Any] | None:
    """The parsed entry of each file by name, when the snapshot has every file, unchanged, and no other; else None."""
    try:
        stored = json.loads(snapshot.read_bytes())
        if sorted(stored) != sorted(path.name for path in files):
            return None
        if any(stored[path.name]["checksum"] != checksum(path.read_bytes()) for path in files):
            return None
        return {name: item["entry"] for name, item in stored.items()}
    except (OSError, ValueError, TypeError, KeyError):
        return None
