"""The ``tests`` emit target: a pytest conformance suite generated from an IDL file.

:func:`render_conformance` turns the resolved model of one IDL file (and the scenario file
next to it, ``<stem>.scenarios.toml``, when there is one) into a small package of test
modules::

    msgrpriv_conformance/__init__.py
    msgrpriv_conformance/conftest.py        # --impl / --expected-failures, the `suite` fixture
    msgrpriv_conformance/spec.py            # the IDL's facts as a literal, the scenario text
    msgrpriv_conformance/test_structure.py  # one test per structural check
    msgrpriv_conformance/test_scenarios.py  # one test per behaviour scenario

The facts are computed here (:func:`spec_data`); the templates in
``templates/conformance/`` only lay them out; the checks themselves live in
:mod:`idlgen.conformance`, which the generated tests call.  Output is laid out as black would,
black-formatted (unless asked not to) and deterministic.  See ``docs/conformance.md``.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from idlgen import conformance as conf
from idlgen.backends.common.emitters import register_emitter
from idlgen.backends.common.idl import defined_declarations, type_spelling
from idlgen.backends.common.layout import bracketed, fits
from idlgen.backends.common.naming import (
    RESERVED_MEMBER_NAMES,
    RESERVED_PARAM_NAMES,
    NameSpace,
    package_name_for,
)
from idlgen.backends.common.templates import load_template
from idlgen.conformance import scenarios as sc
from idlgen.diagnostics import CompileError, DiagnosticSink, Span
from idlgen.frontend import Program
from idlgen.frontend.symbols import SymbolTable
from idlgen.model import (
    CoClass,
    Const,
    Declaration,
    DispInterface,
    Enum,
    IdlFile,
    Interface,
    Method,
    Param,
)
from idlgen.output.format import DEFAULT_STYLE, BlackStyle, format_files
from idlgen.version import __version__

#: The suffix of the scenario file looked for next to the IDL file.
SCENARIO_SUFFIX = ".scenarios.toml"

_ROOT_INTERFACES = ("IUnknown", "IDispatch")


# --------------------------------------------------------------------------- names


def _python_names(names: Iterable[str], *, members: bool = False) -> list[str]:
    """Python names of IDL names in one scope: the stubs' rule (``_`` appended when needed)."""
    space = NameSpace(RESERVED_MEMBER_NAMES if members else RESERVED_PARAM_NAMES)
    return [space.add(name) for name in names]


# --------------------------------------------------------------------------- the spec


