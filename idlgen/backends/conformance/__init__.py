"""The conformance backend: the ``tests`` emit kind, a pytest suite generated from an IDL file."""

from idlgen.backends.conformance.render import (
    check_scenarios,
    find_scenario_file,
    register,
    render_conformance,
    scenario_tests,
    spec_data,
    structural_tests,
)

__all__ = [
    "check_scenarios",
    "find_scenario_file",
    "register",
    "render_conformance",
    "scenario_tests",
    "spec_data",
    "structural_tests",
]
