"""The Windows Runtime dialect: signatures and IIDs, namespaces, the 95 winrt corpus files.

- :mod:`idlgen.frontend.winrt` computes the IIDs of parameterised instantiations; the expected
  values are those widl writes into the headers of the corpus (and Windows uses).
- Names resolve through nested namespaces and imports.
- Every winrt corpus file passes ``idlgen check`` (as ``-D BOOL=WINBOOL -I include -I crt``).
- A differential test compares idlgen's model with widl's C header for every winrt file:
  interfaces, delegates and instantiations (IID and vtable), runtime classes (qualified
  name) and enums (values).  It prints the match rate.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from _shared import CORPUS, WIDL
from widl_winrt_facts import WinrtHeaderFacts, run_many

from idlgen import api
from idlgen.backends.common.idl import defined_declarations
from idlgen.cli import main
from idlgen.frontend import Program, winrt
from idlgen.model import (
    BaseType,
    CoClassMember,
    Declare,
    Delegate,
    Enum,
    EnumMember,
    Field,
    IdlFile,
    Interface,
    Method,
    NamedType,
    PointerType,
    RuntimeClass,
    Struct,
    TaggedType,
    Typedef,
)

HAVE_CORPUS = (CORPUS / "MANIFEST.tsv").is_file()
needs_corpus = pytest.mark.skipif(not HAVE_CORPUS, reason=f"corpus not found at {CORPUS}")


def winrt_files() -> list[str]:
    """The winrt corpus files widl accepts (relative to the corpus folder)."""
    if not HAVE_CORPUS:
        return []
    rows = (CORPUS / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    cols = [r.split("\t") for r in rows]
    return [c[0] for c in cols if len(c) > 2 and c[1] == "winrt" and c[2] == "ok"]


WINRT_FILES = winrt_files()


@cache
def check_corpus(rel: str) -> tuple[Program, list[str]]:
    """``idlgen check -D BOOL=WINBOOL -I include -I crt REL`` in-process; (program, errors).

    Cached: the differential test reuses the programs of the check tests.
    """
    program, diags = api.check(
        [CORPUS / rel],
        include_dirs=[CORPUS / "include", CORPUS / "crt"],
        defines={"BOOL": "WINBOOL"},
    )
    errors = [
        f"{d.span.file}:{d.span.line}:{d.span.column}: {d.message}" for d in diags if d.is_error
    ]
    return program, errors


# --------------------------------------------------------------------------- signatures and IIDs

VECTOR = Interface("IVector", type_params=["T"], namespace="Windows.Foundation.Collections")
VECTOR.attributes = []
ASYNC_OP = Interface("IAsyncOperation", type_params=["TResult"], namespace="Windows.Foundation")


def _with_uuid(d: Interface | Delegate, u: str) -> None:
    from idlgen.model import Attribute

    d.attributes = [Attribute("uuid", [u])]


_with_uuid(VECTOR, "913337e9-11a1-4345-a3a2-4e7f956e222d")
_with_uuid(ASYNC_OP, "9fc2b0bb-e446-44e2-aa61-9cab8f636af2")
INSPECTABLE = Interface("IInspectable")
_with_uuid(INSPECTABLE, "af86e2e0-b12d-4c6a-9c5a-d7aa65101e90")


def inst(generic: Interface | Delegate, *args: NamedType | BaseType | PointerType) -> NamedType:
    return NamedType(generic.qualified_name or generic.name or "", list(args), target=generic)


def test_iid_of_ivector_of_hstring() -> None:
    t = inst(VECTOR, NamedType("HSTRING"))
    assert winrt.signature(t) == "pinterface({913337e9-11a1-4345-a3a2-4e7f956e222d};string)"
    assert winrt.instantiation_iid(t) == "98b9acc1-4b56-532e-ac73-03d5291cca90"
    assert winrt.instantiation_c_name(t) == "__FIVector_1_HSTRING"


def test_iid_of_iasyncoperation_of_boolean() -> None:
    t = inst(ASYNC_OP, BaseType("boolean"))
    assert winrt.signature(t) == "pinterface({9fc2b0bb-e446-44e2-aa61-9cab8f636af2};b1)"
    assert winrt.instantiation_iid(t) == "cdb5efb3-5788-509d-9be1-71ccb8a3362a"
    assert winrt.instantiation_c_name(t) == "__FIAsyncOperation_1_boolean"


def test_iinspectable_argument_is_cinterface() -> None:
    t = inst(VECTOR, PointerType(NamedType("IInspectable", target=INSPECTABLE)))
    assert winrt.signature(t).endswith(";cinterface(IInspectable))")
    assert winrt.instantiation_iid(t) == "b32bdca4-5e52-5b27-bc5d-d66a1a268c2a"
    assert winrt.instantiation_c_name(t) == "__FIVector_1_IInspectable"


def test_signatures_of_enum_struct_delegate_runtimeclass() -> None:
    ns = "Windows.Foundation"
    status = Enum("AsyncStatus", members=[EnumMember("Started")], namespace=ns)
    assert winrt.declaration_signature(status) == "enum(Windows.Foundation.AsyncStatus;i4)"
    flags = Enum("Options", namespace=ns)
    from idlgen.model import Attribute

    flags.attributes = [Attribute("flags")]
    assert winrt.declaration_signature(flags) == "enum(Windows.Foundation.Options;u4)"
    point = Struct(
        "Point",
        fields=[Field("X", BaseType("float")), Field("Y", BaseType("double"))],
        namespace=ns,
    )
    assert winrt.signature(TaggedType("struct", "Point", definition=point)) == (
        "struct(Windows.Foundation.Point;f4;f8)"
    )
    handler = Delegate("DeferralCompletedHandler", BaseType("void"), namespace=ns)
    handler.attributes = [Attribute("uuid", ["ed32a372-f3c8-4faa-9cfb-470148da3888"])]
    assert winrt.declaration_signature(handler) == (
        "delegate({ed32a372-f3c8-4faa-9cfb-470148da3888})"
    )
    iuri = Interface("IUriRuntimeClass", namespace=ns)
    _with_uuid(iuri, "9e365e57-48b2-4160-956f-c7385120bbfc")
    member = CoClassMember(NamedType("IUriRuntimeClass", target=iuri))
    member.attributes = [Attribute("default")]
    uri = RuntimeClass("Uri", interfaces=[member], namespace=ns)
    assert winrt.declaration_signature(uri) == (
        "rc(Windows.Foundation.Uri;{9e365e57-48b2-4160-956f-c7385120bbfc})"
    )
    # IAsyncOperation<Uri*> as widl writes it in windows.foundation.h
    t = inst(ASYNC_OP, PointerType(NamedType("Uri", target=uri)))
    assert winrt.instantiation_c_name(t) == "__FIAsyncOperation_1_Windows__CFoundation__CUri"
    assert winrt.instantiation_iid(t) == "641cb9dd-a28d-59e2-b8db-a227eda6cf2e"


def test_unbound_type_parameter_has_no_signature() -> None:
    with pytest.raises(winrt.SignatureError):
        winrt.signature(inst(VECTOR, NamedType("T")))
    with pytest.raises(winrt.SignatureError):
        winrt.declaration_signature(VECTOR)


def test_c_names_follow_widl() -> None:
    d = Delegate("AsyncActionCompletedHandler", BaseType("void"), namespace="Windows.Foundation")
    assert winrt.c_name(d) == "__x_ABI_CWindows_CFoundation_CIAsyncActionCompletedHandler"
    assert winrt.c_name(Interface("IUnknown")) == "IUnknown"
    assert winrt.method_c_name("Completed", "eventadd") == "add_Completed"
    assert winrt.method_c_name("Size", "propget") == "get_Size"


# --------------------------------------------------------------------------- namespaces


NAMESPACES_IDL = """
#pragma winrt ns_prefix
import "inspectable.idl";
namespace A.B {
    typedef enum Color Color;
    enum Color { Red = 1, Green = Red + 1 };
    [uuid(11111111-2222-3333-4444-555555555555)]
    interface IThing : IInspectable { HRESULT Paint([in] Color c); }
    namespace C {
        [uuid(11111111-2222-3333-4444-666666666666)]
        interface IOther : IInspectable {
            HRESULT Get([out, retval] IThing **thing);
            HRESULT Get2([out, retval] B.IThing **thing);
            HRESULT Get3([out, retval] A.B.IThing **thing);
            HRESULT Col([in] Color c);
        }
    }
}
namespace D {
    enum Color { Red = 7 };
    [uuid(11111111-2222-3333-4444-777777777777)]
    interface IUser : IInspectable { HRESULT Use([in] A.B.C.IOther *o, [in] enum Color c); }
}
"""


def _load(tmp_path: Path, text: str, name: str = "ns.idl") -> tuple[Program, list[str]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    include = [CORPUS / "include"] if HAVE_CORPUS else []
    program, diags = api.check([path], include_dirs=include)
    return program, [d.message for d in diags if d.is_error]


def _decls(program: Program) -> dict[str, object]:
    return {d.qualified_name or "": d for d in defined_declarations(program.files[0])}


@needs_corpus
def test_relative_names_resolve_against_enclosing_namespaces(tmp_path: Path) -> None:
    program, errors = _load(tmp_path, NAMESPACES_IDL)
    assert errors == []
    decls = _decls(program)
    thing = decls["A.B.IThing"]
    other = decls["A.B.C.IOther"]
    user = decls["D.IUser"]
    assert isinstance(other, Interface) and isinstance(user, Interface)
    targets = [m.params[0].type for m in other.methods]
    for t in targets[:3]:
        assert isinstance(t, PointerType) and isinstance(t.target, PointerType)
        inner = t.target.target
        assert isinstance(inner, NamedType) and inner.target is thing
    color = targets[3]
    assert isinstance(color, NamedType) and isinstance(color.target, Typedef)
    assert color.target.namespace == "A.B"
    tagged = color.target.type
    assert isinstance(tagged, TaggedType) and tagged.target is decls["A.B.Color"]
    # enumerators are scoped to their enum: D.Color.Red does not clash with A.B.Color.Red
    a_color = next(d for d in defined_declarations(program.files[0]) if isinstance(d, Enum))
    assert [m.value for m in a_color.members] == [1, 2]
    used = user.methods[0].params[1].type
    assert isinstance(used, TaggedType) and isinstance(used.target, Enum)
    assert used.target.namespace == "D"


@needs_corpus
def test_names_of_other_namespaces_need_qualification(tmp_path: Path) -> None:
    text = NAMESPACES_IDL.replace("[in] A.B.C.IOther *o", "[in] IOther *o")
    _program, errors = _load(tmp_path, text)
    assert errors == ["unknown type 'IOther'"]


@needs_corpus
def test_type_parameters_are_scoped_to_their_declaration(tmp_path: Path) -> None:
    text = """
    import "inspectable.idl";
    namespace N {
        [uuid(11111111-2222-3333-4444-555555555555)]
        interface IBox<T> : IInspectable { HRESULT Get([out, retval] T *value); }
        [uuid(11111111-2222-3333-4444-666666666666)]
        interface IBad : IInspectable { HRESULT Get([out, retval] T *value); }
    }
    """
    _program, errors = _load(tmp_path, text)
    assert errors == ["unknown type 'T'"]


# --------------------------------------------------------------------------- diagnostics

DIAGNOSTICS_IDL = """typedef long HRESULT;
namespace N {
    [contractversion(1.0)] apicontract C {}
    [uuid(11111111-2222-3333-4444-000000000001)] interface IBase { HRESULT F(); }
    [uuid(11111111-2222-3333-4444-000000000002)] interface IBox<T> { HRESULT Get([out] T *v); }
    [contract(N.C, 1.0), uuid(11111111-2222-3333-4444-000000000003)]
    interface IUse {
        HRESULT A([in] IBox<int, int> *x);
        HRESULT B([in] IBox *x);
        HRESULT D([in] IBase<int> *x);
    }
    [contract(N.NoSuch, 1.0)] runtimeclass R { [default] interface IBox<int>; }
    [contract(N.IBase, 1.0)] runtimeclass S : N.IBase { [default] interface C; }
    declare { interface IBase; interface IBox<int>; }
}
"""


def test_winrt_diagnostics(tmp_path: Path) -> None:
    path = tmp_path / "bad.idl"
    path.write_text(DIAGNOSTICS_IDL, encoding="utf-8")
    _program, diags = api.check([path], builtin_include=False)
    got = [f"{d.span.line}:{d.span.column}: {d.message}" for d in diags if d.is_error]
    assert got == [
        "8:24: parameterised interface 'IBox' takes 1 type argument, 2 given",
        "9:24: parameterised interface 'IBox' is used without type arguments "
        "(it takes 1 type argument: <T>)",
        "10:24: interface 'IBase' is not parameterised but is given 1 type argument",
        "12:15: unknown apicontract 'N.NoSuch'",
        "13:15: 'N.IBase' in [contract] is not an apicontract: it is an interface",
        "13:49: base of runtimeclass 'S' is not a runtimeclass: 'N.IBase' is an interface",
        "13:77: 'C' of runtimeclass 'S' is not an interface (it is an apicontract)",
        "14:25: 'IBase' in a declare block is not an instantiation of a parameterised "
        "interface or delegate",
    ]


# --------------------------------------------------------------------------- the winrt corpus


@needs_corpus
@pytest.mark.parametrize("rel", WINRT_FILES)
def test_winrt_corpus_file_checks_clean(rel: str) -> None:
    _program, errors = check_corpus(rel)
    assert errors == [], "\n".join(errors[:5])


@needs_corpus
@pytest.mark.parametrize(
    "files",
    [
        ["include/windows.ui.input.idl", "include/windows.ui.core.idl"],
        ["include/windows.ui.core.idl", "include/windows.ui.input.idl"],
    ],
)
def test_main_files_that_import_each_other_check_in_one_call(files: list[str]) -> None:
    # each is a main file and, through the other's imports, an imported file: one file still
    _program, diags = api.check(
        [CORPUS / f for f in files],
        include_dirs=[CORPUS / "include", CORPUS / "crt"],
        defines={"BOOL": "WINBOOL"},
    )
    assert [d.message for d in diags if d.is_error] == []


@needs_corpus
def test_all_95_winrt_files_are_listed() -> None:
    assert len(WINRT_FILES) == 95


@needs_corpus
def test_dump_json_has_namespaces_kinds_and_instantiation_iids(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(CORPUS)
    args = ["dump", "--json", "-D", "BOOL=WINBOOL", "-I", "include", "-I", "crt"]
    assert main([*args, "include/windows.foundation.idl"]) == 0
    decls = json.loads(capsys.readouterr().out)["declarations"]
    by_name = {(d["kind"], d["name"]): d for d in decls}
    uri = by_name[("runtimeclass", "Uri")]
    assert uri["namespace"] == "Windows.Foundation"
    assert uri["interfaces"][0] == {
        "name": "Windows.Foundation.IUriRuntimeClass",
        "default": True,
        "attributes": ["default"],
    }
    inst_ = by_name[("instantiation", "Windows.Foundation.Collections.IVector<HSTRING>")]
    assert inst_["iid"] == "98b9acc1-4b56-532e-ac73-03d5291cca90"
    assert inst_["args"] == ["HSTRING"]
    assert inst_["generic"] == "Windows.Foundation.Collections.IVector"
    assert inst_["c_name"] == "__FIVector_1_HSTRING"
    assert by_name[("delegate", "AsyncActionCompletedHandler")]["namespace"] == "Windows.Foundation"
    assert main([*args, "include/windows.foundation.collections.idl"]) == 0
    decls = json.loads(capsys.readouterr().out)["declarations"]
    vector = next(d for d in decls if d["kind"] == "interface" and d["name"] == "IVector")
    assert vector["type_params"] == ["T"]
    assert vector["namespace"] == "Windows.Foundation.Collections"
    assert main([*args, "include/windowscontracts.idl"]) == 0
    decls = json.loads(capsys.readouterr().out)["declarations"]
    contract = next(d for d in decls if d["kind"] == "apicontract")
    assert contract["namespace"] == "Windows.Foundation" and contract["version"]


@needs_corpus
def test_generate_says_winrt_is_not_generated_yet() -> None:
    from idlgen.api import CompileError

    with pytest.raises(CompileError) as info:
        api.render(
            [CORPUS / "include/windows.foundation.idl"],
            include_dirs=[CORPUS / "include", CORPUS / "crt"],
            defines={"BOOL": "WINBOOL"},
        )
    messages = [d.message for d in info.value.diagnostics if d.is_error]
    assert messages, "no error"
    for m in messages:
        assert "WinRT" in m and "not generated yet" in m, m


@needs_corpus
def test_generate_command_on_a_winrt_file_fails_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(CORPUS)
    out = tmp_path / "out"
    args = ["generate", "-D", "BOOL=WINBOOL", "-I", "include", "-I", "crt", "-o", str(out)]
    assert main([*args, "include/windows.ui.idl"]) == 1
    err = capsys.readouterr().err
    assert re.search(
        r"^include/windows\.ui\.idl:\d+:\d+: error: .*WinRT.*not generated yet", err, re.M
    )
    assert "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())


# --------------------------------------------------------------------------- differential: widl


def _method_kind(m: Method) -> str:
    for k in ("propget", "propput", "propputref", "eventadd", "eventremove"):
        if m.has_attr(k):
            return k
    return "method"


def _vtable(iface: Interface | None, seen: set[int] | None = None) -> list[str]:
    """Method C names of *iface*'s whole vtable (bases first)."""
    if iface is None:
        return []
    seen = seen if seen is not None else set()
    if id(iface) in seen:
        return []
    seen.add(id(iface))
    own = [winrt.method_c_name(m.name, _method_kind(m)) for m in iface.methods]
    return _vtable(iface.base_interface, seen) + own


