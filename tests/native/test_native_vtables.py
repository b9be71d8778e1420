"""``<pkg>/vtables.py`` (the ``abi`` emit kind, beside ``abi.py``) describes every vtable slot
and function.

Checked here: the facts of the descriptions (slots, type codes, marshalling attributes), a
differential against the C headers Wine's widl writes (the same methods in the same slots,
with the same number of parameters, and the hidden result pointer where widl puts
``__ret``), determinism, black and ``mypy --strict``, and that a proxy class of every
d3d12 interface has every member of its generated class.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from _shared import CORPUS, EXAMPLE_IDL, REPO, WIDL
from conftest import TESTOBJ_IDL, generate_packages, import_generated

import idlgen
from idlgen.backends.abi.vtables import render_vtables
from idlgen.output.format import format_python
from idlgen.runtime.native import description as d

D3D12_IDL = CORPUS / "include" / "d3d12.idl"
CORPUS_FLAGS: dict[str, Any] = {
    "include_dirs": [str(CORPUS / "include"), str(CORPUS / "crt")],
    "defines": ["BOOL=WINBOOL"],
}


def _vtables(path: Path, package: str, **options: Any) -> str:
    program = idlgen.parse(path, **options)
    return render_vtables(program, package)[f"{package}/vtables.py"]


def _module(text: str, name: str) -> ModuleType:
    module = ModuleType(name)
    module.__package__ = name.rpartition(".")[0]
    exec(compile(text, f"<{name}>", "exec"), module.__dict__)  # generated here, not IDL text
    return module


@pytest.fixture(scope="module")
def testobj_vtables() -> str:
    return _vtables(TESTOBJ_IDL, "testobj_vt")


def _interfaces(module: ModuleType) -> dict[str, d.Interface]:
    return {v.name: v for v in vars(module).values() if isinstance(v, d.Interface)}


def test_descriptions_of_the_test_object(testobj_vtables: str) -> None:
    module = _module(testobj_vtables, "testobj_vt.vtables")
    interfaces = _interfaces(module)
    obj, dual = interfaces["ITestObject"], interfaces["ITestDual"]
    assert obj.base is d.IUNKNOWN and dual.base is d.IDISPATCH and dual.dispatch
    slots = {m.name: m for m in obj.vtable()}
    assert [m.slot for m in obj.vtable()] == list(range(len(obj.vtable())))
    assert slots["EchoInts"].slot == 3 and slots["Bump"].slot == len(obj.vtable()) - 1
    assert [m.slot for m in dual.methods] == [7, 8, 9]
    assert [p.type for p in slots["EchoInts"].params[:8]] == [
        "i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64",
    ]  # fmt: skip
    assert [(p.type, p.direction) for p in slots["Guids"].params] == [
        ("*guid", "in"), ("guid", "in"), ("*guid", "out"),
    ]  # fmt: skip
    assert [p.type for p in slots["Strings"].params] == [
        "*char16", "*char8", "*char16", "**char16", "**char8",
    ]  # fmt: skip
    assert [p.type for p in slots["SafeArrays"].params] == [
        "safearray(i32)", "safearray(bstr)", "*safearray(i32)", "*safearray(variant)",
    ]  # fmt: skip
    assert slots["Bounds"].returns == "struct:TRect"
    assert slots["Unions"].params[1].type == "union:TValue"
    arrays = slots["Arrays"].params
    assert arrays[0].type == "[4]i32"
    assert arrays[2].size_is == "count"
    assert (arrays[3].size_is, arrays[3].length_is) == ("count", ("*", "written"))
    ask = slots["Interfaces"].params
    assert (ask[0].type, ask[1].type, ask[3].iid_is) == (
        "*iface:ITestObject",
        "**iface:ITestObject",
        "riid",
    )
    optional = slots["Optional"].params
    assert (optional[1].optional, optional[2].optional, optional[2].default) == (True, True, 7)
    money = [p.type for p in slots["Money"].params]
    assert money == ["date", "cy", "decimal", "*date", "*cy", "*decimal"]
    assert slots["Bools"].params[2].type == "vbool" and slots["Bools"].params[0].type == "bool32"
    bump = [(p.type, p.direction) for p in slots["Bump"].params]
    assert bump == [("*i32", "in"), ("**iface:IUnknown", "in"), ("**void", "in")]
    kinds = [(m.name, m.kind) for m in obj.methods if m.kind != "method"]
    assert kinds == [
        ("Name", "propget"),
        ("Name", "propput"),
        ("Item", "propget"),
        ("Item", "propput"),
    ]
    functions = {f.name: f for m in module.MODULES for f in m.functions}
    assert module.MODULES[0].dllname == "testobj"
    assert functions["PlainAdd"].convention == "cdecl"
    assert functions["MakeRect"].convention == "stdcall"
    assert functions["MakeRect"].returns == "struct:TRect"
    assert functions["Describe"].params[1].type == "**char16"


def test_interfaces_from_imports_are_described_with_their_package() -> None:
    text = _vtables(EXAMPLE_IDL, "msgrpriv_vt")
    module = _module(text, "msgrpriv_vt.vtables")
    interfaces = _interfaces(module)
    session = interfaces["IMsgrSession"]
    assert session.dispatch and session.base is d.IDISPATCH
    assert session.methods[0].slot == 7 and session.methods[0].dispid is not None
    assert all(i.package is None for i in interfaces.values() if i.name.startswith("IMsgr"))


def test_output_is_deterministic_black_clean_and_typed(
    testobj_vtables: str, tmp_path: Path
) -> None:
    assert format_python(testobj_vtables) == testobj_vtables
    script = (
        "import sys, hashlib, idlgen\n"
        "from idlgen.backends.abi.vtables import render_vtables\n"
        "text = render_vtables(idlgen.parse(sys.argv[1]), 'testobj_vt')['testobj_vt/vtables.py']\n"
        "print(hashlib.sha256(text.encode()).hexdigest())\n"
    )
    seed = "1" if os.environ.get("PYTHONHASHSEED") != "1" else "2"
    proc = subprocess.run(
        [sys.executable, "-c", script, str(TESTOBJ_IDL)],
        env=dict(os.environ, PYTHONHASHSEED=seed),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == hashlib.sha256(testobj_vtables.encode()).hexdigest()
    package = tmp_path / "testobj_vt"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "vtables.py").write_text(testobj_vtables, encoding="utf-8")
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "mypy", "--strict", "--no-error-summary"),
            *("--cache-dir", str(tmp_path / "cache"), "testobj_vt"),
        ],
        cwd=tmp_path,
        env=dict(os.environ, MYPYPATH=str(REPO)),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_abi_kind_writes_vtables_beside_layouts_and_stubs(tmp_path: Path) -> None:
    result = idlgen.generate([TESTOBJ_IDL], tmp_path, emit=["stubs", "abi"])
    assert {"testobj/vtables.py", "testobj/abi.py", "testobj/interfaces.py"} <= set(result.files)
    assert (tmp_path / "testobj" / "vtables.py").is_file()


def test_imported_files_get_vtables_too_with_imports(tmp_path: Path) -> None:
    if not D3D12_IDL.is_file():
        pytest.skip(f"the mingw-w64 corpus is not at {CORPUS}")
    result = idlgen.generate(
        [REPO / "examples" / "vkd3d" / "vkd3d.idl"],
        tmp_path,
        emit=["abi"],
        with_imports=True,
        **CORPUS_FLAGS,
    )
    assert {"vkd3d/vtables.py", "d3d12/vtables.py", "d3dcommon/vtables.py"} <= set(result.files)
    d3d12 = _module(result.files["d3d12/vtables.py"], "d3d12.vtables")
    blob = _interfaces(d3d12).get("ID3D10Blob")
    assert blob is not None and blob.package == "d3dcommon"  # described, and where its class is


# --------------------------------------------------------------------------- widl differential

_VTBL = re.compile(r"typedef struct (\w+)Vtbl \{(.*?)\} \1Vtbl;", re.S)
_ENTRY = re.compile(r"\(STDMETHODCALLTYPE \*(\w+)\)\((.*?)\);", re.S)
_ACCESSOR = {"propget": "get_", "propput": "put_", "propputref": "putref_", "method": ""}


def _widl_vtables(idl: Path, out: Path, *flags: str) -> dict[str, list[tuple[str, int, bool]]]:
    """{interface: [(method, C parameters after This, has __ret)]} from widl's C header."""
    assert WIDL is not None
    header = out / (idl.stem + ".h")
    run = subprocess.run(
        [str(WIDL), *flags, "-h", "-o", str(header), str(idl)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    text = header.read_text(encoding="utf-8")
    tables: dict[str, list[tuple[str, int, bool]]] = {}
    for name, body in _VTBL.findall(text):
        entries = []
        for method, params in _ENTRY.findall(body):
            parts = [p for p in params.split(",") if p.strip()]
            ret = any("__ret" in p for p in parts)
            entries.append((method, len(parts) - 1 - ret, ret))
        tables[name] = entries
    return tables


def _ours(module: ModuleType) -> dict[str, list[tuple[str, int, bool]]]:
    out: dict[str, list[tuple[str, int, bool]]] = {}
    for info in _interfaces(module).values():
        entries = []
        for m in info.vtable():
            aggregate = m.returns.startswith(("struct:", "union:")) or m.returns in (
                "guid", "variant", "decimal",
            )  # fmt: skip
            entries.append((_ACCESSOR[m.kind] + m.name, len(m.params), aggregate))
        out[info.name] = entries
    return out


@pytest.mark.skipif(WIDL is None, reason="widl is not in ../shared/tools or on PATH")
@pytest.mark.parametrize("which", ["testobj", "msgrpriv", "d3d12"])
def test_vtables_match_the_headers_widl_writes(which: str, tmp_path: Path) -> None:
    if not D3D12_IDL.is_file():
        pytest.skip(f"the mingw-w64 corpus (widl's includes) is not at {CORPUS}")
    flags = ("-DBOOL=WINBOOL", f"-I{CORPUS / 'include'}", f"-I{CORPUS / 'crt'}")
    idl, options = {
        "testobj": (TESTOBJ_IDL, {}),
        "msgrpriv": (EXAMPLE_IDL, {}),
        "d3d12": (D3D12_IDL, CORPUS_FLAGS),
    }[which]
    ours = _ours(_module(_vtables(idl, f"{which}_vt", **options), f"{which}_vt.vtables"))
    theirs = _widl_vtables(idl, tmp_path, *flags)
    described = {name for name in ours if name in theirs}
    main = {name for name in theirs if name in ours or f"interface {name}" in idl.read_text()}
    assert main <= described, f"interfaces not described: {sorted(main - described)}"
    for name in sorted(described):
        assert ours[name] == theirs[name], name
    assert len(described) >= {"testobj": 2, "msgrpriv": 5, "d3d12": 60}[which]


# --------------------------------------------------------------------------- proxy classes


def test_every_d3d12_interface_makes_a_complete_proxy_class(tmp_path: Path) -> None:
    if not D3D12_IDL.is_file():
        pytest.skip(f"the mingw-w64 corpus is not at {CORPUS}")
    from idlgen.runtime.native import proxy, registry

    generate_packages([D3D12_IDL], tmp_path, with_imports=True, **CORPUS_FLAGS)
    (vtables,) = import_generated(tmp_path, "d3d12.vtables")
    registry.load_descriptions(vtables)
    count = 0
    for info in _interfaces(vtables).values():
        cls = registry.class_for(info)
        assert cls is not None, info.name
        made = proxy.proxy_class(info, 0, cls)
        assert not made.__abstractmethods__, info.name  # type: ignore[attr-defined]
        members = {m.python_name for c in cls.__mro__ for m in c.__dict__.get("_members_", ())}
        for name in members:
            value = made.__dict__.get(name) or getattr(made, name)
            function = value.fget if isinstance(value, property) else value
            assert getattr(function, "_idlgen_slot_", None) is not None, f"{info.name}.{name}"
        count += 1
    assert count >= 60
