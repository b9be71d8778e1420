"""End-to-end time of ``idlgen generate`` (all outputs, formatted), cold and unchanged.

    python benchmarks/generate.py [--no-corpus] [--runs N]

For the example (``examples/Msgrpriv.idl``) and, unless ``--no-corpus``, for the 239
classic corpus files widl accepts (``../shared/corpus/mingw-w64``, one call), it
prints, as whole processes (interpreter start-up included), wall and CPU seconds (user +
system of the process and its formatting workers):

- cold: an empty output folder and an empty format cache;
- unchanged: the same command again (every input unchanged);
- check: ``idlgen check`` of the same files, run twice (the second, "warm", is the yardstick
  of the unchanged rerun: target <= 1.2x);

black runs in one process per CPU this process may use (``taskset -c 0`` for one);

how many generated files black left as they were (the generator's layout already black's:
black then runs once per file instead of twice), and, in-process, how many times black ran in
the unchanged rerun (target: 0).  Targets (issues 7 and 15): the example in <= 1.5 s cold;
the corpus in <= 30 s cold on 2 cores; an unchanged rerun doing no formatting work at all.

idlgen's modules are byte-compiled first (``compileall``), as in an installed package: an
editable checkout run with ``PYTHONDONTWRITEBYTECODE`` would otherwise compile them in every
process.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
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


def run(args: list[str], cwd: Path, env: dict[str, str], command: str = "generate") -> Timing:
    """Run ``idlgen COMMAND ARGS`` as a process; return its wall and CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "idlgen", command, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"idlgen {command} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(elapsed, cpu)


class Timing:
    """Wall and CPU seconds of one run."""

    def __init__(self, wall: float, cpu: float) -> None:
        self.wall = wall
        self.cpu = cpu


def median(timings: list[Timing]) -> str:
    """``wall s (cpu s CPU)`` medians."""
    wall = statistics.median(t.wall for t in timings)
    cpu = statistics.median(t.cpu for t in timings)
    return f"{wall:.2f} s ({cpu:.2f} s CPU)"


def layout_hits(cache: Path) -> tuple[int, int]:
    """(files black left as they were, files formatted) according to the format cache."""
    same = total = 0
    for entry in (cache / "format").rglob("*"):
        if entry.is_file() and not entry.name.startswith("."):
            total += 1
            with entry.open("rb") as f:
                f.readline()
                same += f.readline().strip() == b"same"
    return same, total


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
    """Cold and unchanged timings for one ``generate`` command line, and ``check``'s."""
    colds: list[Timing] = []
    reruns: list[Timing] = []
    checks: list[Timing] = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="idlgen-bench-") as tmp:
            out = Path(tmp) / "out"
            env = dict(os.environ, IDLGEN_CACHE_DIR=str(Path(tmp) / "cache"))
            full = [*args, "-o", str(out), "--emit", EMIT]
            colds.append(run(full, cwd, env))
            same, formatted = layout_hits(Path(tmp) / "cache")
            reruns.append(run(full, cwd, env))
            last_calls = black_calls_in_rerun(full, cwd, env)
            run(args, cwd, env, "check")
            checks.append(run(args, cwd, env, "check"))
            files = sum(1 for p in out.rglob("*") if p.is_file())
    ratio = statistics.median(r.wall for r in reruns) / statistics.median(c.wall for c in checks)
    cpu_ratio = statistics.median(r.cpu for r in reruns) / statistics.median(c.cpu for c in checks)
    print(
        f"{label}: {files} files written (median of {runs}, whole process)\n"
        f"  cold      {median(colds)}; black left {same} of {formatted} files as generated\n"
        f"  unchanged {median(reruns)}; black runs: {last_calls}\n"
        f"  check     {median(checks)} (warm); unchanged/check {ratio:.2f}x wall, "
        f"{cpu_ratio:.2f}x CPU"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-corpus", action="store_true", help="only the example")
    parser.add_argument("--runs", type=int, default=3, help="runs for the example (default 3)")
    opts = parser.parse_args()
    compileall.compile_dir(ROOT / "idlgen", quiet=1)
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
