"""The conformance report: every rule a generated suite checks, with its outcome in one run.

``pytest <suite> --impl=... --conformance-report=PATH`` writes ``PATH.md`` (for people) and
``PATH.json`` (for tools) next to pytest's own output.  Each entry is one test of the suite:
the rule in words, whether the documentation states it or the implementation adopted it, its
source (the scenario's ``source``, or the IDL file for the structural checks), and the outcome
with the failure message.  :func:`render_markdown` also renders several runs side by side
(one column per implementation): ``python -m idlgen.conformance.report A.json B.json -o
OUT.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from idlgen.conformance import scenarios as sc
from idlgen.conformance.checks import StructuralChecks
from idlgen.conformance.spec import Spec
from idlgen.conformance.suite import check_test_name, describe_check

#: Version of the JSON layout.
REPORT_FORMAT = 1
#: Outcomes, in the order the summary lists them.
OUTCOMES = ("passed", "failed", "error", "xfailed", "skipped", "not run")
#: At most this many characters of a failure message are kept.
MESSAGE_LIMIT = 4000


@dataclass
class RuleResult:
    """One test of the suite: the rule it checks and what happened in this run."""

    test: str
    kind: str  #: ``scenario``, ``structural`` or ``other`` (a test idlgen did not generate)
    rule: str
    adopted: bool = False
    source: str = ""
    check: str = ""  #: the check id (``scenario:name``, ``members:Coclass.Interface``, ...)
    outcome: str = "not run"
    message: str = ""


@dataclass
class ReportRun:
    """One run of a suite against one implementation."""

    suite: str
    idl: str
    implementation: str
    scenario_file: str = ""
    rules: list[RuleResult] = field(default_factory=list)

    def counts(self, kind: str | None = None, adopted: bool | None = None) -> dict[str, int]:
        """Outcome -> number of tests (optionally of one kind, documented or adopted)."""
        counts = dict.fromkeys(OUTCOMES, 0)
        for rule in self.rules:
            if (kind is None or rule.kind == kind) and (adopted is None or rule.adopted == adopted):
                counts[rule.outcome] = counts.get(rule.outcome, 0) + 1
        return counts

    def to_json(self) -> dict[str, Any]:
        """The JSON document of this run (``format`` 1)."""
        return {
            "format": REPORT_FORMAT,
            "suite": self.suite,
            "idl": self.idl,
            "scenario_file": self.scenario_file,
            "implementation": self.implementation,
            "summary": {
                "all": self.counts(),
                "documented": self.counts("scenario", adopted=False),
                "adopted": self.counts("scenario", adopted=True),
                "structural": self.counts("structural"),
            },
            "rules": [asdict(rule) for rule in self.rules],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReportRun:
        """Read back what :meth:`to_json` wrote."""
        if data.get("format") != REPORT_FORMAT:
            raise ValueError(f"not a conformance report of format {REPORT_FORMAT}")
        return cls(
            suite=data["suite"],
            idl=data["idl"],
            implementation=data["implementation"],
            scenario_file=data.get("scenario_file", ""),
            rules=[RuleResult(**rule) for rule in data["rules"]],
        )


def rules_of_suite(spec: Spec, scenarios: sc.ScenarioFile | None) -> dict[str, RuleResult]:
    """Test name -> the rule it checks, for every test idlgen generates from *spec*."""
    rules: dict[str, RuleResult] = {}
    for check_id in StructuralChecks(spec).ids():
        name = check_test_name(check_id, spec)
        rules[name] = RuleResult(
            name, "structural", describe_check(check_id, spec), source=spec.idl, check=check_id
        )
    for scenario in scenarios.scenarios if scenarios is not None else ():
        check_id = f"scenario:{scenario.name}"
        rules[check_test_name(check_id)] = RuleResult(
            check_test_name(check_id),
            "scenario",
            scenario.rule,
            adopted=scenario.adopted,
            source=scenario.source,
            check=check_id,
        )
    return rules


# --------------------------------------------------------------------------- Markdown

_SHOWN = {"passed": "passed", "failed": "**FAILED**", "error": "**ERROR**"}


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _shown(outcome: str) -> str:
    return _SHOWN.get(outcome, outcome)


def _summary_line(run: ReportRun, kind: str | None = None, adopted: bool | None = None) -> str:
    counts = run.counts(kind, adopted)
    total = sum(counts.values())
    parts = [f"{n} {outcome}" for outcome, n in counts.items() if n]
    return f"{total} tests: {', '.join(parts) or 'none'}"


def render_markdown(runs: Sequence[ReportRun]) -> str:
    """The Markdown report of one run, or of several runs of one suite side by side."""
    if not runs:
        raise ValueError("no run to report")
    first = runs[0]
    names = [r.implementation for r in runs]
    lines = [f"# Conformance report: {first.idl}", ""]
    scenario_file = f" and `{first.scenario_file}`" if first.scenario_file else ""
    lines.append(
        f"Suite `{first.suite}`, generated by idlgen from `{first.idl}`{scenario_file}; "
        "each rule with the test that checks it and its outcome."
    )
    lines.append("")
    lines += ["| implementation | all tests | documented rules | adopted rules | structural |"]
    lines += ["|---|---|---|---|---|"]
    for run in runs:
        lines.append(
            f"| `{run.implementation}` | {_summary_line(run)} | "
            f"{_summary_line(run, 'scenario', False)} | {_summary_line(run, 'scenario', True)} | "
            f"{_summary_line(run, 'structural')} |"
        )
    by_test = [{r.test: r for r in run.rules} for run in runs]
    tests = list(dict.fromkeys(t for run in runs for t in (r.test for r in run.rules)))
    rules = {t: next(m[t] for m in by_test if t in m) for t in tests}
    columns = " | ".join(f"`{n}`" for n in names) + " |"
    sections = [
        ("Documented rules", "scenario", False, True),
        ("Adopted rules", "scenario", True, True),
        ("Structural checks (from the IDL)", "structural", None, False),
        ("Other tests", "other", None, False),
    ]
    for title, kind, adopted, with_source in sections:
        chosen = [
            t
            for t in tests
            if rules[t].kind == kind and (adopted is None or rules[t].adopted == adopted)
        ]
        if not chosen:
            continue
        lines += ["", f"## {title}", ""]
        if title == "Adopted rules":
            lines += ["Rules the documentation leaves open, adopted by the reference.", ""]
        lines.append(("| rule | source | test | " if with_source else "| rule | test | ") + columns)
        lines.append("|---|" + ("---|" if with_source else "") + "---|" + "---|" * len(runs))
        for test in chosen:
            rule = rules[test]
            outcomes = " | ".join(
                _shown(m[test].outcome if test in m else "not run") for m in by_test
            )
            source = f" {_cell(rule.source)} |" if with_source else ""
            lines.append(f"| {_cell(rule.rule)} |{source} `{test}` | {outcomes} |")
    failures = [
        (run.implementation, rule)
        for run in runs
        for rule in run.rules
        if rule.outcome in ("failed", "error")
    ]
    if failures:
        lines += ["", "## Failures", ""]
        for implementation, rule in failures:
            lines += [f"### `{rule.test}` ({implementation})", ""]
            lines += ["```", rule.message.rstrip() or "(no message)", "```", ""]
        lines.pop()
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- pytest plugin


class ReportPlugin:
    """Collects each test's outcome and writes ``PATH.md`` and ``PATH.json`` at the end.

    Registered by :func:`idlgen.conformance.plugin.pytest_configure` when
    ``--conformance-report`` is given.
    """

    def __init__(self, path: str, implementation: str) -> None:
        self.base = _base_path(path)
        self.implementation = implementation
        self.items: dict[str, Any] = {}  #: nodeid -> item
        self.outcomes: dict[str, tuple[str, str]] = {}  #: nodeid -> (outcome, message)

    def pytest_collection_finish(self, session: Any) -> None:
        """Remember the tests that will run."""
        self.items = {item.nodeid: item for item in session.items}

    def pytest_runtest_logreport(self, report: Any) -> None:
        """Keep the outcome of each test (setup errors and expected failures included)."""
        previous = self.outcomes.get(report.nodeid, ("not run", ""))[0]
        message = _message(report)
        if getattr(report, "wasxfail", None) is not None and report.when == "call":
            self.outcomes[report.nodeid] = ("xfailed", str(report.wasxfail))
        elif report.failed:
            outcome = "failed" if report.when == "call" else "error"
            if previous not in ("failed", "error"):
                self.outcomes[report.nodeid] = (outcome, message)
        elif report.skipped and report.when != "teardown":
            self.outcomes[report.nodeid] = ("skipped", message)
        elif report.passed and report.when == "call":
            self.outcomes[report.nodeid] = ("passed", "")

    def pytest_sessionfinish(self, session: Any) -> None:
        """Write the report files."""
        runs = self.runs()
        if not runs:
            return
        self.base.parent.mkdir(parents=True, exist_ok=True)
        data = runs[0].to_json() if len(runs) == 1 else [run.to_json() for run in runs]
        markdown = "\n".join(render_markdown([run]) for run in runs)  # one suite after another
        _write(self.base.with_name(self.base.name + ".json"), json.dumps(data, indent=2) + "\n")
        _write(self.base.with_name(self.base.name + ".md"), markdown)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Say where the report went."""
        if self.runs():
            terminalreporter.write_line(f"conformance report: {self.base}.md, {self.base}.json")

    def runs(self) -> list[ReportRun]:
        """One run per generated suite among the collected tests (usually one)."""
        runs: dict[str, tuple[ReportRun, dict[str, RuleResult]]] = {}
        for nodeid, item in self.items.items():
            package = getattr(getattr(item, "module", None), "__package__", None) or ""
            if package not in runs:
                runs[package] = self._new_run(package)
            run, known = runs[package]
            rule = known.get(item.name)
            if rule is None:
                doc = (getattr(getattr(item, "function", None), "__doc__", None) or "").strip()
                rule = RuleResult(item.name, "other", " ".join(doc.split()) or item.name)
            outcome, message = self.outcomes.get(nodeid, ("not run", ""))
            run.rules.append(RuleResult(**{**asdict(rule), "outcome": outcome, "message": message}))
        return [run for run, _ in runs.values()]

    def _new_run(self, package: str) -> tuple[ReportRun, dict[str, RuleResult]]:
        """An empty run for the suite *package*, and its rules by test name (from the
        ``SPEC`` and ``SCENARIOS`` of the suite's ``spec.py``)."""
        spec_module = sys.modules.get(f"{package}.spec") if package else None
        spec = getattr(spec_module, "SPEC", None)
        if not isinstance(spec, Spec):
            return ReportRun(package or "tests", "", self.implementation), {}
        scenarios = getattr(spec_module, "SCENARIOS", None)
        source = str(getattr(spec_module, "SCENARIO_SOURCE", ""))
        run = ReportRun(package, spec.idl, self.implementation, scenario_file=source)
        return run, rules_of_suite(spec, scenarios)


