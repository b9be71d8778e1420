"""``idlgen dump``: the JSON contract and the text form."""

from __future__ import annotations

import json

from idlgen.backends.common.idl import expression_text, type_spelling
from idlgen.backends.dump import dump_json, dump_text
from idlgen.diagnostics import DiagnosticSink, Span
from idlgen.frontend.resolve import Resolver
from idlgen.model import (
    ArrayType,
    Attribute,
    BaseType,
    BinaryExpr,
    CoClass,
    CoClassMember,
    DispInterface,
    Enum,
    EnumMember,
    Field,
    IdlFile,
    Interface,
    Library,
    Literal,
    Method,
    NamedType,
    NameExpr,
    Param,
    PointerType,
    SafeArrayType,
    Struct,
    TaggedType,
    Typedef,
    UnaryExpr,
)


def at(line: int, col: int = 1) -> Span:
    return Span("t.idl", line, col)


def test_type_spelling_is_c_like() -> None:
    assert type_spelling(PointerType(PointerType(NamedType("IDispatch")))) == "IDispatch**"
    assert type_spelling(NamedType("BSTR")) == "BSTR"
    assert type_spelling(PointerType(NamedType("WCHAR", is_const=True))) == "const WCHAR*"
    assert type_spelling(PointerType(SafeArrayType(NamedType("BSTR")))) == "SAFEARRAY(BSTR)*"
    assert type_spelling(ArrayType(NamedType("BYTE"), Literal(16, "16"))) == "BYTE[16]"
    assert type_spelling(TaggedType("struct", "tagPOINT")) == "struct tagPOINT"
    assert type_spelling(BaseType("unsigned long")) == "unsigned long"


def test_expression_text_parenthesises_only_where_needed() -> None:
    e = BinaryExpr(
        "*", BinaryExpr("+", NameExpr("a"), Literal(1, "1")), UnaryExpr("-", NameExpr("b"))
    )
    assert expression_text(e) == "(a + 1) * -b"
    assert (
        expression_text(
            BinaryExpr("+", NameExpr("a"), BinaryExpr("*", NameExpr("b"), NameExpr("c")))
        )
        == "a + b * c"
    )


def _sample() -> IdlFile:
    hresult = NamedType("HRESULT")
    unk = Interface("IUnknown", span=at(1), is_defined=False)
    state = Enum(
        "tagSTATE",
        members=[EnumMember("S_ON", Literal(1, "1"), span=at(3)), EnumMember("S_OFF", span=at(4))],
        typedef_name="STATE",
        span=at(2, 9),
    )
    state_td = Typedef("STATE", TaggedType("enum", "tagSTATE", definition=state), span=at(2))
    fwd = Interface("IFoo", is_defined=False, span=at(5))
    foo = Interface(
        "IFoo",
        base=NamedType("IUnknown"),
        attributes=[
            Attribute("object"),
            Attribute("uuid", ["0e3b2ab4-0a88-11d2-9b06-00c04fb1799a"]),
            Attribute("dual"),
        ],
        body=[
            Method(
                "Name",
                hresult,
                [
                    Param(
                        "pVal",
                        PointerType(NamedType("BSTR")),
                        attributes=[Attribute("out"), Attribute("retval")],
                    )
                ],
                attributes=[Attribute("propget"), Attribute("id", [Literal(7, "7")])],
                span=at(8, 5),
            ),
            Method(
                "Go",
                hresult,
                [
                    Param(
                        "mode",
                        NamedType("STATE"),
                        attributes=[
                            Attribute("in"),
                            Attribute("defaultvalue", [NameExpr("S_OFF")]),
                        ],
                    ),
                    Param(
                        "p",
                        PointerType(BaseType("long")),
                        attributes=[Attribute("in"), Attribute("out")],
                    ),
                ],
                span=at(9, 5),
            ),
        ],
        span=at(7, 11),
    )
    events = DispInterface(
        "DFooEvents",
        attributes=[Attribute("uuid", ["0e3b2ab4-0a88-11d2-9b06-00c04fb1799b"])],
        properties=[
            Field("Count", BaseType("long"), attributes=[Attribute("id", [Literal(1, "1")])])
        ],
        methods=[
            Method("Fired", BaseType("void"), attributes=[Attribute("id", [Literal(2, "2")])])
        ],
        span=at(12),
    )
    cls = CoClass(
        "Foo",
        attributes=[Attribute("uuid", ["0e3b2ab4-0a88-11d2-9b06-00c04fb1799c"])],
        interfaces=[
            CoClassMember(NamedType("IFoo"), attributes=[Attribute("default")]),
            CoClassMember(
                NamedType("DFooEvents"),
                is_dispinterface=True,
                attributes=[Attribute("default"), Attribute("source")],
            ),
        ],
        span=at(15),
    )
    lib = Library(
        "FooLib",
        attributes=[
            Attribute("uuid", ["0e3b2ab4-0a88-11d2-9b06-00c04fb1799d"]),
            Attribute("version", [Literal(1.0, "1.0", kind="float")]),
        ],
        body=[events, cls],
        span=at(11),
    )
    pt = Struct(
        "tagPT",
        fields=[Field("x", BaseType("long")), Field("y", BaseType("long"))],
        typedef_name="PT",
        span=at(20),
    )
    pt_td = Typedef("PT", TaggedType("struct", "tagPT", definition=pt), span=at(20))
    ppt_td = Typedef("PPT", PointerType(TaggedType("struct", "tagPT", definition=pt)), span=at(20))
    return IdlFile("t.idl", [unk, state, state_td, fwd, foo, lib, pt, pt_td, ppt_td])


