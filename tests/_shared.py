"""Helpers shared by tests: where ../shared, the corpus and widl are, and the Messenger facts.

``../shared`` is the repository's sibling folder (``Path(__file__).resolve().parents[1].parent``).
The second half turns ``reference/winmessenger/typelib.json`` into a flat table of *facts*
(``{"interface IMsgrSession #3 Invite: dispid": 2, ...}``) so that a test can build the same
table from another source (a widl type library, ``idlgen dump --json``) and report every
difference by name, one line each.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus" / "mingw-w64"
REFERENCE = SHARED / "reference" / "winmessenger"
CORPUS_INCLUDE = CORPUS / "include"
CORPUS_CRT = CORPUS / "crt"
CORPUS_TLB = CORPUS / "tlb"
EXAMPLE_IDL = REPO / "examples" / "Msgrpriv.idl"

# widl's own duplicate-uuid warnings: importing oaidl.idl next to importlib("stdole2.tlb") always
# declares IDispatch and the stdole library twice.
EXPECTED_WIDL_WARNINGS = (
    "warning: duplicate uuid {00020430-0000-0000-c000-000000000046}",
    "warning: duplicate uuid {00020400-0000-0000-c000-000000000046}",
)


def find_widl() -> Path | None:
    """widl from ../shared/tools, else the one on PATH, else None."""
    bundled = SHARED / "tools" / "widl"
    if bundled.is_file() and os.access(bundled, os.X_OK):
        return bundled
    found = shutil.which("widl")
    return Path(found) if found else None


WIDL = find_widl()
"""widl, found once at import (None when absent: tests that need it skip, saying why)."""


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write generated *files* (``{relative POSIX path: text}``) below *root*; return *root*."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def widl_base_args(widl: Path) -> list[str]:
    """widl plus the options mingw-w64's build uses for headers (corpus include paths)."""
    return [str(widl), "-D", "BOOL=WINBOOL", f"-I{CORPUS / 'include'}", f"-I{CORPUS / 'crt'}"]


