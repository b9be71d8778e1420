"""Refresh ``idlgen/include/``: the standard system IDL that idlgen searches last.

Copies, unchanged, the files the standard COM IDL roots need (their ``import``
and ``#include`` closure) from a mingw-w64 checkout laid out like the shared
corpus (``include/``, ``crt/``, ``tlb/``)::

    python scripts/update_builtin_include.py ../shared/corpus/mingw-w64 [WIDL]

The closure is what widl itself reads: each file is run through ``widl -E``
(Wine's IDL compiler, default ``../shared/tools/widl``) to see which
``#include``s it takes with ``__WIDL__`` defined, and the ``import``s are followed.  ``tlb/stdole2.idl`` (what
``importlib("stdole2.tlb")`` stands for) is copied to ``idlgen/include/tlb/``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOTS = [
    "unknwn.idl",
    "wtypes.idl",
    "wtypesbase.idl",
    "objidl.idl",
    "objidlbase.idl",
    "oaidl.idl",
    "ocidl.idl",
    "oleidl.idl",
    "servprov.idl",
    "urlmon.idl",
    "propidl.idl",
    "olectl.h",
]
TLB_FILES = ["stdole2.idl"]
_IMPORT = re.compile(r'^\s*import\s+((?:"[^"]+"\s*,?\s*)+);', re.M)
_MARKER = re.compile(r'^#\s*\d+\s+"([^"]+)"', re.M)


def closure(source: Path, roots: list[str], widl: str) -> dict[str, Path]:
    """Map each needed file's name (relative to its search dir) to its path in *source*.

    Each file is preprocessed by ``widl -E`` (so only the ``#include``s widl
    really takes count); the ``import`` statements left in its output are
    followed in turn.
    """
    search = [source / "include", source / "crt"]
    found: dict[str, Path] = {}
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        path = next((d / name for d in search if (d / name).is_file()), None)
        if path is None:
            print(f"warning: {name} not found", file=sys.stderr)
            continue
        found[name] = path
        cmd = [widl, "-E", "-D", "BOOL=WINBOOL", "-I", "include", "-I", "crt", str(path)]
        out = subprocess.run(cmd, cwd=source, capture_output=True, text=True, check=False).stdout
        for marker in _MARKER.findall(out):
            included = (source / marker).resolve()
            for d in search:
                if included.is_relative_to(d.resolve()):
                    rel = included.relative_to(d.resolve()).as_posix()
                    if rel not in found:
                        todo.append(rel)
        for m in _IMPORT.finditer(out):
            todo.extend(re.findall(r'"([^"]+)"', m.group(1)))
    return found


def main(argv: list[str]) -> int:
    """Copy the closure into idlgen/include (existing .idl/.h files there are replaced)."""
    source = Path(argv[0]) if argv else Path(__file__).resolve().parents[2] / "shared/corpus/mingw-w64"
    dest = Path(__file__).resolve().parents[1] / "idlgen" / "include"
    widl = argv[1] if len(argv) > 1 else str(source.parents[1] / "tools" / "widl")
    files = closure(source, ROOTS, widl)
    for name in TLB_FILES:
        files["tlb/" + name] = source / "tlb" / name
    for old in list(dest.rglob("*.h")) + list(dest.rglob("*.idl")):
        old.unlink()
    for name, path in sorted(files.items()):
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        print(name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
