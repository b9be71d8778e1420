"""The generated conformance suite for examples/Msgrpriv.idl: it passes against the reference
implementation, it catches deliberately broken variants (and names the member and the rule),
the expected-failures file keeps a partial implementation green, and bad scenario files are
compile errors.  Each suite run is a pytest subprocess on a suite generated into tmp_path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import idlgen
from idlgen import api
from idlgen import conformance as conf
from idlgen.backends.conformance import render_conformance, spec_data
from idlgen.diagnostics import CompileError
from idlgen.frontend import Program
from idlgen.output.format import format_python as format_source

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
IDL = EXAMPLES / "Msgrpriv.idl"
SCENARIOS = EXAMPLES / "Msgrpriv.scenarios.toml"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SUITE = "msgrpriv_conformance"

sys.path.insert(0, str(EXAMPLES))
from msgr_reference.broken import OVERVIEW_RULES, VARIANTS  # noqa: E402


@pytest.fixture(scope="module")
def program() -> Program:
    return api.parse([str(IDL)])


@pytest.fixture(scope="module")
def rendered(program: Program) -> dict[str, str]:
    return render_conformance(program)


@pytest.fixture(scope="module")
def out_dir(
    tmp_path_factory: pytest.TempPathFactory, program: Program, rendered: dict[str, str]
) -> Path:
    """The suite, and the stubs package beside it (the reference implementation uses it)."""
    from idlgen.backends import python as codegen

    out = tmp_path_factory.mktemp("generated")
    files = {**rendered, **codegen.render_package(program, package="msgrpriv")}
    for relative, text in files.items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return out


@dataclass
class Run:
    """The outcome of one pytest run of the generated suite."""

    returncode: int
    output: str
    outcomes: dict[str, str]  #: test name -> passed / failed / skipped / xfailed
    messages: dict[str, str]  #: test name -> failure text

    def names(self, outcome: str) -> list[str]:
        return sorted(n for n, o in self.outcomes.items() if o == outcome)


#: Runs pytest sessions one after the other in one process (saves interpreter start-ups).
DRIVER = """
import contextlib, io, json, os, sys
import pytest
for job in json.loads(sys.argv[1]):
    os.environ.pop("MSGR_BROKEN", None)
    os.environ.pop("IDLGEN_IMPL", None)
    os.environ.update(job["env"])
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = pytest.main(job["args"])
    with open(job["log"], "w", encoding="utf-8") as f:
        f.write(f"{int(code)}\\n" + out.getvalue())
