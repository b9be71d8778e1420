"""examples/Msgrpriv.idl through widl: compiles cleanly, and its type library is the real one.

The ``.tlb`` widl builds is read back with ``pycomtypelib`` and turned into the same flat facts
that ``_shared.expected_facts`` makes of ``typelib.json`` (IIDs, CLSIDs, DISPIDs, vtable slots,
parameter names/directions/types, enum values, coclass members and flags); every differing fact
is reported on its own line.  The LIBID is read from widl's header: widl 11.12's type-library
writer damages the last byte of the LIBID it stores when a dual interface refers to IDispatch
from stdole2.tlb (0xd4 becomes 0x0d here).
"""

from __future__ import annotations

import re
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pycomtypelib
import pytest
from _shared import (
    BASE_SLOTS,
    CORPUS,
    EXAMPLE_IDL,
    REFERENCE,
    WIDL,
    Facts,
    build_stdole2,
    codes_facts,
    compare_facts,
    expected_facts,
    load_typelib_json,
    member_label,
    report,
    unexpected_widl_lines,
    widl_base_args,
)
from pycomtypelib.constants import (
    IMPLTYPEFLAGS,
    INVOKEKIND,
    PARAMFLAGS,
    SYSKIND,
    TYPEFLAGS,
    TYPEKIND,
    VARENUM,
)
from pycomtypelib.model import FuncDesc, ParamDesc, TypeDesc, TypeInfo, TypeLib

pytestmark = [
    pytest.mark.skipif(WIDL is None, reason="widl not found (../shared/tools/widl or on PATH)"),
    pytest.mark.skipif(
        not (CORPUS.is_dir() and REFERENCE.is_dir()),
        reason="../shared corpus or reference/winmessenger absent",
    ),
]


@dataclass
class Built:
    header: str
    header_stderr: str
    tlb: TypeLib
    tlb_stderr: str
    stdole2: TypeLib


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """widl -h and widl -t on the example (stdole2.tlb built first, passed with -L)."""
    assert WIDL is not None
    out = tmp_path_factory.mktemp("widl")
    stdole2 = build_stdole2(WIDL, out)
    runs = {}
    for mode, suffix in (("-h", ".h"), ("-t", ".tlb")):
        target = out / f"Msgrpriv{suffix}"
        cmd = [*widl_base_args(WIDL), f"-L{out}", mode, "-o", str(target), str(EXAMPLE_IDL)]
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
        assert run.returncode == 0 and target.is_file(), f"widl {mode} failed:\n{run.stderr}"
        runs[mode] = (target, run.stderr)
    return Built(
        header=runs["-h"][0].read_text(encoding="utf-8"),
        header_stderr=runs["-h"][1],
        tlb=pycomtypelib.load_typelib_file(runs["-t"][0]),
        tlb_stderr=runs["-t"][1],
        stdole2=pycomtypelib.load_typelib_file(stdole2),
    )


# ------------------------------------------------------------------------------- tlb -> facts

_VT_C = {
    VARENUM.VT_I2: "short",
    VARENUM.VT_I4: "long",
    VARENUM.VT_R4: "float",
    VARENUM.VT_R8: "double",
    VARENUM.VT_BSTR: "BSTR",
    VARENUM.VT_DISPATCH: "IDispatch*",
    VARENUM.VT_BOOL: "VARIANT_BOOL",
    VARENUM.VT_VARIANT: "VARIANT",
    VARENUM.VT_UNKNOWN: "IUnknown*",
    VARENUM.VT_UI4: "unsigned long",
    VARENUM.VT_INT: "int",
    VARENUM.VT_VOID: "void",
    VARENUM.VT_HRESULT: "HRESULT",
}
_KIND = {
    INVOKEKIND.INVOKE_FUNC: "method",
    INVOKEKIND.INVOKE_PROPERTYGET: "propget",
    INVOKEKIND.INVOKE_PROPERTYPUT: "propput",
    INVOKEKIND.INVOKE_PROPERTYPUTREF: "propputref",
}


def c_type(t: TypeDesc) -> str:
    """A TYPEDESC spelled as C, the way typelib.json spells types."""
    if t.base_vt == VARENUM.VT_PTR and t.pointee is not None:
        return c_type(t.pointee) + "*"
    if t.base_vt == VARENUM.VT_SAFEARRAY and t.pointee is not None:
        return f"SAFEARRAY({c_type(t.pointee)})"
    if t.base_vt == VARENUM.VT_USERDEFINED and t.ref is not None:
        return t.ref.name
    return _VT_C.get(VARENUM(t.base_vt), str(t))


def direction(p: ParamDesc) -> str:
    """``in``, ``out`` or ``in,out`` from PARAMFLAGS (``in`` when neither is set)."""
    flags = p.flags
    if flags & PARAMFLAGS.PARAMFLAG_FIN and flags & PARAMFLAGS.PARAMFLAG_FOUT:
        return "in,out"
    return "out" if flags & PARAMFLAGS.PARAMFLAG_FOUT else "in"


