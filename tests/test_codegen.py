"""Tests of the Python backend (idlgen.backends.python, idlgen.output.format, templates/).

Golden files: ``tests/golden/msgrpriv/`` holds the package generated from
``examples/Msgrpriv.idl``.  After an intended change of the output, regenerate with

    IDLGEN_UPDATE_GOLDEN=1 python -m pytest tests/test_codegen.py -k golden

and review the diff in the commit.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from _shared import write_tree

from idlgen import __version__
from idlgen.api import parse
from idlgen.backends import python as codegen
from idlgen.backends.common.naming import NameSpace, is_identifier
from idlgen.backends.common.templates import load_template
from idlgen.backends.python.literals import (
    clean_doc,
    docstring,
    escape_text,
    hresult_value,
    is_flag_enum,
    py_literal,
)
from idlgen.diagnostics import CompileError, DiagnosticSink
from idlgen.frontend import Loader, Program
from idlgen.frontend.resolve import Resolver
from idlgen.model import (
    Attribute,
    BaseType,
    CoClass,
    CoClassMember,
    DispInterface,
    Enum,
    EnumMember,
    IdlFile,
    Interface,
    Literal,
    Method,
    NamedType,
    Param,
    PointerType,
)
from idlgen.output.format import format_python

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "Msgrpriv.idl"
GOLDEN = REPO / "tests" / "golden"
UPDATE_GOLDEN = os.environ.get("IDLGEN_UPDATE_GOLDEN") == "1"

UUID_1 = "11111111-2222-3333-4444-555555555551"
UUID_2 = "11111111-2222-3333-4444-555555555552"
UUID_3 = "11111111-2222-3333-4444-555555555553"


def load_text(text: str, name: str = "t.idl") -> Program:
    """Parse and resolve IDL *text* (imports from the built-in include dir)."""
    sink = DiagnosticSink()
    loader = Loader(sink=sink)
    loader.load_main(name, text=text)
    errors = [d.message for d in sink.diagnostics if d.is_error]
    assert not errors, errors
    return loader.program


def render_text(text: str, name: str = "t.idl") -> dict[str, str]:
    return codegen.render_package(load_text(text, name))


@pytest.fixture(scope="module")
def example() -> dict[str, str]:
    return codegen.render_package(parse(EXAMPLE))


def hand_program(*decls: object) -> Program:
    """A resolved program from hand-built declarations (no parser involved)."""
    sink = DiagnosticSink()
    main = IdlFile("hand.idl", list(decls))  # type: ignore[arg-type]
    symbols = Resolver(sink).resolve_run(main)
    return Program(files=[main], symbols={"hand.idl": symbols})


def hr_method(name: str, *params: Param, attrs: list[Attribute] | None = None) -> Method:
    return Method(name, NamedType("HRESULT"), list(params), attributes=attrs or [])


# --------------------------------------------------------------------------- pyview units


def test_renaming_rule() -> None:
    ns = NameSpace({"uuid"})
    assert ns.add("class") == "class_"
    assert ns.add("uuid") == "uuid_"
    assert ns.add("Name") == "Name"
    assert ns.add("Name") == "Name_"  # collision in the same scope
    assert ns.add("class_") == "class__"  # the renamed one took class_
    assert ns.add("__init__") == "__init___"
    assert ns.add("__private") == "__private___"
    assert is_identifier("lProcessID")
    for bad in ("1a", "a-b", "x); import os; (", "", None, "é"):
        assert not is_identifier(bad)


@pytest.mark.parametrize(
    "text",
    [
        'He said """hi"""',
        'ends with a quote"',
        '"starts with one',
        "back\\slash \\N{BULLET} \\x41 and trailing \\",
        "two\nlines\r\nand\rthree",
        "non-ASCII: é ü 中文 \u202e bidi \u2028 sep \x00 nul \t tab \x1b esc",
        "'''single''' quotes",
    ],
)
def test_docstring_escaping_round_trips(text: str) -> None:
    cleaned = clean_doc(text)
    source = format_python(f"def f() -> None:\n    {docstring(cleaned)}\n")
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.FunctionDef)
    got = ast.get_docstring(node, clean=False)
    assert got is not None
    # black re-indents continuation lines and puts a space after a final quote
    assert [line.strip() for line in got.rstrip().split("\n")] == [
        line.strip() for line in cleaned.split("\n")
    ]
    # nothing but the function itself: the text never escaped the literal
    assert len(ast.parse(source).body) == 1 and len(node.body) == 1
    for ch in "\u202e\u2028\x00\x1b\t":
        assert ch not in source


def test_literals() -> None:
    assert py_literal('a"b\\c\n') == "'a\"b\\\\c\\n'"  # black's choice of quotes
    assert py_literal("a\"b'c") == '"a\\"b\'c"'
    assert py_literal("\ud800") == '"\ufffd"'  # a lone surrogate can be in no file
    assert eval(py_literal('x"""y\u202e')) == 'x"""y\u202e'
    assert py_literal(3) == "3" and py_literal(True) == "True" and py_literal(1.5) == "1.5"
    assert escape_text('""', keep_newlines=False) == '\\"\\"'


def test_hresult_rule() -> None:
    assert hresult_value(0x81000751) == 0x81000751
    assert hresult_value(-2147467259) == 0x80004005  # E_FAIL written signed
    assert hresult_value(-1) is None  # small negatives are not error codes
    assert hresult_value(5) is None and hresult_value(True) is None and hresult_value("x") is None


def test_flag_rule() -> None:
    assert is_flag_enum("SESSION_FLAGS", [0, 1, 2, 4])
    assert is_flag_enum("Bits", [1, 2, 4, 8])
    assert not is_flag_enum("SESSION_STATE", range(10))
    assert not is_flag_enum("LockStatus", [1, 2, 3, 4, 5, 6])  # 3 = 1|2, but not a flag enum
    assert is_flag_enum("OPEN_FLAGS", [1, 2, 3])  # a mask, allowed when named a flag
    assert not is_flag_enum("Two", [0, 1, 2])  # too few bits to tell
    assert not is_flag_enum("NEG_FLAGS", [-1, 1, 2, 4])


# --------------------------------------------------------------------------- the type map


TYPES_IDL = f"""
import "oaidl.idl";
typedef struct tagPOINTX {{ long x; long y; BSTR name; struct tagPOINTX* next; }} POINTX;
typedef enum {{ A_ONE = 1, A_TWO = 2, A_FOUR = 4 }} ABITS;
typedef enum {{ K_FIRST, K_SECOND }} KIND;
const long BIG = 10;
const LPCWSTR GREETING = L"hi";
[object, uuid({UUID_1}), dual]
interface ITypes : IDispatch {{
  [id(1)] HRESULT Scalars([in] BSTR s, [in] VARIANT_BOOL b, [in] long l, [in] unsigned short us,
      [in] hyper h, [in] float f, [in] double d, [in] DATE t, [in] CY c, [in] VARIANT v,
      [in] HRESULT hr, [in] GUID g, [in] BYTE by);
  [id(2)] HRESULT Refs([in] IUnknown* unk, [in] IDispatch* disp, [in] ITypes* self, [in] POINTX pt,
      [in] ABITS bits, [in] KIND kind, [in] SAFEARRAY(BSTR) names, [in] LPWSTR w,
      [in] long count, [in, size_is(count)] long* values);
  [id(3)] HRESULT Outs([in] long a, [out] BSTR* o, [in, out] long* io, [out, retval] double* r);
  [id(4)] HRESULT Retval([out, retval] ITypes** p);
  [id(5)] HRESULT Defaults([in] long req, [in, defaultvalue(A_TWO)] ABITS b,
      [in, defaultvalue("x\\\\y")] BSTR s, [in, defaultvalue(-1)] VARIANT_BOOL ok,
      [in, optional] VARIANT opt, [in, defaultvalue(2.5)] double dd);
  [id(6), propget] HRESULT Name([out, retval] BSTR* v);
  [id(6), propput] HRESULT Name([in] BSTR v);
  [id(7), propget] HRESULT Count([out, retval] long* v);
  [id(8), propget] HRESULT Item([in] long i, [out, retval] VARIANT* v);
  [id(8), propput] HRESULT Item([in] long i, [in] VARIANT v);
  [id(9), propput] HRESULT WriteOnly([in] long v);
  [id(10)] HRESULT Keywords([in] long class, [in] long self, [in] long lambda);
}}
"""


@pytest.fixture(scope="module")
def types_pkg() -> dict[str, str]:
    return render_text(TYPES_IDL)


def signature(source: str, name: str) -> str:
    """The ``def`` line(s) of method *name*, joined into one line."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            args = ", ".join(
                a.arg + (f": {ast.unparse(a.annotation)}" if a.annotation else "")
                for a in node.args.args
            )
            defaults = [ast.unparse(d) for d in node.args.defaults]
            ret = ast.unparse(node.returns) if node.returns else ""
            return f"{name}({args}) -> {ret}" + (f" defaults={defaults}" if defaults else "")
    raise AssertionError(f"no method {name}")