"""


def run_batch(
    out: Path, jobs: list[tuple[str, list[str], dict[str, str]]], suite: str = SUITE
) -> dict[str, Run]:
    """Run the suite once per job ``(tag, extra args, environment)`` in one subprocess.

    A job whose args name a directory of *out* runs that suite instead of *suite*.
    """
    specs = []
    for tag, args, env in jobs:
        specs.append(
            {
                "env": env,
                "log": str(out / f"log-{tag}.txt"),
                "args": [
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    f"--junitxml={out / f'junit-{tag}.xml'}",
                    *([] if any((out / a).is_dir() for a in args) else [str(out / suite)]),
                    *args,
                ],
            }
        )
    run_python(out, DRIVER, json.dumps(specs))
    return {tag: _read_run(out, tag) for tag, _, _ in jobs}


def run_python(out: Path, code: str, *args: str) -> str:
    """Run *code* in a new interpreter in *out* (examples and *out* importable); its stdout."""
    environ = dict(os.environ)
    environ.pop("IDLGEN_IMPL", None)
    inherited = [p for p in environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    environ["PYTHONPATH"] = os.pathsep.join([str(EXAMPLES), str(out), *inherited])
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=out,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def _read_run(out: Path, tag: str) -> Run:
    code, _, output = (out / f"log-{tag}.txt").read_text(encoding="utf-8").partition("\n")
    junit = out / f"junit-{tag}.xml"
    outcomes: dict[str, str] = {}
    messages: dict[str, str] = {}
    if junit.exists():
        for case in ET.parse(junit).iter("testcase"):
            name = case.get("name", "")
            outcome = "passed"
            for child in case:
                if child.tag in ("failure", "error"):
                    outcome = "failed"
                    messages[name] = (child.get("message") or "") + "\n" + (child.text or "")
                elif child.tag == "skipped":
                    kind = child.get("type", "")
                    outcome = "xfailed" if "xfail" in kind else "skipped"
            outcomes[name] = outcome
    return Run(int(code), output, outcomes, messages)


# --------------------------------------------------------------------------- the generated files


def test_generated_suite_files(program: Program, rendered: dict[str, str]) -> None:
    assert sorted(rendered) == [
        f"{SUITE}/README.md",
        f"{SUITE}/__init__.py",
        f"{SUITE}/conftest.py",
        f"{SUITE}/spec.py",
        f"{SUITE}/test_scenarios.py",
        f"{SUITE}/test_structure.py",
    ]
    readme = rendered.pop(f"{SUITE}/README.md")
    try:
        assert readme.startswith("<!-- Generated by idlgen ")
        assert "## Adopted rules" in readme
        assert "`test_scenario_lock_disabled`" in readme
        for text in rendered.values():
            assert text.startswith("# Generated by idlgen ")
            assert "from Msgrpriv.idl. Do not edit." in text.splitlines()[0]
            compile(text, "<generated>", "exec")
            assert format_source(text) == text, "generated code must be black-formatted"
    finally:
        rendered[f"{SUITE}/README.md"] = readme
    assert render_conformance(program) == rendered, "generation must be deterministic"


def test_tests_emit_target_through_the_api() -> None:
    """``idlgen.render(..., emit=["tests"])`` reaches the conformance emitter; --package names
    both the stubs package the suite uses and the suite's directory."""
    files = idlgen.render([str(IDL)], emit=["tests"], package="messenger")
    names = ["README.md", "__init__.py", "conftest.py", "spec.py", "test_scenarios.py"]
    names.append("test_structure.py")
    assert sorted(files) == [f"messenger_conformance/{name}" for name in names]
    assert 'STUBS_PACKAGE = "messenger"' in files["messenger_conformance/conftest.py"]


def test_one_test_per_check_and_scenario(program: Program, rendered: dict[str, str]) -> None:
    spec = conf.Spec.from_dict(spec_data(program))
    checks = conf.StructuralChecks(spec).ids()
    structure = rendered[f"{SUITE}/test_structure.py"]
    assert structure.count("\ndef test_") == len(checks)
    assert "def test_MsgrSession_IMsgrSession_State_read_only(" in structure
    assert "def test_MsgrSession_IMsgrSession_Application_read_write(" in structure
    scenarios = conf.load_scenario_file(SCENARIOS, spec).scenarios
    text = rendered[f"{SUITE}/test_scenarios.py"]
    assert text.count("\ndef test_scenario_") == len(scenarios)
    assert text.count("@pytest.mark.adopted") == sum(s.adopted for s in scenarios) > 0
    assert text.count('"""Adopted rule: ') == sum(s.adopted for s in scenarios)


def test_spec_has_the_type_library_facts(program: Program) -> None:
    typelib = SHARED / "reference" / "winmessenger" / "typelib.json"
    if not typelib.is_file():
        pytest.skip(f"{typelib} is absent")
    facts = json.loads(typelib.read_text(encoding="utf-8"))
    data = spec_data(program)
    ours = {i["name"]: i for i in data["interfaces"]}
    for interface in facts["interfaces"]:
        mine = ours[interface["name"]]
        assert mine["iid"] == interface["iid"]
        assert [(m["name"], m["kind"], m["dispid"]) for m in mine["members"]] == [
            (m["name"], m["kind"], m.get("dispid")) for m in interface["members"]
        ]
    sources = {d["name"]: d for d in data["dispinterfaces"]}
    for source in facts["dispinterfaces"]:
        assert [(m["name"], m["dispid"]) for m in sources[source["name"]]["methods"]] == [
            (m["name"], m["dispid"]) for m in source["methods"]
        ]
    assert {c["name"] for c in data["coclasses"]} == {c["name"] for c in facts["coclasses"]}


