"""Shared test helpers: the catalog, and running the CLI in-process with real stdin/stdout."""

from __future__ import annotations

import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from ocelot_cli.envelope.catalog import Catalog, load_catalog

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(monkeypatch, capsys, tmp_path):
    """Run ``ocelot ARGS`` in this process; stdin may be given as bytes. No user config is read."""
    monkeypatch.setenv("OCELOT_CONFIG", str(tmp_path / "no-config.yaml"))
    for name in list(os.environ):
        if name.startswith("OCELOT_") and name != "OCELOT_CONFIG":
            monkeypatch.delenv(name)

    def run(*args: str, stdin: bytes = b"") -> CliResult:
        from ocelot_cli.__main__ import run as run_ocelot

        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
        capsys.readouterr()
        code = run_ocelot(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