class _SpecBuilder:
    """Collects the facts of one main file (and the interfaces its coclasses name)."""

    def __init__(self, f: IdlFile, symbols: SymbolTable | None) -> None:
        self.file = f
        self.symbols = symbols
        self.interfaces: dict[str, dict[str, Any]] = {}
        self.dispinterfaces: dict[str, dict[str, Any]] = {}

    def lookup(self, name: str) -> Declaration | None:
        for d in self.file.walk():
            if d.name == name and getattr(d, "is_defined", True):
                return d
        return self.symbols.lookup_type(name) if self.symbols is not None else None

    # -- members

    def params(self, params: list[Param]) -> list[dict[str, Any]]:
        names = [p.name or f"arg{i}" for i, p in enumerate(params)]
        py_names = _python_names(names)
        out = []
        for p, name, py in zip(params, names, py_names, strict=True):
            item: dict[str, Any] = {"name": name, "type": type_spelling(p.type)}
            if p.direction != "in":
                item["dir"] = p.direction
            if p.is_retval:
                item["retval"] = True
            if py != name:
                item["py_name"] = py
            out.append(item)
        return out

    def method(self, m: Method, py_name: str = "") -> dict[str, Any]:
        item: dict[str, Any] = {"name": m.name, "kind": m.kind, "dispid": m.id}
        if py_name and py_name != m.name:
            item["py_name"] = py_name
        item["params"] = self.params(m.params)
        return item

    def methods(self, methods: list[Method]) -> list[dict[str, Any]]:
        """The members of one interface body, with the Python names the stubs give them."""
        distinct = list(dict.fromkeys(m.name for m in methods))
        py = dict(zip(distinct, _python_names(distinct, members=True), strict=True))
        return [self.method(m, py[m.name]) for m in methods]

    # -- declarations

    def interface(self, d: Interface) -> None:
        if d.name in self.interfaces:
            return
        members: list[dict[str, Any]] = []
        chain: list[Interface] = []
        base: Declaration | None = d
        seen: set[str] = set()
        while isinstance(base, Interface) and base.name not in _ROOT_INTERFACES:
            if base.name in seen:
                break
            seen.add(base.name)
            chain.append(base)
            base = self.lookup(base.base.name) if base.base is not None else None
        for iface in reversed(chain):  # inherited members first, in vtable order
            members += self.methods([m for m in iface.methods if not m.has_attr("call_as")])
        root = base.name if isinstance(base, Interface) else "IUnknown"
        flags = [a.name for a in d.attributes if a.name in ("dual", "oleautomation")]
        if any(i.has_attr("dual") for i in chain) and "dual" not in flags:
            flags.append("dual")
        self.interfaces[d.name] = {
            "name": d.name,
            "iid": d.uuid or "00000000-0000-0000-0000-000000000000",
            "base": root,
            "bases": [i.name for i in chain[1:]],
            "flags": flags,
            "members": members,
        }

    def dispinterface(self, d: DispInterface, *, as_source: bool) -> None:
        methods = self.methods(d.methods)
        if as_source:
            self.dispinterfaces[d.name] = {
                "name": d.name,
                "iid": d.uuid or "00000000-0000-0000-0000-000000000000",
                "methods": [
                    {"name": m["name"], "dispid": m["dispid"] or 0, "params": m["params"]}
                    for m in methods
                ],
            }
            return
        members = []
        for p in d.properties:
            if p.name is None:
                continue
            spelled = type_spelling(p.type)
            members.append(
                {
                    "name": p.name,
                    "kind": "propget",
                    "dispid": p.id,
                    "params": [
                        {"name": "value", "type": spelled + "*", "dir": "out", "retval": True}
                    ],
                }
            )
            if not p.has_attr("readonly"):
                members.append(
                    {
                        "name": p.name,
                        "kind": "propput",
                        "dispid": p.id,
                        "params": [{"name": "value", "type": spelled}],
                    }
                )
        self.interfaces[d.name] = {
            "name": d.name,
            "iid": d.uuid or "00000000-0000-0000-0000-000000000000",
            "base": "IDispatch",
            "flags": ["dual"],
            "members": members + methods,
        }

    def coclass(self, d: CoClass) -> dict[str, Any]:
        items = []
        for member in d.interfaces:
            name = member.type.name
            target = self.lookup(name)
            if isinstance(target, Interface):
                if member.is_source:
                    continue  # a vtable source interface: no connection-point check for it
                if name in _ROOT_INTERFACES:
                    continue  # IUnknown/IDispatch: every COM object has them
                self.interface(target)
            elif isinstance(target, DispInterface):
                self.dispinterface(target, as_source=member.is_source)
            else:
                continue
            items.append({"name": name, "default": member.is_default, "source": member.is_source})
        return {"name": d.name, "clsid": d.uuid or "", "interfaces": items}

    def build(self) -> dict[str, Any]:
        coclasses = []
        enums = []
        constants: dict[str, int] = {}
        for d in defined_declarations(self.file):
            if isinstance(d, CoClass) and d.uuid:
                coclasses.append(self.coclass(d))
            elif isinstance(d, Interface) and d.uuid and d.name not in _ROOT_INTERFACES:
                self.interface(d)
            elif isinstance(d, Enum) and (d.typedef_name or d.name):
                values = {m.name: m.value for m in d.members if isinstance(m.value, int)}
                enums.append({"typedef": d.typedef_name or d.name, "members": values})
            elif (
                isinstance(d, Const) and isinstance(d.value, int) and not isinstance(d.value, bool)
            ):
                constants[d.name] = d.value
        return {
            "idl": Path(self.file.path).name,
            "interfaces": list(self.interfaces.values()),
            "dispinterfaces": list(self.dispinterfaces.values()),
            "coclasses": coclasses,
            "enums": enums,
            "constants": constants,
        }


def spec_data(program: Program, path: str | None = None) -> dict[str, Any]:
    """The facts of the main file *path* (default: the first) as plain data for ``Spec``.

    The shape is :meth:`idlgen.conformance.Spec.from_dict`'s (documented in
    ``docs/conformance.md``): interfaces with their members in vtable order (inherited ones
    first), the dispinterfaces coclasses fire, coclasses, enums and integer constants.
    """
    f = program.file(path) if path is not None else (program.files[0] if program.files else None)
    if f is None:
        raise ValueError(f"no main file {path!r} in the program")
    return _SpecBuilder(f, program.symbols.get(f.path)).build()


