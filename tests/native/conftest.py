"""Fixtures of the native tests: generated packages on sys.path, the C test object built twice.

The C test object (``testobj.c``, implementing ``testobj.idl``) is compiled once per session
with the system C compiler: with the platform's calling convention and with
``-DTEST_MS_ABI`` (``__attribute__((ms_abi))``, x86-64 only).  Tests that need it skip,
saying why, when there is no C compiler.
"""

from __future__ import annotations

import gc
import importlib
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import idlgen
from idlgen.output import format as output_format

HERE = Path(__file__).resolve().parent
TESTOBJ_IDL = HERE / "testobj.idl"
TESTOBJ_C = HERE / "testobj.c"
TESTPEER_C = HERE / "testpeer.c"
SHIM = Path(idlgen.__file__).resolve().parent / "runtime" / "native" / "include"
X86_64 = platform.machine().lower() in ("x86_64", "amd64")
ABIS = ["default", "ms"] if X86_64 else ["default"]


def c_compiler() -> str | None:
    """The C compiler to build test libraries with ($CC, gcc or cc), or None."""
    for name in (os.environ.get("CC"), "gcc", "cc"):
        if name and shutil.which(name):
            return name
    return None


def compile_library(
    source: Path, output: Path, *, ms_abi: bool, extra: tuple[str, ...] = ()
) -> Path:
    """Build a shared library from one C file (``-DTEST_MS_ABI`` for the ms_abi flavour)."""
    compiler = c_compiler()
    if compiler is None:
        pytest.skip("no C compiler (gcc or cc) to build the native test object")
    command = [compiler, "-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-Wno-unused-parameter"]
    if ms_abi:
        command.append("-DTEST_MS_ABI")
    command += [*extra, "-o", str(output), str(source)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, f"{' '.join(command)} failed:\n{run.stderr}"
    return output


def generate_packages(
    sources: list[Path], root: Path, *, include_dirs: tuple[Path, ...] = (), **options: Any
) -> None:
    """Generate stubs, layouts and vtable descriptions (no black: layout only) into *root*."""
    mp = pytest.MonkeyPatch()
    mp.setattr(output_format, "run_black", lambda source, style: source)
    mp.setattr(output_format, "store_cached", lambda key, source, formatted: None)
    try:
        idlgen.generate(
            [str(s) for s in sources],
            root,
            include_dirs=[str(i) for i in include_dirs],
            emit=["stubs", "events", "abi"],
            **options,
        )
    finally:
        mp.undo()


def import_generated(root: Path, *names: str) -> list[ModuleType]:
    """Put *root* first on sys.path and import the packages *names*."""
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    return [importlib.import_module(n) for n in names]


@pytest.fixture(scope="session")
def testobj(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The package generated from testobj.idl (stubs, layouts, vtables)."""
    root = tmp_path_factory.mktemp("testobj-packages")
    generate_packages([TESTOBJ_IDL], root)
    (module, _, _) = import_generated(root, "testobj", "testobj.abi", "testobj.structs")
    yield module
    sys.path.remove(str(root))


@pytest.fixture(scope="session")
def testobj_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """{"default": library, "ms": library} (ms only on x86-64): testobj.c with testpeer.c
    (compiled against the project's Windows-types shim; -DIDLGEN_MS_ABI for ms_abi)."""
    out = tmp_path_factory.mktemp("testobj-libraries")
    paths = {}
    for abi in ABIS:
        peer = (str(TESTPEER_C), "-I", str(SHIM), "-pthread")
        if abi == "ms":
            peer += ("-DIDLGEN_MS_ABI",)
        paths[abi] = compile_library(
            TESTOBJ_C, out / f"testobj_{abi}.so", ms_abi=abi == "ms", extra=peer
        )
    return paths


class TestLibrary:
    """One build of the test object: the library, its bound module functions, its package."""

    def __init__(self, abi: str, path: Path, package: ModuleType) -> None:
        from idlgen.runtime import native

        self.abi = abi
        self.lib = native.load(str(path), abi=abi)
        self.api: Any = self.lib.bind(package)
        self.package: Any = package

    def new(self, interface: Any = None) -> Any:
        """A new test object as a proxy of *interface* (ITestObject by default)."""
        return self.api.CreateTestObject(interface or self.package.ITestObject)

    def alive(self) -> tuple[int, int, int]:
        """(objects, strings and task memory, arrays) the library has not freed."""
        gc.collect()
        return self.api.LiveObjects(), self.api.LiveStrings(), self.api.LiveArrays()


@pytest.fixture(params=ABIS)
def t(
    request: pytest.FixtureRequest, testobj: ModuleType, testobj_paths: dict[str, Path]
) -> Iterator[TestLibrary]:
    """The test object in each calling convention, its memory functions in use; the test
    fails when an object, a string or an array it made is still alive at the end."""
    from idlgen.runtime import native

    library = TestLibrary(request.param, testobj_paths[request.param], testobj)
    native.use_library_functions(library.lib)
    try:
        yield library
        assert library.alive() == (0, 0, 0), "objects, strings, arrays left alive"
    finally:
        native.use_library_functions(None)
