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
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from idlgen import conformance as conf
from idlgen.backends.common.emitters import register_emitter
from idlgen.backends.common.layout import bracketed, fits
from idlgen.backends.common.naming import (
    package_name_for,
)
from idlgen.backends.common.templates import load_template
from idlgen.backends.conformance.specdata import load_scenarios, spec_data
from idlgen.conformance import scenarios as sc
from idlgen.conformance.scenarios import find_scenario_file
from idlgen.frontend import Program
from idlgen.output.blocks import larger_than_a_block
from idlgen.output.format import (
    DEFAULT_STYLE,
    BlackStyle,
    Formatted,
    format_files,
    format_python,
)
from idlgen.output.pysource import (
    docstring,
    generated_header,
    py_literal,
    safe_comment,
    text_literal,
)

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
    return "\n".join("    " + py_literal(piece) for piece in pieces)


#: Stands for a large spec literal while black formats spec.py (see _insert_spec_literal).
_SPEC_PLACEHOLDER = "idlgen:spec-data"


def _insert_spec_literal(formatted: str, literal: str) -> str:
    """Put the large spec *literal* (one string per line, indented) where black left the
    placeholder.

    black would lay such a literal out as the call's only argument, one string per line
    indented by four, and change nothing else (it never joins or splits strings): the same
    text, without making black parse megabytes of strings.
    """
    call = f"json.loads({py_literal(_SPEC_PLACEHOLDER)})"
    body = literal + "\n"  # indented by _json_literal
    assert formatted.count(call) == 1, "spec.py template changed: update _insert_spec_literal"
    return formatted.replace(call, f"json.loads(\n{body})")


def _docstring(text: str) -> str:
    """A safe triple-quoted docstring literal for *text*, wrapped to fit the line length."""
    # 81: with the indent of 4 and the quotes, the lines fit black's default line length, and
    # black leaves the closing quotes where they are
    return docstring(textwrap.fill(" ".join(text.split()), width=81))


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

    scenario_path = Path(scenarios) if scenarios is not None else find_scenario_file(main.path)
    scenario_text = ""
    loaded: sc.ScenarioFile | None = None
    if scenario_path is not None:
        scenario_text, loaded = load_scenarios(scenario_path, spec)
    scenario_source = scenario_path.name if scenario_path is not None else ""

    env = _environment()
    common: dict[str, Any] = {"header": generated_header(idl_name)}
    out: dict[str, str] = {}

    def emit(name: str, template: str, **params: Any) -> None:
        text = env.get_template(template).render(**common, **params)
        out[f"{suite_dir}/{name}"] = text

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
        formatted_spec = format_python(out[spec_path], style)
        out[spec_path] = Formatted(_insert_spec_literal(formatted_spec, spec_literal))
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
                    4, "suite.check", [py_literal(check_id)], "", DEFAULT_STYLE.line_length
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
                    [py_literal(scenario.name)],
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
    """The ``tests`` emitter: the suite for the main file whose stubs package is *package*
    (unformatted: :func:`idlgen.backends.python.render_package` formats what emitters return)."""
    path: str | None = None
    if len(program.files) > 1:
        path = next((f.path for f in program.files if package_name_for(f.path) == package), None)
    return render_conformance(program, package, path=path, formatted=False)
