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
            },
        ],
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


def test_dump_text_is_readable() -> None:
    f = _sample()
    table = Resolver(DiagnosticSink()).resolve_run(f)
    text = dump_text(f, table)
    assert "interface IFoo : IUnknown  {0e3b2ab4-0a88-11d2-9b06-00c04fb1799a}  (line 7)" in text
    assert "[id 7] propget HRESULT Name([out, retval] BSTR* pVal)" in text
    assert "[default, source] DFooEvents" in text
    assert "S_OFF = 2" in text