# --------------------------------------------------------------------------- running it


EXPECTED_FAILURES = (
    "# known gaps of this implementation\ntest_MsgrSession_IMsgrSession_State_read_only\n"
)


#: Variants also run through pytest, for the failure messages the plugin prints.
PYTEST_VARIANTS = ("state_writable", "wrong_event_argument", "final_state_not_final")


def report_option(out: Path, tag: str) -> str:
    return f"--conformance-report={out / 'reports' / tag}"


@pytest.fixture(scope="module")
def runs(out_dir: Path) -> dict[str, Run]:
    """The suite run against the reference, with the options under test, and against a few
    broken variants (with a conformance report each)."""
    listed = out_dir / "expected-failures.txt"
    listed.write_text(EXPECTED_FAILURES, encoding="utf-8")
    ref, broken = "--impl=msgr_reference", "--impl=msgr_reference.broken"
    xfail = f"--expected-failures={listed}"
    variants = [
        (name, [broken, report_option(out_dir, name), f"--conformance-report-label={name}"])
        for name in PYTEST_VARIANTS
    ]
    return run_batch(
        out_dir,
        [
            ("reference", [ref, report_option(out_dir, "reference.md")], {}),
            (
                "xfail",
                [broken, xfail, report_option(out_dir, "xfail")],
                {"MSGR_BROKEN": "state_writable"},
            ),
            ("xpass", [ref, xfail, "-k", "State"], {}),
            ("adopted", [ref, "-m", "adopted"], {}),
            ("noimpl", [], {}),
            ("noimpl-collect", ["--collect-only"], {}),
            ("noimpl-help", ["--help"], {}),
            ("badimpl", ["--impl=no_such_module_xyz"], {}),
            ("badenv", [], {"IDLGEN_IMPL": "no_such_module_xyz"}),
            *((name, args, {"MSGR_BROKEN": name}) for name, args in variants),
        ],
    )


def test_reference_implementation_passes_everything(
    runs: dict[str, Run], rendered: dict[str, str]
) -> None:
    run = runs["reference"]
    expected = sum(text.count("\ndef test_") for text in rendered.values())
    assert run.returncode == 0, run.output[-3000:]
    assert len(run.outcomes) == expected > 80
    assert run.names("passed") == sorted(run.outcomes), "every test passes, none skipped"
    print(f"generated suite: {expected} tests, {len(run.names('passed'))} passed")