def test_type_map_scalars(types_pkg: dict[str, str]) -> None:
    src = types_pkg["t/interfaces.py"]
    assert signature(src, "Scalars") == (
        "Scalars(self, s: str, b: bool, l: int, us: int, h: int, f: float, d: float, "
        "t: datetime.datetime, c: decimal.Decimal, v: object, hr: int, g: uuid.UUID, by: int)"
        " -> None"
    )
    assert "import datetime" in src and "import decimal" in src


def test_type_map_references(types_pkg: dict[str, str]) -> None:
    src = types_pkg["t/interfaces.py"]
    assert signature(src, "Refs") == (
        "Refs(self, unk: IUnknown, disp: IDispatch, self_: ITypes, pt: POINTX, bits: ABITS, "
        "kind: KIND, names: Sequence[str], w: str, count: int, values: Sequence[int]) -> None"
    )
    assert "from .enums import" not in src.split("if TYPE_CHECKING:")[0] or "ABITS" in src
    assert "from .structs import POINTX" in src


def test_outs_retval_and_defaults(types_pkg: dict[str, str]) -> None:
    src = types_pkg["t/interfaces.py"]
    assert signature(src, "Outs") == "Outs(self, a: int, io: int) -> tuple[str, int, float]"
    assert signature(src, "Retval") == "Retval(self) -> ITypes"
    assert signature(src, "Defaults") == (
        "Defaults(self, req: int, b: ABITS, s: str, ok: bool, opt: object, dd: float) -> None "
        "defaults=['ABITS.A_TWO', \"'x\\\\\\\\y'\", 'True', 'None', '2.5']"
    )
    assert signature(src, "Keywords") == (
        "Keywords(self, class_: int, self_: int, lambda_: int) -> None"
    )
    # metadata keeps the IDL names and the default values
    assert 'ParamInfo("class", "in", type="long")' in src
    assert 'ParamInfo("b", "in", optional=True, default=2, type="ABITS")' in src


