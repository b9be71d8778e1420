"""Start-up of the ``idlgen`` commands: whole-process time and what each one imports.

    python benchmarks/startup.py [--runs N]

For ``idlgen --version``, ``idlgen check`` of the example, and ``idlgen generate`` of the
example (cold format cache, then unchanged), it prints the median wall and CPU seconds of N
whole processes, and, from ``python -X importtime``, the total import time and which of the
heavy packages (lark, jinja2, black, pytest) the command loaded.  Target (issue 15 item 2):
each command imports only what it needs.  idlgen's modules are byte-compiled first, as in an
installed package.
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
HEAVY = ("lark", "jinja2", "black", "pytest")


def timed(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of ``python -m idlgen ARGS`` (exit 0 required)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "idlgen", *args], env=env, cwd=cwd, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"idlgen {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def imports(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, list[str]]:
    """Total import seconds of one run and the heavy packages it imported."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "idlgen", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    total = 0
    loaded: set[str] = set()
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, _, name = (part.strip() for part in line[len("import time:") :].split("|"))
        total += int(own)
        loaded.add(name.split(".")[0])
    return total / 1e6, [m for m in HEAVY if m in loaded]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command (default 5)")
    opts = parser.parse_args()
    compileall.compile_dir(ROOT / "idlgen", quiet=1)
    with tempfile.TemporaryDirectory(prefix="idlgen-startup-") as tmp:
        cwd = Path(tmp)
        env = dict(os.environ, IDLGEN_CACHE_DIR=str(cwd / "cache"))
        out = str(cwd / "out")
        generate = ["generate", str(EXAMPLE), "-o", out, "--no-config", "-q"]
        commands = {
            "--version": ["--version"],
            "check example": ["check", str(EXAMPLE)],
            "generate example, cold": generate,
            "generate example, unchanged": generate,
        }
        for label, args in commands.items():
            runs = []
            for _ in range(opts.runs):
                if label.endswith("cold"):
                    subprocess.run(["rm", "-rf", str(cwd / "cache"), out], check=True)
                runs.append(timed(args, env, cwd))
            if label.endswith("cold"):
                subprocess.run(["rm", "-rf", str(cwd / "cache"), out], check=True)
            seconds, heavy = imports(args, env, cwd)  # cold: leaves the cache for what follows
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            print(
                f"{label:<30} {wall:6.2f} s wall {cpu:6.2f} s CPU (median of {opts.runs}); "
                f"imports {seconds:.2f} s: {', '.join(heavy) or 'none of ' + '/'.join(HEAVY)}"
            )


if __name__ == "__main__":
    main()
