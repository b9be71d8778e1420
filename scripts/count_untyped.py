"""Count the annotations typed ``object`` or ``Any`` in the stubs generated for the corpus.

    python scripts/count_untyped.py [CORPUS] [--list N]

For the 239 classic files of the mingw-w64 corpus that widl accepts (``CORPUS`` defaults to
``../shared/corpus/mingw-w64`` beside the repository; options of mingw-w64's build:
``-D BOOL=WINBOOL -I include -I crt``), it generates the Python packages (stubs and events,
without imports, black left out: it changes layout, not annotations) and counts every
annotation — of a parameter, a return, a field, a constant — in which ``object`` or ``Any``
appears.  Each is attributed to its cause by generating a second time with the type map's
untyped annotations (:data:`idlgen.backends.python.typemap.UNTYPED`) relabelled: what the IDL
itself types as ``VARIANT`` or ``void *`` is allowed; anything else is a hole, listed with its
place (``--list N`` shows N of them, default 20).  Exit status 1 when there is a hole.

``tests/test_untyped_annotations.py`` runs :func:`count_untyped` on the same files and keeps
the holes at zero.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "mingw-w64"

#: Names that make an annotation untyped.
UNTYPED_NAMES = frozenset({"object", "Any"})

#: Stand-ins for the type map's untyped annotations while attributing them: label -> reason.
LABELS = {"UNTYPED_VARIANT_": "VARIANT", "UNTYPED_VOID_POINTER_": "void *"}


@dataclass(frozen=True)
class Untyped:
    """One annotation with ``object``/``Any`` in it: where, what, and why."""

    path: str
    line: int
    annotation: str
    reason: str  # "VARIANT", "void *", or "other" (a hole)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.annotation} ({self.reason})"


@dataclass
class Report:
    """The untyped annotations of some generated packages."""

    total: int = 0  # annotations with object/Any, as generated
    by_reason: Counter[str] = field(default_factory=Counter)  # the same, attributed
    holes: list[Untyped] = field(default_factory=list)  # reason "other"


def annotations(source: str) -> Iterator[ast.expr]:
    """Every annotation of a Python module: parameters, returns, annotated assignments."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.arg) and node.annotation is not None:
            yield node.annotation
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            yield node.returns
        elif isinstance(node, ast.AnnAssign):
            yield node.annotation


def untyped(sources: Mapping[str, str]) -> list[Untyped]:
    """The annotations of *sources* (``{path: Python text}``) naming ``object``/``Any`` or
    one of :data:`LABELS`, with the reason (a label's, else ``"other"``)."""
    out: list[Untyped] = []
    for path, text in sorted(sources.items()):
        if not path.endswith(".py"):
            continue
        for node in sorted(annotations(text), key=lambda n: (n.lineno, n.col_offset)):
            names = {
                n.id if isinstance(n, ast.Name) else n.attr  # `Any` or `typing.Any`
                for n in ast.walk(node)
                if isinstance(n, ast.Name | ast.Attribute)
            }
            if names & UNTYPED_NAMES:
                reason = "other"
            else:
                labels = sorted(LABELS[n] for n in names if n in LABELS)
                if not labels:
                    continue
                reason = labels[0]
            out.append(Untyped(path, node.lineno, ast.unparse(node), reason))
    return out


@contextlib.contextmanager
def _labelled(labelled: bool) -> Iterator[None]:
    """With *labelled*, the untyped annotations generated meanwhile carry their reason."""
    from idlgen.backends.python import typemap

    labels = {"VARIANT": "UNTYPED_VARIANT_", "void*": "UNTYPED_VOID_POINTER_"}
    with contextlib.ExitStack() as stack:
        if labelled:
            stack.enter_context(mock.patch.dict(typemap.UNTYPED, labels))
        yield


def count_untyped(programs: Iterable[object]) -> Report:
    """Generate the packages of *programs* (resolved :class:`idlgen.frontend.Program`\\ s)
    twice — as they are, then labelled — and count their untyped annotations."""
    from idlgen.backends.python import render_package

    report = Report()
    for program in programs:
        with _labelled(labelled=False):
            plain = render_package(program, formatted=False)  # type: ignore[arg-type]
        with _labelled(labelled=True):
            labelled = render_package(program, formatted=False)  # type: ignore[arg-type]
        report.total += len(untyped(plain))  # no labels here: every one is object/Any
        for u in untyped(labelled):
            report.by_reason[u.reason] += 1
            if u.reason == "other":
                report.holes.append(u)
    return report


def corpus_programs(corpus: Path) -> Iterator[object]:
    """The resolved programs of the classic corpus files widl accepts (as the build reads them)."""
    from idlgen.api import check

    rows = (corpus / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    files = [r.split("\t")[0] for r in rows if r.split("\t")[1:3] == ["classic", "ok"]]
    for rel in files:
        program, diagnostics = check(
            [corpus / rel],
            include_dirs=[corpus / "include", corpus / "crt"],
            defines=["BOOL=WINBOOL"],
        )
        errors = [d for d in diagnostics if d.is_error]
        if errors:
            sys.exit(f"{rel}: {errors[0].message}")
        yield program


def main(argv: list[str] | None = None) -> int:
    """Print the count (and the holes); exit status 1 when there is a hole."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=CORPUS)
    parser.add_argument("--list", type=int, default=20, metavar="N", help="holes to show")
    args = parser.parse_args(argv)
    if not (args.corpus / "MANIFEST.tsv").is_file():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    programs = list(corpus_programs(args.corpus))
    report = count_untyped(programs)
    attributed = sum(report.by_reason.values())
    print(f"packages: {len(programs)}")
    print(f"annotations typed object/Any: {report.total}")
    for reason in sorted(report.by_reason):
        label = "holes" if reason == "other" else f"IDL type {reason}"
        print(f"  {label}: {report.by_reason[reason]}")
    if attributed != report.total:
        print(f"  (attributed {attributed}: the two generations differ)")
    for u in report.holes[: args.list]:
        print(f"    {u}")
    return 1 if report.holes else 0


if __name__ == "__main__":
    sys.exit(main())