def test_properties(types_pkg: dict[str, str]) -> None:
    src = types_pkg["t/interfaces.py"]
    tree = ast.parse(src)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "ITypes")
    decorated = {
        (f.name, tuple(ast.unparse(d) for d in f.decorator_list))
        for f in cls.body
        if isinstance(f, ast.FunctionDef)
    }
    assert ("Name", ("property", "abc.abstractmethod")) in decorated
    assert ("Name", ("Name.setter", "abc.abstractmethod")) in decorated
    assert ("Count", ("property", "abc.abstractmethod")) in decorated
    assert not any(n == "Count" and d[0] == "Count.setter" for n, d in decorated)  # read-only
    assert ("Item", ("abc.abstractmethod",)) in decorated  # indexed: methods
    assert ("set_Item", ("abc.abstractmethod",)) in decorated
    assert 'python_name="set_Item"' in src
    assert ("WriteOnly", ("property",)) in decorated  # getter raises DISP_E_MEMBERNOTFOUND
    assert ("WriteOnly", ("WriteOnly.setter", "abc.abstractmethod")) in decorated


def test_enums_structs_consts(types_pkg: dict[str, str]) -> None:
    enums = types_pkg["t/enums.py"]
    assert "class ABITS(enum.IntFlag):" in enums
    assert "class KIND(enum.IntEnum):" in enums
    assert "A_TWO: Final = ABITS.A_TWO" in enums
    structs = types_pkg["t/structs.py"]
    assert "@dataclasses.dataclass\nclass POINTX:" in structs
    assert "next: POINTX | None" in structs
    consts = types_pkg["t/constants.py"]
    assert "BIG: Final = 10" in consts and 'GREETING: Final = "hi"' in consts
    init = types_pkg["t/__init__.py"]
    exported = ast.literal_eval(init.split("__all__ = ")[1])
    assert exported == sorted(exported)
    assert {"ABITS", "A_TWO", "POINTX", "BIG", "ITypes", "K_FIRST"} <= set(exported)
    assert types_pkg["t/py.typed"] == ""
    for path, text in types_pkg.items():
        if path.endswith(".py"):
            assert text.startswith("# Generated by idlgen ")
            assert text.splitlines()[0].endswith(" from t.idl. Do not edit.")
            compile(text, path, "exec")


