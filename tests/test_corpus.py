"""The mingw-w64 corpus through ``idlgen check`` (in process, the build's options).

Every classic file that widl accepts must check without errors; every one that
widl rejects must get an error from idlgen, on widl's line or the line before
it (widl reports the token *after* an unknown base interface: the ``{``).
Run with ``-s`` to see how many errors are on exactly widl's line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _shared import CORPUS
from widl_facts import (
    CheckResult,
    CorpusEntry,
    check_corpus_file,
    classic_ok,
    classic_rejected,
)

pytestmark = pytest.mark.skipif(
    not (CORPUS / "MANIFEST.tsv").is_file(), reason=f"corpus not found at {CORPUS}"
)

ACCEPTED = classic_ok(CORPUS)
REJECTED = classic_rejected(CORPUS)


def _where(d: object) -> str:
    span = d.span  # type: ignore[attr-defined]
    return f"{span.file}:{span.line}:{span.column}: {d.message}"  # type: ignore[attr-defined]


def _relative(path: str) -> str:
    try:
        return Path(path).resolve().relative_to(CORPUS.resolve()).as_posix()
    except ValueError:
        return path


def test_manifest_counts() -> None:
    assert len(ACCEPTED) == 239
    assert len(REJECTED) == 8
    assert all(e.error_line is not None for e in REJECTED)


@pytest.mark.parametrize("rel", ACCEPTED)
def test_widl_accepts_so_idlgen_accepts(rel: str) -> None:
    result: CheckResult = check_corpus_file(CORPUS, rel)
    errors = result.errors
    shown = "\n  ".join(_where(d) for d in errors[:10])
    assert not errors, f"{len(errors)} errors in {rel}:\n  {shown}"


def _error_lines(entry: CorpusEntry) -> list[int]:
    result = check_corpus_file(CORPUS, entry.file)
    return [d.span.line for d in result.errors if _relative(d.span.file) == entry.file]


@pytest.mark.parametrize("entry", REJECTED, ids=[e.file for e in REJECTED])
def test_widl_rejects_so_idlgen_rejects(entry: CorpusEntry) -> None:
    result = check_corpus_file(CORPUS, entry.file)
    assert result.errors, f"idlgen accepts {entry.file}; widl says {entry.widl_error}"
    assert entry.error_line is not None
    lines = _error_lines(entry)
    near = {entry.error_line - 1, entry.error_line}
    assert near & set(lines), (
        f"no error of idlgen on line {entry.error_line} (or the line before) of {entry.file}; "
        f"widl: {entry.widl_error}\nidlgen:\n  " + "\n  ".join(_where(d) for d in result.errors[:5])
    )


def test_rejected_files_error_line_summary() -> None:
    exact = [e.file for e in REJECTED if e.error_line in _error_lines(e)]
    print(f"\n{len(exact)} of {len(REJECTED)} rejected files have an idlgen error on widl's line")
    for e in REJECTED:
        if e.file not in exact:
            print(f"  {e.file}: widl line {e.error_line}, idlgen lines {_error_lines(e)[:5]}")
    assert len(exact) >= 4  # the other 4: idlgen points at the unknown base name, widl at "{"