_IUNKNOWN = ["QueryInterface", "AddRef", "Release"]


_NS_PREFIX = re.compile(r"^\s*#\s*pragma\s+winrt\s+ns_prefix\b", re.MULTILINE)


def uses_abi_prefix(f: IdlFile) -> bool:
    """Whether *f* says ``#pragma winrt ns_prefix`` (widl: the pragma of an imported file
    does not count for the declarations of the main file)."""
    return bool(_NS_PREFIX.search(Path(f.path).read_text(errors="replace")))


def _enum_facts(d: Enum, facts: dict[str, object], abi: bool) -> None:
    prefix = f"{d.name}_" if d.namespace else ""
    for m in d.members:
        facts[f"enum {winrt.c_name(d, abi_prefix=abi)}: {prefix}{m.name}"] = m.value


def idlgen_facts(f: IdlFile, abi: bool = True) -> dict[str, object]:
    """The facts widl's header states, as idlgen's model of *f* states them."""
    facts: dict[str, object] = {}
    for d in defined_declarations(f):
        if isinstance(d, Typedef) and isinstance(d.type, TaggedType):
            # widl's header repeats an imported enum that the file typedefs
            target = d.type.target
            if isinstance(target, Enum) and target.imported and target.name:
                _enum_facts(target, facts, abi)
        if isinstance(d, Interface) and not d.type_params and d.uuid is not None:
            name = winrt.c_name(d, abi_prefix=abi)
            facts[f"interface {name}: namespace+IID"] = d.uuid
            facts[f"interface {name}: vtable"] = _vtable(d)
        elif isinstance(d, Delegate) and not d.type_params:
            name = winrt.c_name(d, abi_prefix=abi)
            facts[f"delegate {name}: namespace+IID"] = d.uuid
            facts[f"delegate {name}: vtable"] = [*_IUNKNOWN, "Invoke"]
        elif isinstance(d, RuntimeClass):
            facts[f"runtimeclass {d.qualified_name}"] = True
        elif isinstance(d, Enum) and d.name:
            _enum_facts(d, facts, abi)
        elif isinstance(d, Declare):
            for t in d.instantiations:
                name = winrt.instantiation_c_name(t)
                try:
                    facts[f"instantiation {name}: IID"] = winrt.instantiation_iid(t)
                except winrt.SignatureError as exc:
                    facts[f"instantiation {name}: IID"] = f"error: {exc}"
                generic = t.target
                if isinstance(generic, Interface):
                    facts[f"instantiation {name}: vtable"] = _vtable(generic)
                elif isinstance(generic, Delegate):
                    facts[f"instantiation {name}: vtable"] = [*_IUNKNOWN, "Invoke"]
    return facts