def test_sinks_and_coclasses() -> None:
    pkg = render_text(
        f"""
        import "oaidl.idl";
        [uuid({UUID_3})] library L {{
          importlib("stdole2.tlb");
          [uuid({UUID_1})] dispinterface DEvents {{
            properties:
            methods:
              [id(7)] void OnThing([in] BSTR what, [in, out] VARIANT_BOOL* handled);
              [id(9)] void OnNothing();
          }};
          [object, dual, uuid({UUID_2})] interface IThing : IDispatch {{
            [id(1)] HRESULT Do([in] long n);
          }};
          [uuid(11111111-2222-3333-4444-555555555554)]
          coclass Thing {{ [default] interface IThing; [default, source] dispinterface DEvents; }};
        }};
        """
    )
    events = pkg["t/events.py"]
    assert "class DEvents(EventSink):" in events
    assert '_events_ = {\n        7: "OnThing",\n        9: "OnNothing",\n    }' in events
    assert signature(events, "OnThing") == (
        "OnThing(self, what: str, handled: ByRef[bool]) -> None"
    )
    co = pkg["t/coclasses.py"]
    assert "class Thing(CoClass, IThing):" in co
    assert "_outgoing_interfaces_ = (DEvents,)" in co
    assert "_default_interface_ = IThing" in co and "_default_source_ = DEvents" in co
    assert '"""L' not in pkg["t/__init__.py"] or True


def test_coclass_bases_keep_a_valid_mro() -> None:
    pkg = render_text(
        f"""
        import "unknwn.idl";
        [object, uuid({UUID_1})] interface IBase : IUnknown {{ HRESULT A(); }};
        [object, uuid({UUID_2})] interface IDerived : IBase {{ HRESULT B(); }};
        [uuid({UUID_3})] coclass C {{ interface IBase; [default] interface IDerived; }};
        """
    )
    co = pkg["t/coclasses.py"]
    assert "class C(CoClass, IDerived):" in co
    assert "_com_interfaces_ = (IBase, IDerived)" in co
    assert "_default_interface_ = IDerived" in co


def test_imported_declarations_are_not_generated(example: dict[str, str]) -> None:
    everything = "\n".join(example.values())
    assert "class IDispatch" not in everything and "class IUnknown" not in everything
    assert "VARIANT_TRUE" not in example["msgrpriv/__init__.py"]


# --------------------------------------------------------------------------- hostile input


