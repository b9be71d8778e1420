"""No annotation of the generated stubs is ``object``/``Any`` unless the IDL itself leaves the
type open (``VARIANT``, ``void *``): ``scripts/count_untyped.py`` counts them over the 239
classic corpus packages, and this keeps the holes at zero."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from _shared import CORPUS
from widl_facts import check_corpus_file, classic_ok

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "count_untyped.py"

#: The only reasons an annotation may be untyped: what the IDL itself types so.
ALLOWED = {"VARIANT", "void *"}


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("count_untyped", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


count_untyped = _load_script()


def test_untyped_annotations_are_found_and_attributed() -> None:
    source = (
        "import typing\n"
        "def f(a: object, b: 'int', c: Sequence[UNTYPED_VARIANT_]) -> typing.Any: ...\n"
        "class S:\n"
        "    x: UNTYPED_VOID_POINTER_ | None = None\n"
        "    y: Callable[[UNTYPED_VOID_POINTER_], object]\n"
        "    z: int\n"
    )
    found = count_untyped.untyped({"p/m.py": source, "p/py.typed": ""})
    assert [(u.line, u.annotation, u.reason) for u in found] == [
        (2, "object", "other"),
        (2, "Sequence[UNTYPED_VARIANT_]", "VARIANT"),
        (2, "typing.Any", "other"),
        (4, "UNTYPED_VOID_POINTER_ | None", "void *"),
        (5, "Callable[[UNTYPED_VOID_POINTER_], object]", "other"),
    ]
    assert str(found[0]) == "p/m.py:2: object (other)"


@pytest.mark.skipif(
    not (CORPUS / "MANIFEST.tsv").is_file(), reason=f"the mingw-w64 corpus is not at {CORPUS}"
)
def test_corpus_stubs_are_untyped_only_where_the_idl_is() -> None:
    files = classic_ok(CORPUS)
    assert len(files) == 239
    programs = [check_corpus_file(CORPUS, rel).program for rel in files]
    report = count_untyped.count_untyped(programs)
    print(
        f"\n{report.total} annotations typed object/Any in the 239 packages: "
        + ", ".join(f"{n} {reason}" for reason, n in sorted(report.by_reason.items()))
    )
    assert [str(u) for u in report.holes] == []
    assert set(report.by_reason) == ALLOWED
    assert sum(report.by_reason.values()) == report.total
