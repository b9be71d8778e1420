"""Layout differential: the ctypes layouts of ``--emit abi`` against a C compiler.

For every struct and union of the 239 classic corpus files widl accepts (d3d12.idl is one),
``widl -h`` writes the C header and the MinGW-w64 cross compiler (``x86_64-w64-mingw32-gcc``,
the true Windows x64 ABI) compiles a probe of it to assembly: size, alignment, every member's
offset and size, and the bytes of each bit-field set to all ones (see :mod:`abi_probe`).
The generated ``abi.py`` of the file, imported, must give the same facts — 100 %.  The
layouts idlgen computes itself must too.  Run with ``-s`` for the counts.

How the C side is set up: the cross compiler's own headers are MinGW-w64 10, older than the
corpus (15); its include folder is overlaid (a folder of symbolic links) with the corpus's
``.h`` files and widl's headers of all 239 files, and used alone (``-nostdinc``), so that
every header sees one version of the others.  A few headers cannot be compiled on their own
(they say to include another one first, or use types they do not import):
:data:`PRELUDES` gives what mingw-w64 users include before them.  Files are compiled in
batches; a batch that fails on a conflict between headers is split in two, recursively.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from _shared import CORPUS, WIDL
from abi_probe import (
    Compiler,
    FileProbe,
    Result,
    compare,
    generate,
    run_widl,
)
from widl_facts import check_corpus_file, classic_ok

from idlgen.api import check
from idlgen.model import Union

CROSS_CC = shutil.which("x86_64-w64-mingw32-gcc")
LAYOUTS_IDL = Path(__file__).resolve().parent / "abi" / "layouts.idl"

pytestmark = [
    pytest.mark.skipif(
        not (CORPUS / "MANIFEST.tsv").is_file(), reason=f"the corpus is not at {CORPUS}"
    ),
    pytest.mark.skipif(WIDL is None, reason="widl not found (../shared/tools/widl or PATH)"),
    pytest.mark.skipif(
        CROSS_CC is None,
        reason="x86_64-w64-mingw32-gcc not found (apt-get install gcc-mingw-w64-x86-64-win32)",
    ),
]

_WINDOWS_OLE = ["#include <windows.h>", "#include <ole2.h>"]
_WSD = [
    "#include <winsock2.h>",
    *_WINDOWS_OLE,
    "typedef struct IWSDServiceMessaging IWSDServiceMessaging;",
    "typedef struct IWSDMessageParameters IWSDMessageParameters;",
    "typedef struct WSD_CONFIG_PARAM WSD_CONFIG_PARAM;",
]

#: What a header needs before it (the header's #error or its first unknown type says so).
PRELUDES: dict[str, list[str]] = {
    "amvideo.idl": ["#include <strmif.h>"],
    "commoncontrols.idl": ["#include <windows.h>", "#include <commctrl.h>"],
    "d3d10shader.idl": ["#include <d3d10.h>"],
    "ddstream.idl": ["#include <ddraw.h>"],
    "dinputd.idl": ["#include <dinput.h>"],
    # strmif.h defines dvdif's types again; dvdif only needs to know IGraphBuilder's name
    "dvdif.idl": [*_WINDOWS_OLE, "typedef struct IGraphBuilder IGraphBuilder;"],
    "dxva2api.idl": ["#include <d3d9.h>"],
    "dxvahd.idl": ["#include <d3d9.h>"],
    "evr9.idl": ["#include <d3d9.h>"],
    "vmr9.idl": ["#include <d3d9.h>", "#include <strmif.h>"],
    "mfreadwrite.idl": ["#include <mfidl.h>"],
    # its RTWQASYNCRESULT is C++ (`struct X : public IRtwqAsyncResult`) unless __WINESRC__
    "rtworkq.idl": ["#define __WINESRC__"],
    "sapi51.idl": ["#include <windows.h>", "#define _SAPI_VER 0x51", "#include <sapi.h>"],
    "sapi53.idl": ["#include <windows.h>", "#define _SAPI_VER 0x53", "#include <sapi.h>"],
    "sapi54.idl": ["#include <windows.h>", "#include <sapi.h>"],
    # stdole2.h redefines BSTR, VARIANT, GUID ... as the type library does: no windows.h
    "stdole2.idl": [
        "#define RPC_NO_WINDOWS_H",
        "#define __RPC_H__",
        "#define __RPCNDR_H__",
        "#define COM_NO_WINDOWS_H",
        "typedef int LONG; typedef unsigned int ULONG; typedef unsigned int UINT;",
        "typedef void *PVOID; typedef unsigned short WCHAR;",
        "#define DEFINE_GUID(...)",
        "#define interface struct",
        "#define STDMETHODCALLTYPE",
        "#define BEGIN_INTERFACE",
        "#define END_INTERFACE",
        "#define CONST_VTBL",
    ],
    "wia_xp.idl": ["#include <wia.h>"],
    "wsdattachment.idl": ["#include <wsdapi.h>"],
    "wsdbase.idl": ["#include <winsock2.h>"],
    "wsdclient.idl": _WSD,
    "wsddisco.idl": _WSD,
    "wsdhost.idl": _WSD,
}
#: Headers compiled alone: their prelude changes what other headers mean, or they cannot be
#: included with some others (dvdif and icodecapi redefine strmif's types, wia_xp's wia.h
#: wia_lh's; the WSD headers
#: need winsock2.h before windows.h, or wsdapi.h, which defines what their preludes declare).
ALONE = frozenset(
    {
        "dvdif.idl",
        "icodecapi.idl",
        "rtworkq.idl",
        "sapi51.idl",
        "sapi53.idl",
        "stdole2.idl",
        "wia_xp.idl",
        "wsdattachment.idl",
        "wsdbase.idl",
        "wsdclient.idl",
        "wsddisco.idl",
        "wsdhost.idl",
    }
)

BATCH_SIZE = 60


# --------------------------------------------------------------------------- the C side


def compiler_include_dirs(cc: str) -> list[str]:
    """The folders *cc* searches for ``#include <...>``, in order."""
    run = subprocess.run(
        [cc, "-E", "-v", "-x", "c", os.devnull], capture_output=True, text=True, check=False
    )
    lines = run.stderr.splitlines()
    start = lines.index("#include <...> search starts here:") + 1
    end = lines.index("End of search list.")
    return [os.path.normpath(line.strip()) for line in lines[start:end]]


