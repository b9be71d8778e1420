"""Time and peak memory of ``idlgen check`` and ``generate`` on one large, valid IDL file.

    python benchmarks/large_input.py [--megabytes 1 4 15] [--no-generate]

For each size it writes a synthetic file (``import "oaidl.idl"``, then interfaces of ten
methods, an enum and constants, repeated) and runs, as whole processes, ``idlgen check`` and
``idlgen generate --emit stubs,events,tests`` (empty output folder, format cache off).  It
prints seconds, peak RSS and peak RSS per input byte.  Target (issue 17): memory linear and
small in the input size (a flat bytes-per-input-byte figure as the size grows), so a file near
the 16 MB source limit fits in a few GB at most.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def synthetic_idl(size: int) -> str:
    """About *size* bytes of valid IDL."""
    parts = ['import "oaidl.idl";\n']
    total = len(parts[0])
    i = 0
    while total < size:
        methods = "".join(
            f"    HRESULT M{j}([in] long a, [in] BSTR s, [out, retval] VARIANT_BOOL *r);\n"
            for j in range(10)
        )
        chunk = (
            f"typedef enum {{ E{i}_A = 1, E{i}_B = 2, E{i}_C = 4 }} E{i};\n"
            f"const long C{i} = {i} * 3 + 1;\n"
            f'[object, uuid({i:08x}-1111-2222-3333-444455556666), helpstring("Interface {i}")]\n'
            f"interface I{i} : IUnknown {{\n{methods}    HRESULT Set([in] E{i} e);\n}}\n"
        )
        parts.append(chunk)
        total += len(chunk)
        i += 1
    return "".join(parts)


def measure(args: list[str], cwd: Path) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in bytes, exit status) of ``python -m idlgen ARGS``."""
    code = (
        "import resource, subprocess, sys\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(p.returncode, peak)\n"
    )
    env = {**os.environ, "IDLGEN_CACHE_DIR": ""}
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code, sys.executable, "-m", "idlgen", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    elapsed = time.perf_counter() - start
    return elapsed, int(out[1]) * 1024, int(out[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=float, nargs="+", default=[1.0, 4.0])
    parser.add_argument("--no-generate", action="store_true")
    args = parser.parse_args()
    header = ("input", "command", "exit", "seconds", "peak RSS", "RSS/byte")
    print("{:>10} {:>9} {:>4} {:>8} {:>10} {:>8}".format(*header))
    for mb in args.megabytes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            text = synthetic_idl(int(mb * 2**20))
            (folder / "large.idl").write_text(text, encoding="utf-8")
            runs = [("check", ["check", "large.idl"])]
            if not args.no_generate:
                emit = ["--emit", "stubs,events,tests", "-q"]
                runs.append(("generate", ["generate", *emit, "-o", "out", "large.idl"]))
            for label, command in runs:
                seconds, peak, status = measure(command, folder)
                print(
                    f"{len(text) / 2**20:8.1f}MB {label:>9} {status:>4} {seconds:8.1f} "
                    f"{peak / 2**20:8.0f}MB {peak / len(text):8.0f}"
                )


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    main()
