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
:mod:`idlgen.conformance`, which the generated tests call.  Output is black-formatted and
deterministic.  See ``docs/conformance.md``.
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
from idlgen.backends.common.idl import (
    class_names,
    defined_declarations,
    type_spelling,
    vtable_methods,
)
from idlgen.backends.common.naming import (
    RESERVED_PARAM_NAMES,
    NameSpace,
    member_reserved_names,
    package_name_for,
)
from idlgen.backends.common.templates import load_template
from idlgen.conformance import scenarios as sc
from idlgen.diagnostics import CompileError, Diagnostic, DiagnosticSink, Span
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
from idlgen.output.blocks import format_in_blocks, larger_than_a_block
from idlgen.output.pysource import (
    docstring,
    generated_header,
    py_literal,
    safe_comment,
    text_literal,
)

#: The suffix of the scenario file looked for next to the IDL file.
SCENARIO_SUFFIX = ".scenarios.toml"

_ROOT_INTERFACES = ("IUnknown", "IDispatch")


# --------------------------------------------------------------------------- names


def _python_names(names: Iterable[str], space: NameSpace) -> list[str]:
    """Python names of IDL names in one scope: the stubs' rule (``_`` appended when needed)."""
    return [space.add(name) for name in names]


# --------------------------------------------------------------------------- the spec


class _SpecBuilder:
    """Collects the facts of one main file (and the interfaces its coclasses name)."""

    def __init__(self, f: IdlFile, symbols: SymbolTable | None) -> None:
        self.file = f
        self.symbols = symbols
        self.interfaces: dict[str, dict[str, Any]] = {}
        self.dispinterfaces: dict[str, dict[str, Any]] = {}
        #: what a class body's members may not be named (as in the stubs)
        self.reserved = member_reserved_names(class_names(f))

    def lookup(self, name: str) -> Declaration | None:
        for d in self.file.walk():
            if d.name == name and getattr(d, "is_defined", True):
                return d
        return self.symbols.lookup_type(name) if self.symbols is not None else None

    # -- members

    def params(self, params: list[Param]) -> list[dict[str, Any]]:
        names = [p.name or f"arg{i}" for i, p in enumerate(params)]
        py_names = _python_names(names, NameSpace(RESERVED_PARAM_NAMES))
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
        py = dict(zip(distinct, _python_names(distinct, NameSpace(self.reserved)), strict=True))
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
            members += self.methods(vtable_methods(iface))
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
    (a large dict display is not) and deterministic.
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
    return "\n".join(py_literal(piece) for piece in pieces)


#: Stands for a large spec literal while black formats spec.py (see _insert_spec_literal).
_SPEC_PLACEHOLDER = "idlgen:spec-data"


def _insert_spec_literal(formatted: str, literal: str) -> str:
    """Put the large spec *literal* (one string per line) where black left the placeholder.

    black would lay such a literal out as the call's only argument, one string per line
    indented by four, and change nothing else (it never joins or splits strings): the same
    text, without making black parse megabytes of strings.
    """
    call = f"json.loads({py_literal(_SPEC_PLACEHOLDER)})"
    body = "".join(f"    {line}\n" for line in literal.split("\n"))
    assert formatted.count(call) == 1, "spec.py template changed: update _insert_spec_literal"
    return formatted.replace(call, f"json.loads(\n{body})")


def _docstring(text: str) -> str:
    """A safe triple-quoted docstring literal for *text*, wrapped to fit the line length."""
    return docstring(textwrap.fill(" ".join(text.split()), width=88))


def find_scenario_file(idl_path: str | Path) -> Path | None:
    """``<dir>/<stem>.scenarios.toml`` next to the IDL file, if it exists."""
    path = Path(idl_path)
    candidate = path.with_name(path.stem + SCENARIO_SUFFIX)
    try:
        return candidate if candidate.is_file() else None
    except OSError:  # e.g. the name grew too long for the file system
        return None


def _load_scenarios(path: Path, spec: conf.Spec) -> tuple[str, sc.ScenarioFile]:
    try:
        text = sc.read_scenario_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        sink = DiagnosticSink()
        sink.error(Span(str(path), 1, 1), f"cannot read scenario file: {reason}")
        raise CompileError(sink.diagnostics) from None
    loaded, problems = sc.parse_scenarios(text, str(path))
    if loaded is not None:
        problems = [*problems, *sc.check_names(loaded, spec.names())]
    if loaded is None or any(d.is_error for d in problems):
        raise CompileError([d for d in problems if d.is_error])
    return text, loaded


def check_scenarios(program: Program, path: str | None = None) -> list[Diagnostic]:
    """The problems of the scenario file next to the main file *path* (default: the first),
    checked as ``--emit tests`` would: its format, and every name against the IDL.

    Returns ``[]`` when the file is fine or there is none.
    """
    main = program.file(path) if path is not None else next(iter(program.files), None)
    if main is None:
        raise ValueError(f"no main file {path!r} in the program")
    scenario_path = find_scenario_file(main.path)
    if scenario_path is None:
        return []
    try:
        _load_scenarios(scenario_path, conf.Spec.from_dict(spec_data(program, main.path)))
    except CompileError as exc:
        return list(exc.diagnostics)
    return []


