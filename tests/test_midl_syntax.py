"""MIDL syntax that MIDL-authored files use (issue 14, item 4): ``__unaligned`` and the other
memory-model keywords, strings across a line break, macro-built declarations
(``DECLARE_HANDLE``-style ``#define``s, with comments and continuations, or from ``-D``).
``import`` inside an interface body is in ``test_forward_references.py``."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from idlgen.api import check
from idlgen.cli import main
from idlgen.model import IdlFile, Interface, NamedType, PointerType, Struct, TaggedType, Typedef


def _load(tmp_path: Path, text: str, **options: object) -> tuple[IdlFile, list[str]]:
    path = tmp_path / "t.idl"
    path.write_text('import "unknwn.idl";\n' + textwrap.dedent(text), encoding="utf-8")
    program, diagnostics = check([path], **options)  # type: ignore[arg-type]
    shown = [f"{d.span.line}:{d.span.column}: {d.severity.value}: {d.message}" for d in diagnostics]
    return program.files[0], shown


def _typedefs(f: IdlFile) -> dict[str, Typedef]:
    return {d.name: d for d in f.walk() if isinstance(d, Typedef)}


def test_unaligned_and_memory_model_keywords_in_typedefs(tmp_path: Path) -> None:
    f, shown = _load(
        tmp_path,
        """
        typedef struct _ITEMIDLIST { unsigned short cb; } ITEMIDLIST;
        typedef ITEMIDLIST __unaligned *LPITEMIDLIST;
        typedef const ITEMIDLIST __unaligned *LPCITEMIDLIST;
        typedef __unaligned ITEMIDLIST *PUIDLIST;
        typedef ITEMIDLIST * __unaligned __ptr64 PP64;
        typedef long __RPC_FAR *LPLONG_FAR;
        typedef __w64 long LONG_W64;
        typedef void (__RPC_FAR *PFN)(void);
        """,
    )
    assert shown == []
    tds = _typedefs(f)
    for name in ("LPITEMIDLIST", "LPCITEMIDLIST", "PUIDLIST", "PP64"):
        t = tds[name].type
        assert isinstance(t, PointerType), name
        assert isinstance(t.target, NamedType) and t.target.target is tds["ITEMIDLIST"], name
    assert tds["LPCITEMIDLIST"].type.target.is_const  # type: ignore[attr-defined]
    assert isinstance(tds["LPLONG_FAR"].type, PointerType)


def test_a_string_across_a_line_break_in_an_attribute(tmp_path: Path) -> None:
    f, shown = _load(
        tmp_path,
        """
        [object, uuid(12345678-0000-0000-0000-000000000001),
         helpstring("The first line
        and the second one"), pointer_default(unique)]
        interface IFoo : IUnknown { HRESULT f([in] NOPE x); }
        """,
    )
    # widl says the same ("Newline in string constant"); lines after the string stay right
    assert shown == [
        "4:13: warning: newline in string constant (the string ends on line 5)",
        "6:44: error: unknown type 'NOPE'",
    ]
    itf = next(d for d in f.walk() if isinstance(d, Interface))
    assert itf.helpstring == "The first line\nand the second one"


def test_an_unterminated_string_is_still_an_error(tmp_path: Path) -> None:
    _, shown = _load(tmp_path, 'const char *S = "never closed;\nconst int X = 1;\n')
    assert '2:17: error: missing terminating " character' in shown


@pytest.mark.parametrize(
    "definition",
    [
        # wtypes.idl's (MIDL and mingw-w64)
        "#define DECLARE_HANDLE(name) typedef void *name",
        # winnt.h's STRICT one, with token pasting
        "#define DECLARE_HANDLE(name) struct name##__ { int unused; }; "
        "typedef struct name##__ *name",
        # continued over lines
        "#define DECLARE_HANDLE(name) \\\n    struct name##__ { int unused; }; \\\n"
        "    typedef struct name##__ *name",
        # a comment running over lines inside the definition (C joins it)
        "#define DECLARE_HANDLE(name) /* an opaque\n   handle */ typedef void *name",
        # the wire_marshal form of MIDL's wtypes.idl
        "typedef struct _wireHANDLE { long h; } *wireHANDLE;\n"
        "#define DECLARE_HANDLE(name) typedef [wire_marshal(wireHANDLE)] void *name",
    ],
    ids=["wtypes", "strict", "continued", "comment", "wire_marshal"],
)
def test_macro_built_handle_declarations(definition: str, tmp_path: Path) -> None:
    f, shown = _load(
        tmp_path,
        definition
        + "\nDECLARE_HANDLE(HFOO);\nDECLARE_HANDLE(\n    HBAR /* on its own line */\n);\n"
        "typedef HFOO HX;\nconst int AFTER = NOPE;\n",
    )
    lines = definition.count("\n") + 1
    # the error is on the right line however many lines the definition took
    assert shown == [f"{lines + 7}:19: error: use of undeclared identifier 'NOPE' in constant"]
    tds = _typedefs(f)
    assert {"HFOO", "HBAR", "HX"} <= set(tds)
    foo = tds["HFOO"].type
    assert isinstance(foo, PointerType)
    if isinstance(foo.target, TaggedType):
        assert isinstance(foo.target.target, Struct) and foo.target.target.name == "HFOO__"


def test_function_like_macros_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.idl"
    path.write_text("DECLARE_HANDLE(HFOO);\ntypedef HFOO HX;\nconst int X = SQ(3);\n")
    f, shown = _load(
        tmp_path,
        path.read_text(),
        defines=["DECLARE_HANDLE(n)=typedef void *n", "SQ(x)=((x)*(x))"],
    )
    assert shown == []
    assert next(d for d in f.walk() if d.name == "X").value == 9  # type: ignore[attr-defined]
    assert main(["check", "-D", "F(1)=x", str(path)]) == 2
    assert "-D: 'F(1)' is not a macro name (NAME or NAME(PARAMS))" in capsys.readouterr().err
