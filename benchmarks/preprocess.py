"""Time idlgen's preprocessor over the classic corpus files: prints files, bytes, seconds.

Run from anywhere; the corpus is ``../shared/corpus/mingw-w64`` beside the repository.
Options are those of mingw-w64's build: ``-D BOOL=WINBOOL -I include -I crt``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from idlgen.diagnostics import DiagnosticSink
from idlgen.frontend.preprocess import preprocess

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "mingw-w64"
BUILTIN = Path(__file__).resolve().parents[1] / "idlgen" / "include"


def main() -> int:
    """Preprocess every classic corpus file once; print the totals."""
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 1
    os.chdir(CORPUS)
    rows = [line.split("\t") for line in Path("MANIFEST.tsv").read_text().splitlines()[1:]]
    files = [r[0] for r in rows if len(r) > 1 and r[1] == "classic"]
    size = sum(os.path.getsize(f) for f in files)
    errors = 0
    start = time.perf_counter()
    for f in files:
        sink = DiagnosticSink()
        preprocess(
            f,
            include_dirs=("include", "crt", str(BUILTIN)),
            macro_ops=(("define", "BOOL", "WINBOOL"),),
            sink=sink,
        )
        errors += sink.error_count
    seconds = time.perf_counter() - start
    print(f"files {len(files)}  bytes {size}  seconds {seconds:.3f}  errors {errors}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
