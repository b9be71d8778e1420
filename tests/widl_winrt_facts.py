"""Facts about a Windows Runtime IDL file, read from the C header widl writes for it.

widl's C header names WinRT declarations ``__x_ABI_C<Ns1>_C<Ns2>_C<Name>`` (delegates get an
``I`` before the name) and parameterised instantiations ``__FIVector_1_HSTRING``.  From the
header this module reads

- every interface (delegates included: widl writes them as interfaces with an ``Invoke``
  method) that has an IID: its IID and the methods of its vtable in order (inherited ones
  first, as in its ``Vtbl`` struct);
- every runtime class: its qualified name (``RuntimeClass_...[] = L"A.B.Name"``);
- every enum: its enumerators and values (C names are ``Enum_Member`` in WinRT enums).

:func:`run_many` runs widl on several corpus files with a small thread pool, the way
mingw-w64's build does (from the corpus folder, ``-D BOOL=WINBOOL -I include -I crt``).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class WinrtHeaderFacts:
    """What one widl header says (keys are widl's C names)."""

    #: C name -> IID (lowercase, no braces)
    iids: dict[str, str] = field(default_factory=dict)
    #: C name -> method names of the whole vtable, in order (IUnknown's first)
    methods: dict[str, list[str]] = field(default_factory=dict)
    #: qualified runtime class names
    runtimeclasses: set[str] = field(default_factory=set)
    #: C enum name -> [(C enumerator name, value)]
    enums: dict[str, list[tuple[str, int | str]]] = field(default_factory=dict)


_GUID = re.compile(
    r"DEFINE_GUID\(IID_(\w+), 0x([0-9a-fA-F]+), 0x([0-9a-fA-F]+), 0x([0-9a-fA-F]+), "
    r"((?:0x[0-9a-fA-F]+, ?){7}0x[0-9a-fA-F]+)\);"
)
_VTBL = re.compile(r"^typedef struct (\w+)Vtbl \{$")
_METHOD = re.compile(r"\(STDMETHODCALLTYPE \*(\w+)\)\($")
_RUNTIMECLASS = re.compile(r'WCHAR RuntimeClass_\w+\[\] = L"([\w.]+)";')
_ENUM = re.compile(r"^(?:typedef )?enum (\w+) \{$")
_ENUMERATOR = re.compile(r"^\s+(\w+)(?: = ([^,]+))?,?$")


def _guid(m: re.Match[str]) -> str:
    d1, d2, d3 = int(m.group(2), 16), int(m.group(3), 16), int(m.group(4), 16)
    rest = [int(x, 16) for x in m.group(5).replace(" ", "").split(",")]
    tail = "".join(f"{b:02x}" for b in rest)
    return f"{d1:08x}-{d2:04x}-{d3:04x}-{tail[:4]}-{tail[4:]}"


def _value(text: str) -> int | str:
    t = text.strip().rstrip("uUlL")
    try:
        return int(t, 0)
    except ValueError:
        return text.strip()


def parse_header(text: str) -> WinrtHeaderFacts:
    """Read the facts of one widl C header."""
    facts = WinrtHeaderFacts()
    lines = text.splitlines()
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        if line.startswith("DEFINE_GUID(IID_"):
            m = _GUID.match(line)
            if m:
                facts.iids.setdefault(m.group(1), _guid(m))
        elif line.startswith("typedef struct") and line.endswith("Vtbl {"):
            m = _VTBL.match(line)
            if m:
                vtable: list[str] = []
                i += 1
                while i < n and not lines[i].startswith("}"):
                    mm = _METHOD.search(lines[i])
                    if mm:
                        vtable.append(mm.group(1))
                    i += 1
                facts.methods.setdefault(m.group(1), vtable)
        elif "WCHAR RuntimeClass_" in line:
            m = _RUNTIMECLASS.search(line)
            if m:
                facts.runtimeclasses.add(m.group(1))
        elif line.startswith(("enum ", "typedef enum ")) and line.endswith("{"):
            m = _ENUM.match(line)
            if m:
                members: list[tuple[str, int | str]] = []
                i += 1
                previous = -1
                while i < n and not lines[i].startswith("}"):
                    em = _ENUMERATOR.match(lines[i])
                    if em:
                        value: int | str = (
                            _value(em.group(2)) if em.group(2) is not None else previous + 1
                        )
                        members.append((em.group(1), value))
                        previous = value if isinstance(value, int) else previous + 1
                    i += 1
                facts.enums.setdefault(m.group(1), members)
        i += 1
    return facts


def run_widl(widl: str | os.PathLike[str], corpus: Path, rel: str) -> WinrtHeaderFacts | str:
    """widl's header facts for corpus file *rel*, or widl's error output."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.h"
        proc = subprocess.run(
            [
                os.fspath(widl),
                "-h",
                "-D",
                "BOOL=WINBOOL",
                "-I",
                "include",
                "-I",
                "crt",
                "-o",
                str(out),
                rel,
            ],
            cwd=corpus,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if proc.returncode != 0 or not out.is_file():
            return proc.stderr or f"widl exited with {proc.returncode}"
        return parse_header(out.read_text(encoding="utf-8", errors="replace"))


def run_many(
    widl: str | os.PathLike[str], corpus: Path, files: list[str], workers: int = 2
) -> dict[str, WinrtHeaderFacts | str]:
    """:func:`run_widl` for each of *files*, *workers* at a time."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = pool.map(lambda rel: run_widl(widl, corpus, rel), files)
        return dict(zip(files, results, strict=True))
