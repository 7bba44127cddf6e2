"""The built-in catalog's snapshot (ocelot_cli/envelope/catalog/snapshot.py): fresh, equal to the YAML files it
stands for, and never used for a file that has changed since."""

import shutil
import subprocess
import sys

import pytest

import ocelot_cli.envelope.catalog as catalog_module
from ocelot_cli.envelope.catalog import BUILTIN_DIR, _entry_files, _read_entry_file, load_catalog
from ocelot_cli.envelope.catalog.snapshot import SNAPSHOT, read_snapshot, snapshot_text


def test_the_committed_snapshot_is_what_the_yaml_files_give():
    assert SNAPSHOT.read_text(encoding="utf-8") == snapshot_text(_entry_files(BUILTIN_DIR), _read_entry_file), (
        "ocelot_cli/envelope/catalog/builtin.snapshot is stale: run 'python -m ocelot_cli.envelope.catalog'"
    )


def test_the_catalog_from_the_snapshot_is_the_catalog_from_the_yaml_files(monkeypatch):
    from_snapshot = load_catalog()
    monkeypatch.setattr(catalog_module, "read_snapshot", lambda _files: None)
    from_yaml = load_catalog()
    assert list(from_snapshot) == list(from_yaml)
    assert [t.raw for t in from_snapshot] == [t.raw for t in from_yaml]
    assert all(t.builtin and t.source_file.endswith(".yaml") for t in from_snapshot)


@pytest.fixture
def copied(tmp_path):
    """The built-in files and a snapshot of them, in a directory of the test's own."""
    for path in _entry_files(BUILTIN_DIR):
        shutil.copy(path, tmp_path / path.name)
    snapshot = tmp_path / "builtin.snapshot"
    snapshot.write_text(snapshot_text(_entry_files(tmp_path), _read_entry_file), encoding="utf-8")
    return tmp_path, snapshot


def test_an_unchanged_set_of_files_is_read_from_the_snapshot(copied):
    directory, snapshot = copied
    parsed = read_snapshot(_entry_files(directory), snapshot)
    assert parsed is not None and parsed["call.ended.yaml"]["routing_key"] == "comms.call.ended"


@pytest.mark.parametrize("change", ["edited", "removed", "added", "broken snapshot"])
def test_a_changed_file_set_is_not_read_from_the_snapshot(copied, change):
    directory, snapshot = copied
    if change == "edited":
        path = directory / "call.ended.yaml"
        path.write_text(path.read_text().replace("comms.call.ended", "comms.call.over"))
    elif change == "removed":
        (directory / "call.ended.yaml").unlink()
    elif change == "added":
        shutil.copy(directory / "call.ended.yaml", directory / "call.over.yaml")
    else:
        snapshot.write_text('{"call.ended.yaml": []}')
    assert read_snapshot(_entry_files(directory), snapshot) is None


def test_loading_the_built_in_catalog_needs_no_yaml_parser():
    script = ("import sys; from ocelot_cli.envelope.catalog import load_catalog; load_catalog(); "
              "print('yaml' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (0, "False\n"), result.stderr