def build_stdole2(widl: Path, out_dir: Path) -> Path:
    """Compile the corpus's tlb/stdole2.idl to OUT_DIR/stdole2.tlb (for importlib) and return it."""
    out = out_dir / "stdole2.tlb"
    run = subprocess.run(
        [
            str(widl),
            f"-I{CORPUS / 'include'}",
            f"-L{CORPUS / 'tlb'}",
            "-t",
            "-o",
            str(out),
            str(CORPUS / "tlb" / "stdole2.idl"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0 and out.is_file(), f"widl failed on stdole2.idl:\n{run.stderr}"
    return out


def unexpected_widl_lines(stderr: str) -> list[str]:
    """The lines of widl's stderr other than the two expected duplicate-uuid warnings."""
    return [
        ln for ln in stderr.splitlines() if ln.strip() and ln.strip() not in EXPECTED_WIDL_WARNINGS
    ]


# --------------------------------------------------------------------------------------------
# Facts of the Messenger private type library
# --------------------------------------------------------------------------------------------

Facts = dict[str, Any]

# Methods of IUnknown (3) and IDispatch (4): the first vtable slot of an interface's own methods.
BASE_SLOTS = {"IUnknown": 3, "IDispatch": 7}


def load_typelib_json() -> dict[str, Any]:
    """The reference facts of the real type library."""
    data: dict[str, Any] = json.loads((REFERENCE / "typelib.json").read_text(encoding="utf-8"))
    return data


def member_label(kind: str, index: int, name: str) -> str:
    """``"interface IFoo #2 Bar"``-style prefix for the facts of one member."""
    return f"{kind} #{index} {name}"


def expected_facts(ref: dict[str, Any]) -> Facts:
    """Flatten typelib.json into facts (keys as built by the readers of widl's tlb and the dump)."""
    facts: Facts = {}
    lib = ref["library"]
    facts["library: name"] = lib["name"]
    facts["library: libid"] = lib["libid"].lower()
    facts["library: version"] = lib["version"]
    facts["library: helpstring"] = lib["helpstring"]
    for enum in ref["enums"]:
        tag = f"enum {enum['typedef']}"
        facts[f"{tag}: members"] = tuple(enum["members"])
        for name, value in enum["members"].items():
            facts[f"{tag}: {name}"] = value
    for itf in ref["interfaces"]:
        tag = f"interface {itf['name']}"
        facts[f"{tag}: iid"] = itf["iid"].lower()
        facts[f"{tag}: base"] = itf["base"]
        facts[f"{tag}: flags"] = tuple(sorted(itf["flags"]))
        facts[f"{tag}: members"] = tuple(f"{m['kind']} {m['name']}" for m in itf["members"])
        for i, m in enumerate(itf["members"]):
            label = member_label(tag, i, m["name"])
            facts[f"{label}: kind"] = m["kind"]
            facts[f"{label}: vtable slot"] = BASE_SLOTS[itf["base"]] + i
            if "dispid" in m:
                facts[f"{label}: dispid"] = m["dispid"]
            _param_facts(facts, label, m["params"])
    for disp in ref["dispinterfaces"]:
        tag = f"dispinterface {disp['name']}"
        facts[f"{tag}: iid"] = disp["iid"].lower()
        facts[f"{tag}: methods"] = tuple(m["name"] for m in disp["methods"])
        for i, m in enumerate(disp["methods"]):
            label = member_label(tag, i, m["name"])
            facts[f"{label}: dispid"] = m["dispid"]
            _param_facts(facts, label, m["params"])
    for co in ref["coclasses"]:
        tag = f"coclass {co['name']}"
        facts[f"{tag}: clsid"] = co["clsid"].lower()
        facts[f"{tag}: creatable"] = bool(co.get("creatable", False))
        # The import records a coclass's helpstring when there is one; MsgrSession has none.
        facts[f"{tag}: helpstring"] = co.get("helpstring")
        facts[f"{tag}: interfaces"] = tuple(i["name"] for i in co["interfaces"])
        for i in co["interfaces"]:
            facts[f"{tag} {i['name']}: default"] = bool(i.get("default", False))
            facts[f"{tag} {i['name']}: source"] = bool(i.get("source", False))
    return facts


def _param_facts(facts: Facts, label: str, params: list[dict[str, Any]]) -> None:
    facts[f"{label}: param count"] = len(params)
    for j, p in enumerate(params):
        ptag = f"{label} param {j}"
        if "name" in p:  # the import leaves the out-parameters of read-only properties unnamed
            facts[f"{ptag}: name"] = p["name"]
        facts[f"{ptag}: type"] = p["type"]
        facts[f"{ptag}: direction"] = p.get("dir", "in")
        facts[f"{ptag}: retval"] = bool(p.get("retval", False))


def _types_match(expected: str, actual: str) -> bool:
    """Compare C-like type spellings; ``...`` in the expected one matches anything."""
    exp = re.sub(r"\s+", "", expected)
    act = re.sub(r"\s+", "", actual)
    if "..." not in exp:
        return exp == act
    pattern = ".+".join(re.escape(part) for part in exp.split("..."))
    return re.fullmatch(pattern, act) is not None


def _show(value: Any) -> str:
    """repr, with large integers (HRESULTs) in hex."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 0xFFFF:
        return hex(value)
    return repr(value)


def compare_facts(expected: Facts, actual: Facts) -> list[str]:
    """One line per expected fact that ``actual`` lacks or contradicts (extra facts are ignored:
    extra members show up in the ``members``/``methods``/``interfaces`` lists)."""
    diffs: list[str] = []
    for key, want in expected.items():
        if key not in actual:
            diffs.append(f"{key}: missing (expected {_show(want)})")
            continue
        got = actual[key]
        same = (
            _types_match(want, got)
            if key.endswith(": type") and isinstance(want, str) and isinstance(got, str)
            else want == got
        )
        if not same:
            diffs.append(f"{key}: expected {_show(want)}, got {_show(got)}")
    return diffs


def report(
    diffs: Iterable[str], compared: int, source: str, reference: str = "typelib.json"
) -> str:
    """A readable assertion message."""
    lines = list(diffs)
    return f"{len(lines)} of {compared} facts differ between {reference} and {source}:\n  " + (
        "\n  ".join(lines)
    )


# --------------------------------------------------------------------------------------------
# The codes of CODES.md (enumerations and HRESULTs that only the documentation gives)
# --------------------------------------------------------------------------------------------

_SECTION = re.compile(r"^## (\w+) ")
_ROW = re.compile(r"\|\s*([A-Z][A-Z0-9_]+)\s*\|\s*(0x[0-9a-fA-F]+|\d+)\s*\|")
_LONE = re.compile(r"\b([A-Z][A-Z0-9_]+_E_[A-Z0-9_]+|E_[A-Z]+)\s+(0x[0-9a-fA-F]+)")


def documented_codes() -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """(enums, lone HRESULTs) of CODES.md: ``{enum name: {member: value}}`` in table order, and
    the codes its "Other HRESULTs" paragraph names."""
    enums: dict[str, dict[str, int]] = {}
    lone: dict[str, int] = {}
    current: str | None = None
    for line in (REFERENCE / "CODES.md").read_text(encoding="utf-8").splitlines():
        section = _SECTION.match(line)
        if section:
            current = section.group(1)
            enums[current] = {}
            continue
        if line.startswith("Other HRESULTs"):
            current = None
        if current is not None:
            for name, value in _ROW.findall(line):
                enums[current][name] = int(value, 0)
        elif "HRESULT" in line or lone:
            for name, value in _LONE.findall(line):
                lone[name] = int(value, 0)
    return {k: v for k, v in enums.items() if v}, lone


def winerror_codes(names: Iterable[str]) -> dict[str, int]:
    """The values the corpus's winerror.h gives the NAMES it defines."""
    text = (CORPUS / "include" / "winerror.h").read_text(encoding="utf-8", errors="replace")
    found: dict[str, int] = {}
    for name in names:
        m = re.search(rf"#define\s+{name}\s+_HRESULT_TYPEDEF_\((0x[0-9A-Fa-f]+)", text)
        if m:
            found[name] = int(m.group(1), 0)
    return found


def codes_facts(
    enum_lookup: Callable[[str], dict[str, int] | None], const_lookup: Callable[[str], int | None]
) -> tuple[Facts, Facts]:
    """(expected, actual) facts for CODES.md: every documented enumeration as a file-scope enum
    with the same members and values, and every lone HRESULT either a constant of the IDL or a
    code winerror.h already defines (values compared as unsigned 32-bit)."""
    enums, lone = documented_codes()
    expected: Facts = {}
    actual: Facts = {}
    for name, members in enums.items():
        got = enum_lookup(name)
        # (as sorted names: the SESSION_RESULT table lists its codes in two columns)
        expected[f"enum {name}: members"] = tuple(sorted(members))
        actual[f"enum {name}: members"] = tuple(sorted(got)) if got is not None else None
        for member, value in members.items():
            expected[f"enum {name}: {member}"] = value
            if got is not None and member in got:
                actual[f"enum {name}: {member}"] = got[member] & 0xFFFFFFFF
    standard = winerror_codes(lone)
    for name, value in lone.items():
        expected[f"HRESULT {name}"] = value
        got_const = const_lookup(name)
        if got_const is not None:
            actual[f"HRESULT {name}"] = got_const & 0xFFFFFFFF
        elif name in standard:
            actual[f"HRESULT {name}"] = standard[name]
    return expected, actual


# --------------------------------------------------------------------------- generated code


def run_python(
    code: str, *args: str, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run *code* in a child Python (``sys.argv[1:]`` = *args*), killed after *timeout* s."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


_IMPORT_EVERY_MODULE = """
import importlib, pathlib, sys
for root in sys.argv[1:]:
    tops = [p for p in sorted(pathlib.Path(root).iterdir()) if (p / "__init__.py").is_file()]
    sys.path.insert(0, root)
    for pkg in tops:
        for mod in sorted(pkg.glob("*.py")):
            stem = "" if mod.stem == "__init__" else "." + mod.stem
            importlib.import_module(pkg.name + stem)
    sys.path.pop(0)
    for name in [m for m in sys.modules if m.split(".")[0] in {p.name for p in tops}]:
        del sys.modules[name]
print("imported")
"""


def import_generated(*roots: Path, timeout: float = 300) -> None:
    """Import every module of every package in each of *roots*, in a child process."""
    p = run_python(_IMPORT_EVERY_MODULE, *(str(r) for r in roots), timeout=timeout)
    assert p.returncode == 0 and "imported" in p.stdout, (
        f"generated code does not import:\n{p.stderr[-3000:]}"
    )