#: Runs every check and scenario of the generated suite against every broken variant, the way
#: the generated tests do (``idlgen.conformance.run_all``), in one process; prints JSON
#: ``{variant: {test name: failure message or null}}``.
VARIANT_DRIVER = """
import json, sys
from idlgen.conformance import check_test_name, run_all
from msgrpriv_conformance.spec import SCENARIOS, SPEC
from msgr_reference.broken import VARIANTS
results = {}
for name, variant in VARIANTS.items():
    outcome = run_all(SPEC, variant.build, SCENARIOS, stubs="msgrpriv")
    results[name] = {
        check_test_name(check, SPEC): None if failure is None else failure.message
        for check, failure in outcome.items()
    }
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def variant_outcomes(out_dir: Path) -> dict[str, dict[str, str | None]]:
    """Test name -> failure message (None: passed) of the generated suite, per broken variant."""
    results: dict[str, dict[str, str | None]] = json.loads(run_python(out_dir, VARIANT_DRIVER))
    assert sorted(results) == sorted(VARIANTS)
    return results


def test_broken_variants_are_caught(variant_outcomes: dict[str, dict[str, str | None]]) -> None:
    """Each variant breaks one rule; the test named in VARIANTS fails and says why in words,
    and few others fail (the failures pinpoint the rule)."""
    assert len(variant_outcomes) >= 45
    for name, outcomes in sorted(variant_outcomes.items()):
        failed = {test: message for test, message in outcomes.items() if message is not None}
        variant = VARIANTS[name]
        assert variant.caught_by in failed, f"{name} ({variant.breaks}): failed {sorted(failed)}"
        message = failed[variant.caught_by]
        for word in variant.words:
            assert word in message, f"{name}: {word!r} not in {message!r}"
        assert len(failed) < len(outcomes) // 4, f"{name}: the failures must pinpoint it"
        print(f"{name} ({variant.rule}): caught by {variant.caught_by} ({len(failed)} failed)")


def test_every_overview_rule_has_a_broken_variant() -> None:
    """Every rule of OVERVIEW.md (the numbered ones, the per-object lock and the parts of the
    Registration paragraph) is broken alone by at least one variant."""
    rules = {variant.rule for variant in VARIANTS.values()}
    assert set(OVERVIEW_RULES) <= rules, sorted(set(OVERVIEW_RULES) - rules)
    assert rules - set(OVERVIEW_RULES) == {"IDL"}
    overview = SHARED / "reference" / "winmessenger" / "OVERVIEW.md"
    if not overview.is_file():
        pytest.skip(f"{overview} is absent")
    numbered: list[str] = []
    section = ""
    for line in overview.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:].split("(")[0].strip()
        elif line[:1].isdigit() and ". " in line[:4]:
            numbered.append(f"{section} {line.split('.')[0]}")
    assert len(numbered) == 17
    assert set(numbered) <= set(OVERVIEW_RULES), sorted(set(numbered) - set(OVERVIEW_RULES))


def test_docs_rule_table_lists_every_variant() -> None:
    """docs/conformance.md has a row per rule naming its variants and the tests they fail."""
    docs = (ROOT / "docs" / "conformance.md").read_text(encoding="utf-8")
    rows = {line.split(" | ")[0][2:]: line for line in docs.splitlines() if line.startswith("| ")}
    for name, variant in VARIANTS.items():
        if variant.rule == "IDL":
            continue
        caught = variant.caught_by.removeprefix("test_scenario_")
        assert f"`{name}` → `{caught}`" in rows.get(variant.rule, ""), (name, variant.rule)


def test_failure_names_member_and_rule(runs: dict[str, Run]) -> None:
    run = runs["state_writable"]
    assert run.returncode == 1
    assert run.names("failed") == ["test_MsgrSession_IMsgrSession_State_read_only"]
    assert (
        "test_MsgrSession_IMsgrSession_State_read_only: IMsgrSession.State is read-only: "
        "setting it must fail" in run.output
    )
    text = runs["wrong_event_argument"].messages["test_scenario_invite_moves_to_invitation"]
    assert "must receive exactly [OnStateChanged(SS_READY (1))]" in text
    assert "rule: Invite returns S_OK" in text
    assert "Msgrpriv.scenarios.toml:" in text


def test_expected_failures_file(runs: dict[str, Run]) -> None:
    run = runs["xfail"]
    assert run.returncode == 0, run.output[-2000:]
    assert run.names("xfailed") == ["test_MsgrSession_IMsgrSession_State_read_only"]
    assert run.names("failed") == []
    # a listed test that passes fails the run: the list must shrink as the implementation grows
    run = runs["xpass"]
    assert run.returncode == 1
    assert "listed in the expected-failures file but passed" in run.output


def test_adopted_rules_can_be_left_out(runs: dict[str, Run], rendered: dict[str, str]) -> None:
    adopted = rendered[f"{SUITE}/test_scenarios.py"].count("@pytest.mark.adopted")
    run = runs["adopted"]
    assert run.returncode == 0
    assert len(run.names("passed")) == adopted > 0


def test_missing_impl_is_a_usage_error(runs: dict[str, Run]) -> None:
    # like a misspelled --impl: one line, once, before any test runs; no error per test
    run = runs["noimpl"]
    assert run.returncode == 4, run.output[-2000:]
    assert run.outcomes == {}
    assert run.output.strip() == (
        "ERROR: no implementation to check: pass --impl=package.module (a module with "
        "new_implementation()) or set IDLGEN_IMPL (--impl=auto checks the structure of the "
        "generated stubs' own coclasses)"
    )
    # listing the tests or the options needs no implementation
    assert runs["noimpl-collect"].returncode == 0
    assert runs["noimpl-help"].returncode == 0 and "--impl=IMPL" in runs["noimpl-help"].output
    for tag in ("badimpl", "badenv"):
        run = runs[tag]
        assert run.returncode == 4, run.output[-2000:]
        assert "--impl=no_such_module_xyz: cannot import it (ModuleNotFoundError" in run.output
        assert run.outcomes == {} and "Traceback" not in run.output


# --------------------------------------------------------------------------- the conformance report


def read_report(out: Path, tag: str) -> tuple[dict[str, Any], str]:
    """The JSON and the Markdown that ``--conformance-report`` wrote for run *tag*."""
    base = out / "reports" / tag
    data = json.loads(base.with_name(f"{tag}.json").read_text(encoding="utf-8"))
    return data, base.with_name(f"{tag}.md").read_text(encoding="utf-8")


def test_conformance_report_of_the_reference(
    runs: dict[str, Run], out_dir: Path, program: Program
) -> None:
    """Every test of the suite is in the report with its rule, documented or adopted, its
    source and its outcome; ``PATH.md`` and ``PATH`` name the same files."""
    run = runs["reference"]
    assert f"conformance report: {out_dir / 'reports' / 'reference'}.md" in run.output
    data, markdown = read_report(out_dir, "reference")
    spec = conf.Spec.from_dict(spec_data(program))
    scenarios = conf.load_scenario_file(SCENARIOS, spec).scenarios
    assert (data["format"], data["suite"], data["idl"], data["scenario_file"]) == (
        1,
        SUITE,
        "Msgrpriv.idl",
        "Msgrpriv.scenarios.toml",
    )
    assert data["implementation"] == "msgr_reference"
    rules = {rule["test"]: rule for rule in data["rules"]}
    assert sorted(rules) == sorted(run.outcomes)
    assert {rule["outcome"] for rule in rules.values()} == {"passed"}
    for scenario in scenarios:
        rule = rules[f"test_scenario_{scenario.name}"]
        assert (rule["kind"], rule["rule"], rule["adopted"], rule["source"]) == (
            "scenario",
            scenario.rule,
            scenario.adopted,
            scenario.source,
        )
    adopted = sum(s.adopted for s in scenarios)
    assert data["summary"]["adopted"]["passed"] == adopted > 0
    assert data["summary"]["documented"]["passed"] == len(scenarios) - adopted
    structural = [rule for rule in rules.values() if rule["kind"] == "structural"]
    assert (
        len(structural)
        == data["summary"]["structural"]["passed"]
        == len(conf.StructuralChecks(spec).ids())
    )
    state = rules["test_MsgrSession_IMsgrSession_State_read_only"]
    assert (
        state["rule"] == "IMsgrSession.State is read-only: reading it works, setting it must fail."
    )
    assert (state["source"], state["check"]) == (
        "Msgrpriv.idl",
        "property_access:MsgrSession.IMsgrSession.State",
    )
    assert "## Documented rules" in markdown and "## Adopted rules" in markdown
    assert "## Failures" not in markdown
    total = len(run.outcomes)
    assert f"| `msgr_reference` | {total} tests: {total} passed |" in markdown
    final = next(s for s in scenarios if s.name == "final_state_is_final")
    row = f"| {final.rule} | {final.source} | `test_scenario_final_state_is_final` | passed |"
    assert row in markdown


def test_conformance_report_of_broken_runs(runs: dict[str, Run], out_dir: Path) -> None:
    """A failing rule shows as FAILED with its message; an expected failure as xfailed."""
    data, markdown = read_report(out_dir, "final_state_not_final")
    assert data["implementation"] == "final_state_not_final"  # --conformance-report-label
    failed = [rule for rule in data["rules"] if rule["outcome"] != "passed"]
    assert [rule["test"] for rule in failed] == ["test_scenario_final_state_is_final"]
    assert failed[0]["outcome"] == "failed" and failed[0]["adopted"]
    assert "Session invite 9" in failed[0]["source"]
    assert "reading IMsgrSession.State must give SS_CANCELLED" in failed[0]["message"]
    assert data["summary"]["adopted"]["failed"] == 1
    assert "`test_scenario_final_state_is_final` | **FAILED** |" in markdown
    assert "### `test_scenario_final_state_is_final` (final_state_not_final)" in markdown
    data, markdown = read_report(out_dir, "xfail")
    outcomes = {rule["test"]: rule["outcome"] for rule in data["rules"]}
    assert outcomes.pop("test_MsgrSession_IMsgrSession_State_read_only") == "xfailed"
    assert set(outcomes.values()) == {"passed"}
    assert (data["summary"]["all"]["xfailed"], data["summary"]["all"]["failed"]) == (1, 0)


def test_conformance_reports_side_by_side(
    runs: dict[str, Run], out_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``python -m idlgen.conformance.report A.json B.json`` puts runs in columns."""
    from idlgen.conformance import report

    reports = out_dir / "reports"
    merged = tmp_path / "both.md"
    names = ["reference.json", "final_state_not_final.json"]
    assert report.main([str(reports / n) for n in names] + ["-o", str(merged)]) == 0
    text = merged.read_text(encoding="utf-8")
    assert "| rule | source | test | `msgr_reference` | `final_state_not_final` |" in text
    assert "`test_scenario_final_state_is_final` | passed | **FAILED** |" in text
    assert "`test_scenario_invite_errors` | passed | passed |" in text
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    assert report.main([str(bad)]) == 1
    assert "error: not a conformance report of format 1" in capsys.readouterr().err


