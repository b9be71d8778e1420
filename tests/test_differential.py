"""Differential test: idlgen's model against the C headers widl writes, on the whole corpus.

For every classic corpus file widl accepts, widl's header (read by
:mod:`widl_facts`) and ``idlgen dump --json`` (plus the model, for the
inherited part of each vtable) must agree on: every interface (IID, base,
every vtable slot with its parameter names), dispinterface DIIDs, coclass
CLSIDs, library LIBIDs and every enumerator value.  The match rate is printed
(run with ``-s``); differences not listed in :data:`KNOWN_DIFFERENCES` fail.

How widl's C spelling maps onto the model (not differences):

- a ``propget``/``propput``/``propputref`` method ``X`` is ``get_X``/``put_X``/``putref_X``;
- a method that overloads an inherited name is ``Owner_X`` (``IDWriteFont1_GetMetrics``);
- an unnamed parameter gets the name ``a``, ``b``, ... by position;
- a method returning a struct gets a leading ``__ret`` pointer (dropped by widl_facts).
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from _shared import CORPUS, find_widl
from widl_facts import (
    CORPUS_INCLUDE_DIRS,
    MIN_WIDL_VERSION,
    HeaderFacts,
    WidlRun,
    check_corpus_file,
    classic_ok,
    cpp_quote_lines,
    evaluate,
    iter_problems,
    param_name,
    parse_header,
    resolve_across,
    run_many,
    run_widl,
    strip_cpp_quotes,
    widl_version,
)

#: Differences we know of: (file, fact key) -> why.  Keys are as in the failure message.
KNOWN_DIFFERENCES: dict[tuple[str, str], str] = {}

_PREFIX = {"propget": "get_", "propput": "put_", "propputref": "putref_"}

Slot = tuple[str, tuple[str, ...]]


# --------------------------------------------------------------------------- widl_facts unit tests

_HEADER = """\
cpp_quote text
/*****************************************************************************
 * IFoo interface
 */
#ifndef __IFoo_INTERFACE_DEFINED__
#define __IFoo_INTERFACE_DEFINED__

typedef enum tagE {
    E_A = 0,
    E_B,
    E_C = (E_A | 0x4) << 1,
    E_D = (int)0xffffffff
} E;

DEFINE_GUID(IID_IFoo, 0x01234567, 0x89ab, 0xcdef, 0x01,0x23, 0x45,0x67,0x89,0xab,0xcd,0xef);
#if defined(__cplusplus) && !defined(CINTERFACE)
MIDL_INTERFACE("01234567-89ab-cdef-0123-456789abcdef")
IFoo : public IUnknown
{
};
#else
typedef struct IFooVtbl {
    BEGIN_INTERFACE

    /*** IUnknown methods ***/
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(
        IFoo *This,
        REFIID riid,
        void **ppvObject);

    /*** IFoo methods ***/
    S * (STDMETHODCALLTYPE *GetS)(
        IFoo *This,
        S *__ret,
        int (*cb)(int x),
        const WCHAR *names[4]);

    HRESULT (__stdcall *Other)(
        IFoo *This);

    END_INTERFACE
} IFooVtbl;
#endif

#endif  /* __IFoo_INTERFACE_DEFINED__ */

/*****************************************************************************
 * Foo coclass
 */

DEFINE_GUID(CLSID_Foo, 0x01234567, 0x89ab, 0xcdef, 0x01,0x23, 0x45,0x67,0x89,0xab,0xcd,0xee);

#ifndef __FooLib_LIBRARY_DEFINED__
#define __FooLib_LIBRARY_DEFINED__