def batches(probes: list[FileProbe]) -> list[list[FileProbe]]:
    """Batches of probes to compile together: the ALONE ones by themselves."""
    alone = [[p] for p in probes if p.idl in ALONE]
    rest = [p for p in probes if p.idl not in ALONE]
    return [*alone, *(rest[i : i + BATCH_SIZE] for i in range(0, len(rest), BATCH_SIZE))]


def compile_all(compiler: Compiler, probes: list[FileProbe]) -> dict[str, bytes]:
    """The probe objects of all *probes*, two compilations at a time."""
    out: dict[str, bytes] = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        for data in pool.map(compiler.assemble, batches(probes)):
            out.update(data)
    return out


def overlay_includes(cc: str, extra: Iterable[Path], target: Path) -> list[str]:
    """``-nostdinc`` options for *cc* whose system headers are overlaid by *extra* files."""
    dirs = compiler_include_dirs(cc)
    system = next(d for d in dirs if os.path.isfile(os.path.join(d, "windows.h")))
    target.mkdir(parents=True, exist_ok=True)
    for entry in sorted(os.listdir(system)):
        (target / entry).symlink_to(os.path.join(system, entry))
    for path in extra:
        link = target / path.name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(path)
    compiler_dirs = [d for d in dirs if d != system]
    return ["-nostdinc", *(f"-isystem{d}" for d in (*compiler_dirs, str(target)))]


# --------------------------------------------------------------------------- the Python side


@pytest.fixture(scope="module")
def cross_compiler(tmp_path_factory: pytest.TempPathFactory) -> Compiler:
    """The cross compiler over the overlaid headers (widl's of the corpus and of
    tests/abi/layouts.idl)."""
    return make_cross_compiler(tmp_path_factory.mktemp("abi-cross"))


def make_cross_compiler(root: Path) -> Compiler:
    """The work of :func:`cross_compiler`, in the folder *root*."""
    assert CROSS_CC is not None
    headers = root / "widl"
    headers.mkdir()
    failed = run_widl([*(CORPUS / rel for rel in classic_ok(CORPUS)), LAYOUTS_IDL], headers)
    assert not failed, f"widl failed: {failed}"
    include = overlay_includes(
        CROSS_CC,
        [*sorted((CORPUS / "include").glob("*.h")), *sorted(headers.glob("*.h"))],
        root / "overlay",
    )
    return Compiler([CROSS_CC, "-w", "-O0", *include], root)


@pytest.fixture(scope="module")
def corpus_results(cross_compiler: Compiler) -> dict[str, Result]:
    """{corpus file: Result} for every classic file widl accepts."""
    return build_corpus_results(cross_compiler)