# --------------------------------------------------------------------------- bad scenario files


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (
            lambda t: t.replace('{ const = "SS_READY" }', '{ const = "SS_READDY" }', 1),
            ["unknown constant or HRESULT 'SS_READDY'", "did you mean 'SS_READY'"],
        ),
        (
            lambda t: t.replace('call = "$mgr.CreateSession"', 'call = "$mgr.CreateSesion"', 1),
            ["no interface has a member 'CreateSesion'", "did you mean 'CreateSession'"],
        ),
        (
            lambda t: t.replace('harness = "remote_user"', 'harness = "remote_usr"', 1),
            ["harness action 'remote_usr' is not declared", "did you mean 'remote_user'"],
        ),
        (lambda t: t + "\n[[scenario]]\nname = 3\n", ["'name' must be an identifier"]),
    ],
)
def test_invalid_scenario_file_is_a_compile_error(
    program: Program, tmp_path: Path, edit: object, words: list[str]
) -> None:
    bad = tmp_path / "Msgrpriv.scenarios.toml"
    text = SCENARIOS.read_text(encoding="utf-8")
    assert callable(edit)
    bad.write_text(edit(text), encoding="utf-8")
    with pytest.raises(CompileError) as caught:
        render_conformance(program, scenarios=bad)
    messages = [f"{d.span}: {d.message}" for d in caught.value.diagnostics]
    assert messages, "the error must be reported"
    assert messages[0].startswith(f"{bad}:")
    for word in words:
        assert word in messages[0], messages[0]


