"""Tests for the C preprocessor stage (idlgen.frontend.preprocess)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from idlgen.diagnostics import DiagnosticSink
from idlgen.frontend.preprocess import preprocess

SHARED = Path(__file__).parents[1].parent / "shared"
CORPUS = SHARED / "corpus" / "mingw-w64"


def run(text: str, **kw: object) -> tuple[list[str], DiagnosticSink, object]:
    sink = DiagnosticSink()
    src = preprocess("t.idl", text=text, sink=sink, **kw)  # type: ignore[arg-type]
    lines = [ln.strip() for ln in src.text.splitlines() if ln.strip()]
    return lines, sink, src


def errors(sink: DiagnosticSink) -> list[tuple[int, int, str]]:
    return [(d.span.line, d.span.column, d.message) for d in sink if d.is_error]


def test_object_and_function_macros() -> None:
    lines, sink, _ = run("#define N 4\n#define ADD(a, b) ((a) + (b))\nx = ADD(N, 2);\n")
    assert lines == ["x = ((4) + (2));"]
    assert not sink.has_errors


def test_stringify_paste_variadic() -> None:
    text = (
        "#define S(x) #x\n#define CAT(a, b) a##b\n#define V(f, ...) f(__VA_ARGS__)\n"
        'S(a "b") CAT(foo, bar) V(g, 1, 2)\n'
    )
    lines, _, _ = run(text)
    assert lines == ['"a \\"b\\"" foobar g(1, 2)']


def test_self_reference_and_runaway_are_bounded() -> None:
    lines, sink, _ = run("#define X X + 1\nX\n")
    assert lines == ["X + 1"]
    text = "".join(f"#define A{i} A{i + 1} A{i + 1}\n" for i in range(40)) + "A0\n"
    _, sink, _ = run(text)
    assert any("too large" in m for _, _, m in errors(sink))


def test_conditionals_and_expressions() -> None:
    text = """#define V 0x0A00UL
