"""End-to-end time of ``idlgen generate`` (all outputs, formatted), cold and unchanged.

    python benchmarks/generate.py [--no-corpus] [--runs N]

For the example (``examples/Msgrpriv.idl``) and, unless ``--no-corpus``, for the 239
classic corpus files widl accepts (``../shared/corpus/mingw-w64``, one call), it
prints, as whole processes (interpreter start-up included):

- cold: an empty output folder and an empty format cache;
- unchanged: the same command again (every input unchanged);

and, in-process, how many times black ran in the unchanged rerun (target: 0).
Targets (issue 7): the example in <= 1.5 s cold as a whole process, and an
unchanged rerun doing no formatting work at all.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "Msgrpriv.idl"
CORPUS = ROOT.parent / "shared" / "corpus" / "mingw-w64"
EMIT = "stubs,events,tests"


def corpus_files() -> list[str]:
    """The classic corpus files widl accepts, relative to the corpus folder."""
    rows = (CORPUS / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [r.split("\t")[0] for r in rows if r.split("\t")[1:3] == ["classic", "ok"]]


def run(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Run ``idlgen generate`` as a process; return its wall time (exit 0 required)."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "idlgen", "generate", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"idlgen generate failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return elapsed


def black_calls_in_rerun(args: list[str], cwd: Path, env: dict[str, str]) -> int:
    """Run ``generate`` in this process with black wrapped; return how often it ran."""
    import black

    from idlgen.cli import main

    calls = 0
    original = black.format_str

    def counting(src: str, *, mode: black.Mode) -> str:
        nonlocal calls
        calls += 1
        return original(src, mode=mode)

    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    os.environ.update(env)
    os.chdir(cwd)
    black.format_str = counting  # type: ignore[assignment]
    try:
        status = main(["generate", *args, "-q"])
    finally:
        black.format_str = original
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    if status != 0:
        sys.exit(f"in-process rerun failed with status {status}")
    return calls


def measure(label: str, args: list[str], cwd: Path, runs: int) -> None:
    """Cold and unchanged timings for one ``generate`` command line."""
    colds: list[float] = []
    reruns: list[float] = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="idlgen-bench-") as tmp:
            out = Path(tmp) / "out"
            env = dict(os.environ, IDLGEN_CACHE_DIR=str(Path(tmp) / "cache"))
            full = [*args, "-o", str(out), "--emit", EMIT]
            colds.append(run(full, cwd, env))
            reruns.append(run(full, cwd, env))
            last_calls = black_calls_in_rerun(full, cwd, env)
            files = sum(1 for p in out.rglob("*") if p.is_file())
    print(
        f"{label}: {files} files written; cold {statistics.median(colds):.2f} s, "
        f"unchanged {statistics.median(reruns):.2f} s (median of {runs}, whole process); "
        f"black runs in an unchanged rerun: {last_calls}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-corpus", action="store_true", help="only the example")
    parser.add_argument("--runs", type=int, default=3, help="runs for the example (default 3)")
    opts = parser.parse_args()
    measure("example Msgrpriv.idl", [str(EXAMPLE)], ROOT, opts.runs)
    if opts.no_corpus:
        return
    if not (CORPUS / "MANIFEST.tsv").is_file():
        print(f"corpus: skipped ({CORPUS} not found)")
        return
    files = corpus_files()
    args = ["-D", "BOOL=WINBOOL", "-I", "include", "-I", "crt", *files]
    measure(f"corpus: {len(files)} classic files, one call", args, CORPUS, 1)


if __name__ == "__main__":
    main()
