"""``python -m ocelot_cli.envelope.catalog``: rewrite builtin.snapshot from the built-in YAML files (snapshot.py)."""

from ocelot_cli.envelope.catalog import BUILTIN_DIR, _entry_files, _read_entry_file
from ocelot_cli.envelope.catalog.snapshot import SNAPSHOT, snapshot_text

if __name__ == "__main__":
    SNAPSHOT.write_text(snapshot_text(_entry_files(BUILTIN_DIR), _read_entry_file), encoding="utf-8")
    print(f"wrote {SNAPSHOT}")