def widl_facts_of(h: WinrtHeaderFacts) -> dict[str, object]:
    """The same facts, read from widl's header."""
    facts: dict[str, object] = {}
    for name, iid in h.iids.items():
        if name.startswith("__F"):
            facts[f"instantiation {name}: IID"] = iid
            facts[f"instantiation {name}: vtable"] = h.methods.get(name)
        else:
            vtable = h.methods.get(name) or []
            kind = "delegate" if vtable == [*_IUNKNOWN, "Invoke"] else "interface"
            facts[f"{kind} {name}: namespace+IID"] = iid
            facts[f"{kind} {name}: vtable"] = vtable
    for qualified in h.runtimeclasses:
        facts[f"runtimeclass {qualified}"] = True
    for name, members in h.enums.items():
        for member, value in members:
            facts[f"enum {name}: {member}"] = value
    return facts


def _delegate_or_interface(key: str, facts: dict[str, object]) -> str:
    """An interface whose only method is Invoke looks like a delegate in the header."""
    if key.startswith("delegate "):
        twin = "interface " + key[len("delegate ") :]
        if twin in facts:
            return twin
    return key


@pytest.fixture(scope="session")
def widl_headers() -> dict[str, WinrtHeaderFacts | str]:
    """widl's header facts of every winrt file (2 workers, once per session)."""
    if WIDL is None:
        pytest.skip("widl not found at ../shared/tools/widl or on PATH")
    if not HAVE_CORPUS:
        pytest.skip(f"corpus not found at {CORPUS}")
    return run_many(WIDL, CORPUS, WINRT_FILES, workers=2)


