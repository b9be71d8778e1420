"""Each command imports only what it needs (issue 15 item 2): the grammar's parser (lark) only
to read IDL, jinja2 only to render, black only when something is left to format (an unchanged
rerun is served by the format cache), pytest only for ``--emit tests``.  Start-up times are
measured by ``benchmarks/`` (no timing asserts here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "Msgrpriv.idl"
WATCHED = ("lark", "jinja2", "black", "pytest", "idlgen.frontend", "idlgen.backends")

_SCRIPT = """
import json, sys
from idlgen.cli import main
status = main(sys.argv[1:])
print(json.dumps([status, [m for m in {watched} if m in sys.modules]]))
"""


def imported(args: list[str], cwd: Path, cache: Path) -> list[str]:
    """Run ``idlgen ARGS`` in a fresh interpreter; return which watched modules it imported."""
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT.format(watched=WATCHED), *args],
        cwd=cwd,
        env=dict(os.environ, IDLGEN_CACHE_DIR=str(cache)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    status, modules = json.loads(proc.stdout.strip().splitlines()[-1])
    assert status == 0, proc.stderr
    return list(modules)


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def test_version_and_help_import_no_compiler(tmp_path: Path, cache: Path) -> None:
    assert imported(["--version"], tmp_path, cache) == []
    assert imported(["generate", "--help"], tmp_path, cache) == []


def test_check_reads_idl_without_rendering_or_formatting(tmp_path: Path, cache: Path) -> None:
    # the example has a scenario file: check validates it with the conformance backend's
    # facts (idlgen.backends), which need neither jinja2 nor pytest
    assert imported(["check", str(EXAMPLE)], tmp_path, cache) == [
        "lark",
        "idlgen.frontend",
        "idlgen.backends",
    ]
    idl = tmp_path / "plain.idl"
    idl.write_text('import "unknwn.idl";\n', encoding="utf-8")
    assert imported(["check", str(idl)], tmp_path, cache) == ["lark", "idlgen.frontend"]


def test_unchanged_generate_does_not_import_black(tmp_path: Path, cache: Path) -> None:
    args = ["generate", str(EXAMPLE), "-o", str(tmp_path / "out"), "--no-config", "-q"]
    first = imported(args, tmp_path, cache)
    assert "black" in first and "pytest" not in first
    again = imported(args, tmp_path, cache)
    assert sorted(again) == sorted(["lark", "jinja2", "idlgen.frontend", "idlgen.backends"])