def _base_path(path: str) -> Path:
    base = Path(path)
    if base.suffix in (".md", ".json"):
        base = base.with_suffix("")
    return base


def _message(report: Any) -> str:
    text = str(getattr(report, "longreprtext", "") or "")
    if not text and report.skipped and isinstance(report.longrepr, tuple):
        text = str(report.longrepr[-1])
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT] + "\n[...]"


def _write(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


# --------------------------------------------------------------------------- command line


def load_runs(paths: Iterable[str | Path]) -> list[ReportRun]:
    """The runs in these JSON report files (a file holds one run or a list of runs)."""
    runs: list[ReportRun] = []
    for path in paths:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        for item in data if isinstance(data, list) else [data]:
            runs.append(ReportRun.from_json(item))
    return runs


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m idlgen.conformance.report A.json B.json [-o OUT.md]``: runs side by side."""
    parser = argparse.ArgumentParser(
        prog="python -m idlgen.conformance.report",
        description="Put the JSON conformance reports of several runs into one Markdown table.",
    )
    parser.add_argument("reports", nargs="+", help="JSON files written by --conformance-report")
    parser.add_argument("-o", "--output", help="write the Markdown here (default: stdout)")
    args = parser.parse_args(argv)
    try:
        runs = load_runs(args.reports)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    text = render_markdown(runs)
    if args.output:
        _write(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
