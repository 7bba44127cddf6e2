"""The layering rules of STYLE.md, checked on the source."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "ocelot_cli"
MODULES = sorted(PACKAGE.rglob("*.py"))


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def rel(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_only_transports_import_broker_drivers(path):
    if rel(path).startswith(("transports/", "gateway/")):
        return
    assert not imported_roots(path) & {"pika", "websocket", "redis", "websockets"}


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_only_commands_render_and_the_entry_point_import_typer_or_rich(path):
    if rel(path).startswith(("commands/", "render/")) or rel(path) in ("app.py", "__main__.py"):
        return
    assert not imported_roots(path) & {"typer", "rich", "click"}


@pytest.mark.parametrize("path", [p for p in MODULES if rel(p).startswith("envelope/")], ids=rel)
def test_envelope_core_has_no_cli_or_network(path):
    assert not imported_roots(path) & {"typer", "rich", "pika", "websocket", "redis", "socket", "requests"}


def test_no_grab_bag_module_names():
    assert not [p for p in MODULES if p.stem in {"utils", "helpers", "manager", "misc", "common"}]


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_modules_stay_readable_in_one_sitting(path):
    assert len(path.read_text().splitlines()) < 450
