"""The import rules of docs/architecture.md, checked with import-linter (contracts in
pyproject.toml, ``[tool.importlinter]``): the same check as running ``lint-imports``."""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest
from importlinter.cli import lint_imports

REPO = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept(capsys: pytest.CaptureFixture[str]) -> None:
    status = lint_imports(config_filename=str(REPO / "pyproject.toml"), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert status == 0, report
    assert "0 broken" in report


def test_no_module_reaches_up_into_the_package_init() -> None:
    """``idlgen/__init__.py`` imports the API lazily; a module importing it back would make
    a cycle (the version lives in idlgen.version for that reason)."""
    graph = grimp.build_graph("idlgen")
    assert graph.find_modules_that_directly_import("idlgen") == set()