def _dumped() -> dict[str, object]:
    f = _sample()
    sink = DiagnosticSink()
    # HRESULT/BSTR are unknown here: resolution reports them, values still evaluate
    table = Resolver(sink).resolve_run(f)
    data = dump_json(f, table)
    json.dumps(data)  # serialisable
    return data


def test_dump_json_lists_definitions_in_source_order_flattened() -> None:
    data = _dumped()
    assert data["file"] == "t.idl"
    decls = data["declarations"]
    assert isinstance(decls, list)
    assert [(d["kind"], d["name"]) for d in decls] == [
        ("enum", "STATE"),
        ("interface", "IFoo"),
        ("library", "FooLib"),
        ("dispinterface", "DFooEvents"),
        ("coclass", "Foo"),
        ("struct", "PT"),
        ("typedef", "PPT"),
    ]


def test_dump_json_interface_contract() -> None:
    decls = _dumped()["declarations"]
    assert isinstance(decls, list)
    enum, foo = decls[0], decls[1]
    assert enum == {
        "kind": "enum",
        "name": "STATE",
        "location": {"line": 2, "column": 9},
        "tag": "tagSTATE",
        "typedef": "STATE",
        "members": [{"name": "S_ON", "value": 1}, {"name": "S_OFF", "value": 2}],
        "namespace": None,
        "helpstring": None,
    }
    assert foo == {
        "kind": "interface",
        "name": "IFoo",
        "location": {"line": 7, "column": 11},
        "uuid": "0e3b2ab4-0a88-11d2-9b06-00c04fb1799a",
        "base": "IUnknown",
        "attributes": ["object", "uuid", "dual"],
        "namespace": None,
        "helpstring": None,
        "type_params": [],
        "requires": [],
        "methods": [
            {
                "name": "Name",
                "kind": "propget",
                "id": 7,
                "return_type": "HRESULT",
                "params": [
                    {
                        "name": "pVal",
                        "type": "BSTR*",
                        "direction": "out",
                        "retval": True,
                        "optional": False,
                        "default": None,
                    }
                ],
                "helpstring": None,
                "local": False,
                "call_as": None,
            },
            {
                "name": "Go",
                "kind": "method",
                "id": None,
                "return_type": "HRESULT",
                "params": [
                    {
                        "name": "mode",
                        "type": "STATE",
                        "direction": "in",
                        "retval": False,
                        "optional": True,
                        "default": 2,
                    },
                    {
                        "name": "p",
                        "type": "long*",
                        "direction": "in,out",
                        "retval": False,
                        "optional": False,
                        "default": None,
                    },
                ],
                "helpstring": None,
                "local": False,
                "call_as": None,
            },
        ],
        "call_as_methods": [],
    }


