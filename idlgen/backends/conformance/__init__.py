"""The conformance backend: the ``tests`` emit kind, a pytest suite generated from an IDL file.

:mod:`.specdata` (the IDL's facts, the scenario file check: what ``idlgen check`` uses) imports
neither Jinja2 nor pytest; :mod:`.render` (the suite itself) is imported when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from idlgen.backends.conformance.specdata import check_scenarios, spec_data
from idlgen.conformance.scenarios import find_scenario_file

if TYPE_CHECKING:
    from idlgen.backends.conformance.render import (
        register,
        render_conformance,
        scenario_tests,
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

_RENDER_NAMES = frozenset({"register", "render_conformance", "scenario_tests", "structural_tests"})


def __getattr__(name: str) -> Any:
    if name in _RENDER_NAMES:
        from idlgen.backends.conformance import render

        return getattr(render, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
