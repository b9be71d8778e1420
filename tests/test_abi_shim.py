"""idlgen's Windows-types shim (``idlgen/runtime/native/include``) with the host C compiler.

widl's headers of the corpus's d3d12.idl (and every IDL file it imports), of the example
``examples/Msgrpriv.idl`` and of ``tests/abi/layouts.idl`` compile with the host compiler
against the shim, with the platform's calling convention and with ``-DIDLGEN_MS_ABI``.  A
probe program (see :mod:`abi_probe`) compiled and *run* on the host then gives, for every
record the generated ``abi`` modules define (the main files': also those they take from
imported files, such as VARIANT), the same size, alignment, member offsets and bit-field bytes
as the generated ctypes classes: what native code built on Linux and Python agree on.
"""

from __future__ import annotations

import platform
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from _shared import CORPUS, EXAMPLE_IDL, WIDL
from abi_probe import (
    Compiler,
    FileProbe,
    Result,
    compare,
    generate,
    run_widl,
)
from widl_facts import check_corpus_file

import idlgen
from idlgen.api import check
from idlgen.frontend import Program

HOST_CC = shutil.which("gcc") or shutil.which("cc")
SHIM = Path(idlgen.__file__).resolve().parent / "runtime" / "native" / "include"
LAYOUTS_IDL = Path(__file__).resolve().parent / "abi" / "layouts.idl"
D3D12_IDL = "include/d3d12.idl"
_INCLUDE = re.compile(r'^#include [<"]([A-Za-z0-9_]+\.h)[>"]', re.MULTILINE)

#: What the shim's README asks for: widl's tagged anonymous members (-fms-extensions), MSVC's
#: bit-fields (-mms-bitfields, x86) and a 16-bit wchar_t (-fshort-wchar).
HOST_FLAGS = [
    "-std=gnu11",
    "-fms-extensions",
    "-fshort-wchar",
    *(["-mms-bitfields"] if platform.machine() in ("x86_64", "AMD64", "i686", "i386") else []),
]

pytestmark = [
    pytest.mark.skipif(
        not (CORPUS / "MANIFEST.tsv").is_file(), reason=f"the corpus is not at {CORPUS}"
    ),
    pytest.mark.skipif(WIDL is None, reason="widl not found (../shared/tools/widl or PATH)"),
    pytest.mark.skipif(HOST_CC is None, reason="no C compiler (gcc or cc) on PATH"),
]


@dataclass
class HostRun:
    """widl's headers, their ``#include`` lines and the results of the host probe."""

    headers: Path
    includes: list[str]
    results: dict[str, Result]


def _program(idl: Path) -> Program:
    program, diagnostics = check(
        [idl], include_dirs=[CORPUS / "include", CORPUS / "crt"], defines=["BOOL=WINBOOL"]
    )
    assert not [d for d in diagnostics if d.is_error], diagnostics
    return program


@pytest.fixture(scope="module")
def host_run(tmp_path_factory: pytest.TempPathFactory) -> HostRun:
    """widl's headers, the generated modules and the probe program's output."""
    assert HOST_CC is not None
    root = tmp_path_factory.mktemp("abi-host")
    mains = {
        D3D12_IDL: check_corpus_file(CORPUS, D3D12_IDL).program,
        EXAMPLE_IDL.name: _program(EXAMPLE_IDL),
        LAYOUTS_IDL.name: _program(LAYOUTS_IDL),
    }
    # (label, program, file path, whether its records from imports count too)
    files: list[tuple[str, Program, str, bool]] = []
    seen: set[str] = set()
    for label, program in mains.items():
        files.append((label, program, program.files[0].path, True))
        for f in program.imports:
            if f.path.endswith(".idl") and Path(f.path).name not in seen:
                seen.add(Path(f.path).name)
                files.append((Path(f.path).name, program, f.path, False))
    headers = root / "widl"
    headers.mkdir()
    failed = run_widl([Path(path) for _label, _program, path, _reached in files], headers)
    assert not failed, f"widl failed: {failed}"
    # and the headers of the system IDL they #include through cpp_quote (d3d12sdklayers.h)
    while True:
        wanted = {
            CORPUS / "include" / f"{Path(name).stem}.idl"
            for h in headers.glob("*.h")
            for name in _INCLUDE.findall(h.read_text(encoding="utf-8"))
        }
        missing = sorted(
            p for p in wanted if p.is_file() and not (headers / f"{p.stem}.h").exists()
        )
        if not missing:
            break
        failed = run_widl(missing, headers)
        assert not failed, f"widl failed: {failed}"
    py_root = root / "py"
    sys.path.insert(0, str(py_root))
    results: dict[str, Result] = {}
    try:
        for index, (label, program, path, reached) in enumerate(files):
            idl = Path(path).name
            gen = generate(program, py_root, "abi_host", index, idl, reached=reached, path=path)
            results[label] = Result(gen, FileProbe(idl, gen.cases), {})
    finally:
        sys.path.remove(str(py_root))
    probes = [r.probe for r in results.values()]
    command = [HOST_CC, *HOST_FLAGS, "-w", "-O0", f"-I{SHIM}", f"-I{headers}"]
    compiler = Compiler(command, root, execute=True)
    data = compiler.assemble(probes)
    assert not any(p.error for p in probes), [p.error for p in probes if p.error]
    for r in results.values():
        r.c_data = data
    return HostRun(headers, [line for p in probes for line in p.lines], results)