def _params(facts: Facts, label: str, fn: FuncDesc) -> None:
    facts[f"{label}: param count"] = len(fn.params)
    for j, p in enumerate(fn.params):
        ptag = f"{label} param {j}"
        facts[f"{ptag}: name"] = p.name
        facts[f"{ptag}: type"] = c_type(p.tdesc)
        facts[f"{ptag}: direction"] = direction(p)
        facts[f"{ptag}: retval"] = bool(p.flags & PARAMFLAGS.PARAMFLAG_FRETVAL)


def tlb_facts(tl: TypeLib, header: str, stdole2: TypeLib) -> Facts:
    """Facts of a type library read by pycomtypelib (LIBID from widl's header)."""
    facts: Facts = {
        "library: name": tl.name,
        "library: libid": header_libid(header, tl.name),
        "library: version": f"{tl.version_major}.{tl.version_minor}",
        "library: helpstring": tl.doc_string,
    }
    imported = {ti.guid: ti.name for ti in stdole2.typeinfos if ti.guid is not None}
    ptr = 8 if tl.syskind == SYSKIND.SYS_WIN64 else 4

    def base_of(ti: TypeInfo) -> str | None:
        if not ti.impltypes:
            return None
        impl = ti.impltypes[0]
        if impl.ref is not None:
            return impl.ref.name
        if impl.external is not None and impl.external.guid in imported:
            return imported[impl.external.guid]
        # A TKIND_DISPATCH type info derives from IDispatch by definition; widl's reference to
        # it in stdole2.tlb is one pycomtypelib cannot name.
        return "IDispatch" if ti.typekind == TYPEKIND.TKIND_DISPATCH else None

    for ti in tl.typeinfos:
        kind = TYPEKIND(ti.typekind)
        if kind == TYPEKIND.TKIND_ALIAS and ti.alias is not None and ti.alias.ref is not None:
            target = ti.alias.ref
            if target.typekind == TYPEKIND.TKIND_ENUM:
                tag = f"enum {ti.name}"
                facts[f"{tag}: members"] = tuple(v.name for v in target.vars)
                for v in target.vars:
                    facts[f"{tag}: {v.name}"] = v.value
        elif kind == TYPEKIND.TKIND_COCLASS:
            tag = f"coclass {ti.name}"
            facts[f"{tag}: clsid"] = str(ti.guid)
            facts[f"{tag}: creatable"] = bool(ti.flags & TYPEFLAGS.TYPEFLAG_FCANCREATE)
            facts[f"{tag}: helpstring"] = ti.doc_string
            names = [i.ref.name if i.ref else str(i.external) for i in ti.impltypes]
            facts[f"{tag}: interfaces"] = tuple(names)
            for name, impl in zip(names, ti.impltypes, strict=True):
                facts[f"{tag} {name}: default"] = bool(
                    impl.flags & IMPLTYPEFLAGS.IMPLTYPEFLAG_FDEFAULT
                )
                facts[f"{tag} {name}: source"] = bool(
                    impl.flags & IMPLTYPEFLAGS.IMPLTYPEFLAG_FSOURCE
                )
        elif kind == TYPEKIND.TKIND_INTERFACE or (
            kind == TYPEKIND.TKIND_DISPATCH and ti.flags & TYPEFLAGS.TYPEFLAG_FDUAL
        ):
            tag = f"interface {ti.name}"
            dual = bool(ti.flags & TYPEFLAGS.TYPEFLAG_FDUAL)
            facts[f"{tag}: iid"] = str(ti.guid)
            facts[f"{tag}: base"] = base_of(ti)
            facts[f"{tag}: flags"] = tuple(
                name
                for name, flag in (
                    ("dual", TYPEFLAGS.TYPEFLAG_FDUAL),
                    ("oleautomation", TYPEFLAGS.TYPEFLAG_FOLEAUTOMATION),
                )
                if ti.flags & flag
            )
            funcs = sorted(ti.funcs, key=lambda f: f.vtable_offset)
            facts[f"{tag}: members"] = tuple(f"{_KIND[f.invkind]} {f.name}" for f in funcs)
            for i, fn in enumerate(funcs):
                label = member_label(tag, i, fn.name)
                facts[f"{label}: kind"] = _KIND[fn.invkind]
                facts[f"{label}: vtable slot"] = fn.vtable_offset // ptr
                if dual:  # an IUnknown interface's memids are widl's own numbering
                    facts[f"{label}: dispid"] = fn.memid
                _params(facts, label, fn)
        elif kind == TYPEKIND.TKIND_DISPATCH:
            tag = f"dispinterface {ti.name}"
            facts[f"{tag}: iid"] = str(ti.guid)
            facts[f"{tag}: methods"] = tuple(f.name for f in ti.funcs)
            for i, fn in enumerate(ti.funcs):
                label = member_label(tag, i, fn.name)
                facts[f"{label}: dispid"] = fn.memid
                _params(facts, label, fn)
    return facts


_LIBID = re.compile(
    r"DEFINE_GUID\(LIBID_(\w+), 0x(\w{8}), 0x(\w{4}), 0x(\w{4}), "
    r"0x(\w\w),0x(\w\w), 0x(\w\w),0x(\w\w),0x(\w\w),0x(\w\w),0x(\w\w),0x(\w\w)\);"
)


