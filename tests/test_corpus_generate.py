"""Every classic corpus file widl accepts generates a package that imports, and the packages of
the 20 largest files pass ``mypy --strict``.

black is left out here (``render_package(..., formatted=False)``): it changes layout, not
meaning, and would make this test take minutes; formatting is covered on the example by
``test_codegen.py`` (golden files, ``black --check``) and timed by ``benchmarks/generate.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from _shared import CORPUS
from widl_facts import check_corpus_file, classic_ok

from idlgen.backends.python import render as codegen

MANIFEST = CORPUS / "MANIFEST.tsv"

pytestmark = pytest.mark.skipif(
    not MANIFEST.is_file(), reason=f"the mingw-w64 corpus is not at {CORPUS}"
)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """(output folder, {corpus file: package name}) for all classic files widl accepts.

    The front end's results are shared with the corpus and differential tests
    (``check_corpus_file`` caches them per process).
    """
    root = tmp_path_factory.mktemp("corpus-packages")
    packages: dict[str, str] = {}
    for rel in classic_ok(CORPUS):
        result = check_corpus_file(CORPUS, rel)
        assert not result.errors, rel
        for path, text in codegen.render_package(result.program, formatted=False).items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        packages[rel] = codegen.package_name_for(rel)
    return root, packages


def test_every_classic_file_generates(generated: tuple[Path, dict[str, str]]) -> None:
    root, packages = generated
    assert len(packages) == 239
    missing = [
        str(p) for p, name in packages.items() if not (root / name / "__init__.py").is_file()
    ]
    assert not missing, missing
    assert len(set(packages.values())) == len(packages), "two files gave the same package name"


def test_every_generated_package_imports(generated: tuple[Path, dict[str, str]]) -> None:
    root, packages = generated
    script = textwrap.dedent(
        """
        import importlib, json, sys, traceback
        failed = {}
        for name in json.loads(sys.argv[1]):
            try:
                importlib.import_module(name)
            except Exception:
                failed[name] = traceback.format_exc(limit=3)
        print(json.dumps(failed))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, json.dumps(sorted(packages.values()))],
        cwd=root,
        env=dict(os.environ, PYTHONPATH=str(root)),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    failed = json.loads(proc.stdout)
    assert not failed, "\n".join(f"{k}:\n{v}" for k, v in sorted(failed.items())[:5])


def test_mypy_strict_on_the_20_largest(
    generated: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    root, packages = generated
    largest = sorted(packages, key=lambda rel: (CORPUS / rel).stat().st_size, reverse=True)[:20]
    names = [packages[p] for p in largest]
    args = [sys.executable, "-m", "mypy", "--strict", "--no-error-summary"]
    args += ["--cache-dir", str(tmp_path / "mypy-cache")]
    for name in names:
        args += ["-p", name]
    proc = subprocess.run(
        args,
        cwd=root,
        env=dict(os.environ, MYPYPATH=str(root)),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
