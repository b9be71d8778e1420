"""Names used before their definition, as MIDL allows (issue 14, item 1).

Two kinds of tests:

- corpus files resolved with their declarations reversed and shuffled (fixed seeds) must
  give the very model of definition order (:func:`model_facts.resolved_facts`: bindings,
  vtable slots, DISPIDs, values, array sizes, ``sizeof``) and no errors;
- hand-written files: every kind of forward reference, across files of one compilation,
  ``import`` inside an interface body, genuine cycles (one error naming every member, with
  a note at each), undefined names (still an error at the first use, with "did you mean").

``IDLGEN_REORDER_ALL=1`` runs the reordering over every classic corpus file widl accepts
(about 4 minutes) instead of a sample.
"""

from __future__ import annotations

import os
import random
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from _shared import CORPUS
from model_facts import resolved_facts
from widl_facts import CORPUS_DEFINES, CORPUS_INCLUDE_DIRS, classic_ok

from idlgen.api import check, macro_ops
from idlgen.cli import main
from idlgen.diagnostics import Diagnostic, DiagnosticSink
from idlgen.frontend import Loader
from idlgen.model import (
    Declaration,
    IdlFile,
    Import,
    ImportLib,
    Interface,
    Library,
    Method,
    Module,
    Namespace,
)

# --------------------------------------------------------------------------- reordered corpus files

Reorder = Callable[[list[Declaration], random.Random], list[Declaration]]


def _reversed(items: list[Declaration], rng: random.Random) -> list[Declaration]:
    return items[::-1]


def _shuffled(items: list[Declaration], rng: random.Random) -> list[Declaration]:
    out = list(items)
    rng.shuffle(out)
    return out


def _reorder_file(f: IdlFile, how: Reorder, seed: int) -> None:
    """Reorder *f*'s declarations in place: the top level, library/module/namespace bodies,
    and the declarations inside interface bodies (methods keep their order: it is the vtable)."""
    rng = random.Random(seed)

    def visit(items: list[Declaration]) -> list[Declaration]:
        for d in items:
            if isinstance(d, Library | Module | Namespace):
                d.body = visit(d.body)
            elif isinstance(d, Interface):
                d.body = _reorder_body(d.body)
        # imports stay where they are and declarations are reordered between them: which
        # of two imports declaring the same typedef a use sees (d3d10_1.idl's UINT, from
        # wtypesbase.idl before `import "d3d10.idl"`, from dxgitype.idl after it) is
        # the business of the import's place, not of resolution
        out: list[Declaration] = []
        segment: list[Declaration] = []
        for d in items:
            if isinstance(d, Import | ImportLib):
                out.extend(how(segment, rng))
                out.append(d)
                segment = []
            else:
                segment.append(d)
        out.extend(how(segment, rng))
        return out

    def _reorder_body(body: list[Method | Declaration]) -> list[Method | Declaration]:
        methods = [m for m in body if isinstance(m, Method)]
        others = how([d for d in body if isinstance(d, Declaration)], rng)
        slots = set(rng.sample(range(len(body)), len(methods)))
        out: list[Method | Declaration] = []
        for i in range(len(body)):
            out.append(methods.pop(0) if i in slots else others.pop(0))
        return out

    f.declarations = visit(f.declarations)


def _resolve(path: Path, reorder: tuple[Reorder, int] | None) -> tuple[dict, list[Diagnostic]]:
    sink = DiagnosticSink()
    loader = Loader(
        include_dirs=[CORPUS / d for d in CORPUS_INCLUDE_DIRS],
        macro_ops=macro_ops(list(CORPUS_DEFINES)),
        sink=sink,
    )
    f = loader.parse_main(str(path))
    if reorder is not None:
        _reorder_file(f, *reorder)
    f = loader.resolve_main(f)
    return resolved_facts(f, loader.program.symbols.get(str(path))), list(sink.diagnostics)


