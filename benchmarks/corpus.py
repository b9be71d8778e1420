"""Time ``idlgen check`` on the mingw-w64 corpus, against widl.

    python benchmarks/corpus.py [--corpus DIR] [--dialect classic|winrt|all] [--no-widl]

idlgen checks every file widl accepts in **one process and one call** (as
``idlgen check FILE...`` does: imported files are parsed once and shared),
first cold, then warm (a second pass in the same process).  widl runs **one
process per file**, as a build does.  Printed: files, bytes of the files
themselves, seconds, files/s, MB/s, peak RSS, and idlgen/widl time ratios.
No options needed from the repository root with ``../shared`` beside it.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "mingw-w64"
INCLUDE_DIRS = ("include", "crt")
DEFINES = ("BOOL=WINBOOL",)


def corpus_files(corpus: Path, dialect: str) -> list[str]:
    """Files of *dialect* ("classic", "winrt" or "all") that widl accepts, relative to *corpus*."""
    with (corpus / "MANIFEST.tsv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [r["file"] for r in rows if r["widl"] == "ok" and dialect in ("all", r["dialect"])]


def find_widl() -> str | None:
    """``../shared/tools/widl``, else ``widl`` on PATH."""
    bundled = REPO.parent / "shared" / "tools" / "widl"
    if bundled.is_file() and os.access(bundled, os.X_OK):
        return str(bundled)
    return shutil.which("widl")


def peak_rss_mb(who: int) -> float:
    """Peak resident set size of this process (RUSAGE_SELF) or its children, in MB."""
    kb = resource.getrusage(who).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / (1024 * 1024)


def run_idlgen(corpus: Path, files: list[str]) -> tuple[float, float, int, int]:
    """One ``check`` call over *files*: (seconds, CPU seconds, files with errors, errors)."""
    from idlgen.api import check

    start = time.perf_counter()
    cpu = time.process_time()
    _, diagnostics = check(
        [corpus / f for f in files],
        include_dirs=[corpus / d for d in INCLUDE_DIRS],
        defines=list(DEFINES),
    )
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    errors = [d for d in diagnostics if d.is_error]
    return seconds, cpu, len({d.span.file for d in errors}), len(errors)


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_widl(widl: str, corpus: Path, files: list[str]) -> tuple[float, float, int]:
    """widl -h on each file, one process each; returns (seconds, CPU seconds, failures)."""
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        cpu = _children_cpu()
        for f in files:
            out = Path(tmp) / (f.replace("/", "_") + ".h")
            p = subprocess.run(
                [
                    widl,
                    *(f"-D{d}" for d in DEFINES),
                    *(f"-I{d}" for d in INCLUDE_DIRS),
                    "-h",
                    "-o",
                    str(out),
                    f,
                ],
                cwd=corpus,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
            failures += p.returncode != 0
        return time.perf_counter() - start, _children_cpu() - cpu, failures


def rate(files: int, size: int, seconds: float) -> str:
    """``N files/s, X MB/s``."""
    s = max(seconds, 1e-9)
    return f"{files / s:7.1f} files/s  {size / s / 1e6:6.2f} MB/s"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--dialect", choices=["classic", "winrt", "all"], default="classic")
    ap.add_argument("--no-widl", action="store_true", help="do not time widl")
    args = ap.parse_args(argv)
    corpus: Path = args.corpus.resolve()
    if not (corpus / "MANIFEST.tsv").is_file():
        print(f"corpus not found: {corpus}", file=sys.stderr)
        return 2
    files = corpus_files(corpus, args.dialect)
    size = sum((corpus / f).stat().st_size for f in files)
    print(f"corpus: {corpus}")
    print(f"files: {len(files)} {args.dialect} files widl accepts, {size:,} bytes")

    # widl first: a child forked from a big interpreter would count the parent's pages.
    widl = None if args.no_widl else find_widl()
    wsec = wcpu = 0.0
    if widl is not None:
        wsec, wcpu, wfail = run_widl(widl, corpus, files)
        print(
            f"widl:        {wsec:7.2f} s  (CPU {wcpu:6.2f} s)  {rate(len(files), size, wsec)}"
            f"  one process per file, {wfail} failed"
        )
        print(f"widl peak RSS (largest process): {peak_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB")
    else:
        print("widl: not timed" + ("" if args.no_widl else " (not found)"))

    base_rss = peak_rss_mb(resource.RUSAGE_SELF)
    cold, ccpu, bad_files, errors = run_idlgen(corpus, files)
    warm, wacpu, _, _ = run_idlgen(corpus, files)
    rss = peak_rss_mb(resource.RUSAGE_SELF)
    print(
        f"idlgen cold: {cold:7.2f} s  (CPU {ccpu:6.2f} s)  {rate(len(files), size, cold)}"
        f"  {errors} errors in {bad_files} files"
    )
    print(
        f"idlgen warm: {warm:7.2f} s  (CPU {wacpu:6.2f} s)  {rate(len(files), size, warm)}"
        "  same process, imports cached"
    )
    print(f"idlgen peak RSS: {rss:.0f} MB (interpreter before the run: {base_rss:.0f} MB)")
    if widl is not None:
        print(
            f"ratio idlgen/widl: cold {cold / wsec:.2f}x (CPU {ccpu / max(wcpu, 1e-9):.2f}x), "
            f"warm {warm / wsec:.2f}x (CPU {wacpu / max(wcpu, 1e-9):.2f}x); target: cold <= 1"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
