"""examples/Msgrpriv.idl through idlgen: ``check`` passes and ``dump --json`` says what the real
type library says.

The dump (docs/dump-json.md) is turned into the same flat facts that ``_shared.expected_facts``
makes of ``typelib.json``; every differing fact is reported on its own line.  The vtable slot of
a method is its position in the dump's ``methods`` (the format lists them in vtable order) after
the base interface's slots.  The enumerations and HRESULTs that only the documentation gives
(CODES.md) are compared too.  Needs no widl.
"""

from __future__ import annotations

import io
import json
import sys
from typing import Any

import pytest
from _shared import (
    BASE_SLOTS,
    CORPUS,
    EXAMPLE_IDL,
    REFERENCE,
    Facts,
    codes_facts,
    compare_facts,
    expected_facts,
    load_typelib_json,
    member_label,
    report,
)

from idlgen.cli import main

pytestmark = pytest.mark.skipif(
    not (REFERENCE.is_dir() and CORPUS.is_dir()),
    reason="../shared reference/winmessenger or corpus (for winerror.h) absent",
)

PRESENT = "<a helpstring>"


@pytest.fixture(scope="module")
def dump() -> dict[str, Any]:
    """``idlgen dump --json examples/Msgrpriv.idl``, run in-process."""
    with pytest.MonkeyPatch.context() as mp:
        out, err = io.StringIO(), io.StringIO()
        mp.setattr(sys, "stdout", out)
        mp.setattr(sys, "stderr", err)
        code = main(["dump", "--json", str(EXAMPLE_IDL)])
    assert code == 0, err.getvalue()
    data: dict[str, Any] = json.loads(out.getvalue())
    return data


def _helpstring(decl: dict[str, Any]) -> str | None:
    """The helpstring's text if the dump gives it, else whether there is one."""
    if "helpstring" in decl:
        value: str | None = decl["helpstring"]
        return value
    return PRESENT if "helpstring" in decl["attributes"] else None


def _params(facts: Facts, label: str, params: list[dict[str, Any]]) -> None:
    facts[f"{label}: param count"] = len(params)
    for j, p in enumerate(params):
        ptag = f"{label} param {j}"
        facts[f"{ptag}: name"] = p["name"]
        facts[f"{ptag}: type"] = p["type"]
        facts[f"{ptag}: direction"] = p["direction"]
        facts[f"{ptag}: retval"] = p["retval"]


def dump_facts(data: dict[str, Any]) -> Facts:
    """Facts of ``idlgen dump --json`` output."""
    facts: Facts = {}
    for d in data["declarations"]:
        kind, name = d["kind"], d["name"]
        if kind == "library":
            facts["library: name"] = name
            facts["library: libid"] = d["uuid"]
            facts["library: version"] = d["version"]
            facts["library: helpstring"] = _helpstring(d)
        elif kind == "enum":
            tag = f"enum {name}"
            facts[f"{tag}: members"] = tuple(m["name"] for m in d["members"])
            for m in d["members"]:
                facts[f"{tag}: {m['name']}"] = m["value"]
        elif kind == "interface":
            tag = f"interface {name}"
            facts[f"{tag}: iid"] = d["uuid"]
            facts[f"{tag}: base"] = d["base"]
            facts[f"{tag}: flags"] = tuple(
                sorted(a for a in set(d["attributes"]) if a in ("dual", "oleautomation"))
            )
            facts[f"{tag}: members"] = tuple(f"{m['kind']} {m['name']}" for m in d["methods"])
            first = BASE_SLOTS.get(d["base"], 0)
            for i, m in enumerate(d["methods"]):
                label = member_label(tag, i, m["name"])
                facts[f"{label}: kind"] = m["kind"]
                facts[f"{label}: vtable slot"] = first + i
                facts[f"{label}: dispid"] = m["id"]
                _params(facts, label, m["params"])
        elif kind == "dispinterface":
            tag = f"dispinterface {name}"
            facts[f"{tag}: iid"] = d["uuid"]
            facts[f"{tag}: methods"] = tuple(m["name"] for m in d["methods"])
            for i, m in enumerate(d["methods"]):
                label = member_label(tag, i, m["name"])
                facts[f"{label}: dispid"] = m["id"]
                _params(facts, label, m["params"])
        elif kind == "coclass":
            tag = f"coclass {name}"
            facts[f"{tag}: clsid"] = d["uuid"]
            facts[f"{tag}: creatable"] = "noncreatable" not in d["attributes"]
            facts[f"{tag}: helpstring"] = _helpstring(d)
            facts[f"{tag}: interfaces"] = tuple(i["name"] for i in d["interfaces"])
            for i in d["interfaces"]:
                facts[f"{tag} {i['name']}: default"] = i["default"]
                facts[f"{tag} {i['name']}: source"] = i["source"]
    return facts


def test_idlgen_check_passes_without_diagnostics(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(EXAMPLE_IDL)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""


def test_dump_matches_typelib_json_member_for_member(dump: dict[str, Any]) -> None:
    expected = expected_facts(load_typelib_json())
    actual = dump_facts(dump)
    if any(k.endswith(": helpstring") and v == PRESENT for k, v in actual.items()):
        # The dump names the helpstring attribute without its text: compare presence only.
        for key, value in expected.items():
            if key.endswith(": helpstring") and value is not None:
                expected[key] = PRESENT
    diffs = compare_facts(expected, actual)
    assert not diffs, report(diffs, len(expected), "idlgen dump --json")
    assert len(expected) >= 400
    print(f"{len(expected)} facts of typelib.json compared with idlgen dump --json")


def test_dump_declares_the_documented_codes(dump: dict[str, Any]) -> None:
    decls = dump["declarations"]
    enums = {
        d["name"]: {m["name"]: m["value"] for m in d["members"]}
        for d in decls
        if d["kind"] == "enum"
    }
    consts = {d["name"]: d["value"] for d in decls if d["kind"] == "const"}
    expected, actual = codes_facts(enums.get, consts.get)
    diffs = compare_facts(expected, actual)
    assert not diffs, report(diffs, len(expected), "idlgen dump --json", "CODES.md")
    assert len(expected) == 67  # 5 enumerations (56 members) and 6 lone HRESULTs of CODES.md


def test_enums_are_the_five_file_scope_enums_in_the_type_library_order(
    dump: dict[str, Any],
) -> None:
    decls = dump["declarations"]
    kinds = [d["kind"] for d in decls]
    enums = [d for d in decls if d["kind"] == "enum"]
    # __MIDL___MIDL_itf_msgrpriv_0000_0001.._0005: anonymous, SESSION_STATE first, LockStatus 5th
    assert [e["typedef"] for e in enums][0::4] == ["SESSION_STATE", "LockStatus"]
    assert len(enums) == 5
    assert all(e["tag"] is None for e in enums)
    assert max(i for i, k in enumerate(kinds) if k == "enum") < kinds.index("interface")


def test_dump_names_the_propput_values_as_the_type_library_does(dump: dict[str, Any]) -> None:
    """A .tlb keeps no name for a property put's value: typelib.json's names are checked here."""
    session = next(d for d in dump["declarations"] if d["name"] == "IMsgrSession")
    puts = {m["name"]: m["params"][0]["name"] for m in session["methods"] if m["kind"] == "propput"}
    assert puts == {"Application": "pbstrAppGUID", "LocalAddress": "pbstrLocalAddress"}