def test_dump_json_dispinterface_coclass_library_struct() -> None:
    decls = _dumped()["declarations"]
    assert isinstance(decls, list)
    lib, disp, cls, pt, ppt = decls[2:]
    assert lib["uuid"] == "0e3b2ab4-0a88-11d2-9b06-00c04fb1799d" and lib["version"] == "1.0"
    assert disp["properties"] == [{"name": "Count", "type": "long", "id": 1}]
    assert [m["id"] for m in disp["methods"]] == [2]
    assert disp["interface"] is None
    assert cls["interfaces"] == [
        {"name": "IFoo", "default": True, "source": False},
        {"name": "DFooEvents", "default": True, "source": True},
    ]
    assert pt["tag"] == "tagPT" and pt["typedef"] == "PT"
    assert pt["fields"] == [{"name": "x", "type": "long"}, {"name": "y", "type": "long"}]
    assert ppt["type"] == "struct tagPT*"
    assert ppt["target"] == {"kind": "struct", "name": "PT"}
    assert ppt["resolved_type"] == "struct tagPT*"


def test_dump_text_is_readable() -> None:
    f = _sample()
    table = Resolver(DiagnosticSink()).resolve_run(f)
    text = dump_text(f, table)
    assert "interface IFoo : IUnknown  {0e3b2ab4-0a88-11d2-9b06-00c04fb1799a}  (line 7)" in text
    assert "[id 7] propget HRESULT Name([out, retval] BSTR* pVal)" in text
    assert "[default, source] DFooEvents" in text
    assert "S_OFF = 2" in text


# --------------------------------------------------------------------------- issue 14 item 5


COMPLETE_IDL = """
import "oaidl.idl";
typedef struct tagS {
    int kind;
    [switch_is(kind)] union {
        [case(1)] int a;
        [case(2)] struct { short lo; short hi; };
        [default] float f;
    };
} S, *PS;
typedef union tagU switch (long d) u { case 1: long l; case 2: case 3: double dd; default: ; } U;
typedef PS *PPS;
typedef DWORD MYDWORD;
[object, uuid(11111111-1111-1111-1111-111111111111)]
interface IFoo : IUnknown {
    [local] HRESULT Next([in] ULONG n, [out] S *s);
    [call_as(Next)] HRESULT RemoteNext([in] ULONG n, [out] S *s);
    HRESULT Other(void);
}
typedef IFoo *LPFOO;
[uuid(22222222-1111-1111-1111-111111111111)] library L {
  [dllname("foo.dll"), uuid(33333333-1111-1111-1111-111111111111)]
  module M {
     const long C1 = 5;
     [entry("FooEntry")] HRESULT Foo([in] long a, [out, retval] BSTR *b);
     [entry(12)] long Bar(void);
  };
}
"""

WINRT_EVENTS_IDL = """
#pragma winrt ns_prefix
import "unknwn.idl";
typedef struct EventRegistrationToken { __int64 value; } EventRegistrationToken;
namespace N {
    interface IThing;
    [uuid(55555555-1111-1111-1111-111111111111)]
    delegate HRESULT Handler([in] IThing *sender);
    [uuid(44444444-1111-1111-1111-111111111111)]
    interface IThing : IUnknown
    {
        [eventadd] HRESULT Changed([in] Handler *handler,
                                   [out, retval] EventRegistrationToken *token);
        [eventremove] HRESULT Changed([in] EventRegistrationToken token);
    }
}
"""