# --------------------------------------------------------------------------- corpus files

CORPUS = SHARED / "corpus" / "mingw-w64"
#: Corpus files with coclasses: plain and dual interfaces, enums, event sources (msxml).
CORPUS_FILES = ("alg", "httprequest", "mpeg2data", "msxml", "netlistmgr", "wsmandisp")


def test_structural_suite_on_corpus_files(tmp_path: Path) -> None:
    """The generated structural checks pass on real IDL, against ``--impl=auto`` (the stubs'
    own coclasses with every abstract member filled in), so the generator is not tuned to the
    example alone."""
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} is absent")
    from idlgen.backends import python as codegen

    jobs = []
    counts: dict[str, int] = {}
    for name in CORPUS_FILES:
        program = api.parse(
            [str(CORPUS / "include" / f"{name}.idl")],
            include_dirs=[str(CORPUS / "include"), str(CORPUS / "crt")],
            defines={"BOOL": "WINBOOL"},
        )
        files = {**codegen.render_package(program), **render_conformance(program)}
        for relative, text in files.items():
            path = tmp_path / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        counts[name] = files[f"{name}_conformance/test_structure.py"].count("\ndef test_")
        jobs.append((name, [f"{name}_conformance", "--impl=auto"], {}))
    runs = run_batch(tmp_path, jobs)
    kinds: set[str] = set()
    for name, run in runs.items():
        assert run.returncode == 0, f"{name}:\n{run.output[-3000:]}"
        assert len(run.names("passed")) == counts[name] == len(run.outcomes) > 0, name
        kinds.update(t.rsplit("_", 2)[-1] for t in run.outcomes)
    assert {"point", "DISPIDs", "types", "undeclared"} <= kinds, kinds
    print({name: counts[name] for name in CORPUS_FILES})


