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