def _dump_text_of(text: str, name: str = "t.idl") -> dict[str, dict[str, object]]:
    """{(kind name): declaration} of the dump of IDL *text* (resolved without errors)."""
    from idlgen.frontend import Loader

    sink = DiagnosticSink()
    loader = Loader(sink=sink)
    f = loader.load_main(name, text=text)
    assert not [d.message for d in sink.diagnostics if d.is_error]
    decls = dump_json(f, loader.program.symbols.get(f.path))["declarations"]
    assert isinstance(decls, list)
    return {f"{d['kind']} {d['name']}": d for d in decls}


def test_dump_json_methods_have_local_and_call_as() -> None:
    foo = _dump_text_of(COMPLETE_IDL)["interface IFoo"]
    methods, wire = foo["methods"], foo["call_as_methods"]
    assert isinstance(methods, list) and isinstance(wire, list)
    assert [(m["name"], m["local"], m["call_as"]) for m in methods] == [
        ("Next", True, None),
        ("Other", False, None),
    ]
    assert [(m["name"], m["local"], m["call_as"]) for m in wire] == [("RemoteNext", False, "Next")]


def test_dump_json_module_with_dllname_entries_and_constants() -> None:
    decls = _dump_text_of(COMPLETE_IDL)
    module = decls["module M"]
    assert module["dllname"] == "foo.dll"
    assert module["functions"] == ["Foo", "Bar"] and module["constants"] == ["C1"]
    assert decls["function Foo"]["entry"] == "FooEntry"
    assert decls["function Bar"]["entry"] == 12
    assert decls["function Foo"]["module"] == "M"
    assert decls["const C1"]["module"] == "M" and decls["const C1"]["value"] == 5


def test_dump_json_unions_have_their_arms_and_cases() -> None:
    decls = _dump_text_of(COMPLETE_IDL)
    u = decls["union U"]
    assert (u["switch_type"], u["switch_name"]) == ("long", "d")
    assert u["fields"] == [
        {"name": "l", "type": "long", "cases": [1], "default": False},
        {"name": "dd", "type": "double", "cases": [2, 3], "default": False},
        {"name": None, "type": "void", "cases": [], "default": True},
    ]
    fields = decls["struct S"]["fields"]
    assert isinstance(fields, list)
    anonymous = fields[1]
    assert anonymous["name"] is None and anonymous["type"] == "union"
    arms = anonymous["definition"]
    assert arms["kind"] == "union" and arms["tag"] is None
    assert [(a["name"], a["cases"], a["default"]) for a in arms["fields"]] == [
        ("a", [1], False),
        (None, [2], False),
        ("f", [], True),
    ]
    inner = arms["fields"][1]["definition"]
    assert inner["kind"] == "struct"
    assert inner["fields"] == [{"name": "lo", "type": "short"}, {"name": "hi", "type": "short"}]


def test_dump_json_typedefs_have_their_target() -> None:
    decls = _dump_text_of(COMPLETE_IDL)
    assert decls["typedef PPS"]["type"] == "PS*"
    assert decls["typedef PPS"]["target"] == {"kind": "struct", "name": "S"}
    assert decls["typedef PPS"]["resolved_type"] == "struct tagS**"
    assert decls["typedef LPFOO"]["target"] == {"kind": "interface", "name": "IFoo"}
    assert decls["typedef MYDWORD"]["target"] is None
    assert decls["typedef MYDWORD"]["resolved_type"] == "unsigned long"


def test_dump_json_winrt_event_accessors() -> None:
    thing = _dump_text_of(WINRT_EVENTS_IDL)["interface IThing"]
    methods = thing["methods"]
    assert isinstance(methods, list)
    assert [(m["name"], m["kind"]) for m in methods] == [
        ("Changed", "eventadd"),
        ("Changed", "eventremove"),
    ]
