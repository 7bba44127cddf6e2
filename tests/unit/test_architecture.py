"""The architecture of STYLE.md, checked on the source: layers, no import cycles, small modules, a small top level."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "ocelot_cli"
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_LINES = 400
MAX_TOP_LEVEL_MODULES = 8
MAX_COMPLEXITY = 20  # radon grades A-C; D and worse must be split
DRIVERS = {"pika", "websocket", "redis"}  # websockets serves the reference gateway; no client uses it


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def imports_of(path: Path, names: dict[str, Path], root: Path = PACKAGE) -> set[str]:
    """Every module of the package a module imports, anywhere in it (function-level imports included).

    ``from pkg import name`` counts as importing ``pkg.name`` when that is a module, else ``pkg``
    (a package's ``__init__`` is a module of the graph like any other).
    """
    this = module_name(path, root)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:
                package = this if path.name == "__init__.py" else this.rsplit(".", 1)[0]
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + [node.module])
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in names else base for a in node.names]
        for target in targets:
            while target and target not in names:
                target = target.rpartition(".")[0]
            if target and target != this:
                found.add(target)
    return found


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    names = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    return {name: imports_of(path, names, root) for name, path in names.items()}


def too_long(root: Path = PACKAGE) -> list[str]:
    paths = sorted(root.rglob("*.py"))
    return [p.relative_to(root).as_posix() for p in paths if len(p.read_text().splitlines()) > MAX_LINES]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), and modules importing themselves."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_has_no_cycles():
    assert cycles(import_graph()) == []


def test_modules_stay_readable_in_one_sitting():
    assert too_long() == []


def test_the_checks_catch_a_cycle_through_a_function_level_import_and_a_long_module(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.sub import b\n")
    (package / "sub" / "b.py").write_text("def late():\n    from pkg import a\n" + "x = 1\n" * MAX_LINES)
    assert cycles(import_graph(package)) == [["pkg.a", "pkg.sub.b"]]
    assert too_long(package) == ["sub/b.py"]


def complex_functions(root: Path = PACKAGE) -> list[str]:
    """Functions above radon's grade C (cyclomatic complexity over 20)."""
    from radon.complexity import cc_visit

    found = []
    for path in sorted(root.rglob("*.py")):
        for block in cc_visit(path.read_text()):
            if block.complexity > MAX_COMPLEXITY:
                found.append(f"{path.relative_to(root).as_posix()}:{block.lineno} {block.name} ({block.complexity})")
    return found


def test_no_function_is_above_radon_grade_c():
    assert complex_functions() == []


def test_the_complexity_check_catches_a_tangled_function(tmp_path):
    branches = "".join(f"    if x == {n}:\n        return {n}\n" for n in range(MAX_COMPLEXITY + 1))
    (tmp_path / "tangled.py").write_text(f"def tangled(x):\n{branches}    return -1\n")
    assert complex_functions(tmp_path) == [f"tangled.py:1 tangled ({MAX_COMPLEXITY + 2})"]


def test_ruff_finds_nothing_in_the_code_and_the_tests():
    import subprocess
    import sys

    ruff = Path(sys.executable).parent / "ruff"
    result = subprocess.run([str(ruff), "check", "--quiet", "ocelot_cli", "tests", "benchmarks"], cwd=PACKAGE.parent,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_top_level_shows_the_architecture():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top


def rel(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_only_transports_import_broker_drivers(path):
    if rel(path).startswith("transports/"):
        return
    allowed = {"websockets"} if rel(path).startswith("gateway/") else set()
    assert not imported_roots(path) & (DRIVERS | {"websockets"}) - allowed


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_only_commands_render_and_the_entry_point_import_typer_or_rich(path):
    if rel(path).startswith(("commands/", "render/")) or rel(path) in ("app.py", "__main__.py"):
        return
    assert not imported_roots(path) & {"typer", "rich", "click"}


@pytest.mark.parametrize("path", [p for p in MODULES if rel(p).startswith(("envelope/", "topology/"))], ids=rel)
def test_envelope_core_has_no_cli_or_network(path):
    assert not imported_roots(path) & {"typer", "rich", "pika", "websocket", "redis", "socket", "requests"}


def test_arrows_point_down_only():
    """commands -> use cases -> transports/formats/envelope -> config/errors; never the other way."""
    graph = import_graph()
    layers = {
        "ocelot_cli.formats.safe_yaml": 3,  # the one YAML loader: config and the catalog read with it too
        "ocelot_cli.commands": 0, "ocelot_cli.render": 0,
        "ocelot_cli.publishing": 1, "ocelot_cli.tail": 1, "ocelot_cli.validation": 1, "ocelot_cli.smoke": 1,
        "ocelot_cli.load": 1, "ocelot_cli.gateway": 1,
        "ocelot_cli.transports": 2, "ocelot_cli.formats": 2, "ocelot_cli.envelope": 2, "ocelot_cli.topology": 2,
        "ocelot_cli.config": 3, "ocelot_cli.errors": 3,
    }  # fmt: skip

    def layer(name: str) -> int | None:
        return next((n for prefix, n in layers.items() if name == prefix or name.startswith(prefix + ".")), None)

    upward = [
        (source, target)
        for source, targets in graph.items()
        for target in targets
        if layer(source) is not None and layer(target) is not None and layer(target) < layer(source)
    ]
    assert upward == []


def test_no_command_imports_a_transport_module_directly():
    graph = import_graph()
    reaching = {
        (source, target)
        for source, targets in graph.items()
        if source.startswith("ocelot_cli.commands")
        for target in targets
        if target.startswith("ocelot_cli.transports.")
        and target not in ("ocelot_cli.transports.base", "ocelot_cli.transports.messages")
    }
    assert reaching == set()


def test_no_grab_bag_module_names():
    assert not [p for p in MODULES if p.stem in {"utils", "helpers", "manager", "misc", "common"}]


def test_every_package_says_what_it_is_for():
    inits = [p for p in MODULES if p.name == "__init__.py"]
    missing = [rel(p) for p in inits if not ast.get_docstring(ast.parse(p.read_text()))]
    assert missing == []
