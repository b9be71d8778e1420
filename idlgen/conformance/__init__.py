"""The generated conformance suite's machinery: structural checks, scenario runner, pytest glue.

A generated suite is small: its ``spec.py`` builds a :class:`Spec` (the IDL's facts, as JSON
data) and its ``conftest.py`` imports the pytest hooks defined here; each test is one line::

    def test_MsgrSession_IMsgrSession_State_read_only(suite: Suite) -> None:
        suite.check("property_access:MsgrSession.IMsgrSession.State")

    def test_scenario_invite_moves_to_invitation(suite: Suite) -> None:
        suite.run_scenario("invite_moves_to_invitation")

An implementation is plugged in with ``--impl=package.module``: that module defines
``new_implementation()`` returning an :class:`Implementation` (one factory per coclass and the
harness object the scenarios drive); see ``docs/conformance.md``.  ``--impl=auto`` checks the
generated stubs' own coclasses with every abstract member filled in.  ``--expected-failures=FILE``
lists tests known to fail: they are reported as xfail, and fail the run if they start passing.

Every failure is a :class:`ConformanceFailure` whose message names the IDL member and the rule in
words, e.g. ``IMsgrSession.State is read-only: setting it must fail``.

The pieces: :mod:`.spec` (the facts), :mod:`.runner` (implementations, recording sinks, the
scenario runner), :mod:`.checks` (the structural checks), :mod:`.suite` (the suite object, test
names, the auto implementation), :mod:`.plugin` (pytest hooks) and :mod:`.scenarios` (the
scenario file format).  Nothing here imports the compiler (front end or backends), and
what needs pytest is imported when first used (so the facts and the scenario format can be
read without it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from idlgen.conformance.spec import (
    DISPATCH_METHOD,
    DISPATCH_PROPERTYGET,
    DISPATCH_PROPERTYPUT,
    IID_NOBODY,
    STANDARD_HRESULTS,
    CoclassSpec,
    ConformanceFailure,
    EventSpec,
    IID_IConnectionPointContainer,
    IID_IDispatch,
    IID_IUnknown,
    InterfaceSpec,
    MemberSpec,
    ParamSpec,
    SourceSpec,
    Spec,
    hresult_of,
    signed32,
    unsigned32,
)

if TYPE_CHECKING:
    from idlgen.conformance.checks import (
        RUNTIME_INTERFACES,
        StructuralCheck,
        StructuralChecks,
    )
    from idlgen.conformance.plugin import (
        pytest_addoption,
        pytest_configure,
        pytest_runtest_makereport,
    )
    from idlgen.conformance.runner import (
        Implementation,
        RecordedEvent,
        RecordingSink,
        ScenarioRunner,
        find_connection_point,
        load_implementation,
        query_interface,
        recording_sink_class,
    )
    from idlgen.conformance.suite import (
        AUTO_IMPL,
        IMPL_ENV,
        AutoImplementation,
        Suite,
        auto_implementation,
        check_test_name,
        describe_check,
        load_scenario_file,
        load_scenario_text,
        new_suite,
        read_expected_failures,
        run_all,
    )

__all__ = [
    "AUTO_IMPL",
    "DISPATCH_METHOD",
    "DISPATCH_PROPERTYGET",
    "DISPATCH_PROPERTYPUT",
    "IID_NOBODY",
    "IMPL_ENV",
    "RUNTIME_INTERFACES",
    "STANDARD_HRESULTS",
    "AutoImplementation",
    "CoclassSpec",
    "ConformanceFailure",
    "EventSpec",
    "IID_IConnectionPointContainer",
    "IID_IDispatch",
    "IID_IUnknown",
    "Implementation",
    "InterfaceSpec",
    "MemberSpec",
    "ParamSpec",
    "RecordedEvent",
    "RecordingSink",
    "ScenarioRunner",
    "SourceSpec",
    "Spec",
    "StructuralCheck",
    "StructuralChecks",
    "Suite",
    "auto_implementation",
    "check_test_name",
    "describe_check",
    "find_connection_point",
    "hresult_of",
    "load_implementation",
    "load_scenario_file",
    "load_scenario_text",
    "new_suite",
    "pytest_addoption",
    "pytest_configure",
    "pytest_runtest_makereport",
    "query_interface",
    "read_expected_failures",
    "recording_sink_class",
    "run_all",
    "signed32",
    "unsigned32",
]

#: The names that need pytest, imported from their module when first used.
_LAZY = {
    "RUNTIME_INTERFACES": "checks",
    "StructuralCheck": "checks",
    "StructuralChecks": "checks",
    "pytest_addoption": "plugin",
    "pytest_configure": "plugin",
    "pytest_runtest_makereport": "plugin",
    "Implementation": "runner",
    "RecordedEvent": "runner",
    "RecordingSink": "runner",
    "ScenarioRunner": "runner",
    "find_connection_point": "runner",
    "load_implementation": "runner",
    "query_interface": "runner",
    "recording_sink_class": "runner",
    "AUTO_IMPL": "suite",
    "IMPL_ENV": "suite",
    "AutoImplementation": "suite",
    "Suite": "suite",
    "auto_implementation": "suite",
    "check_test_name": "suite",
    "describe_check": "suite",
    "load_scenario_file": "suite",
    "load_scenario_text": "suite",
    "new_suite": "suite",
    "read_expected_failures": "suite",
    "run_all": "suite",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
