"""The pytest hooks of a generated suite (its ``conftest.py`` imports them from
:mod:`idlgen.conformance`): ``--impl``, ``--expected-failures``, ``--conformance-report`` and
their reporting."""

from __future__ import annotations

import os
from typing import Any

import pytest

from idlgen.conformance.report import ReportPlugin
from idlgen.conformance.runner import load_implementation
from idlgen.conformance.spec import ConformanceFailure
from idlgen.conformance.suite import (
    AUTO_IMPL,
    IMPL_ENV,
    NO_IMPLEMENTATION,
    implementation_name,
    read_expected_failures,
)

#: pytest options that only show information: they need no implementation.
_INFORMATION_OPTIONS = (
    "help",
    "version",
    "collectonly",
    "showfixtures",
    "show_fixtures_per_test",
    "markers",
)

# --------------------------------------------------------------------------- pytest plugin
# The generated conftest imports these hooks from here.

#: The name the ``--conformance-report`` writer is registered under.
REPORT_PLUGIN = "idlgen-conformance-report"


def pytest_addoption(parser: Any) -> None:
    """``--impl``, ``--expected-failures`` and ``--conformance-report`` (with its label)."""
    group = parser.getgroup("idlgen conformance")
    group.addoption(
        "--impl",
        action="store",
        default=None,
        help="module (package.module) whose new_implementation() gives the implementation "
        f"(default: ${IMPL_ENV})",
    )
    group.addoption(
        "--expected-failures",
        action="store",
        default=None,
        help="file listing tests known to fail (reported as xfail; passing ones fail the run)",
    )
    group.addoption(
        "--conformance-report",
        action="store",
        default=None,
        metavar="PATH",
        help="write the conformance report (each rule, its test and outcome) to PATH.md and "
        "PATH.json",
    )
    group.addoption(
        "--conformance-report-label",
        action="store",
        default=None,
        metavar="LABEL",
        help="name of the implementation in the report (default: the --impl value)",
    )


def pytest_configure(config: Any) -> None:
    """Read the expected-failures file once; register the ``adopted`` marker."""
    config.addinivalue_line(
        "markers", "adopted: the scenario checks a rule the documentation leaves open"
    )
    # a missing or broken --impl fails the run once, before collection, not in every test
    module_name = implementation_name(config)
    if not module_name:
        if not any(getattr(config.option, name, False) for name in _INFORMATION_OPTIONS):
            raise pytest.UsageError(NO_IMPLEMENTATION)
    elif module_name != AUTO_IMPL:
        config.__dict__.setdefault("_idlgen_conformance", {})["factory"] = load_implementation(
            module_name
        )
    path = config.getoption("--expected-failures", default=None)
    expected: set[str] = set()
    if path:
        try:
            expected = read_expected_failures(path)
        except OSError as exc:
            raise pytest.UsageError(f"--expected-failures: cannot read {path}: {exc}") from None
    config.__dict__["_idlgen_expected_failures"] = expected
    report = config.getoption("--conformance-report", default=None)
    if report and not config.pluginmanager.has_plugin(REPORT_PLUGIN):
        implementation = (
            config.getoption("--conformance-report-label", default=None)
            or module_name
            or os.environ.get(IMPL_ENV, "")
            or "(none)"
        )
        config.pluginmanager.register(ReportPlugin(report, implementation), REPORT_PLUGIN)


def _expected(item: Any) -> bool:
    names: set[str] = item.config.__dict__.get("_idlgen_expected_failures", set())
    return item.name in names or item.nodeid in names or item.originalname in names


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    """Word conformance failures plainly; apply the expected-failures list."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call":
        return
    if report.failed and call.excinfo is not None:
        exc = call.excinfo.value
        if isinstance(exc, ConformanceFailure):
            report.longrepr = f"{item.name}: {exc.message}"
    if not _expected(item):
        return
    if report.failed:
        report.outcome = "skipped"
        report.wasxfail = "listed in --expected-failures"
    elif report.passed:
        report.outcome = "failed"
        report.longrepr = (
            f"{item.name} is listed in the expected-failures file but passed: "
            "remove it from the list"
        )