# --------------------------------------------------------------------------- rendering


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: load_template(f"conformance/{name}")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def _json_literal(data: object, width: int = 88) -> str:
    """*data* as compact JSON: a concatenation of string literals, one per line.

    Broken after commas into pieces of about *width* characters: cheap for black to format
    (a large dict display is not) and deterministic.  Indented by 4, as black puts them inside
    the call of the template.
    """
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=True)
    pieces: list[str] = []
    current = ""
    for token in re.split(r"(?<=,)", text):
        if current and len(current) + len(token) > width:
            pieces.append(current)
            current = ""
        current += token
    if current:
        pieces.append(current)
    return "\n".join("    " + _string_literal(piece) for piece in pieces)


def _string_literal(text: str) -> str:
    """*text* as a Python string literal in the quotes black's string normalisation picks:
    double quotes unless they need more escapes than single ones (so black leaves it)."""
    literal = repr(text)
    if literal.startswith("'") and text.count('"') <= text.count("'"):
        body = literal[1:-1].replace("\\'", "'").replace('"', '\\"')
        return f'"{body}"'
    return literal


def _text_literal(text: str) -> str:
    """*text* as a parenthesised concatenation of one string literal per line."""
    if not text:
        return '""'
    lines = text.splitlines(keepends=True)
    return "(\n" + "\n".join("    " + _string_literal(line) for line in lines) + "\n)"


def _docstring(text: str) -> str:
    """A safe triple-quoted docstring literal for *text*, wrapped to fit the line length."""
    # 81: with the indent of 4 and the quotes, the lines fit black's default line length, and
    # black leaves the closing quotes where they are
    body = textwrap.fill(" ".join(text.split()), width=81)
    body = body.replace("\\", "\\\\").replace('"', '\\"')
    body = "".join(
        f"\\x{ord(ch):02x}" if (ord(ch) < 32 and ch != "\n") or ord(ch) == 127 else ch
        for ch in body
    )
    return '"""' + body + '"""'


def find_scenario_file(idl_path: str | Path) -> Path | None:
    """``<dir>/<stem>.scenarios.toml`` next to the IDL file, if it exists."""
    path = Path(idl_path)
    candidate = path.with_name(path.stem + SCENARIO_SUFFIX)
    return candidate if candidate.is_file() else None


def _load_scenarios(path: Path, spec: conf.Spec) -> tuple[str, sc.ScenarioFile]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        sink = DiagnosticSink()
        sink.error(Span(str(path), 1, 1), f"cannot read scenario file: {exc}")
        raise CompileError(sink.diagnostics) from None
    loaded, problems = sc.parse_scenarios(text, str(path))
    if loaded is not None:
        problems = [*problems, *sc.check_names(loaded, spec.names())]
    if loaded is None or any(d.is_error for d in problems):
        raise CompileError([d for d in problems if d.is_error])
    return text, loaded