DEFINE_GUID(LIBID_FooLib, 0x01234567, 0x89ab, 0xcdef, 0x01,0x23, 0x45,0x67,0x89,0xab,0xcd,0xed);
#define K (E_D + 2)
typedef enum {
    QUOTED = 1
} Q;
"""


def test_parse_header_reads_every_kind_of_fact() -> None:
    quoted = cpp_quote_lines(
        'cpp_quote("cpp_quote text")\ncpp_quote("typedef enum {\\n    QUOTED = 1")'
    )
    facts = parse_header(_HEADER, quoted)
    assert facts.problems == [] and facts.cpp_quote_unmatched == 0
    foo = facts.interfaces["IFoo"]
    assert (foo.uuid, foo.base) == ("01234567-89ab-cdef-0123-456789abcdef", "IUnknown")
    assert [(m.name, m.params, m.owner) for m in foo.methods] == [
        ("QueryInterface", ("riid", "ppvObject"), "IUnknown"),
        ("GetS", ("cb", "names"), "IFoo"),
        ("Other", (), "IFoo"),
    ]
    assert [m.name for m in foo.own_methods()] == ["GetS", "Other"]
    assert facts.coclasses == {"Foo": "01234567-89ab-cdef-0123-456789abcdee"}
    assert facts.libraries == {"FooLib": "01234567-89ab-cdef-0123-456789abcded"}
    (enum,) = [e for e in facts.enums]  # the cpp_quote'd enum is not generated code
    assert (enum.tag, enum.typedef) == ("tagE", "E")
    assert enum.members == [("E_A", 0), ("E_B", 1), ("E_C", 8), ("E_D", -1)]
    assert facts.consts == {"K": 1}


def test_strip_cpp_quotes_keeps_order_and_counts_misses() -> None:
    lines, removed, unmatched = strip_cpp_quotes(["a", "x", "b", "x"], ["x", "x", "y"])
    assert (lines, removed, unmatched) == (["a", "", "b", ""], 2, 1)


def test_evaluate_and_param_name() -> None:
    assert evaluate("((1 | 2) | 0x40) << 1", {}) == 134
    assert evaluate("-VT_I4 + ~0 - (DWORD)-1", {"VT_I4": 3}) == -3 - 1 - 0xFFFFFFFF
    assert evaluate("0x80000000u", {}) == 0x80000000
    with pytest.raises(ValueError):
        evaluate("UNKNOWN + 1", {})
    assert param_name("const WCHAR *name[4]") == "name"
    assert param_name("void (STDMETHODCALLTYPE *callback)(int a)") == "callback"
    assert param_name("IUnknown **ppv") == "ppv"


# --------------------------------------------------------------------------- the corpus


@pytest.fixture(scope="module")
def widl() -> str:
    """widl, or skip with the reason."""
    if not (CORPUS / "MANIFEST.tsv").is_file():
        pytest.skip(f"corpus not found at {CORPUS}")
    found = find_widl()
    if found is None:
        pytest.skip("widl not found (../shared/tools/widl or PATH)")
    version = widl_version(found)
    if version is None or version < MIN_WIDL_VERSION:
        pytest.skip(f"{found} is widl {version}; the corpus needs >= {MIN_WIDL_VERSION}")
    return str(found)


@pytest.fixture(scope="module")
def widl_runs(widl: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, WidlRun]:
    """widl's facts for every classic file it accepts (2 widl processes at a time).

    widl runs in the background while idlgen checks the same files here.
    """
    files = classic_ok(CORPUS)
    out = tmp_path_factory.mktemp("widl-headers")
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(run_many, widl, CORPUS, files, out, workers=2)
        for rel in files:
            check_corpus_file(CORPUS, rel)
        runs = future.result()
    resolve_across(runs)
    return runs


def test_widl_headers_are_fully_understood(widl_runs: dict[str, WidlRun]) -> None:
    failed = {rel: r.stderr[:300] for rel, r in widl_runs.items() if r.facts is None}
    assert not failed, f"widl failed: {failed}"
    problems = list(iter_problems(widl_runs))
    assert not problems, "\n".join(problems[:30])
    facts = [r.facts for r in widl_runs.values() if r.facts is not None]
    assert sum(f.cpp_quote_unmatched for f in facts) == 0
    assert sum(len(f.interfaces) for f in facts) > 3000
    unknown = [
        (rel, n)
        for rel, r in widl_runs.items()
        for n, v in r.facts.enum_values().items()  # type: ignore[union-attr]
        if v is None
    ]
    assert not unknown, f"enumerators widl_facts cannot evaluate: {unknown[:20]}"


def _model_vtable(itf: Any) -> list[Slot]:
    chain: list[Any] = []
    while itf is not None and all(itf is not c for c in chain):
        chain.append(itf)
        itf = itf.base_interface
    slots: list[Slot] = []
    for i in reversed(chain):
        for m in i.methods:
            if m.has_attr("call_as"):
                continue  # the wire form of a [local] method: no vtable slot
            names = tuple(p.name or chr(ord("a") + k) for k, p in enumerate(m.params))
            slots.append((_PREFIX.get(m.kind, "") + m.name, names))
    return slots


def _dump_slots(methods: list[dict[str, Any]]) -> list[Slot]:
    return [
        (
            _PREFIX.get(m["kind"], "") + m["name"],
            tuple(p["name"] or chr(ord("a") + k) for k, p in enumerate(m["params"])),
        )
        for m in methods
    ]


Difference = tuple[str, str, str]  # (file, fact key, what differs)


def compare_file(
    rel: str, facts: HeaderFacts, program: Any
) -> tuple[Counter[str], list[Difference]]:
    """Compare one file; returns the facts compared per category and the differences."""
    from idlgen.backends.common.idl import defined_declarations
    from idlgen.backends.dump import dump_json
    from idlgen.model import Interface

    f = program.files[0]
    symbols = next(iter(program.symbols.values()), None)  # one main file per program
    decls = dump_json(f, symbols)["declarations"]
    models = {d.name: d for d in defined_declarations(f) if isinstance(d, Interface)}
    counts: Counter[str] = Counter()
    diffs: list[Difference] = []

    def fact(category: str, ok: bool, key: str, detail: str) -> None:
        counts[category] += 1
        if not ok:
            diffs.append((rel, key, detail))

    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for d in decls:
        if d.get("name"):
            by_kind.setdefault(d["kind"], {})[d["name"]] = d
    itfs = by_kind.get("interface", {})
    for name, w in facts.interfaces.items():
        d = itfs.get(name)
        fact("interface", d is not None, f"interface {name}", "missing in idlgen")
        if d is None or not w.has_vtbl:
            continue  # an RPC (non-object) interface: the header has no IID or vtable
        fact("uuid", d["uuid"] == w.uuid, f"interface {name} uuid", f"{w.uuid} vs {d['uuid']}")
        fact("base", d["base"] == w.base, f"interface {name} base", f"{w.base} vs {d['base']}")
        model = models.get(name)
        inherited = _model_vtable(model.base_interface) if model is not None else []
        ours = inherited + _dump_slots(d["methods"])
        theirs = [(m.name, m.params) for m in w.methods]
        for k, (m, mine) in enumerate(zip(w.methods, ours, strict=False)):
            if m.name == f"{m.owner}_{mine[0]}":
                theirs[k] = (mine[0], m.params)  # C name of an overloading method
        for k in range(max(len(ours), len(theirs))):
            a = ours[k] if k < len(ours) else None
            b = theirs[k] if k < len(theirs) else None
            fact("vtable slot", a == b, f"interface {name} slot {k}", f"widl {b}, idlgen {a}")
    for name in itfs.keys() - facts.interfaces.keys():
        fact("interface", False, f"interface {name}", "not in widl's header")
    for kind, table in (
        ("dispinterface", {n: w.uuid for n, w in facts.dispinterfaces.items()}),
        ("coclass", facts.coclasses),
        ("library", facts.libraries),
    ):
        ours_by_name = by_kind.get(kind, {})
        for name, uuid in table.items():
            got = ours_by_name.get(name, {}).get("uuid", "missing")
            fact(kind, got == uuid, f"{kind} {name}", f"widl {uuid}, idlgen {got}")
        for name in ours_by_name.keys() - table.keys():
            fact(kind, False, f"{kind} {name}", "not in widl's header")
    ours_values = {
        m["name"]: m["value"] for d in decls if d["kind"] == "enum" for m in d["members"]
    }
    widl_values = facts.enum_values()
    for name, value in widl_values.items():
        got = ours_values.get(name, "missing")
        fact("enumerator", got == value, f"enumerator {name}", f"widl {value}, idlgen {got}")
    for name in ours_values.keys() - widl_values.keys():
        fact("enumerator", False, f"enumerator {name}", "not in widl's header")
    return counts, diffs


_SMALL_IDL = """\
import "oaidl.idl";
typedef enum tagE { E_A, E_B = 5, E_C, E_D = E_B << 2 } E;
[object, dual, uuid(7f1c0a3e-2b4d-4c5e-8f60-718293a4b5c6)]
interface IFoo : IDispatch
{
    [propget, id(1)] HRESULT Name([out, retval] BSTR *name);
    [propput, id(1)] HRESULT Name([in] BSTR name);
    HRESULT Go([in] long, [out] long *result);
}
[uuid(7f1c0a3e-2b4d-4c5e-8f60-718293a4b5c7)]
library FooLib
{
    [uuid(7f1c0a3e-2b4d-4c5e-8f60-718293a4b5c8)] coclass Foo { [default] interface IFoo; }
    [uuid(7f1c0a3e-2b4d-4c5e-8f60-718293a4b5c9)] dispinterface DFoo { properties: methods: }
}
"""


def test_compare_file_finds_what_differs(widl: str, tmp_path: Path) -> None:
    from idlgen.api import check

    for sub in CORPUS_INCLUDE_DIRS:
        (tmp_path / sub).symlink_to(CORPUS / sub)
    (tmp_path / "small.idl").write_text(_SMALL_IDL, encoding="utf-8")
    facts = run_widl(widl, tmp_path, "small.idl", tmp_path / "out").facts
    assert facts is not None and not facts.problems
    program, diagnostics = check(
        [tmp_path / "small.idl"], include_dirs=[tmp_path / d for d in CORPUS_INCLUDE_DIRS]
    )
    assert not [d for d in diagnostics if d.is_error]
    counts, diffs = compare_file("small.idl", facts, program)
    assert diffs == []
    assert counts == Counter(
        {
            "vtable slot": 10,
            "enumerator": 4,
            "interface": 1,
            "uuid": 1,
            "base": 1,
            "coclass": 1,
            "dispinterface": 1,
            "library": 1,
        }
    )
    foo = facts.interfaces["IFoo"]
    assert [m.name for m in foo.own_methods()] == ["get_Name", "put_Name", "Go"]
    assert foo.own_methods()[2].params == ("a", "result")  # widl names the unnamed one
    foo.uuid = "00000000-0000-0000-0000-000000000000"
    foo.methods[8], foo.methods[9] = foo.methods[9], foo.methods[8]
    facts.enums[0].members[3] = ("E_D", 7)
    facts.coclasses["Foo"] = facts.libraries["FooLib"]
    _, diffs = compare_file("small.idl", facts, program)
    assert sorted(key for _, key, _ in diffs) == [
        "coclass Foo",
        "enumerator E_D",
        "interface IFoo slot 8",
        "interface IFoo slot 9",
        "interface IFoo uuid",
    ]


def test_idlgen_matches_widl_on_the_corpus(widl_runs: dict[str, WidlRun]) -> None:
    start = time.perf_counter()
    counts: Counter[str] = Counter()
    diffs: list[Difference] = []
    for rel, run in widl_runs.items():
        assert run.facts is not None
        result = check_corpus_file(CORPUS, rel)
        c, d = compare_file(rel, run.facts, result.program)
        counts.update(c)
        diffs.extend(d)
    total = sum(counts.values())
    seen = {(f, k) for f, k, _ in diffs}
    unexpected = [f"{f}: {k}: {d}" for f, k, d in diffs if (f, k) not in KNOWN_DIFFERENCES]
    stale = sorted(f"{f}: {k}" for f, k in KNOWN_DIFFERENCES.keys() - seen)
    print(
        f"\nidlgen vs widl on {len(widl_runs)} files: {total - len(diffs)} of {total} facts "
        f"match ({100 * (total - len(diffs)) / max(total, 1):.3f} %), "
        f"{len(diffs)} differ ({len(diffs) - len(unexpected)} known); "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        + f"; compared in {time.perf_counter() - start:.1f} s"
    )
    for file, key, detail in diffs:
        note = KNOWN_DIFFERENCES.get((file, key))
        print(f"  {file}: {key}: {detail}" + (f"  [known: {note}]" if note else ""))
    for entry in stale:
        print(f"  known difference no longer seen (remove it from KNOWN_DIFFERENCES): {entry}")
    assert total > 60000
    assert not unexpected, f"{len(unexpected)} differences:\n  " + "\n  ".join(unexpected[:60])