def _sample() -> list[str]:
    files = classic_ok(CORPUS) if (CORPUS / "MANIFEST.tsv").is_file() else []
    if os.environ.get("IDLGEN_REORDER_ALL") or not files:
        return files
    big = [f for f in files if (CORPUS / f).stat().st_size > 60_000]
    step = max(1, len(files) // 16)
    chosen = dict.fromkeys([*files[::step], *big[:: max(1, len(big) // 6)]])
    return sorted(chosen)


ORDERS: dict[str, tuple[Reorder, int]] = {
    "reversed": (_reversed, 0),
    "shuffled1": (_shuffled, 1),
    "shuffled2": (_shuffled, 2),
}


def _errors(diagnostics: list[Diagnostic]) -> list[str]:
    return [f"{d.span.file}:{d.span.line}: {d.message}" for d in diagnostics if d.is_error]


@pytest.mark.skipif(not (CORPUS / "MANIFEST.tsv").is_file(), reason=f"corpus not found at {CORPUS}")
@pytest.mark.parametrize("rel", _sample())
def test_reordered_corpus_file_resolves_to_the_same_model(rel: str) -> None:
    path = CORPUS / rel
    expected, diagnostics = _resolve(path, None)
    assert not _errors(diagnostics)
    for name, order in ORDERS.items():
        got, diagnostics = _resolve(path, order)
        assert not _errors(diagnostics), f"{name}: {_errors(diagnostics)[:5]}"
        missing = [k for k in expected if k not in got]
        assert not missing, f"{name}: declarations lost: {missing[:5]}"
        changed = [k for k in expected if got[k] != expected[k]]
        assert not changed, (
            f"{name}: {len(changed)} declarations resolve differently, e.g. {changed[0]}:\n"
            f"  in order: {expected[changed[0]]}\n  {name}: {got[changed[0]]}"
        )


# --------------------------------------------------------------------------- hand-written files


def _check_main(tmp_path: Path, text: str) -> tuple[IdlFile, list[str]]:
    """:func:`_check` of one file ``t.idl`` that imports unknwn.idl, then has *text*."""
    return _check(tmp_path, {"t.idl": UNKNWN + text})


def _check(tmp_path: Path, files: dict[str, str], main: str = "t.idl") -> tuple[IdlFile, list[str]]:
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    program, diagnostics = check([tmp_path / main])
    shown = []
    for d in diagnostics:
        shown.append(
            f"{Path(d.span.file).name}:{d.span.line}:{d.span.column}: "
            f"{d.severity.value}: {d.message}"
        )
        shown.extend(f"  {Path(n.span.file).name}:{n.span.line}: {n.message}" for n in d.notes)
    return program.files[0], shown


#: Indented like the test sources it starts, so that dedenting the whole text works.
UNKNWN = '            import "unknwn.idl";\n'


def _uuid(n: int) -> str:
    return f"[object, uuid(12345678-0000-0000-0000-{n:012x})]"


def _decl(f: IdlFile, name: str) -> Declaration:
    found = [d for d in f.walk() if d.name == name]
    for d in f.walk():
        if isinstance(d, Interface):
            found.extend(i for i in d.body if isinstance(i, Declaration) and i.name == name)
    assert found, name
    return found[0]


def test_every_kind_of_name_may_be_used_before_its_definition(tmp_path: Path) -> None:
    f, shown = _check_main(
        tmp_path,
        f"""
            {_uuid(1)} interface IDerived : IBase {{
                HRESULT g([in] PT p, [in] int a[N], [in] struct S s, [in] E e);
                HRESULT h([in] IOther *other);
            }}
            const int N = M + 1;
            const int M = E_TWO * 2 + sizeof(PT);
            typedef T *PT;
            typedef enum {{ E_ONE = 1, E_TWO }} E;
            typedef struct S T;
            struct S {{ int x; E e; }};
            {_uuid(2)} interface IBase : IUnknown {{ HRESULT f(); }}
            interface IOther;
            {_uuid(3)} interface IOther : IUnknown {{ HRESULT o(); }}
            """,
    )
    assert shown == []
    derived, base = _decl(f, "IDerived"), _decl(f, "IBase")
    assert isinstance(derived, Interface) and isinstance(base, Interface)
    assert derived.base is not None and derived.base.target is base
    assert [m.vtable_index for m in base.methods] == [3]
    assert [m.vtable_index for m in derived.methods] == [4, 5]
    assert _decl(f, "N").value == 2 * 2 + 8 + 1  # type: ignore[attr-defined]
    g = derived.methods[0]
    assert g.params[0].type.target is _decl(f, "PT")  # type: ignore[attr-defined]
    assert g.params[2].type.target is _decl(f, "S")  # type: ignore[attr-defined]
    other = derived.methods[1].params[0].type.target.target  # type: ignore[attr-defined]
    assert other is next(d for d in f.walk() if d.name == "IOther" and d.is_defined)  # type: ignore[attr-defined]


def test_base_forward_declared_then_defined_later_numbers_the_vtable(tmp_path: Path) -> None:
    f, shown = _check_main(
        tmp_path,
        f"""
            interface IB;
            {_uuid(1)} interface IA : IB {{ HRESULT a(); }}
            {_uuid(2)} interface IB : IUnknown {{ HRESULT b1(); HRESULT b2(); }}
            """,
    )
    assert shown == []
    a = _decl(f, "IA")
    assert isinstance(a, Interface) and [m.vtable_index for m in a.methods] == [5]


def test_names_from_a_file_imported_later_or_inside_an_interface_body(tmp_path: Path) -> None:
    f, shown = _check(
        tmp_path,
        {
            "t.idl": UNKNWN
            + f"""
            {_uuid(1)} interface IFoo : IBar {{
                import "bar.idl";
                HRESULT F([in] BAR_T x);
            }}
            typedef LATER_T USE_T;
            import "later.idl";
            """,
            "bar.idl": UNKNWN
            + f"""
            typedef long BAR_T;
            {_uuid(2)} interface IBar : IUnknown {{ HRESULT G(); }}
            """,
            "later.idl": "typedef short LATER_T;\n",
        },
    )
    assert shown == []
    foo = _decl(f, "IFoo")
    assert isinstance(foo, Interface) and [m.vtable_index for m in foo.methods] == [4]
    assert foo.base is not None and foo.base.target is not None
    assert foo.base.target.file.endswith("bar.idl")


def test_an_import_may_use_what_another_file_of_the_compilation_declares(tmp_path: Path) -> None:
    files = {
        "t.idl": 'import "a.idl";\nimport "b.idl";\ntypedef A_T MAIN_T;\n',
        "a.idl": "typedef B_T A_T;\n",  # a.idl does not import b.idl
        "b.idl": "typedef long B_T;\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    program, diagnostics = check([tmp_path / "t.idl"])
    assert [d.message for d in diagnostics] == []
    a = next(f for f in program.imports if f.path.endswith("a.idl"))
    assert a.declarations[0].type.target.file.endswith("b.idl")  # type: ignore[attr-defined]
    # what a.idl's resolution depends on besides its own imports
    assert program.borrowed == {str(tmp_path / "a.idl"): {str(tmp_path / "b.idl")}}


def test_cycles_are_one_error_naming_every_member(tmp_path: Path) -> None:
    _, shown = _check_main(
        tmp_path,
        f"""
            {_uuid(1)} interface IA : IB {{ HRESULT a(); }}
            {_uuid(2)} interface IB : IC {{ HRESULT b(); }}
            {_uuid(3)} interface IC : IA {{ HRESULT c(); }}
            const int X = Y + 1;
            const int Y = Z * 2;
            const int Z = X;
            const int SELF = SELF;
            struct P {{ struct Q q; }};
            struct Q {{ struct P p[2]; }};
            typedef TB TA;
            typedef TA *TB;
            """,
    )
    assert shown == [
        "t.idl:3:69: error: interface 'IA' inherits from itself: IA -> IB -> IC -> IA",
        "  t.idl:4: 'IB' derives from 'IC' here",
        "  t.idl:5: 'IC' derives from 'IA' here",
        "t.idl:6:11: error: constant 'X' is defined in terms of itself: X -> Y -> Z -> X",
        "  t.idl:7: 'Y' is defined here",
        "  t.idl:8: 'Z' is defined here",
        "t.idl:9:11: error: constant 'SELF' is defined in terms of itself",
        "t.idl:12:12: error: typedef 'TA' is defined in terms of itself: TA -> TB -> TA",
        "  t.idl:13: 'TB' is defined here",
        "t.idl:10:21: error: struct 'P' contains itself by value: P.q -> Q.p -> P",
        "  t.idl:11: 'p' of struct 'Q' is held by value here",
    ]


def test_pointers_and_forward_uses_are_no_cycle(tmp_path: Path) -> None:
    _, shown = _check_main(
        tmp_path,
        f"""
            {_uuid(1)} interface IA : IUnknown {{ HRESULT f([in] IB *b, [in] PNODE n); }}
            {_uuid(2)} interface IB : IA {{ HRESULT g([in] IA *a); }}
            typedef struct NODE {{ PNODE next; struct NODE *prev; LIST *owner; }} NODE, *PNODE;
            typedef struct LIST {{ NODE first; }} LIST;
            """,
    )
    assert shown == []


def test_an_undefined_name_is_an_error_at_its_first_use_with_a_hint(tmp_path: Path) -> None:
    _, shown = _check_main(
        tmp_path,
        f"""
            {_uuid(1)} interface IA : IUnknown {{
                HRESULT f([in] IMsgrLok *lock);
                HRESULT g([in] IMsgrLok *again, [in] int a[NOPE]);
            }}
            {_uuid(2)} interface IMsgrLock : IUnknown {{ HRESULT l(); }}
            enum {{ K1 = K2, K2 = 1 }};
            """,
    )
    assert shown == [
        "t.idl:4:20: error: unknown type 'IMsgrLok'",
        "  t.idl:7: did you mean 'IMsgrLock' (declared here)?",
        "t.idl:5:20: error: unknown type 'IMsgrLok'",
        "  t.idl:7: did you mean 'IMsgrLock' (declared here)?",
        "t.idl:5:48: error: use of undeclared identifier 'NOPE' in array dimension",
        "t.idl:8:13: error: use of undeclared identifier 'K2' in enumerator value",
    ]


def test_async_twin_of_a_base_defined_later(tmp_path: Path) -> None:
    f, shown = _check_main(
        tmp_path,
        """
            [object, uuid(12345678-0000-0000-0000-000000000001),
             async_uuid(12345678-0000-0000-0000-000000000011)]
            interface IDerived : IBase { HRESULT g([in] long x); }
            [object, uuid(12345678-0000-0000-0000-000000000002),
             async_uuid(12345678-0000-0000-0000-000000000012)]
            interface IBase : IUnknown { HRESULT f([out] long *y); }
            """,
    )
    assert shown == []
    twin = _decl(f, "AsyncIDerived")
    assert isinstance(twin, Interface)
    assert twin.base is not None and twin.base.name == "AsyncIBase"
    assert twin.base.target is _decl(f, "AsyncIBase")
    assert [m.vtable_index for m in twin.methods] == [5, 6]


# --------------------------------------------------------------------------- bad input (item 7)

N_CHAIN = 1500  # far deeper than the forward nesting cap and Python's default stack


def _itf(i: int, base: str) -> str:
    return f"[object, uuid(12345678-0000-0000-0000-{i:012x})] interface {base}"


CHAINS: dict[str, tuple[str, int]] = {
    # name: (text, errors expected) -- every chain written from its far end
    "interfaces": (
        'import "unknwn.idl";\n'
        + "".join(
            _itf(i, f"I{i} : {f'I{i - 1}' if i > 1 else 'IUnknown'}") + f" {{ HRESULT m{i}(); }}\n"
            for i in range(N_CHAIN, 0, -1)
        ),
        0,
    ),
    "typedefs": (
        "".join(f"typedef T{i + 1} T{i};\n" for i in range(N_CHAIN))
        + f"typedef long T{N_CHAIN};\n",
        0,
    ),
    "constants": (
        "".join(f"const int C{i} = C{i + 1} + 1;\n" for i in range(N_CHAIN))
        + f"const int C{N_CHAIN} = 0;\n",
        0,
    ),
    "structs": (
        "".join(f"struct S{i} {{ struct S{i + 1} inner; }};\n" for i in range(N_CHAIN))
        + f"struct S{N_CHAIN} {{ int x; }};\n",
        0,
    ),
    "constant_cycle": (
        "".join(f"const int K{i} = K{(i + 1) % N_CHAIN};\n" for i in range(N_CHAIN)),
        1,
    ),
    "interface_cycle": (
        'import "unknwn.idl";\n'
        + "".join(_itf(i, f"J{i} : J{(i + 1) % N_CHAIN}") + " {}\n" for i in range(N_CHAIN)),
        1,
    ),
    "struct_cycle": (
        "".join(f"struct U{i} {{ struct U{(i + 1) % N_CHAIN} inner; }};\n" for i in range(N_CHAIN)),
        1,
    ),
}


@pytest.mark.parametrize("name", sorted(CHAINS))
def test_long_forward_chains_and_cycles_stay_handled(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, errors = CHAINS[name]
    path = tmp_path / "t.idl"
    path.write_text(text, encoding="utf-8")
    rc = main(["check", str(path)])
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err and "nested too deeply" not in err
    assert rc == (1 if errors else 0), err[-2000:]
    assert err.count(": error: ") == errors, err[:2000]
    if errors:  # one error naming the whole cycle, a note at every other member
        assert err.count(": note: ") == N_CHAIN - 1


def test_forward_references_into_a_value_cycle_give_one_error_per_cycle(tmp_path: Path) -> None:
    _, shown = _check_main(
        tmp_path,
        """
        const int USE1 = A + 1;
        const int USE2 = USE1 * 2;
        const int A = B;
        const int B = A;
        """,
    )
    assert [s for s in shown if ": error:" in s] == [
        "t.idl:5:11: error: constant 'A' is defined in terms of itself: A -> B -> A"
    ]


def test_a_struct_holding_itself_in_definition_order_is_a_cycle_too(tmp_path: Path) -> None:
    _, shown = _check_main(
        tmp_path,
        """
        struct SELF { int a; struct SELF me; };
        struct OUTER { struct INNER { struct OUTER o; } inner; };
        struct FINE { struct FINE *next; struct INNER2 { int x; } i; };
        """,
    )
    assert [s for s in shown if ": error:" in s] == [
        "t.idl:3:34: error: struct 'SELF' contains itself by value: SELF.me -> SELF",
        "t.idl:4:44: error: struct 'INNER' contains itself by value: "
        "INNER.o -> OUTER.inner -> INNER",
    ]
