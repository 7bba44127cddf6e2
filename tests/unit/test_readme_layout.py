"""The README's Layout section matches the tree of ocelot_cli/."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "ocelot_cli"


def layout_block() -> str:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Layout", 1)[1]
    return section.split("```", 2)[1]


def test_the_layout_names_every_package_and_top_level_module_of_the_tree():
    block = layout_block()
    packages = sorted(p.name + "/" for p in PACKAGE.iterdir() if (p / "__init__.py").exists())
    modules = sorted(p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py")
    missing = [name for name in packages + modules if not re.search(rf"^\s+{re.escape(name)}\s", block, re.M)]
    assert missing == []


def test_everything_the_layout_names_exists():
    named = re.findall(r"^\s{2,}([a-z_]+(?:/|\.py))\s", layout_block(), re.M)
    transports = PACKAGE / "transports"
    absent = [n for n in named if not ((PACKAGE / n).exists() or (transports / n).exists())]
    assert named and absent == []


def test_every_test_the_reliability_table_cites_exists():
    doc = (REPO / "tests" / "RELIABILITY.md").read_text()
    cited = re.findall(r"`((?:unit|cli|integration)/test_\w+\.py)(?:::(test_\w+))?", doc)
    continued = re.findall(r", `::(test_\w+)`", doc)  # "`file::a`, `::b`": b in the same file
    assert cited and "RELIABILITY.md" in (REPO / "README.md").read_text()
    names = {path: (REPO / "tests" / path).read_text() for path, _name in cited}
    missing = [f"{path}::{name}" for path, name in cited if name and f"def {name}(" not in names[path]]
    missing += [name for name in continued if not any(f"def {name}(" in text for text in names.values())]
    assert missing == []