NASTY = 'He said """hi""" \\ then\nnew line "quoted" é 中 \u202e\x00 and """'


def test_hostile_helpstrings_stay_docstrings() -> None:
    doc = [Attribute("helpstring", [Literal(NASTY, kind="string")])]
    iface = Interface(
        "INasty",
        base=NamedType("IUnknown"),
        body=[hr_method("Go", attrs=list(doc))],
        attributes=[Attribute("object"), Attribute("uuid", [UUID_1]), *doc],
    )
    enum = Enum("E", members=[EnumMember("E_A")], typedef_name="NastyEnum", attributes=list(doc))
    pkg = codegen.render_package(hand_program(enum, iface))
    for path, text in pkg.items():
        if not path.endswith(".py"):
            continue
        tree = ast.parse(text)
        names = [type(n).__name__ for n in tree.body]
        assert "Expr" in names[:1]  # the module docstring only
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef | ast.FunctionDef) and node.name in (
                "INasty",
                "Go",
                "NastyEnum",
            ):
                got = ast.get_docstring(node, clean=False) or ""
                assert got.startswith(clean_doc(NASTY).strip().splitlines()[0].strip())
                assert "\u202e" not in text and "\x00" not in text
        assert format_python(text) == text


def test_hostile_identifiers_are_rejected_with_a_diagnostic() -> None:
    iface = Interface(
        "IEvil",
        base=NamedType("IUnknown"),
        body=[
            hr_method("x(self): pass\nimport os  #", Param("a", BaseType("long"))),
            hr_method("Fine", Param("b; import os", BaseType("long"))),
        ],
        attributes=[Attribute("object"), Attribute("uuid", [UUID_1])],
    )
    with pytest.raises(CompileError) as info:
        codegen.render_package(hand_program(iface))
    messages = [d.message for d in info.value.diagnostics]
    assert any("is not a valid identifier" in m and "import os" in m for m in messages)
    assert all("\n" not in m for m in messages)


def test_hostile_file_name_stays_in_the_header_comment() -> None:
    enum = Enum(None, members=[EnumMember("ONLY")], typedef_name="E1")
    sink = DiagnosticSink()
    main = IdlFile('x"\nimport os #.idl', [enum])
    symbols = Resolver(sink).resolve_run(main)
    pkg = codegen.render_package(Program(files=[main], symbols={main.path: symbols}))
    assert sorted(pkg) == [
        "x__import_os__/__init__.py",
        "x__import_os__/enums.py",
        "x__import_os__/py.typed",
    ]
    for path, text in pkg.items():
        if path.endswith(".py"):
            first = text.splitlines()[0]
            expected = (
                f'# Generated by idlgen {__version__} from x"\\x0aimport os #.idl. Do not edit.'
            )
            assert first == expected
            assert isinstance(ast.parse(text).body[0], ast.Expr)  # the docstring


def test_bad_package_name_and_unknown_target() -> None:
    program = hand_program()
    with pytest.raises(CompileError, match="not a valid Python package name"):
        codegen.render_package(program, package="a-b")
    with pytest.raises(CompileError, match="unknown emit target"):
        codegen.render_package(program, emit=("nope",))
    assert codegen.package_name_for("dir/Ms-Foo.Bar.idl") == "ms_foo_bar"
    assert codegen.package_name_for("3d.idl") == "idl_3d"
    assert codegen.package_name_for("class.idl") == "class_"
    assert codegen.package_name_for("uuid.idl") == "uuid_"  # never shadows the stdlib


def test_template_loader() -> None:
    text = load_template("interfaces.py.jinja")
    assert text is not None and "{{ c.class_line }}" in text
    assert load_template("../pyproject.toml") is None
    assert load_template("no-such.jinja") is None


def test_register_emitter() -> None:
    seen: list[str] = []

    def emit(program: Program, package: str) -> dict[str, str]:
        seen.append(package)
        return {f"{package}/extra.txt": "x"}

    codegen.register_emitter("extra-test", emit)
    try:
        out = codegen.render_package(hand_program(), package="pkg", emit=("extra-test",))
    finally:
        codegen.EMITTERS.pop("extra-test")
    assert out == {"pkg/extra.txt": "x"} and seen == ["pkg"]


