"""Parser tests: each MIDL construct the grammar supports becomes the expected model nodes."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import pytest

from idlgen.api import check
from idlgen.diagnostics import Diagnostic, DiagnosticSink
from idlgen.frontend import Program
from idlgen.frontend.parser import parse_text
from idlgen.frontend.preprocess import preprocess
from idlgen.model import (
    ArrayType,
    BaseType,
    BinaryExpr,
    CastExpr,
    CoClass,
    Const,
    CppQuote,
    Declare,
    Delegate,
    DispInterface,
    Enum,
    Function,
    FunctionType,
    IdlFile,
    ImportLib,
    Interface,
    Library,
    Literal,
    Module,
    NamedType,
    NameExpr,
    Namespace,
    PointerType,
    Pragma,
    RuntimeClass,
    SafeArrayType,
    SizeofExpr,
    Struct,
    TaggedType,
    Typedef,
    Union,
    Variable,
)


def parse(text: str) -> IdlFile:
    sink = DiagnosticSink()
    f = parse_text(text, "t.idl", sink)
    assert not sink.diagnostics, [d.message for d in sink.diagnostics]
    return f


def parse_error(text: str) -> tuple[int, int, str]:
    sink = DiagnosticSink()
    f = parse_text(text, "t.idl", sink)
    assert f.declarations == []
    d = sink.diagnostics[0]
    assert d.is_error
    return d.span.line, d.span.column, d.message


T = TypeVar("T")


def only(f: IdlFile, kind: type[T]) -> T:
    nodes = [d for d in f.walk() if isinstance(d, kind)]
    assert len(nodes) == 1, nodes
    return nodes[0]


# --------------------------------------------------------------------------- file level


def test_import_importlib_cpp_quote_pragma() -> None:
    f = parse(
        'import "oaidl.idl", "ocidl.idl";\n'
        'cpp_quote("#define X \\"y\\"")\n'
        "midl_pragma warning(disable: 2111)\n"
        'library L { importlib("stdole2.tlb"); };\n'
    )
    assert [i.name for i in f.imports] == ["oaidl.idl", "ocidl.idl"]
    assert f.imports[1].span.line == 1 and f.imports[1].span.column == 21
    assert only(f, CppQuote).text == '#define X "y"'
    assert only(f, Pragma).text.startswith("warning(")
    assert only(f, ImportLib).name == "stdole2.tlb"


def test_interface_with_attributes_base_methods_and_forward() -> None:
    f = parse(
        "interface IFwd;\n"
        "[object, uuid(12345678-1234-1234-1234-1234567890AB), dual, "
        'helpstring("A \\"quoted\\" thing"), pointer_default(unique)]\n'
        "interface IThing : IDispatch {\n"
        "  [propget, id(1)] HRESULT Name([out, retval] BSTR *pName);\n"
        "  [propput, id(1)] HRESULT Name([in] BSTR name);\n"
        "  [id(2)] HRESULT Do([in, optional, defaultvalue(-1)] long n, [in] IUnknown*);\n"
        "  typedef enum { A, B } LOCAL_ENUM;\n"
        "};\n"
    )
    fwd, thing = [d for d in f.declarations if isinstance(d, Interface)]
    assert not fwd.is_defined and thing.is_defined
    assert thing.uuid == "12345678-1234-1234-1234-1234567890ab"
    assert thing.helpstring == 'A "quoted" thing'
    assert thing.base == NamedType("IDispatch")
    assert [m.name for m in thing.methods] == ["Name", "Name", "Do"]
    get, put, do = thing.methods
    assert get.kind == "propget" and put.kind == "propput"
    assert get.params[0].is_retval and get.params[0].direction == "out"
    assert get.params[0].type == PointerType(NamedType("BSTR"))
    assert do.params[0].is_optional and do.params[1].name is None
    assert any(isinstance(d, Typedef) for d in thing.body)
    assert thing.span.line == 3 and thing.span.column == 11


def test_uuid_forms_and_empty_attributes() -> None:
    f = parse(
        '[uuid("{AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}"),, object] interface A : IUnknown {}\n'
        "[ , uuid(aaaaaaaa-0000-0000-0000-000000000001)] interface B : IUnknown {}\n"
    )
    a, b = f.declarations
    assert a.uuid == "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" and a.has_attr("object")
    assert b.uuid == "aaaaaaaa-0000-0000-0000-000000000001"


def test_dispinterface_both_forms_and_coclass() -> None:
    f = parse(
        "[uuid(00000000-0000-0000-0000-000000000001)] dispinterface DEvents {\n"
        "  properties: [id(1)] long Count;\n"
        "  methods: [id(2)] void OnThing([in] long a, [in, out] VARIANT_BOOL *handled);\n"
        "};\n"
        "dispinterface DWrap { interface IThing; };\n"
        "coclass C { [default] interface IThing; [default, source] dispinterface DEvents; };\n"
    )
    events = [d for d in f.declarations if isinstance(d, DispInterface)]
    assert [p.name for p in events[0].properties] == ["Count"]
    assert events[0].methods[0].params[1].direction == "in,out"
    assert events[1].interface == NamedType("IThing")
    co = only(f, CoClass)
    assert [m.type.name for m in co.interfaces] == ["IThing", "DEvents"]
    assert co.interfaces[1].is_source and co.interfaces[1].is_dispinterface


def test_library_and_module() -> None:
    f = parse(
        "[uuid(00000000-0000-0000-0000-000000000002), version(1.0)] library Lib {\n"
        '  [dllname("x.dll")] module M { [entry(1)] HRESULT __stdcall F([in] int a); '
        "const int K = 3; };\n"
        "};\n"
    )
    lib = only(f, Library)
    assert lib.get_attr("version") is not None
    mod = only(f, Module)
    fn = next(d for d in mod.body if isinstance(d, Function))
    assert fn.calling_convention == "__stdcall" and fn.has_attr("entry")
    assert [d.name for d in mod.body if isinstance(d, Const)] == ["K"]


# --------------------------------------------------------------------------- types


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        ("unsigned long int", "unsigned long"),
        ("long long", "long long"),
        ("unsigned", "unsigned int"),
        ("signed char", "signed char"),
        ("short int", "short"),
        ("unsigned __int64", "unsigned __int64"),
        ("hyper", "hyper"),
        ("wchar_t", "wchar_t"),
        ("signed int", "int"),
    ],
)
def test_c_type_keywords_are_normalised(spelling: str, name: str) -> None:
    f = parse(f"typedef {spelling} T;")
    assert only(f, Typedef).type == BaseType(name)


def test_typedef_multiple_declarators_and_inline_struct() -> None:
    f = parse("typedef struct tagP { long x; long y; } P, *PP, ARR[4];")
    p, pp, arr = f.declarations
    assert isinstance(p, Typedef) and isinstance(p.type, TaggedType)
    definition = p.type.definition
    assert isinstance(definition, Struct) and definition.name == "tagP"
    assert definition.typedef_name == "P"
    assert [fl.name for fl in definition.fields] == ["x", "y"]
    assert isinstance(pp.type, PointerType)
    assert isinstance(arr.type, ArrayType) and arr.type.size == Literal(4, "4")


def test_pointers_arrays_function_pointers_and_bitfields() -> None:
    f = parse(
        "struct S {\n"
        "  unsigned int flag : 1;\n"
        "  const char * const name;\n"
        "  long *table[3];\n"
        "  long (*rows)[3];\n"
        "  HRESULT (__stdcall *callback)(int a, void *ctx);\n"
        "  [size_is(n)] byte *data;\n"
        "  byte tail[];\n"
        "};\n"
    )
    s = only(f, Struct)
    flag, name, table, rows, callback, data, tail = s.fields
    assert flag.bits == Literal(1, "1")
    assert name.type == PointerType(BaseType("char", is_const=True), is_const=True)
    assert table.type == ArrayType(PointerType(BaseType("long")), Literal(3, "3"))
    assert rows.type == PointerType(ArrayType(BaseType("long"), Literal(3, "3")))
    assert isinstance(callback.type, PointerType)
    fn = callback.type.target
    assert isinstance(fn, FunctionType) and [p.name for p in fn.params] == ["a", "ctx"]
    assert data.has_attr("size_is")
    assert tail.type == ArrayType(BaseType("byte"), None)


def test_unions_encapsulated_and_not() -> None:
    f = parse(
        "typedef union U1 switch (long kind) u { case 1: long a; case 2: case 3: BSTR b; "
        "default: ; } U1;\n"
        "typedef [switch_type(DWORD)] union U2 { [case(1)] long a; [default] ; } U2;\n"
    )
    u1, u2 = (d.type.definition for d in f.declarations if isinstance(d, Typedef))  # type: ignore[attr-defined]
    assert isinstance(u1, Union) and u1.switch_name == "kind" and u1.arm_name == "u"
    assert [fl.cases for fl in u1.fields][:2] == [
        [Literal(1, "1")],
        [Literal(2, "2"), Literal(3, "3")],
    ]
    assert u1.fields[2].is_default
    assert isinstance(u2, Union) and u2.switch_type is None
    assert u2.fields[0].has_attr("case") and u2.fields[1].has_attr("default")


def test_enum_values_and_trailing_comma() -> None:
    f = parse("typedef [v1_enum] enum E { A = 1, B, C = A | 0x10, D = 1 << 4, } E;")
    e = only(f, Typedef).type
    assert isinstance(e, TaggedType) and isinstance(e.definition, Enum)
    members = e.definition.members
    assert [m.name for m in members] == ["A", "B", "C", "D"]
    assert isinstance(members[2].expr, BinaryExpr) and members[2].expr.op == "|"


def test_safearray_and_interface_types() -> None:
    f = parse(
        "typedef SAFEARRAY(BSTR) NAMES;\n"
        "typedef [wire_marshal(wirePSAFEARRAY)] SAFEARRAY *LPSAFEARRAY;\n"
        "typedef interface IThing *LPTHING;\n"
    )
    names, lpsa, lpthing = f.declarations
    assert names.type == SafeArrayType(NamedType("BSTR"))  # type: ignore[attr-defined]
    assert lpsa.type == PointerType(NamedType("SAFEARRAY"))  # type: ignore[attr-defined]
    assert lpthing.type == PointerType(NamedType("IThing"))  # type: ignore[attr-defined]


def test_const_expressions_casts_and_sizeof() -> None:
    f = parse(
        "const DWORD A = ((DWORD) (~ (B)));\n"
        "const OLECHAR *P = (OLECHAR *) ((INT_PTR) -1);\n"
        "const UINT16 Q = 64 / sizeof (DWORD);\n"
        'const WCHAR *S = L"wide";\n'
        "const char C = 'x';\n"
        "const double F = 1.5e3;\n"
        "const long H = 0x7fffffffL;\n"
    )
    a, p, q, s, c, fl, h = (d for d in f.declarations if isinstance(d, Const))
    assert isinstance(a.expr, CastExpr) and a.expr.type == NamedType("DWORD")
    assert isinstance(p.expr, CastExpr) and p.expr.type == PointerType(NamedType("OLECHAR"))
    assert isinstance(q.expr, BinaryExpr) and isinstance(q.expr.right, SizeofExpr)
    assert s.expr == Literal("wide", 'L"wide"', "wstring")
    assert c.expr == Literal(ord("x"), "'x'", "char")
    assert fl.expr == Literal(1500.0, "1.5e3", "float")
    assert h.expr == Literal(0x7FFFFFFF, "0x7fffffffL")


def test_c_header_declarations() -> None:
    f = parse(
        "extern const IID IID_IThing;\n"
        "HRESULT __stdcall CoThing(REFCLSID rclsid, void **ppv);\n"
        "struct S;\n"
    )
    v, fn, s = f.declarations
    assert isinstance(v, Variable) and v.name == "IID_IThing"
    assert isinstance(fn, Function) and fn.calling_convention == "__stdcall"
    assert isinstance(s, Struct) and not s.is_defined


def test_keywords_stay_usable_as_names() -> None:
    f = parse(
        "interface I : IUnknown { HRESULT F([in] long version, [in] long source, "
        "[in] long methods, [in] long properties); }"
    )
    assert [p.name for p in only(f, Interface).methods[0].params] == [
        "version",
        "source",
        "methods",
        "properties",
    ]


# --------------------------------------------------------------------------- WinRT


def test_winrt_constructs() -> None:
    f = parse(
        "namespace Windows.Foo {\n"
        "  apicontract FooContract {}\n"
        "  delegate HRESULT Handler<TSender, TArgs>([in] TSender sender, [in] TArgs args);\n"
        "  [contract(Windows.Foo.FooContract, 1.0), exclusiveto(Windows.Foo.Thing)]\n"
        "  interface IThing : IInspectable requires IOther { HRESULT M([out, retval] INT32 *v); }\n"
        "  interface IVector<T> : IInspectable {\n"
        "    HRESULT GetAt([in] UINT32 i, [out, retval] T *v); }\n"
        "  declare { interface Windows.Foo.IVector<HSTRING>; }\n"
        "  [activatable(Windows.Foo.FooContract, 1.0)] runtimeclass Thing : Base "
        "{ [default] interface Windows.Foo.IThing; }\n"
        "  namespace Inner { interface IInner; }\n"
        "}\n"
    )
    ns = [d for d in f.walk() if isinstance(d, Namespace)]
    assert [n.name for n in ns] == ["Windows.Foo", "Windows.Foo.Inner"]
    delegate = only(f, Delegate)
    assert delegate.type_params == ["TSender", "TArgs"] and delegate.namespace == "Windows.Foo"
    ifaces = {i.name: i for i in f.walk() if isinstance(i, Interface)}
    assert ifaces["IVector"].type_params == ["T"]
    assert ifaces["IInner"].namespace == "Windows.Foo.Inner"
    excl = ifaces["IThing"].get_attr("exclusiveto")
    assert excl is not None and excl.args == [NamedType("Windows.Foo.Thing")]
    contract = ifaces["IThing"].get_attr("contract")
    assert contract is not None and contract.args[0] == NameExpr("Windows.Foo.FooContract")
    declare = only(f, Declare)
    assert declare.instantiations == [NamedType("Windows.Foo.IVector", [NamedType("HSTRING")])]
    rc = only(f, RuntimeClass)
    assert rc.qualified_name == "Windows.Foo.Thing" and rc.interfaces[0].is_default


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            "interface I : IUnknown { HRESULT F() }",
            (1, 38),
            "syntax error: unexpected '}', expected ';' after the declaration",
        ),
        ("typedef long;", (1, 13), "syntax error: unexpected ';', expected a name"),
        ("interface I {", (1, 14), "syntax error: unexpected end of file, expected '}'"),
        ("const long X = 1 +;", (1, 19), "syntax error: unexpected ';', expected an expression"),
        ("HRESULT F([in] long a b);", (1, 23), "syntax error: unexpected 'b', expected ')'"),
        ("interface I @", (1, 13), "syntax error: unexpected character '@'"),
        # a missing `;` before the next method's attributes: said where it is missing
        (
            "interface I : IUnknown { HRESULT F()\n  [propget, id(2)] HRESULT G(); }",
            (1, 37),
            "syntax error: expected ';' after the method declaration",
        ),
        (
            "interface I : IUnknown { HRESULT F([in] long a) /* c */\n  [id(2)] HRESULT G(); }",
            (1, 48),
            "syntax error: expected ';' after the method declaration",
        ),
        (
            "dispinterface D { properties: methods: [id(1)] void F()\n  [id(2)] void G(); };",
            (1, 56),
            "syntax error: expected ';' after the method declaration",
        ),
        (
            "interface I : IUnknown { HRESULT F()\n  HRESULT G(); }",
            (1, 37),
            "syntax error: expected ';' after the method declaration",
        ),
    ],
)
def test_syntax_errors_are_diagnostics(text: str, where: tuple[int, int], message: str) -> None:
    line, column, got = parse_error(text)
    assert (line, column) == where
    assert got.startswith(message)


def test_every_recoverable_syntax_error_is_reported() -> None:
    sink = DiagnosticSink()
    f = parse_text(
        "interface I : IUnknown {\n"
        "  HRESULT F([in] long a b);\n"
        "  HRESULT G();\n"
        "  long x y;\n"
        "}\n"
        "typedef struct { long a } S;\n",
        "t.idl",
        sink,
    )
    assert f.declarations == []  # nothing half-parsed reaches the resolver
    assert [(d.span.line, d.span.column) for d in sink.diagnostics] == [(2, 25), (4, 10), (6, 25)]


def test_a_missing_semicolon_after_a_method_is_repaired() -> None:
    sink = DiagnosticSink()
    parse_text(
        "interface I : IUnknown {\n"
        "  [id(1)] HRESULT F([in] BSTR s)\n"
        "  [propget, id(2)] HRESULT G([out, retval] long *n);\n"
        "  [id(3)] HRESULT H(long a b);\n"
        "}\n",
        "t.idl",
        sink,
    )
    # one error for the `;`, and the parse goes on from the next method's attributes
    assert [(d.span.line, d.span.column, d.message) for d in sink.diagnostics] == [
        (2, 33, "syntax error: expected ';' after the method declaration"),
        (4, 28, "syntax error: unexpected 'b', expected ')'"),
    ]


def test_error_positions_map_through_includes(tmp_path: Path) -> None:
    (tmp_path / "inc.h").write_text("\n\ntypedef long A;\ntypedef long long;\n")
    main = tmp_path / "main.idl"
    main.write_text('#include "inc.h"\ninterface I;\n')
    sink = DiagnosticSink()
    source = preprocess(str(main), include_dirs=[], sink=sink)
    parse_text(source.text, str(main), sink, locate=source.locate)
    (d,) = sink.diagnostics
    assert d.span.file.endswith("inc.h") and d.span.line == 4


def test_invalid_uuid_is_an_error() -> None:
    assert parse_error("[uuid(zzzz)] interface A;")[2] == "invalid uuid"
    line, column, message = parse_error('[uuid("1234-5678")] interface A;')
    assert (line, column, message) == (1, 7, "invalid uuid")


def test_declarator_without_name_is_located() -> None:
    line, column, message = parse_error("typedef long X, *;")
    assert (line, column, message) == (1, 9, "typedef declares no name")


def _check(tmp_path: Path, source: str) -> tuple[Program, list[Diagnostic]]:
    """Load *source* as a file of its own (no built-in includes)."""
    idl = tmp_path / "c.idl"
    idl.write_text(source)
    return check([idl], builtin_include=False)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("typedef unsigned long DWORD;\nconst DWORD X = (DWORD)-1;", 4294967295),
        ("const long X = (long)-1;", -1),
        ("const long B = 2;\nconst long X = (B) - 1;", 1),
    ],
)
def test_parenthesised_type_before_a_sign_is_a_cast(
    tmp_path: Path, source: str, expected: int
) -> None:
    program, diagnostics = _check(tmp_path, source)
    assert not diagnostics
    consts = [d for d in program.files[0].declarations if isinstance(d, Const)]
    assert consts[-1].value == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("typedef long A[-1];", "array dimension is negative (-1)"),
        ("const long X = 99999999999999999999999;", "integer constant is too large in constant"),
    ],
)
def test_out_of_range_constants_are_errors(tmp_path: Path, source: str, message: str) -> None:
    _program, diagnostics = _check(tmp_path, source)
    assert [d.message for d in diagnostics if d.is_error] == [message]