def render_conformance(
    program: Program,
    package: str | None = None,
    *,
    scenarios: str | Path | None = None,
    stubs_package: str | None = None,
    path: str | None = None,
    style: BlackStyle = DEFAULT_STYLE,
    formatted: bool = True,
) -> dict[str, str]:
    """The conformance suite for the first main file of *program*: ``{relative path: text}``.

    *path* picks another main file.  *package* is the stubs' package name (default: the IDL
    file's stem, lowercased); the suite goes to ``<package>_conformance/``.  *scenarios* is the
    scenario file (default: the one next to the IDL file, if any).  The ``.py`` files are
    formatted by black in *style* unless *formatted* is False (then the caller formats them:
    :func:`idlgen.output.format.format_files`).  Raises
    :class:`~idlgen.diagnostics.CompileError` when the scenario file is invalid or names what
    the IDL does not define.
    """
    main = program.file(path) if path is not None else next(iter(program.files), None)
    if main is None:
        raise ValueError(f"no main file {path!r} in the program")
    data = spec_data(program, main.path)
    spec = conf.Spec.from_dict(data)
    package = package or package_name_for(main.path)
    stubs = stubs_package or package
    suite_dir = f"{package}_conformance"
    idl_name = Path(main.path).name
    header = f"# Generated by idlgen {__version__} from {idl_name}. Do not edit."

    scenario_path = Path(scenarios) if scenarios is not None else find_scenario_file(main.path)
    scenario_text = ""
    loaded: sc.ScenarioFile | None = None
    if scenario_path is not None:
        scenario_text, loaded = _load_scenarios(scenario_path, spec)
    scenario_source = scenario_path.name if scenario_path is not None else ""

    env = _environment()
    common: dict[str, Any] = {
        "header": header,
        "idl_name": idl_name,
        "suite_dir": suite_dir,
    }
    out: dict[str, str] = {}

    def emit(name: str, template: str, **params: Any) -> None:
        text = env.get_template(template).render(**common, **params)
        out[f"{suite_dir}/{name}"] = text

    emit("__init__.py", "__init__.py.j2")
    emit(
        "conftest.py",
        "conftest.py.j2",
        impl_env=conf.IMPL_ENV,
        coclass_names=", ".join(spec.coclasses) or "none",
        stubs_literal=_string_literal(stubs),
    )
    emit(
        "spec.py",
        "spec.py.j2",
        spec_literal=_json_literal(data),
        scenario_source_literal=_string_literal(scenario_source),
        scenario_text_literal=_text_literal(scenario_text),
    )
    structural = structural_tests(spec)
    if structural:
        emit("test_structure.py", "test_structure.py.j2", tests=structural)
    tests = scenario_tests(loaded) if loaded is not None else []
    out[f"{suite_dir}/README.md"] = env.get_template("README.md.j2").render(
        **common,
        header_text=header.lstrip("# "),
        coclass_names=", ".join(spec.coclasses) or "none",
        scenario_source=scenario_source,
        structural_count=len(structural),
        adopted=[t for t in tests if t["adopted"]],
        documented=[t for t in tests if not t["adopted"]],
    )
    if tests:
        emit(
            "test_scenarios.py",
            "test_scenarios.py.j2",
            tests=tests,
            uses_marker=any(t["adopted"] for t in tests),
            scenario_source=scenario_source,
        )
    return format_files(out, style, jobs=1) if formatted else out


def structural_tests(spec: conf.Spec) -> list[dict[str, Any]]:
    """One test per structural check: name, docstring literal, check-id literal."""
    tests = []
    taken: set[str] = set()
    for check_id in conf.StructuralChecks(spec).ids():
        name = _unique(conf.check_test_name(check_id, spec), taken)
        tests.append(
            {
                "name": name,
                "split_def": not _test_def_fits(name),
                "doc_literal": _docstring(conf.describe_check(check_id, spec)),
                "check_call": bracketed(
                    4, "suite.check", [_string_literal(check_id)], "", DEFAULT_STYLE.line_length
                ),
            }
        )
    return tests


def scenario_tests(scenarios: sc.ScenarioFile) -> list[dict[str, Any]]:
    """One test per scenario: name, docstring literal (the rule), adopted flag."""
    tests = []
    taken: set[str] = set()
    for scenario in scenarios.scenarios:
        name = _unique(conf.check_test_name(f"scenario:{scenario.name}"), taken)
        rule = ("Adopted rule: " if scenario.adopted else "") + scenario.rule
        if scenario.source:
            rule += f" [{scenario.source}]"
        tests.append(
            {
                "name": name,
                "split_def": not _test_def_fits(name),
                "doc_literal": _docstring(rule),
                "scenario_call": bracketed(
                    4,
                    "suite.run_scenario",
                    [_string_literal(scenario.name)],
                    "",
                    DEFAULT_STYLE.line_length,
                ),
                "adopted": scenario.adopted,
                "rule": _markdown_cell(scenario.rule),
            }
        )
    return tests


def _test_def_fits(name: str) -> bool:
    """Whether black keeps ``def name(suite: Suite) -> None:`` on one line (at black's
    default line length; another one only makes black redo the layout)."""
    return fits(0, f"def {name}(suite: Suite) -> None:", DEFAULT_STYLE.line_length)


def _markdown_cell(text: str) -> str:
    """*text* on one line, safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;")


def _unique(name: str, taken: set[str]) -> str:
    out, n = name, 2
    while out in taken:
        out, n = f"{name}_{n}", n + 1
    taken.add(out)
    return out


def register() -> None:
    """Register the ``tests`` emit kind (:mod:`idlgen.backends.common.emitters`)."""
    register_emitter("tests", _emit_tests)


def _emit_tests(program: Program, package: str) -> dict[str, str]:
    """The ``tests`` emitter: the suite for the main file whose stubs package is *package*
    (unformatted: :func:`idlgen.backends.python.render_package` formats what emitters return)."""
    path: str | None = None
    if len(program.files) > 1:
        path = next((f.path for f in program.files if package_name_for(f.path) == package), None)
    return render_conformance(program, package, path=path, formatted=False)
