"""Resolver tests on hand-built models (no parser needed) and on small IDL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from idlgen.diagnostics import DiagnosticSink, Span
from idlgen.frontend import loader as frontend
from idlgen.frontend.evaluate import evaluate_expression
from idlgen.frontend.resolve import Resolver
from idlgen.model import (
    Attribute,
    BaseType,
    BinaryExpr,
    CastExpr,
    ConditionalExpr,
    Const,
    Declaration,
    DispInterface,
    Enum,
    EnumMember,
    Field,
    IdlFile,
    Import,
    ImportLib,
    Interface,
    Literal,
    Method,
    NamedType,
    NameExpr,
    Param,
    PointerType,
    Typedef,
    UnaryExpr,
)


def at(line: int, col: int = 1, file: str = "t.idl") -> Span:
    return Span(file, line, col, line, col + 1)


def num(v: int) -> Literal:
    return Literal(v, str(v))


HRESULT = BaseType("long")  # stands in for the typedef in these tests


def iface(
    name: str,
    base: str | None,
    methods: list[Method],
    line: int,
    *,
    uuid: str | None = None,
    file: str = "t.idl",
    object_: bool = False,
) -> Interface:
    attrs = [Attribute("object")] if (uuid or object_) else []
    if uuid:
        attrs.append(Attribute("uuid", [uuid]))
    return Interface(
        name,
        base=NamedType(base, span=at(line, 20, file)) if base else None,
        body=list(methods),
        attributes=attrs,
        span=at(line, 11, file),
    )


def method(
    name: str, *params: Param, line: int = 1, attrs: list[Attribute] | None = None
) -> Method:
    return Method(name, HRESULT, list(params), attributes=attrs or [], span=at(line, 5))


def resolve(*decls: object, files: list[IdlFile] | None = None) -> tuple[IdlFile, DiagnosticSink]:
    sink = DiagnosticSink()
    main = IdlFile("t.idl", list(decls))  # type: ignore[arg-type]
    Resolver(sink).resolve_run(main)
    return main, sink


def messages(sink: DiagnosticSink) -> list[str]:
    return [f"{d.span.line}:{d.span.column}: {d.severity.value}: {d.message}" for d in sink]


UUID_A = "12345678-1234-1234-1234-123456789abc"
UUID_B = "12345678-1234-1234-1234-123456789abd"


def test_enum_values_implicit_increments_and_references() -> None:
    c = Const("BASE", BaseType("int"), BinaryExpr("<<", num(1), num(4)), span=at(1))
    e = Enum(
        "E",
        members=[
            EnumMember("a", NameExpr("BASE"), span=at(2)),
            EnumMember("b", span=at(3)),
            EnumMember("c", BinaryExpr("+", NameExpr("b"), num(10)), span=at(4)),
            EnumMember("d", UnaryExpr("-", num(1)), span=at(5)),
            EnumMember("e", span=at(6)),
            EnumMember("f", Literal("a", "'a'", kind="char"), span=at(7)),
        ],
        span=at(2),
    )
    _, sink = resolve(c, e)
    assert not sink.diagnostics
    assert c.value == 16
    assert [m.value for m in e.members] == [16, 17, 27, -1, 0, 97]


def test_constant_expressions_follow_c() -> None:
    assert evaluate_expression(BinaryExpr("/", num(-7), num(2))) == -3
    assert evaluate_expression(BinaryExpr("%", num(-7), num(2))) == -1
    assert evaluate_expression(ConditionalExpr(num(0), num(1), num(2))) == 2
    assert evaluate_expression(CastExpr(BaseType("unsigned short"), num(-1))) == 0xFFFF
    assert evaluate_expression(UnaryExpr("~", num(0))) == -1
    assert evaluate_expression(NameExpr("nowhere")) is None


def test_undeclared_identifier_and_division_by_zero_are_errors() -> None:
    c1 = Const(
        "A", BaseType("int"), BinaryExpr("+", NameExpr("B", span=at(1, 15)), num(1)), span=at(1)
    )
    c2 = Const("C", BaseType("int"), BinaryExpr("/", num(1), num(0), span=at(2, 15)), span=at(2))
    _, sink = resolve(c1, c2)
    assert messages(sink) == [
        "1:15: error: use of undeclared identifier 'B' in constant",
        "2:15: error: division by zero in constant",
    ]
    assert c1.value is None


def test_names_are_bound_and_forward_declarations_point_to_the_definition() -> None:
    unk = iface(
        "IUnknown", None, [method("QueryInterface"), method("AddRef"), method("Release")], 1
    )
    fwd = Interface("IB", is_defined=False, span=at(2))
    use = NamedType("IB", span=at(3, 30))
    a = iface("IA", "IUnknown", [method("f", Param("p", PointerType(PointerType(use))), line=3)], 3)
    b = iface("IB", "IA", [method("g", line=5), method("h", line=6)], 5)
    _, sink = resolve(unk, fwd, a, b)
    assert not sink.diagnostics
    assert use.target is b
    assert a.base is not None and a.base.target is unk
    assert [m.vtable_index for m in unk.methods] == [0, 1, 2]
    assert [m.vtable_index for m in a.methods] == [3]
    assert [m.vtable_index for m in b.methods] == [4, 5]


def test_unknown_type_suggests_a_close_name() -> None:
    lock = iface("IMsgrLock", None, [], 1)
    bad = NamedType("IMsgrLok", span=at(3, 35))
    a = iface("IA", None, [method("GetLock", Param("pp", PointerType(PointerType(bad))))], 2)
    _, sink = resolve(lock, a)
    (d,) = sink.diagnostics
    assert (d.span.line, d.span.column, d.message) == (3, 35, "unknown type 'IMsgrLok'")
    assert [n.message for n in d.notes] == ["did you mean 'IMsgrLock' (declared here)?"]
    assert d.notes[0].span.line == 1


def test_use_before_declaration_binds_to_the_later_declaration_like_midl() -> None:
    use = NamedType("T", span=at(1, 20))
    a = iface("IA", None, [method("f", Param("t", use))], 1)
    t = Typedef("T", BaseType("int"), span=at(2))
    _, sink = resolve(a, t)
    assert messages(sink) == []
    assert use.target is t


def test_interface_redefinition_reports_the_previous_declaration() -> None:
    a1 = iface("IA", None, [], 1)
    a2 = iface("IA", None, [], 4)
    _, sink = resolve(a1, a2)
    (d,) = sink.diagnostics
    assert d.message == "redefinition of interface 'IA'"
    assert d.span.line == 4
    assert d.notes[0].message == "'IA' previously declared at t.idl:1"
    assert d.notes[0].span.line == 1


def test_typedef_may_shadow_an_imported_typedef_but_not_one_of_the_same_file() -> None:
    imported = IdlFile("base.h", [Typedef("T", BaseType("int"), span=at(1, 13, "base.h"))])
    imp = Import("base.h", resolved=imported, span=at(1))
    t1 = Typedef("T", BaseType("long"), span=at(2, 14))
    t2 = Typedef("T", BaseType("short"), span=at(3, 15))
    use = NamedType("T", span=at(4))
    t3 = Typedef("U", use, span=at(4))
    _, sink = resolve(imp, t1, t2, t3)
    assert messages(sink) == ["3:15: error: redefinition of 'T'"]
    assert use.target is t2


def test_dispids_come_from_id_expressions() -> None:
    base = Const("DISPID_BASE", BaseType("int"), num(100), span=at(1))
    m = method(
        "Go",
        attrs=[Attribute("id", [BinaryExpr("+", NameExpr("DISPID_BASE"), num(1))])],
    )
    prop = Field("Name", BaseType("int"), attributes=[Attribute("id", [num(5)])], span=at(3))
    d = DispInterface("DFoo", properties=[prop], methods=[m], span=at(2))
    _, sink = resolve(base, d)
    assert not sink.diagnostics
    assert m.id == 101
    assert prop.id == 5


def test_method_checks_out_retval_propput_and_uuid() -> None:
    int_t = BaseType("int")
    a = iface(
        "IA",
        None,
        [
            method("f", Param("x", int_t, attributes=[Attribute("out")], span=at(2, 20)), line=2),
            method(
                "g",
                Param(
                    "r",
                    PointerType(int_t),
                    attributes=[Attribute("in"), Attribute("retval")],
                    span=at(3, 20),
                ),
                line=3,
            ),
            method(
                "h",
                Param(
                    "r",
                    PointerType(int_t),
                    attributes=[Attribute("out"), Attribute("retval")],
                    span=at(4, 20),
                ),
                Param("y", int_t, attributes=[Attribute("in")], span=at(4, 40)),
                line=4,
            ),
            method("put_x", line=5, attrs=[Attribute("propput")]),
        ],
        1,
        object_=True,
    )
    _, sink = resolve(a)
    assert messages(sink) == [
        "1:11: warning: object interface 'IA' has no uuid attribute",
        "2:20: error: [out] parameter 'x' of method 'f' is not a pointer",
        "3:20: error: [retval] parameter 'r' of method 'g' must be [out]",
        "4:20: error: [retval] parameter 'r' must be the last parameter of method 'h'",
        "5:5: error: [propput] method 'put_x' has no parameter for the value to set",
    ]


def test_duplicate_uuid_in_one_file_is_an_error() -> None:
    a = iface("IA", None, [], 1, uuid=UUID_A)
    b = iface("IB", None, [], 2, uuid=UUID_A)
    c = iface("IC", None, [], 3, uuid=UUID_B)
    _, sink = resolve(a, b, c)
    (d,) = sink.diagnostics
    assert d.is_error and d.span.line == 2
    assert d.message == f"uuid {UUID_A} of interface 'IB' is already used by 'IA'"


def test_imported_file_is_resolved_once_and_shared_between_runs() -> None:
    unk = iface("IUnknown", None, [method("QueryInterface")], 1, file="unk.idl")
    shared = IdlFile("unk.idl", [unk])
    sink = DiagnosticSink()
    resolver = Resolver(sink)
    for name in ("a.idl", "b.idl"):
        use = NamedType("IUnknown", span=at(2, 1, name))
        main = IdlFile(
            name,
            [
                Import("unk.idl", resolved=shared, span=at(1, 1, name)),
                iface("I" + name[0], None, [], 2, file=name),
            ],
        )
        main.declarations[1].base = use  # type: ignore[attr-defined]
        table = resolver.resolve_run(main)
        assert use.target is unk
        assert table.lookup_type("IUnknown") is unk
    assert not sink.diagnostics


def test_parameter_problems_in_local_interfaces_are_only_warnings() -> None:
    int_t = BaseType("int")
    a = iface(
        "IA",
        None,
        [method("f", Param("x", int_t, attributes=[Attribute("out")], span=at(2, 20)), line=2)],
        1,
        uuid=UUID_A,
    )
    a.attributes.append(Attribute("local"))
    _, sink = resolve(a)
    assert messages(sink) == ["2:20: warning: [out] parameter 'x' of method 'f' is not a pointer"]


def test_async_uuid_adds_the_async_twin_interface_like_widl() -> None:
    unk = iface("IUnknown", None, [method("QueryInterface")], 1)
    long_t = BaseType("long")
    a = iface(
        "IJob",
        "IUnknown",
        [
            method(
                "Run",
                Param("n", long_t, attributes=[Attribute("in")]),
                Param("r", PointerType(long_t), attributes=[Attribute("out")]),
                Param("io", PointerType(long_t), attributes=[Attribute("in"), Attribute("out")]),
            ),
            method("Wire", attrs=[Attribute("call_as", [NameExpr("Run")])]),
        ],
        2,
        uuid=UUID_A,
    )
    a.attributes.append(Attribute("async_uuid", [UUID_B]))
    main, sink = resolve(unk, a)
    assert not sink.diagnostics
    twin = main.declarations[2]
    assert isinstance(twin, Interface) and twin.name == "AsyncIJob" and twin.uuid == UUID_B
    assert twin.base is not None and twin.base.name == "IUnknown"
    assert [(m.name, [p.name for p in m.params]) for m in twin.methods] == [
        ("Begin_Run", ["n", "io"]),
        ("Finish_Run", ["r", "io"]),
    ]
    assert [m.vtable_index for m in twin.methods] == [1, 2]
    assert [m.vtable_index for m in a.methods] == [1, None]


# --------------------------------------------------------------------------- front end
# The import machinery, with a stand-in for the preprocessor and the parser (one
# declaration per line: ``import "x";``, ``typedef TYPE NAME;``, ``importlib("x");``).


_LINE = re.compile(r'\s*(?:import\s+"([^"]+)"|importlib\("([^"]+)"\)|typedef\s+(\w+)\s+(\w+))\s*;')


def _fake_parse(text: str, path: str, sink: DiagnosticSink, *_: object) -> IdlFile:
    decls: list[Declaration] = []
    for n, line in enumerate(text.splitlines(), 1):
        m = _LINE.match(line)
        if m is None:
            continue
        span = Span(path, n, line.index(m.group(m.lastindex or 1)) + 1)
        if m.group(1):
            decls.append(Import(m.group(1), span=span))
        elif m.group(2):
            decls.append(ImportLib(m.group(2), span=span))
        else:
            base = m.group(3)
            t = BaseType(base) if base in ("long", "int") else NamedType(base, span=span)
            decls.append(Typedef(m.group(4), t, span=span))
    PARSED.append(path)
    return IdlFile(path, decls)


PARSED: list[str] = []


@pytest.fixture
def fake_frontend(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    def fake_preprocess(
        path: str, text: str | None, *args: object
    ) -> tuple[str, None, list[object]]:
        return (Path(path).read_text() if text is None else text), None, []

    monkeypatch.setattr(frontend, "run_preprocessor", fake_preprocess)
    monkeypatch.setattr(frontend, "run_parser", _fake_parse)
    frontend.clear_cache()
    PARSED.clear()
    return PARSED


def _load(
    paths: list[Path], include_dirs: list[Path] | None = None
) -> tuple[frontend.Program, DiagnosticSink]:
    sink = DiagnosticSink()
    program = frontend.load(
        paths, include_dirs=include_dirs or [], sink=sink, builtin_include=False
    )
    return program, sink


def test_imports_are_searched_in_importer_dir_then_include_dirs(
    tmp_path: Path, fake_frontend: list[str]
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "inc").mkdir()
    (tmp_path / "src" / "local.idl").write_text("typedef long FROM_SRC;\n")
    (tmp_path / "inc" / "local.idl").write_text("typedef long FROM_INC;\n")
    (tmp_path / "inc" / "other.idl").write_text("typedef long OTHER;\n")
    main = tmp_path / "src" / "main.idl"
    main.write_text(
        'import "local.idl";\nimport "other.idl";\ntypedef FROM_SRC A;\ntypedef OTHER B;\n'
    )
    program, sink = _load([main], [tmp_path / "inc"])
    assert not sink.diagnostics
    assert [Path(f.path).parent.name for f in program.imports] == ["src", "inc"]
    assert all(d.imported for f in program.imports for d in f.declarations)
    assert not any(d.imported for d in program.files[0].declarations)


def test_import_not_found_is_reported_at_the_import(
    tmp_path: Path, fake_frontend: list[str]
) -> None:
    main = tmp_path / "main.idl"
    main.write_text('typedef long A;\n  import "nowhere.idl";\n')
    _, sink = _load([main])
    (d,) = sink.diagnostics
    assert (d.span.line, d.span.column) == (2, 11)
    assert d.message == "cannot find imported file 'nowhere.idl'"


def test_imports_are_parsed_once_and_cycles_end(tmp_path: Path, fake_frontend: list[str]) -> None:
    (tmp_path / "a.idl").write_text('import "b.idl";\ntypedef long A;\n')
    (tmp_path / "b.idl").write_text('import "a.idl";\ntypedef long B;\n')
    m1 = tmp_path / "m1.idl"
    m1.write_text('import "a.idl";\ntypedef A X;\ntypedef B Y;\n')
    m2 = tmp_path / "m2.idl"
    m2.write_text('import "b.idl";\ntypedef A X;\n')
    _, sink = _load([m1, m2])
    assert not sink.diagnostics
    _load([m1])  # a second run in the same process re-uses the parsed imports
    names = [Path(p).name for p in fake_frontend]
    assert sorted(names) == ["a.idl", "b.idl", "m1.idl", "m1.idl", "m2.idl"]


def test_importlib_stdole2_is_a_fallback_scope(tmp_path: Path, fake_frontend: list[str]) -> None:
    (tmp_path / "own.idl").write_text("typedef long OLE_COLOR;\n")
    lib = tmp_path / "stdole2.idl"
    lib.write_text("typedef long OLE_COLOR;\ntypedef long OLE_HANDLE;\n")
    main = tmp_path / "main.idl"
    main.write_text(
        'importlib("stdole2.tlb");\nimport "own.idl";\n'
        "typedef OLE_COLOR A;\ntypedef OLE_HANDLE B;\n"
    )
    original = dict(frontend.KNOWN_TYPE_LIBRARIES)
    frontend.KNOWN_TYPE_LIBRARIES["stdole2.tlb"] = lib
    try:
        program, sink = _load([main])
    finally:
        frontend.KNOWN_TYPE_LIBRARIES.clear()
        frontend.KNOWN_TYPE_LIBRARIES.update(original)
    assert not sink.diagnostics
    a, b = program.files[0].declarations[2:]
    assert isinstance(a, Typedef) and isinstance(a.type, NamedType) and isinstance(b, Typedef)
    assert a.type.target is not None and Path(a.type.target.span.file).name == "own.idl"
    assert isinstance(b.type, NamedType) and b.type.target is not None
    assert Path(b.type.target.span.file).name == "stdole2.idl"