def header_libid(header: str, library: str) -> str | None:
    """The LIBID that widl's header defines for LIBRARY."""
    for m in _LIBID.finditer(header):
        if m.group(1) == library:
            parts = m.groups()[1:]
            return str(uuid.UUID("".join(parts)))
    return None


def header_enum(header: str, typedef: str) -> dict[str, int] | None:
    """The enumerators (with values) of ``typedef enum ... { ... } TYPEDEF;`` in widl's header."""
    m = re.search(r"typedef enum [^{}]*\{\n([^{}]*)\n\} " + re.escape(typedef) + ";", header, re.S)
    if m is None:
        return None
    members: dict[str, int] = {}
    nxt = 0
    for line in m.group(1).splitlines():
        name, _, value = line.strip().rstrip(",").partition(" = ")
        nxt = int(value, 0) if value else nxt
        members[name] = nxt
        nxt += 1
    return members


def header_const(header: str, name: str) -> int | None:
    """The value of ``#define NAME (value)`` that widl writes for an IDL ``const``."""
    m = re.search(rf"^#define {re.escape(name)} \((0x[0-9a-fA-F]+|-?\d+)\)$", header, re.M)
    return int(m.group(1), 0) if m else None


# ------------------------------------------------------------------------------- the tests


def test_widl_compiles_it_without_errors_or_new_warnings(built: Built) -> None:
    assert unexpected_widl_lines(built.header_stderr) == [], built.header_stderr
    assert unexpected_widl_lines(built.tlb_stderr) == [], built.tlb_stderr


def test_type_library_matches_typelib_json_member_for_member(built: Built) -> None:
    expected = expected_facts(load_typelib_json())
    actual = tlb_facts(built.tlb, built.header, built.stdole2)
    # A type library stores no name for the value parameter of a property put (MIDL and widl
    # alike); those names are checked against the dump instead.
    unstored = [
        key
        for key in expected
        if key.endswith(": name")
        and " param " in key
        and expected.get(key.split(" param ")[0] + ": kind") == "propput"
    ]
    assert len(unstored) == 2, unstored  # Application and LocalAddress of IMsgrSession
    for key in unstored:
        assert actual.get(key) is None, key
        del expected[key]
    diffs = compare_facts(expected, actual)
    assert not diffs, report(diffs, len(expected), "widl's type library")
    # What the comparison covered, so that a shrinking typelib.json or reader is noticed.
    assert len(expected) >= 400
    print(f"{len(expected)} facts of typelib.json compared with widl's type library")


def test_type_library_holds_exactly_the_referenced_types(built: Built) -> None:
    ref = load_typelib_json()
    names = {ti.name for ti in built.tlb.typeinfos if ti.typekind != TYPEKIND.TKIND_ENUM}
    wanted = {x["name"] for key in ("interfaces", "dispinterfaces", "coclasses") for x in ref[key]}
    wanted |= {e["typedef"] for e in ref["enums"]}
    assert names == wanted
    assert [imp.name for imp in built.tlb.imports] == ref["library"]["importlib"]


def test_vtables_start_after_the_base_interface(built: Built) -> None:
    ptr = 8 if built.tlb.syskind == SYSKIND.SYS_WIN64 else 4
    for itf in load_typelib_json()["interfaces"]:
        ti = built.tlb.find(itf["name"])
        assert ti is not None, itf["name"]
        assert ti.size_vft == (BASE_SLOTS[itf["base"]] + len(itf["members"])) * ptr, itf["name"]


def test_header_declares_the_documented_codes(built: Built) -> None:
    expected, actual = codes_facts(
        lambda name: header_enum(built.header, name), lambda name: header_const(built.header, name)
    )
    diffs = compare_facts(expected, actual)
    assert not diffs, report(diffs, len(expected), "widl's header", "CODES.md")
    assert len(expected) == 67  # 5 enumerations (56 members) and 6 lone HRESULTs of CODES.md


def test_libid_in_header_is_the_real_one(built: Built) -> None:
    libid = load_typelib_json()["library"]["libid"]
    assert header_libid(built.header, "MessengerPrivate") == libid
    # The type library keeps the rest of the LIBID intact (see the module docstring).
    assert built.tlb.guid is not None and built.tlb.guid.bytes[:15] == uuid.UUID(libid).bytes[:15]


def test_facts_comparison_reports_a_changed_dispid() -> None:
    expected = expected_facts(load_typelib_json())
    key = "dispinterface DMsgrSessionEvents #7 BeforeAppLaunch: dispid"
    assert expected[key] == 112
    changed = dict(expected, **{key: 110})
    assert compare_facts(expected, changed) == [f"{key}: expected 112, got 110"]
    del changed[key]
    assert compare_facts(expected, changed) == [f"{key}: missing (expected 112)"]


def test_example_file_is_where_the_tests_expect_it() -> None:
    assert EXAMPLE_IDL.is_file()
    assert Path(EXAMPLE_IDL).read_text(encoding="utf-8").count('importlib("stdole2.tlb")') == 1