def _compare(rel: str, header: WinrtHeaderFacts | str) -> Iterator[str]:
    """One line per fact where idlgen and widl differ ('' for each fact that matches)."""
    if isinstance(header, str):
        yield f"{rel}: widl failed: {header.strip()[:200]}"
        return
    program, errors = check_corpus(rel)
    if errors:
        yield f"{rel}: idlgen check failed: {errors[0]}"
        return
    mine = idlgen_facts(program.files[0], uses_abi_prefix(program.files[0]))
    theirs = widl_facts_of(header)
    normalised = {}
    for key, value in mine.items():
        normalised[_delegate_or_interface(key, theirs)] = value
    for key in sorted(set(normalised) | set(theirs)):
        a, b = normalised.get(key, "<absent>"), theirs.get(key, "<absent>")
        yield "" if a == b else f"{rel}: {key}: idlgen {a!r} != widl {b!r}"


def test_winrt_files_match_widl(widl_headers: dict[str, WinrtHeaderFacts | str]) -> None:
    results = [line for rel in WINRT_FILES for line in _compare(rel, widl_headers[rel])]
    diffs = [r for r in results if r]
    total = len(results)
    rate = 100.0 * (total - len(diffs)) / total if total else 0.0
    print(f"\nwinrt differential vs widl: {total - len(diffs)}/{total} facts match ({rate:.2f}%)")
    for line in diffs[:40]:
        print("  " + line[:300])
    assert total > 1000
    assert not diffs, f"{len(diffs)} of {total} facts differ from widl, first: {diffs[0][:300]}"