#if defined(V) && V >= 0x0A00 && !defined FOO && UNDEF == 0
yes1
#endif
#if (1 ? 2 : 3) == 2 && 'A' == 65 && (7 / 2) == 3 && -7 % 3 == -1 && (1 << 4) == 16
yes2
#elif 1
no
#else
no
#endif
#ifdef FOO
no
#elif V > 1 || 0
yes3
#endif
#ifndef V
no
#else
yes4
#endif
"""
    lines, sink, _ = run(text)
    assert lines == ["yes1", "yes2", "yes3", "yes4"]
    assert not sink.has_errors


def test_predefined_and_command_line_macros() -> None:
    lines, _, _ = run(
        "_WIN32 __midl BOOL\n#ifdef __WIDL__\nwidl\n#endif\n#ifdef GONE\nno\n#endif\n",
        macro_ops=[
            ("define", "BOOL", "WINBOOL"),
            ("define", "GONE", None),
            ("undef", "GONE", None),
        ],
    )
    assert lines == ["1 501 WINBOOL", "widl"]


def test_undef_error_warning_unknown_pragma() -> None:
    text = "#define A 1\n#undef A\nA\n#pragma pack(1)\n#error bad thing\n#warning careful\n#frob\n"
    lines, sink, src = run(text)
    assert lines == ["A"]
    assert errors(sink) == [(5, 1, "#error bad thing")]
    warnings = [(d.span.line, d.message) for d in sink if not d.is_error]
    assert warnings == [(6, "#warning careful"), (7, "unknown preprocessing directive #frob")]
    assert [(p.text, p.span.line) for p in src.pragmas] == [("pack(1)", 4)]  # type: ignore[attr-defined]
    assert "pragma" not in src.text  # type: ignore[attr-defined]


def test_comments_strings_and_columns() -> None:
    text = "a /* c\nc */ b \"/* s */\" // x\n  '/' c\n"
    sink = DiagnosticSink()
    src = preprocess("t.idl", text=text, sink=sink)
    out = src.text.splitlines()
    assert out[1].index("b") == text.splitlines()[1].index("b")
    assert '"/* s */"' in out[1] and "//" not in out[1]
    assert src.locate(2, out[1].index("b") + 1) == ("t.idl", 2, 6)


def test_line_mapping_after_include_and_line(tmp_path: Path) -> None:
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "h.h").write_text("#define H 1\nin_header\n")
    main = tmp_path / "m.idl"
    main.write_text('first\n#include <h.h>\nafter H\n#line 100 "other.idl"\nmoved\n')
    sink = DiagnosticSink()
    src = preprocess(str(main), include_dirs=[str(tmp_path / "inc")], sink=sink)
    assert not sink.has_errors
    pairs = [
        (ln.strip(), src.line_origins[i])
        for i, ln in enumerate(src.text.splitlines())
        if ln.strip()
    ]
    assert pairs == [
        ("first", (str(main), 1)),
        ("in_header", (str(tmp_path / "inc" / "h.h"), 2)),
        ("after 1", (str(main), 3)),
        ("moved", ("other.idl", 100)),
    ]
    assert src.included_files == [str(tmp_path / "inc" / "h.h")]


def test_quoted_include_searches_including_dir_first(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.h").write_text("from_a\n")
    (tmp_path / "b" / "x.h").write_text("from_b\n")
    (tmp_path / "a" / "m.idl").write_text('#include "x.h"\n#include <x.h>\n')
    sink = DiagnosticSink()
    src = preprocess(str(tmp_path / "a" / "m.idl"), include_dirs=[str(tmp_path / "b")], sink=sink)
    assert src.text.split() == ["from_a", "from_b"]


def test_multiline_invocation_and_continuation() -> None:
    text = "#define F(a, b) a+b\nx F(1,\n  2) y\n#define LONG 1 + \\\n  2\nz LONG\nw\n"
    sink = DiagnosticSink()
    src = preprocess("t.idl", text=text, sink=sink)
    lines = src.text.splitlines()
    assert [ln.strip() for ln in lines if ln.strip()] == ["x 1+2 y", "z 1 + 2", "w"]
    w_line = next(i for i, ln in enumerate(lines) if ln.strip() == "w") + 1
    assert src.locate(w_line, 1) == ("t.idl", 7, 1)
    x_line = next(i for i, ln in enumerate(lines) if ln.startswith("x")) + 1
    assert src.locate(x_line, 1) == ("t.idl", 2, 1)
    assert src.locate(x_line, 3) == ("t.idl", 2, 5)  # the argument '1'
    assert src.locate(x_line, 7) == ("t.idl", 3, 6)  # 'y' after the invocation


def test_import_stays_in_text_and_file_line() -> None:
    lines, _, _ = run('import "b.idl";\n__LINE__ __FILE__\n')
    assert lines == ['import "b.idl";', '2 "t.idl"']


def test_bad_inputs_are_diagnostics() -> None:
    _, sink, _ = run("#include <nope.h>\n")
    assert errors(sink) == [(1, 1, "cannot open include file 'nope.h'")]
    _, sink, _ = run("a\n  /* never closed\n")
    assert errors(sink) == [(2, 3, "unterminated comment")]
    _, sink, _ = run("#if 1\nx\n")
    assert errors(sink) == [(1, 1, "unterminated conditional directive")]
    _, sink, _ = run("#if 1 +\n#endif\n#if (((1)\n#endif\n")
    assert [ln for ln, _, _ in errors(sink)] == [1, 3]
    _, sink, _ = run("#define F(x) x\nF(1\n")
    assert any("unterminated argument list" in m for _, _, m in errors(sink))
    _, sink, _ = run("#if " + "(" * 10000 + "1" + ")" * 10000 + "\n#endif\n")
    assert sink.has_errors
    _, sink, _ = run("#define F(x) x\n" + "F(" * 3000 + ")" * 3000 + "\n")
    assert sink.has_errors


def test_invalid_utf8_is_the_code_page_unless_utf8_is_asked_for_and_binary(tmp_path: Path) -> None:
    p = tmp_path / "bad.idl"
    p.write_bytes(b"ok\nab\xff\xfe\n")
    sink = DiagnosticSink()
    src = preprocess(str(p), sink=sink)
    assert not sink.diagnostics and "ab\u00ff\u00fe" in src.text  # cp1252
    sink = DiagnosticSink()
    src = preprocess(str(p), sink=sink, code_page="utf-8")
    assert errors(sink) == [(2, 3, "invalid UTF-8 in the source file")]
    assert "ok" in src.text
    p.write_bytes(b"\x00\x01\x02junk")
    sink = DiagnosticSink()
    preprocess(str(p), sink=sink)
    assert sink.error_count == 1


def test_large_input_is_fast_enough() -> None:
    text = "typedef int T;\n" * 200_000
    sink = DiagnosticSink()
    src = preprocess("big.idl", text=text, sink=sink)
    assert len(src.line_origins) == 200_000 and not sink.has_errors


def _classic_ok_files() -> list[str]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    rows = [r.split("\t") for r in manifest.read_text().splitlines()[1:]]
    return [r[0] for r in rows if len(r) > 2 and r[1] == "classic" and r[2] == "ok"]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared corpus not present")
def test_corpus_preprocesses_without_errors() -> None:
    files = _classic_ok_files()
    assert len(files) == 239
    builtin = str(Path(__file__).parents[1] / "idlgen" / "include")
    failures = []
    cwd = os.getcwd()
    os.chdir(CORPUS)
    try:
        for f in files:
            sink = DiagnosticSink()
            preprocess(
                f,
                include_dirs=("include", "crt", builtin),
                macro_ops=(("define", "BOOL", "WINBOOL"),),
                sink=sink,
            )
            failures += [f"{d.span}: {d.message}" for d in sink if d.is_error]
    finally:
        os.chdir(cwd)
    assert failures == []


def test_columns_after_expansion_map_to_their_source() -> None:
    text = "#define LONGNAME 1\n#define F(a, b) a+b\nLONGNAME   z F(x,\n   yy) tail\n"
    sink = DiagnosticSink()
    src = preprocess("t.idl", text=text, sink=sink)
    line = src.text.splitlines()[0]
    assert line.split() == ["1", "z", "x+yy", "tail"]
    assert src.locate(1, line.index("z") + 1) == ("t.idl", 3, 12)
    assert src.locate(1, line.index("1") + 1) == ("t.idl", 3, 1)
    assert src.locate(1, line.index("x") + 1) == ("t.idl", 3, 16)  # macro argument
    assert src.locate(1, line.index("+") + 1) == ("t.idl", 3, 14)  # from the body: at 'F'
    assert src.locate(1, line.index("yy") + 1) == ("t.idl", 4, 4)
    assert src.locate(1, line.index("tail") + 1) == ("t.idl", 4, 8)


def test_continued_text_line_columns() -> None:
    text = "abc \\\n  def\n#define M(x) x\nM(1) \\\nzz\n"
    sink = DiagnosticSink()
    src = preprocess("t.idl", text=text, sink=sink)
    lines = src.text.splitlines()
    assert lines[0] == "abc   def"
    assert src.locate(1, 1) == ("t.idl", 1, 1)
    assert src.locate(1, lines[0].index("def") + 1) == ("t.idl", 2, 3)
    assert lines[1].split() == ["1", "zz"]
    assert src.locate(2, lines[1].index("zz") + 1) == ("t.idl", 5, 1)


def test_unterminated_literals_in_active_code_only() -> None:
    _, sink, _ = run("a \"ok\" 'x' b\nhelpstring(\"never\n#if 0\nit's\n#endif\n#error don't\n")
    assert errors(sink) == [(2, 12, 'missing terminating " character'), (6, 1, "#error don't")]


def test_each_call_starts_with_a_fresh_macro_table() -> None:
    sink = DiagnosticSink()
    first = preprocess("a.idl", text="#define FROM_A 1\nFROM_A\n", sink=sink)
    second = preprocess("b.idl", text="FROM_A\n", sink=sink)
    assert first.text.split() == ["1"] and second.text.split() == ["FROM_A"]


WIDL = SHARED / "tools" / "widl"


@pytest.mark.skipif(not (CORPUS.is_dir() and WIDL.is_file()), reason="widl or corpus absent")
def test_tokens_equal_widl_preprocessor_on_a_corpus_sample() -> None:
    import subprocess

    from idlgen.frontend.pptokens import tokenize as _tokenize

    builtin = str(Path(__file__).parents[1] / "idlgen" / "include")
    files = _classic_ok_files()[::12]
    for f in files:
        run_widl = subprocess.run(
            [str(WIDL), "-E", "-D", "BOOL=WINBOOL", "-I", "include", "-I", "crt", f],
            cwd=CORPUS,
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
        )
        widl_text = "\n".join(
            ln for ln in run_widl.stdout.split("\n") if not ln.lstrip().startswith("#")
        )
        sink = DiagnosticSink()
        ours = preprocess(
            str(CORPUS / f),
            include_dirs=(str(CORPUS / "include"), str(CORPUS / "crt"), builtin),
            macro_ops=(("define", "BOOL", "WINBOOL"),),
            sink=sink,
        )
        assert [t.text for t in _tokenize(ours.text)] == [t.text for t in _tokenize(widl_text)], f


def test_conditional_structure_errors_and_undef_of_predefined() -> None:
    _, sink, _ = run("#endif\n#if 1\n#else\n#elif 1\n#endif\n#ifdef\n#endif\n")
    assert errors(sink) == [
        (1, 1, "#endif without #if"),
        (4, 1, "#elif after #else"),
        (6, 1, "no macro name given in #ifdef directive"),
    ]
    lines, _, _ = run("#ifdef _WIN32\nwin\n#endif\n", macro_ops=[("undef", "_WIN32", None)])
    assert lines == []


def test_include_name_from_macro_and_pragma_once(tmp_path: Path) -> None:
    (tmp_path / "once.h").write_text("#pragma once\nonce_body\n")
    main = tmp_path / "m.idl"
    main.write_text('#define HDR "once.h"\n#include HDR\n#include "once.h"\n')
    sink = DiagnosticSink()
    src = preprocess(str(main), sink=sink)
    assert src.text.split() == ["once_body"] and not sink.has_errors
    assert src.pragmas == []


def test_recursive_include_is_bounded(tmp_path: Path) -> None:
    (tmp_path / "self.h").write_text('#include "self.h"\nx\n')
    sink = DiagnosticSink()
    preprocess(str(tmp_path / "self.h"), sink=sink)
    assert [d.message for d in sink if d.is_error] == ["#include nested too deeply"]


def test_missing_file_directory_and_empty_input(tmp_path: Path) -> None:
    sink = DiagnosticSink()
    preprocess(str(tmp_path / "none.idl"), sink=sink)
    preprocess(str(tmp_path), sink=sink)
    assert [d.message for d in sink] == [
        f"cannot open '{tmp_path / 'none.idl'}': no such file",
        f"cannot read '{tmp_path}': is a directory",
    ]
    sink = DiagnosticSink()
    src = preprocess("empty.idl", text="", sink=sink)
    assert src.text.strip() == "" and not sink.has_errors
    assert src.locate(5, 3) == ("empty.idl", 1, 3)


def test_defined_operand_is_not_expanded_even_from_a_macro() -> None:
    text = (
        "#define X Y\n#define HAS_X defined(X)\n#if HAS_X && defined X && !defined(Y)\nok\n#endif\n"
    )
    lines, sink, _ = run(text)
    assert lines == ["ok"] and not sink.has_errors