def render_conformance(
    program: Program,
    package: str | None = None,
    *,
    scenarios: str | Path | None = None,
    stubs_package: str | None = None,
    path: str | None = None,
) -> dict[str, str]:
    """The conformance suite for the first main file of *program*: ``{relative path: text}``.

    *path* picks another main file.  *package* is the stubs' package name (default: the IDL
    file's stem, lowercased); the suite goes to ``<package>_conformance/``.  *scenarios* is the
    scenario file (default: the one next to the IDL file, if any).  Raises
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

    scenario_path = Path(scenarios) if scenarios is not None else find_scenario_file(main.path)
    scenario_text = ""
    loaded: sc.ScenarioFile | None = None
    if scenario_path is not None:
        scenario_text, loaded = _load_scenarios(scenario_path, spec)
    scenario_source = scenario_path.name if scenario_path is not None else ""

    env = _environment()
    common: dict[str, Any] = {"header": generated_header(idl_name)}
    out: dict[str, str] = {}

    def emit(name: str, template: str, **params: Any) -> None:
        text = env.get_template(template).render(**common, **params)
        out[f"{suite_dir}/{name}"] = format_in_blocks(text)

    coclass_names = ", ".join(spec.coclasses) or "none"
    emit(
        "__init__.py",
        "__init__.py.j2",
        doc=docstring(
            f"Conformance suite for {idl_name}, generated by idlgen: "
            f"run it with ``pytest {suite_dir} --impl=MODULE``."
        ),
    )
    emit(
        "conftest.py",
        "conftest.py.j2",
        doc=docstring(
            f"pytest glue of the {idl_name} conformance suite.\n\n"
            "Plug an implementation in with ``--impl=package.module`` "
            f"(or ``${conf.IMPL_ENV}``): that module's\n"
            "``new_implementation()`` returns one factory per coclass "
            f"({coclass_names}) and the harness\n"
            "the behaviour scenarios drive.  ``--expected-failures=FILE`` lists tests known "
            "to fail.\n"
        ),
        stubs_literal=py_literal(stubs),
    )
    spec_literal = _json_literal(data)
    large = larger_than_a_block(spec_literal)
    emit(
        "spec.py",
        "spec.py.j2",
        doc=docstring(
            f"What the {idl_name} conformance suite checks: the IDL's facts and the scenarios."
        ),
        spec_literal=py_literal(_SPEC_PLACEHOLDER) if large else spec_literal,
        scenario_source_literal=py_literal(scenario_source),
        scenario_text_literal=text_literal(scenario_text),
    )
    if large:
        spec_path = f"{suite_dir}/spec.py"
        out[spec_path] = _insert_spec_literal(out[spec_path], spec_literal)
    structural = structural_tests(spec)
    if structural:
        emit(
            "test_structure.py",
            "test_structure.py.j2",
            doc=docstring(
                f"Structural checks of {idl_name}: one test per coclass, interface, property "
                "and event source."
            ),
            tests=structural,
        )
    tests = scenario_tests(loaded) if loaded is not None else []
    out[f"{suite_dir}/README.md"] = env.get_template("README.md.j2").render(
        header_text=generated_header(idl_name).lstrip("# ").replace("--", "- -"),
        idl_name=_markdown_code(idl_name),
        suite_dir=suite_dir,
        coclass_names=coclass_names,
        scenario_source=_markdown_code(scenario_source) if scenario_source else "",
        structural_count=len(structural),
        adopted=[t for t in tests if t["adopted"]],
        documented=[t for t in tests if not t["adopted"]],
    )
    if tests:
        emit(
            "test_scenarios.py",
            "test_scenarios.py.j2",
            doc=docstring(
                f"Behaviour scenarios of {idl_name}, from {scenario_source}.\n\n"
                "Tests marked ``adopted`` check rules the documentation leaves open "
                '(run ``-m "not adopted"`` to\n'
                "check only the documented ones).\n"
            ),
            tests=tests,
            uses_marker=any(t["adopted"] for t in tests),
        )
    return out


def structural_tests(spec: conf.Spec) -> list[dict[str, Any]]:
    """One test per structural check: name, docstring literal, check-id literal."""
    tests = []
    taken: set[str] = set()
    for check_id in conf.StructuralChecks(spec).ids():
        name = _unique(conf.check_test_name(check_id, spec), taken)
        tests.append(
            {
                "name": name,
                "doc_literal": _docstring(conf.describe_check(check_id, spec)),
                "check_literal": py_literal(check_id),
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
                "doc_literal": _docstring(rule),
                "scenario_literal": py_literal(scenario.name),
                "adopted": scenario.adopted,
                "rule": _markdown_cell(scenario.rule),
            }
        )
    return tests


def _markdown_cell(text: str) -> str:
    """*text* on one line, safe inside a Markdown table cell."""
    return " ".join(safe_comment(text).split()).replace("|", "\\|").replace("<", "&lt;")


def _markdown_code(text: str) -> str:
    """*text* (a file name) on one line, for inside a Markdown code span."""
    return safe_comment(text).replace("`", "'")


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
    """The ``tests`` emitter: the suite for the main file whose stubs package is *package*."""
    path: str | None = None
    if len(program.files) > 1:
        path = next((f.path for f in program.files if package_name_for(f.path) == package), None)
    return render_conformance(program, package, path=path)
