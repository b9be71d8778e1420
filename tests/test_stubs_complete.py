"""Generated stubs without holes (issue 14 item 6): unions, anonymous members, typedef aliases,
``module`` blocks, ``[local]``/``[call_as]`` twins, function pointers and opaque structs."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from _shared import write_tree

from idlgen.backends import python as codegen
from idlgen.diagnostics import DiagnosticSink
from idlgen.frontend import Loader

IDL = """
import "oaidl.idl";
struct tagOPAQUE;
typedef struct tagPARAM {
    int kind;
    [switch_is(kind)] union {
        [case(1)] long DescriptorTable;
        [case(2)] struct { short lo; short hi; };
        [default] float Constants;
    };
    struct { int p; int q; } inner;
    int after;
} PARAM, *PPARAM;
typedef union tagU switch (long d) u { case 1: long l; case 2: double dd; default: ; } U;
typedef [switch_type(long)] union tagV { [case(1)] long l; [case(2)] BSTR s; } V;
typedef PARAM ALIAS_PARAM;
typedef enum { E_ONE = 1, E_TWO } KIND;
typedef KIND ALIAS_KIND;
typedef HRESULT (*CALLBACK)(int a, BSTR b, void *ctx);
[object, uuid(11111111-1111-1111-1111-111111111111)]
interface IFoo : IUnknown {
    [local] HRESULT Next([in] ULONG n, [out] PARAM *p, [out] ULONG *fetched);
    [call_as(Next)] HRESULT RemoteNext([in] ULONG n, [out, size_is(n)] PARAM *p);
    HRESULT Use([in] U u, [in] V *v, [in] CALLBACK cb, [in] struct tagOPAQUE *o);
}
typedef IFoo *LPFOO;
[uuid(22222222-1111-1111-1111-111111111111)] library L {
  [dllname("foo.dll"), helpstring("Foo's exports")]
  module FooFunctions {
     const long FOO_MAX = 5;
     [entry("FooEntry")] HRESULT Foo([in] long a, [out, retval] BSTR *b);
     long Bar(void);
  };
}
"""


@pytest.fixture(scope="module")
def package() -> dict[str, str]:
    sink = DiagnosticSink()
    loader = Loader(sink=sink)
    loader.load_main("holes.idl", text=IDL)
    assert not [d.message for d in sink.diagnostics if d.is_error]
    return codegen.render_package(loader.program)


@pytest.fixture(scope="module")
def written(package: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("holes"), package)


@pytest.fixture(scope="module")
def holes(written: Path) -> Iterator[ModuleType]:
    sys.path.insert(0, str(written))
    try:
        yield importlib.import_module("holes")
    finally:
        sys.path.remove(str(written))
        for name in [n for n in sys.modules if n == "holes" or n.startswith("holes.")]:
            del sys.modules[name]


def _class(source: str, name: str) -> ast.ClassDef:
    return next(n for n in ast.parse(source).body if isinstance(n, ast.ClassDef) and n.name == name)


def _fields(source: str, name: str) -> list[str]:
    return [ast.unparse(n) for n in _class(source, name).body if isinstance(n, ast.AnnAssign)]


def test_anonymous_union_members_are_reached_by_their_c_names(
    package: dict[str, str], holes: ModuleType
) -> None:
    structs = package["holes/structs.py"]
    assert _fields(structs, "PARAM") == [
        "kind: int",
        "DescriptorTable: int | None = None",
        "lo: int | None = None",
        "hi: int | None = None",
        "Constants: float | None = None",
        "inner: PARAM_inner",
        "after: int",
    ]
    assert not any(f.startswith(("anonymous", "field")) for f in _fields(structs, "PARAM"))
    assert "object" not in structs
    param = holes.PARAM(kind=1, DescriptorTable=7, inner=holes.PARAM_inner(1, 2), after=0)
    assert param.DescriptorTable == 7 and param.Constants is None
    with pytest.raises(TypeError):  # keyword-only: positional would mix the arms up
        holes.PARAM(1, 7, None, None, None, holes.PARAM_inner(1, 2), 0)


def test_unions_are_typed_classes(package: dict[str, str], holes: ModuleType) -> None:
    structs = package["holes/structs.py"]
    assert _fields(structs, "U") == ["d: int", "l: int | None = None", "dd: float | None = None"]
    assert _fields(structs, "V") == ["l: int | None = None", "s: str | None = None"]
    assert holes.U(d=2, dd=0.5).dd == 0.5
    assert holes.V(s="x") == holes.V(l=None, s="x")
    interfaces = package["holes/interfaces.py"]
    assert "u: U, v: V, cb: Callable[[int, str, object], int], o: tagOPAQUE" in interfaces


def test_opaque_structs_get_a_class(package: dict[str, str], holes: ModuleType) -> None:
    opaque = _class(package["holes/structs.py"], "tagOPAQUE")
    assert not opaque.decorator_list  # no fields to give: not a dataclass
    assert "opaque" in (ast.get_docstring(opaque) or "")
    assert isinstance(holes.tagOPAQUE(), holes.tagOPAQUE)


def test_typedef_aliases_are_exported(package: dict[str, str], holes: ModuleType) -> None:
    assert holes.LPFOO is holes.IFoo
    assert holes.PPARAM is holes.PARAM and holes.ALIAS_PARAM is holes.PARAM
    assert holes.ALIAS_KIND is holes.KIND
    assert {"LPFOO", "PPARAM", "ALIAS_PARAM", "ALIAS_KIND"} <= set(holes.__all__)
    assert "LPFOO: TypeAlias = IFoo" in package["holes/interfaces.py"]
    assert "CALLBACK" not in holes.__all__  # a function pointer is not a class


def test_local_method_appears_once_in_its_local_form(
    package: dict[str, str], holes: ModuleType
) -> None:
    assert "RemoteNext" not in package["holes/interfaces.py"]
    assert [m.name for m in holes.IFoo._members_] == ["Next", "Use"]
    assert [p.name for p in holes.IFoo._members_[0].params] == ["n", "p", "fetched"]


def test_module_blocks_give_constants_and_signatures(
    package: dict[str, str], holes: ModuleType
) -> None:
    module = holes.FooFunctions
    assert module._dllname_ == "foo.dll" and module.FOO_MAX == 5
    assert "Foo's exports" in (module.__doc__ or "")
    source = package["holes/modules.py"]
    foo = next(
        n for n in ast.walk(_class(source, "FooFunctions")) if isinstance(n, ast.FunctionDef)
    )
    assert ast.unparse(foo.args) == "a: int" and ast.unparse(foo.returns or foo) == "str"
    with pytest.raises(NotImplementedError) as caught:
        module.Foo(1)
    message = str(caught.value)
    assert "FooFunctions.Foo is exported by foo.dll" in message
    assert "idlgen.runtime.native.load(" in message and ".bind(" in message
    assert "--emit abi" in message
    assert holes.FOO_MAX == 5  # still a constant of the package too


def test_the_package_passes_mypy_strict(written: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path), "-p", "holes"],
        cwd=written,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