# --------------------------------------------------------------------------- failure wording


GREETER_SCENARIOS = """\
[suite]
idl = "Greeter.idl"
format = 1

[harness.visitor]
params = ["greeter", "state"]
doc = "A visitor arrives."

[[scenario]]
name = "greet_says_hello"
rule = "Greet returns a greeting"
steps = [
  { create = "Greeter", as = "g" },
  { call = "$g.Greet", args = ["Ada"], returns = "" },
]

[[scenario]]
name = "greet_long"
rule = "Greet takes long names"
steps = [
  { create = "Greeter", as = "g" },
  { call = "$g.Greet", args = [{ repeat = "x", times = 500 }], returns = "" },
]

[[scenario]]
name = "greet_self"
rule = "Greet takes a variable"
steps = [
  { create = "Greeter", as = "g" },
  { harness = "visitor", args = ["$g", { const = "GS_IDLE" }] },
]
"""


def test_a_call_failure_shows_the_arguments() -> None:
    greeter = api.parse([str(EXAMPLES / "buildhook" / "idl" / "Greeter.idl")])
    spec = conf.Spec.from_dict(spec_data(greeter))
    scenarios = conf.load_scenario_text(GREETER_SCENARIOS, "Greeter.scenarios.toml", spec)
    assert scenarios is not None

    class Greeter:
        def Greet(self, name: str) -> str:
            return f"Hello, {name}!"

    class Harness:
        def visitor(self, *args: object) -> None:
            raise ValueError("nobody came")

    implementation = types.SimpleNamespace(factories={"Greeter": Greeter}, harness=Harness())
    results = conf.run_all(spec, lambda: implementation, scenarios)
    first = str(results["scenario:greet_says_hello"]).splitlines()[0]
    assert first.endswith("IGreeter.Greet('Ada') must give '', got 'Hello, Ada!'")
    long = str(results["scenario:greet_long"]).splitlines()[0]
    assert "IGreeter.Greet('xxxxxxxx" in long and "...) must give ''" in long
    assert len(long) < 300
    harness = str(results["scenario:greet_self"]).splitlines()[0]
    assert harness.endswith("harness.visitor($g, GS_IDLE) must succeed, but failed with "
                            "ValueError: nobody came")  # fmt: skip