@pytest.mark.parametrize("ms_abi", [False, True], ids=["default-abi", "ms-abi"])
def test_headers_compile_cleanly_against_the_shim(host_run: HostRun, ms_abi: bool) -> None:
    """d3d12.h (and everything it includes), msgrpriv.h and layouts.h with -Wall -Wextra."""
    assert HOST_CC is not None
    source = "\n".join(["#include <windows.h>", *host_run.includes, ""])
    c_file = host_run.headers / f"compile_{int(ms_abi)}.c"
    c_file.write_text(source, encoding="utf-8")
    run = subprocess.run(
        [HOST_CC, *HOST_FLAGS, "-fsyntax-only", "-Wall", "-Wextra", "-Werror"]
        + (["-DIDLGEN_MS_ABI"] if ms_abi else [])
        + [f"-I{SHIM}", f"-I{host_run.headers}", str(c_file)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-4000:]


CONVENTION_PROBE = """
#include <windows.h>
typedef int (__attribute__((ms_abi)) *ms_abi_fn)(int);
typedef int (__attribute__((sysv_abi)) *sysv_abi_fn)(int);
typedef int (STDMETHODCALLTYPE *method_fn)(int);
typedef int (WINAPI *winapi_fn)(int);
#ifdef IDLGEN_MS_ABI
#define EXPECTED ms_abi_fn
#define OTHER sysv_abi_fn
#else
#define EXPECTED sysv_abi_fn
#define OTHER ms_abi_fn
#endif
_Static_assert(__builtin_types_compatible_p(method_fn, EXPECTED), "STDMETHODCALLTYPE");
_Static_assert(__builtin_types_compatible_p(winapi_fn, EXPECTED), "WINAPI");
_Static_assert(!__builtin_types_compatible_p(method_fn, OTHER), "STDMETHODCALLTYPE");
_Static_assert(sizeof(LONG) == 4 && sizeof(ULONG) == 4 && sizeof(DWORD) == 4, "32-bit longs");
_Static_assert(sizeof(WCHAR) == 2 && sizeof(BOOL) == 4 && sizeof(HRESULT) == 4, "sizes");
_Static_assert(sizeof(GUID) == 16 && sizeof(ULONG_PTR) == 8 && sizeof(SIZE_T) == 8, "sizes");
_Static_assert(sizeof(LARGE_INTEGER) == 8 && _Alignof(LARGE_INTEGER) == 8, "LARGE_INTEGER");
"""


@pytest.mark.skipif(
    platform.machine() not in ("x86_64", "AMD64"), reason="ms_abi exists on x86-64 only"
)
@pytest.mark.parametrize("ms_abi", [False, True], ids=["default-abi", "ms-abi"])
def test_calling_convention_macros(tmp_path: Path, ms_abi: bool) -> None:
    """STDMETHODCALLTYPE and WINAPI are the platform's convention, or ms_abi with
    -DIDLGEN_MS_ABI; the basic types have their Windows sizes."""
    assert HOST_CC is not None
    c_file = tmp_path / "convention.c"
    c_file.write_text(CONVENTION_PROBE, encoding="utf-8")
    run = subprocess.run(
        [HOST_CC, "-fsyntax-only", f"-I{SHIM}", str(c_file)]
        + (["-DIDLGEN_MS_ABI"] if ms_abi else []),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr


def test_shim_refuses_a_windows_target(tmp_path: Path) -> None:
    """On Windows (``_WIN32``) the real headers are to be used: the shim says so."""
    assert HOST_CC is not None
    c_file = tmp_path / "windows.c"
    c_file.write_text("#include <windows.h>\n", encoding="utf-8")
    run = subprocess.run(
        [HOST_CC, "-fsyntax-only", "-D_WIN32", f"-I{SHIM}", str(c_file)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode != 0 and "on Windows use <windows.h>" in run.stderr


def _labels() -> list[str]:
    return [D3D12_IDL, EXAMPLE_IDL.name, LAYOUTS_IDL.name]


@pytest.mark.parametrize("label", _labels())
def test_host_layouts_equal_the_generated_ones(host_run: HostRun, label: str) -> None:
    """The main files: their records and those they take from imports (VARIANT ...)."""
    outcome = compare(host_run.results[label])
    assert outcome.clean, "\n".join(
        [*outcome.differences, *outcome.undeclared.values(), *outcome.elsewhere.values()][:40]
    )
    assert outcome.compared


def test_host_layouts_of_the_imported_files(host_run: HostRun) -> None:
    """The imported system IDL (oaidl.idl, objidl.idl, wtypes.idl ...): every record widl's
    header defines with the shim's types, except the IDL's stand-ins and what the headers
    declare only on request (``#if defined USE_COM_CONTEXT_DEF``); counts with ``-s``."""
    problems: list[str] = []
    undeclared: dict[str, str] = {}
    compared = facts = stand_ins = 0
    for label, result in host_run.results.items():
        outcome = compare(result)
        compared += len(outcome.compared)
        facts += outcome.facts
        stand_ins += len(outcome.stand_ins)
        undeclared.update(outcome.undeclared)
        if label not in _labels():
            problems += outcome.differences
            problems += [f"{k}: {v}" for k, v in outcome.elsewhere.items()]
    print(
        f"\nhost compiler with the shim: {len(host_run.results)} files, {compared} records, "
        f"{facts} facts equal; not compared: {stand_ins} IDL stand-ins, "
        f"{len(undeclared)} records the headers do not declare by default"
    )
    for where, reason in sorted(undeclared.items()):
        print(f"  undeclared: {where}: {reason}")
    assert not problems, "\n".join(problems[:40])
    assert compared > 300
