"""Snapshot tests: each ``tests/diagnostics/<case>.idl`` checked by the CLI must print
exactly ``<case>.stderr`` (message, ``line:column``, source line and caret).

Set ``IDLGEN_UPDATE_SNAPSHOTS=1`` to (re)write the ``.stderr`` files, then review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from idlgen.cli import main
from idlgen.frontend import BUILTIN_INCLUDE_DIR

CASES = Path(__file__).parent / "diagnostics"
UPDATE = os.environ.get("IDLGEN_UPDATE_SNAPSHOTS") == "1"

#: case -> (exit status, the first line expected on stderr)
EXPECTED_FIRST_LINE = {
    "unknown_type": (1, "unknown_type.idl:12:35: error: unknown type 'IMsgrLok'"),
    "unknown_base": (1, "unknown_base.idl:4:18: error: unknown base interface 'IFooBase'"),
    "unknown_type_in_typedef": (1, "unknown_type_in_typedef.idl:3:5: error: unknown type 'DWORD'"),
    "duplicate_interface": (
        1,
        "duplicate_interface.idl:10:11: error: redefinition of interface 'IFoo'",
    ),
    "duplicate_typedef": (1, "duplicate_typedef.idl:2:23: error: redefinition of 'COOKIE'"),
    "duplicate_uuid": (
        1,
        "duplicate_uuid.idl:10:11: error: uuid 7f1c0a3e-2b4d-4c5e-8f60-718293a4b5c6 of "
        "interface 'IBar' is already used by 'IFoo'",
    ),
    "out_not_pointer": (
        1,
        "out_not_pointer.idl:6:33: error: [out] parameter 'count' of method 'GetCount' "
        "is not a pointer",
    ),
    "out_interface_not_double_pointer": (
        1,
        "out_interface_not_double_pointer.idl:6:38: error: [out] parameter 'inner' of method "
        "'GetInner' is not a double pointer (an [out] interface pointer needs '**')",
    ),
    "retval_not_last": (
        1,
        "retval_not_last.idl:6:38: error: [retval] parameter 'index' must be the last "
        "parameter of method 'Find'",
    ),
    "retval_not_out": (
        1,
        "retval_not_out.idl:6:48: error: [retval] parameter 'count' of method 'Count' "
        "must be [out]",
    ),
    "propput_without_parameter": (
        1,
        "propput_without_parameter.idl:6:30: error: [propput] method 'Visible' has no "
        "parameter for the value to set",
    ),
    "object_without_uuid": (
        0,
        "object_without_uuid.idl:4:11: warning: object interface 'IFoo' has no uuid attribute",
    ),
    "import_not_found": (
        1,
        "import_not_found.idl:2:8: error: cannot find imported file 'no_such_file.idl'",
    ),
    "undeclared_identifier": (
        1,
        "undeclared_identifier.idl:2:29: error: use of undeclared identifier 'THIRD' in constant",
    ),
    "division_by_zero": (
        1,
        "division_by_zero.idl:2:24: error: division by zero in constant",
    ),
    "missing_semicolon_after_method": (
        1,
        "missing_semicolon_after_method.idl:6:72: error: syntax error: expected ';' after the "
        "method declaration",
    ),
    "coclass_unknown_interface": (
        0,
        "coclass_unknown_interface.idl:9:29: warning: interface 'IFoo' of coclass 'Foo' "
        "is not declared",
    ),
}


def _run(
    case: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str]:
    monkeypatch.chdir(CASES)
    status = main(["check", f"{case}.idl"])
    err = capsys.readouterr().err
    return status, err.replace(str(BUILTIN_INCLUDE_DIR), "<builtin-include>")


def test_every_case_has_an_expectation() -> None:
    cases = sorted(p.stem for p in CASES.glob("*.idl"))
    assert cases == sorted(EXPECTED_FIRST_LINE)


@pytest.mark.parametrize("case", sorted(EXPECTED_FIRST_LINE))
def test_diagnostic_snapshot(
    case: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, err = _run(case, capsys, monkeypatch)
    expected_status, first_line = EXPECTED_FIRST_LINE[case]
    snapshot = CASES / f"{case}.stderr"
    if UPDATE:
        snapshot.write_text(err, encoding="utf-8")
    assert err.splitlines()[0] == first_line
    assert status == expected_status
    assert err == snapshot.read_text(encoding="utf-8")