def build_corpus_results(compiler: Compiler) -> dict[str, Result]:
    """The work of :func:`corpus_results`."""
    py_root = compiler.work / "py"
    sys.path.insert(0, str(py_root))
    results: dict[str, Result] = {}
    try:
        for index, rel in enumerate(classic_ok(CORPUS)):
            checked = check_corpus_file(CORPUS, rel)
            assert not checked.errors, rel
            idl = Path(rel).name
            gen = generate(checked.program, py_root, "abi_corpus", index, idl)
            probe = FileProbe(idl, gen.cases, PRELUDES.get(idl, []))
            results[rel] = Result(gen, probe, {})
    finally:
        sys.path.remove(str(py_root))
    data = compile_all(compiler, [r.probe for r in results.values()])
    for r in results.values():
        r.c_data = data
    # other headers of a batch can change what a file's guarded declarations mean
    # (`#ifndef D3DCOLORVALUE_DEFINED`): a file that differs is compiled again alone
    again = [r for r in results.values() if r.probe.error or not compare(r).clean]
    for r in again:
        r.probe.reset()
    with ThreadPoolExecutor(max_workers=2) as pool:
        alone = pool.map(compiler.assemble, [[r.probe] for r in again])
        for r, c_data in zip(again, alone, strict=True):
            r.c_data = c_data
    return results


CORPUS_FILES = classic_ok(CORPUS)


@pytest.mark.parametrize("rel", CORPUS_FILES)
def test_corpus_layouts_equal_the_c_compilers(rel: str, corpus_results: dict[str, Result]) -> None:
    result = corpus_results[rel]
    skipped = result.generated.module.skipped
    outcome = compare(result)
    assert not skipped, f"records of {rel} not laid out:\n  " + "\n  ".join(skipped)
    assert (
        not outcome.differences
    ), f"{len(outcome.differences)} differences in {rel}:\n  " + "\n  ".join(
        outcome.differences[:40]
    )


def test_corpus_counts(corpus_results: dict[str, Result]) -> None:
    """Every record of the corpus the C headers declare is compared; the counts (``-s``)."""
    outcomes = [compare(r) for r in corpus_results.values()]
    compared = [c for o in outcomes for c in o.compared]
    undeclared = {k: v for o in outcomes for k, v in o.undeclared.items()}
    elsewhere = {k: v for o in outcomes for k, v in o.elsewhere.items()}
    stand_ins = [s for o in outcomes for s in o.stand_ins]
    unions = sum(1 for c in compared if isinstance(c.record.decl, Union))
    print(
        f"\nlayout differential (MinGW-w64 cross compiler): {len(corpus_results)} files, "
        f"{len(compared)} records ({len(compared) - unions} structs, {unions} unions), "
        f"{sum(len(c.plain) for c in compared)} members, "
        f"{sum(len(c.bitfields) for c in compared)} bit-fields, "
        f"{sum(o.facts for o in outcomes)} facts: "
        f"{sum(1 for o in outcomes if not o.differences)} files equal"
    )
    print(
        f"not compared: {len(undeclared)} records the C headers do not declare by default; "
        f'{len(stand_ins)} IDL stand-ins (cpp_quote("#if 0")), '
        f"{sum(1 for _c, same in stand_ins if same)} of them the size and alignment of C's "
        f"type; {len(elsewhere)} records C defines differently (another header's definition, "
        "or IDL stand-ins inside)"
    )
    for where, reason in sorted(undeclared.items()):
        print(f"  undeclared: {where}: {reason}")
    for where, reason in sorted(elsewhere.items()):
        print(f"  defined differently in C: {where}: {reason}")
    for case, same in stand_ins:
        if not same:
            print(f"  stand-in differs from C's type: {case.where} ({same})")
    assert len(corpus_results) == 239
    assert len(compared) > 1400
    assert sum(len(c.bitfields) for c in compared) > 50


def test_layout_cases_equal_the_cross_compilers(cross_compiler: Compiler) -> None:
    """tests/abi/layouts.idl: every kind of member (mixed bit-fields, packing, nesting,
    encapsulated unions, conformant arrays ...) as the Windows x64 ABI lays it out."""
    program, diagnostics = check(
        [LAYOUTS_IDL], include_dirs=[CORPUS / "include", CORPUS / "crt"], defines=["BOOL=WINBOOL"]
    )
    assert not [d for d in diagnostics if d.is_error], diagnostics
    py_root = cross_compiler.work / "py-layouts"
    sys.path.insert(0, str(py_root))
    try:
        gen = generate(program, py_root, "abi_cases", 9999, LAYOUTS_IDL.name)
    finally:
        sys.path.remove(str(py_root))
    probe = FileProbe(LAYOUTS_IDL.name, gen.cases)
    result = Result(gen, probe, cross_compiler.assemble([probe]))
    outcome = compare(result)
    assert outcome.clean, "\n".join(
        [*outcome.differences, *outcome.undeclared.values(), *outcome.elsewhere.values()]
    )
    assert len(outcome.compared) == len(gen.cases) >= 20
    assert sum(len(c.bitfields) for c in outcome.compared) >= 15