def test_reserved_names_are_renamed() -> None:
    iface = Interface(
        "uuid",
        base=NamedType("IUnknown"),
        body=[
            hr_method("QueryInterface"),
            hr_method("from", Param("self", PointerType(BaseType("long")), attributes=[])),
        ],
        attributes=[Attribute("object"), Attribute("uuid", [UUID_1])],
    )
    co = CoClass(
        "Obj",
        interfaces=[CoClassMember(NamedType("uuid"))],
        attributes=[Attribute("uuid", [UUID_2])],
    )
    disp = DispInterface("DEv", methods=[], attributes=[Attribute("uuid", [UUID_3])])
    pkg = codegen.render_package(hand_program(iface, disp, co))
    src = pkg["hand/interfaces.py"]
    assert "class uuid_(IUnknown):" in src
    assert "def QueryInterface_(self) -> None" in src
    assert "def from_(self, self_: int) -> None" in src
    flat = re.sub(r"\s+", "", src)
    assert '"from","method",None,(ParamInfo("self","in",type="long*"),)' in flat
    assert 'python_name="from_"' in src


# --------------------------------------------------------------------------- the example


def test_golden_msgrpriv(example: dict[str, str]) -> None:
    root = GOLDEN
    if UPDATE_GOLDEN:
        target = root / "msgrpriv"
        if target.exists():
            for old in sorted(target.rglob("*"), reverse=True):
                old.unlink() if old.is_file() else old.rmdir()
        for rel, text in example.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
    expected = {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted((root / "msgrpriv").rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert sorted(expected) == sorted(example), "files differ (IDLGEN_UPDATE_GOLDEN=1 to update)"
    for rel, text in example.items():
        assert text == expected[rel], f"{rel} differs from the golden file; see module docstring"


def test_output_is_black_clean(example: dict[str, str]) -> None:
    for rel, text in example.items():
        if rel.endswith(".py"):
            assert format_python(text) == text, rel


_HASH_SCRIPT = """
import hashlib, json, sys
from idlgen.api import parse
from idlgen.backends.python import render_package
out = render_package(parse(sys.argv[1]))
print(json.dumps({k: hashlib.sha256(v.encode()).hexdigest() for k, v in out.items()}))
"""


def test_deterministic_across_hash_seeds(example: dict[str, str]) -> None:
    # this process runs with some hash seed; a child with another one must agree byte for byte
    current = os.environ.get("PYTHONHASHSEED", "random")
    seed = "1" if current != "1" else "2"
    proc = subprocess.run(
        [sys.executable, "-c", _HASH_SCRIPT, str(EXAMPLE)],
        env=dict(os.environ, PYTHONHASHSEED=seed),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    here = {k: hashlib.sha256(v.encode()).hexdigest() for k, v in example.items()}
    assert json.loads(proc.stdout) == here


# --------------------------------------------------------------------------- using the package


@pytest.fixture(scope="module")
def example_dir(tmp_path_factory: pytest.TempPathFactory, example: dict[str, str]) -> Path:
    return write_tree(tmp_path_factory.mktemp("generated"), example)


def test_generated_package_passes_mypy_strict(example_dir: Path, tmp_path: Path) -> None:
    usage = example_dir / "usage_check.py"
    usage.write_text(
        "from msgrpriv import DMsgrSessionEvents, IMsgrSession, SESSION_STATE, SS_READY\n"
        "from idlgen.runtime import ByRef\n\n\n"
        "class Sink(DMsgrSessionEvents):\n"
        "    def OnStateChanged(self, prevState: SESSION_STATE) -> None:\n"
        "        print(prevState is SS_READY)\n\n"
        "    def BeforeAppLaunch(self, pfEnableDefault: ByRef[bool]) -> None:\n"
        "        pfEnableDefault.value = False\n\n\n"
        "def state(session: IMsgrSession) -> SESSION_STATE:\n"
        "    return session.State\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "mypy", "--strict", "--no-error-summary"),
            *("--cache-dir", str(tmp_path / "cache"), "msgrpriv", "usage_check.py"),
        ],
        cwd=example_dir,
        # idlgen itself from this checkout, installed or not
        env=dict(os.environ, MYPYPATH=str(REPO)),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def msgr(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The example's package, generated under another name and imported."""
    name = "msgrpriv_codegen_test"
    root = tmp_path_factory.mktemp("importable")
    for rel, text in codegen.render_package(parse(EXAMPLE), package=name).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(root))
        for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[mod]


def _session_class(msgr: ModuleType) -> type[Any]:
    class Session(msgr.MsgrSession):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.app = ""
            self.invited: list[str] = []

        @property
        def Application(self) -> str:
            return self.app

        @Application.setter
        def Application(self, pbstrAppGUID: str) -> None:
            self.app = pbstrAppGUID

        @property
        def State(self) -> Any:
            return msgr.SS_READY

        def Invite(self, pUser: Any, bstrAppData: str) -> None:
            self.invited.append(bstrAppData)

        def Decline(self, bstrAppData: str) -> None: ...
        def Cancel(self, hr: int, bstrAppData: str) -> None: ...
        def Accept(self, bstrAppData: str) -> None: ...
        def SendContextData(self, bstrData: str) -> None: ...
        def RequestChallenge(self, lCookie: int) -> None: ...
        def SendResponse(self, bstrAppStrId: str, bstrResponse: str, lCookie: int) -> None: ...

        RemoteAddress = SessionID = ContextData = property(lambda self: "")
        ApplicationName = ApplicationURL = User = property(lambda self: "")
        Flags = property(lambda self: msgr.SF_INVITER)
        Status = property(lambda self: msgr.LOCK_UNLOCKED)

        @property
        def LocalAddress(self) -> str:
            return "127.0.0.1"

        @LocalAddress.setter
        def LocalAddress(self, pbstrLocalAddress: str) -> None: ...

    return Session


def test_implementation_is_checked_and_dispatches(msgr: ModuleType) -> None:
    from idlgen.runtime import DISPATCH_METHOD, DISPATCH_PROPERTYGET, DISPATCH_PROPERTYPUT, COMError

    class Incomplete(msgr.MsgrSession):  # type: ignore[misc,name-defined]
        def Invite(self, pUser: Any, bstrAppData: str) -> None: ...

    with pytest.raises(TypeError, match="abstract") as info:
        Incomplete()
    named = set(re.findall(r"\w+", str(info.value)))
    assert {"SendContextData", "Application", "Status"} <= named and "Invite" not in named
    session = _session_class(msgr)()
    assert session.QueryInterface(msgr.IMsgrLock) is session
    assert session.QueryInterface(msgr.IMsgrSession.IID) is session
    session.Invoke(0, DISPATCH_PROPERTYPUT, ["{app}"])  # Application, DISPID 0
    assert session.Invoke(0, DISPATCH_PROPERTYGET) == "{app}"
    session.Invoke(2, DISPATCH_METHOD, [None, "data"])  # Invite
    assert session.invited == ["data"]
    assert session.GetIDsOfNames("SendContextData") == [14]
    with pytest.raises(COMError) as err:
        session.Invoke(1, DISPATCH_PROPERTYPUT, [msgr.SS_CONNECTED])  # State is read-only
    assert err.value.hresult == 0x80020003
    with pytest.raises(AttributeError):
        session.State = msgr.SS_CONNECTED


def test_sink_receives_fired_events(msgr: ModuleType) -> None:
    from idlgen.runtime import DISPATCH_METHOD, ByRef, COMError

    class Sink(msgr.DMsgrSessionEvents):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.states: list[Any] = []

        def OnStateChanged(self, prevState: Any) -> None:
            self.states.append(prevState)

        def BeforeAppLaunch(self, pfEnableDefault: ByRef[bool]) -> None:
            pfEnableDefault.value = False

    session = _session_class(msgr)()
    sink = Sink()
    point = session.FindConnectionPoint(msgr.DMsgrSessionEvents)
    cookie = point.Advise(sink)
    session.fire_event(msgr.DMsgrSessionEvents, "OnStateChanged", msgr.SS_INVITATION)
    flag = ByRef(True)
    session.fire_event(msgr.DMsgrSessionEvents, "BeforeAppLaunch", flag)
    assert sink.states == [msgr.SS_INVITATION] and flag.value is False
    sink.Invoke(103, DISPATCH_METHOD, [msgr.SS_READY])  # OnStateChanged by DISPID
    assert sink.states[-1] == msgr.SS_READY
    sink.Invoke(104, DISPATCH_METHOD, ["app", "url"])  # not overridden: a no-op
    with pytest.raises(COMError) as err:
        sink.Invoke(99, DISPATCH_METHOD, [])
    assert err.value.hresult == 0x80020003
    point.Unadvise(cookie)
    assert str(COMError(msgr.SR_INVITED_SELF)).startswith("0x81000613 SR_INVITED_SELF")


def test_with_imports_references_the_imported_packages() -> None:
    text = f"""
        import "objidl.idl";
        [object, uuid({UUID_1})] interface IUsesImports : IPersist {{
            HRESULT Save([in] IStream* stream, [out, retval] STATSTG* stat);
        }};
        """
    program = load_text(text)
    plain = codegen.render_package(program)
    src = plain["t/interfaces.py"]
    assert "class IUsesImports(IUnknown):" in src
    # without the imported packages, the struct of an import is copied into this one
    assert signature(src, "Save") == "Save(self, stream: IUnknown) -> STATSTG"
    assert "class STATSTG:" in plain["t/structs.py"]
    assert "Copied from objidl.idl, an imported file." in plain["t/structs.py"]
    assert "from .structs import STATSTG" in src
    both = codegen.render_package(program, with_imports=True)
    assert {"t", "objidl", "unknwn", "wtypes"} <= {path.split("/")[0] for path in both}
    src = both["t/interfaces.py"]
    assert "from objidl.interfaces import IPersist\n" in src  # a base: imported at run time
    assert "class IUsesImports(IPersist):" in src
    assert signature(src, "Save") == "Save(self, stream: IStream) -> STATSTG"
    assert "    from objidl.interfaces import IStream" in src  # for type checking only
    assert "    from objidl.structs import STATSTG" in src
    assert "t/structs.py" not in both  # nothing copied: the imported package has it
    assert not any(p.startswith("unknwn/") and "class IUnknown" in t for p, t in both.items())
    for path, code in both.items():
        if path.endswith(".py"):
            compile(code, path, "exec")


def test_coclass_members_declared_forward_are_found() -> None:
    """`interface X;` / `dispinterface D;` before the coclass, defined after it."""
    out = render_text(
        'import "oaidl.idl";\n'
        "interface IFoo;\n"
        "interface DEvents;\n"  # forward-declared as an interface, defined as a dispinterface
        "[uuid(11111111-2222-3333-4444-555555555555)] coclass C {\n"
        "    [default] interface IFoo; [default, source] dispinterface DEvents; };\n"
        "[object, uuid(11111111-2222-3333-4444-555555555556)]\n"
        "interface IFoo : IUnknown { HRESULT Go(); };\n"
        "[uuid(11111111-2222-3333-4444-555555555557)]\n"
        "dispinterface DEvents { properties: methods: [id(1)] void Fired(); };\n",
        name="fwd.idl",
    )
    coclasses = out["fwd/coclasses.py"]
    assert "class C(CoClass, IFoo):" in coclasses
    assert "_com_interfaces_ = (IFoo,)" in coclasses
    assert "_outgoing_interfaces_ = (DEvents,)" in coclasses
