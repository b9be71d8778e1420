"""Hostile input (issue 17): what an attacker controls — IDL text, file names, include trees,
scenario files, the output folder — never runs code, never hangs, stays within bounded memory,
and ends with a located error or output that imports.

Anything that could hang or eat memory runs in a child process under ``timeout`` and an
address-space limit (:func:`run_idlgen`); generated output is imported in a child process too.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from _shared import EXAMPLE_IDL, import_generated, run_python

from idlgen.cli import main
from idlgen.diagnostics import DiagnosticSink, Span

#: The address space a child idlgen may use (the bombs of issue 17 took 3.4-5.1 GB).
MEMORY_LIMIT = 1024 * 1024 * 1024
SCENARIOS = EXAMPLE_IDL.with_name("Msgrpriv.scenarios.toml")
ITF = "[object, uuid(11111111-1111-1111-1111-111111111111)] interface I : IUnknown"


def run_idlgen(
    args: list[str], cwd: Path, *, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m idlgen ARGS`` in *cwd*, killed after *timeout* s, with at most
    :data:`MEMORY_LIMIT` of address space."""

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    return subprocess.run(
        [sys.executable, "-m", "idlgen", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout,
        preexec_fn=limit_memory,
        env={**os.environ, **(env or {})},
        check=False,
    )


def assert_located_error(p: subprocess.CompletedProcess[str], *needles: str) -> None:
    """Exit 1 with ``file:...: error:`` lines containing every needle, and no traceback."""
    assert p.returncode == 1, f"exit {p.returncode}:\n{p.stderr[-3000:]}"
    assert "Traceback" not in p.stderr and "internal error" not in p.stderr, p.stderr[-3000:]
    assert ": error: " in p.stderr
    for needle in needles:
        assert needle in p.stderr, p.stderr[-3000:]


# --------------------------------------------------------------------------- 1: file names


HOSTILE_STEMS = [
    'x""";__import__("os").system("touch PWNED");"""',
    "y\nimport os; os.system('touch PWNED')\n#",
    "z'''\\\x1b]0;title\x07\u202e#",
]


def test_hostile_file_names_and_scenario_text_never_run(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for stem in HOSTILE_STEMS:
        (src / f"{stem}.idl").write_bytes(EXAMPLE_IDL.read_bytes())
    hostile_text = re.sub(
        r"(?m)^description = .*$",
        lambda _: 'description = \'x"""; __import__("os").system("touch PWNED")\'',
        SCENARIOS.read_text(encoding="utf-8"),
        count=1,
    )
    assert "touch PWNED" in hostile_text
    (src / f"{HOSTILE_STEMS[1]}.scenarios.toml").write_text(hostile_text, encoding="utf-8")
    names = [f"{s}.idl" for s in HOSTILE_STEMS]
    p = run_idlgen(["generate", "--emit", "stubs,events,tests", "-o", "../out", *names], src)
    assert p.returncode == 0, p.stderr[-3000:]
    out = tmp_path / "out"
    suites = [d for d in out.iterdir() if d.name.endswith("_conformance")]
    assert len(suites) == len(HOSTILE_STEMS)
    assert any((d / "test_scenarios.py").is_file() for d in suites)
    import_generated(out)
    assert not list(tmp_path.rglob("PWNED")), "generated code ran text from a file name"
    for path in out.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "\x1b" not in text and "\u202e" not in text, path


# --------------------------------------------------------------------------- 2 and 7: names


NAMES_IDL = """
import "oaidl.idl";

typedef enum {
    _A_ = 1, __init__ = 2, ___ = 3, __x = 4, _E__y = 5, name = 6, name_ = 7, value = 8,
    _missing_ = 9, mro = 10, _ignore_ = 11, _order_ = 12
} E;
typedef enum { RED = 1, GREEN = 2 } Color;
typedef struct S { long dataclasses; long field; Color Color; long __z; long _members_; } S;

[object, uuid(11111111-1111-1111-1111-111111111111), helpstring("lone \\ud800 surrogate")]
interface I : IUnknown {
    HRESULT property();
    HRESULT abc();
    [propget] HRESULT uuid([out, retval] long *v);
    HRESULT _members_();
    HRESULT ClassVar();
    HRESULT MemberInfo();
    HRESULT _abc_impl();
    HRESULT _supports_iid();
    [propget] HRESULT Color([out, retval] Color *c);
    HRESULT f([in, defaultvalue(7)] E e, [in, defaultvalue(2)] Color c);
    HRESULT int([in] long x);
    HRESULT g([in] long x, [out, retval] long *y);
    HRESULT float([in, defaultvalue(1.5)] double d);
    HRESULT E();
}

[uuid(22222222-2222-2222-2222-222222222222)]
dispinterface D {
    properties:
        [id(1)] long _events_;
    methods:
        [id(2)] void uuid();
        [id(3)] void EventSink();
        [id(4)] void _events_();
}

[uuid(33333333-3333-3333-3333-333333333333)]
coclass C {
    [default] interface I;
    interface I;
    [default, source] dispinterface D;
    [source] dispinterface D;
}
"""


@pytest.fixture(scope="module")
def names_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The names case generated with stubs, events and tests (in a child process)."""
    root = tmp_path_factory.mktemp("names")
    (root / "names.idl").write_text(NAMES_IDL, encoding="utf-8")
    p = run_idlgen(["generate", "--emit", "stubs,events,tests", "-o", "out", "names.idl"], root)
    assert p.returncode == 0, p.stderr[-3000:]
    return root / "out"


def test_names_that_clash_with_the_class_body_are_renamed(names_output: Path) -> None:
    import_generated(names_output)
    code = textwrap.dedent(
        """
        import inspect, names
        from idlgen.runtime import MemberInfo
        E = names.E
        assert sorted(m.value for m in E) == list(range(1, 13)), list(E)
        assert inspect.signature(names.I.f).parameters["e"].default is E(7)
        assert inspect.signature(names.I.f).parameters["c"].default is names.Color.GREEN
        assert names.name == 6 and names.name_ == 7
        assert all(isinstance(m, MemberInfo) for m in names.I._members_)
        assert isinstance(names.D._events_, dict) and names.D._events_[4] == "_events__"
        assert names.C._com_interfaces_ == (names.I,)
        assert names.C._outgoing_interfaces_ == (names.D,)
        assert "\\ufffd" in names.I.__doc__
        by_name = {m.name: m.python_name for m in names.I._members_}
        assert by_name["property"] == "property_" and by_name["_members_"] == "_members__"
        assert by_name["Color"] == "Color_" and by_name["E"] == "E_"
        print("ok")
        """
    )
    p = run_python(code, cwd=names_output, timeout=120)
    assert p.returncode == 0 and "ok" in p.stdout, p.stderr[-3000:]


def test_the_suite_predicts_the_renamed_member_names(names_output: Path) -> None:
    spec = (names_output / "names_conformance" / "spec.py").read_text(encoding="utf-8")
    for renamed in ("property_", "_members__", "Color_", "abc_", "_abc_impl__", "uuid_"):
        assert f'"py_name":"{renamed}"' in spec, renamed


def test_the_names_output_passes_mypy_strict(names_output: Path) -> None:
    p = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "names"],
        cwd=names_output,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert p.returncode == 0, p.stdout[-3000:]


@pytest.mark.parametrize("enumerator", ["_A_", "__init__", "___", "_B__", "__"])
def test_renaming_an_enumerator_ends(enumerator: str, tmp_path: Path) -> None:
    (tmp_path / "e.idl").write_text(f"typedef enum {{ {enumerator} = 1 }} E;\n", encoding="utf-8")
    p = run_idlgen(["generate", "-o", "out", "e.idl"], tmp_path, timeout=60)
    assert p.returncode == 0, p.stderr[-3000:]
    import_generated(tmp_path / "out")


def nested(levels: int, inner: str = "long") -> str:
    for _ in range(levels):
        inner = f"SAFEARRAY({inner})"
    return inner


@pytest.mark.parametrize(
    "text",
    [
        f'import "oaidl.idl";\n{ITF} {{ HRESULT f([in] {nested(210)} a); }}\n',
        'import "oaidl.idl";\ntypedef long T0;\n'
        + "".join(f"typedef SAFEARRAY(T{i}) T{i + 1};\n" for i in range(300))
        + f"{ITF} {{ HRESULT f([in] T300 a); }}\n",
    ],
    ids=["safearray_210", "typedef_chain_300"],
)
def test_types_nested_past_what_python_parses_are_refused(text: str, tmp_path: Path) -> None:
    (tmp_path / "deep.idl").write_text(text, encoding="utf-8")
    p = run_idlgen(["generate", "-o", "out", "deep.idl"], tmp_path, timeout=120)
    assert_located_error(p, "deep.idl:", "type nested too deeply to generate")


def test_a_long_typedef_chain_generates(tmp_path: Path) -> None:
    text = (
        'import "oaidl.idl";\ntypedef long T0;\n'
        + "".join(f"typedef T{i} T{i + 1};\n" for i in range(3000))
        + f"{ITF} {{ HRESULT f([in] T3000 a, [out, retval] T2999 *b); }}\n"
    )
    (tmp_path / "chain.idl").write_text(text, encoding="utf-8")
    p = run_idlgen(["generate", "-o", "out", "chain.idl"], tmp_path, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    import_generated(tmp_path / "out")
    assert "def f(self, a: int) -> int:" in (tmp_path / "out/chain/interfaces.py").read_text()


def test_an_import_cannot_replace_the_suite(tmp_path: Path) -> None:
    (tmp_path / "x.idl").write_text('import "x_conformance.idl";\ntypedef enum { A = 1 } E;\n')
    (tmp_path / "x_conformance.idl").write_text("typedef enum { B = 1 } F;\n")
    args = ["generate", "--with-imports", "--emit", "stubs,events,tests", "-o", "out", "x.idl"]
    p = run_idlgen(args, tmp_path, timeout=120)
    assert_located_error(p, "x_conformance/", "rename one of the files")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("package", ["typing", "uuid", "idlgen", "enum", "pytest", "abc.x"])
def test_a_package_may_not_shadow_what_generated_code_imports(
    package: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.idl").write_text("typedef enum { A = 1 } E;\n")
    rc = main(
        ["generate", "--package", package, "-o", str(tmp_path / "o"), str(tmp_path / "a.idl")]
    )
    assert rc == 2
    assert "would shadow the module" in capsys.readouterr().err


# --------------------------------------------------------------------------- 3 and 5: bombs


def test_a_macro_bomb_stops_with_an_error(tmp_path: Path) -> None:
    text = "#define A0" + " x" * 10_000 + "\n#define A1" + " A0" * 1000 + "\nA1\n"
    (tmp_path / "bomb.idl").write_text(text)
    p = run_idlgen(["check", "bomb.idl"], tmp_path, timeout=120)
    assert_located_error(p, "bomb.idl:", "macro expansion made more than")


def test_an_include_tree_stops_with_an_error(tmp_path: Path) -> None:
    for level in range(4):
        body = f'#include "l{level + 1}.h"\n' * 100 if level < 3 else "const int a = 1;\n"
        (tmp_path / f"l{level}.h").write_text(body)
    (tmp_path / "tree.idl").write_text('#include "l0.h"\n')
    p = run_idlgen(["check", "tree.idl"], tmp_path, timeout=120)
    assert_located_error(p, "files read (#include) in this compilation")


def test_an_include_is_held_to_the_size_limit(tmp_path: Path) -> None:
    with (tmp_path / "big.h").open("wb") as f:
        f.truncate(1024**3)  # sparse
    (tmp_path / "a.idl").write_text('#include "big.h"\n')
    p = run_idlgen(["check", "a.idl"], tmp_path, timeout=120)
    assert_located_error(p, "a.idl:1:1: error: cannot read", "file too large (1024.0 MB")


@pytest.mark.skipif(
    not os.access("/proc/kmsg", os.R_OK), reason="/proc/kmsg is absent or not readable here"
)
def test_a_file_whose_reads_block_is_refused(tmp_path: Path) -> None:
    (tmp_path / "k.idl").write_text('#include "/proc/kmsg"\n')
    p = run_idlgen(["check", "k.idl"], tmp_path, timeout=60)
    assert_located_error(p, "k.idl:1:1: error: cannot read '/proc/kmsg'")


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="no /proc/self/environ")
def test_the_environment_is_not_echoed(tmp_path: Path) -> None:
    (tmp_path / "env.idl").write_text('#include "/proc/self/environ"\n')
    secret = "IDLGEN_TEST_SECRET_7f3a9c"
    p = run_idlgen(["check", "env.idl"], tmp_path, timeout=60, env={"SECRET_FOR_TEST": secret})
    assert_located_error(p, "not a text file")
    assert secret not in p.stderr


def test_fifos_are_refused_as_sources(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.idl")
    p = run_idlgen(["check", "fifo.idl"], tmp_path, timeout=60)
    assert_located_error(p, "fifo.idl: error: cannot read 'fifo.idl': a FIFO")
    (tmp_path / "a.idl").write_text("typedef enum { A = 1 } E;\n")
    (tmp_path / "pyproject.toml").write_text('[tool.idlgen]\nsources = ["*.idl"]\noutput = "o"\n')
    p = run_idlgen(["generate"], tmp_path, timeout=60)
    assert_located_error(p, "a FIFO, not a regular file")


def test_fifos_and_huge_files_in_the_output_folder(tmp_path: Path) -> None:
    (tmp_path / "pk.idl").write_text("typedef enum { A = 1 } E;\n")
    (tmp_path / "o" / "pk").mkdir(parents=True)
    os.mkfifo(tmp_path / "o" / "pk" / "__init__.py")
    p = run_idlgen(["generate", "-o", "o", "pk.idl"], tmp_path, timeout=60)
    assert_located_error(p, "__init__.py: error: not a regular file")
    os.unlink(tmp_path / "o" / "pk" / "__init__.py")
    os.mkfifo(tmp_path / "o" / "pk" / "other.py")  # not ours: left alone, never opened
    p = run_idlgen(["generate", "-o", "o", "pk.idl"], tmp_path, timeout=60)
    assert p.returncode == 0, p.stderr[-3000:]
    enums = tmp_path / "o" / "pk" / "enums.py"
    header = enums.read_bytes()
    with enums.open("r+b") as f:
        f.truncate(2 * 1024**3)  # our header, then 2 GB of nothing
    p = run_idlgen(["generate", "-o", "o", "pk.idl"], tmp_path, timeout=60)
    assert p.returncode == 0, p.stderr[-3000:]
    assert enums.read_bytes() == header
    with enums.open("wb") as f:
        f.truncate(2 * 1024**3)  # someone else's 2 GB file
    p = run_idlgen(["generate", "-o", "o", "pk.idl"], tmp_path, timeout=60)
    assert_located_error(p, "not generated by idlgen")


def test_config_from_a_device_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "pk.idl").write_text("typedef enum { A = 1 } E;\n")
    p = run_idlgen(["generate", "--config", "/dev/zero", "-o", "o", "pk.idl"], tmp_path)
    assert p.returncode == 2, p.stderr[-3000:]
    assert "cannot read configuration: a device, not a regular file" in p.stderr


# --------------------------------------------------------------------------- 4 and 8: constants


def test_squaring_constants_is_bounded(tmp_path: Path) -> None:
    lines = ["const long X0 = 3;"] + [f"const long X{i + 1} = X{i}*X{i};" for i in range(40)]
    (tmp_path / "c.idl").write_text("\n".join(lines) + "\n")
    p = run_idlgen(["check", "c.idl"], tmp_path, timeout=60)
    assert_located_error(p, "c.idl:6:", "does not fit in 'long' (32 bits)")
    lines = ["const hyper X0 = 3;"] + [f"const hyper X{i + 1} = X{i}*X{i};" for i in range(40)]
    (tmp_path / "c.idl").write_text("\n".join(lines) + "\n")
    p = run_idlgen(["check", "c.idl"], tmp_path, timeout=60)
    assert_located_error(p, "c.idl:7:", "integer overflow in constant")


NUMBER_CASES = {
    "complement_inf": ("const long a = ~1e400;", "floating constant is out of range"),
    "cast_inf": ("const long a = (long)1e400;", "floating constant is out of range"),
    "shift_inf": ("const long a = 1e400 << 1;", "floating constant is out of range"),
    "modulo_inf": ("const long a = 1e400 % 2;", "floating constant is out of range"),
    "nan": ("const long a = (long)(1e308 * 10 - 1e308 * 10);", "floating-point overflow"),
    "cast_huge_float": ("const long a = (long)1e300;", "out of the integer range"),
    "array": ("typedef struct s { int a[(long)1e400]; } s;", "in array dimension"),
    "bit_field": ("typedef struct s { int a : (long)1e400; } s;", "in bit-field width"),
    "case_label": (
        "typedef union u switch(long k) { case (long)1e400: int a; } u;",
        "in case label",
    ),
    "enumerator": ("typedef enum { A = (long)1e400 } E;", "in enumerator value"),
    "id": (
        f'import "oaidl.idl";\n{ITF} {{ [id(~1e400)] HRESULT f(); }}',
        "in argument of [id]",
    ),
    "huge_product_over_float": (
        "const double a = (" + "*".join(["0xFFFFFFFFFFFFFFFF"] * 20) + ") / 1.5;",
        "integer overflow",
    ),
    "digits_past_python_limit": ("const hyper a = " + "9" * 5000 + ";", "too large"),
    "product_past_python_limit": (
        "const hyper a = " + "*".join(["0xFFFFFFFFFFFFFFFF"] * 300) + ";",
        "integer overflow",
    ),
}


@pytest.mark.parametrize("case", sorted(NUMBER_CASES))
def test_numbers_out_of_range_are_located_errors(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, message = NUMBER_CASES[case]
    path = tmp_path / "n.idl"
    path.write_text(text + "\n")
    rc = main(["generate", "-o", str(tmp_path / "out"), str(path)])
    err = capsys.readouterr().err
    assert rc == 1, err[-3000:]
    assert "n.idl:" in err and ": error: " in err and message in err, err[-3000:]


def test_a_defaultvalue_out_of_range_does_not_crash(tmp_path: Path) -> None:
    text = f'import "oaidl.idl";\n{ITF} {{ HRESULT f([in, defaultvalue(~1e400)] long a); }}\n'
    (tmp_path / "d.idl").write_text(text)
    rc = main(["generate", "-o", str(tmp_path / "out"), str(tmp_path / "d.idl")])
    assert rc == 0
    import_generated(tmp_path / "out")


def test_a_stem_too_long_for_the_suite_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / ("a" * 245 + ".idl")
    path.write_text("typedef enum { A = 1 } E;\n")
    rc = main(["generate", "--emit", "stubs,tests", "-o", str(tmp_path / "out"), str(path)])
    err = capsys.readouterr().err
    assert rc == 1 and "longer than 255 bytes" in err, err[-2000:]
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- 9: diagnostics


def test_terminal_sequences_are_shown_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "e\x1b[2Jvil.idl"
    (tmp_path / name).write_text("interface \x1b[31mRED\x1b]0;title\x07 {\n")
    assert main(["check", str(tmp_path / name)]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert "\\x1b[31mRED" in err and "e\\x1b[2Jvil.idl:1:11: error:" in err


def test_a_long_line_is_quoted_as_a_bounded_excerpt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "long.idl").write_text("const long " + "a" * 200_000 + " = @;\n")
    assert main(["check", str(tmp_path / "long.idl")]) == 1
    err = capsys.readouterr().err
    assert max(len(line) for line in err.splitlines()) < 400, err[:1000]
    assert "..." in err


def test_a_sink_keeps_only_the_printed_number_of_diagnostics() -> None:
    sink = DiagnosticSink()
    for i in range(100_000):
        sink.error(Span("f.idl", i + 1, 1), "bad")
        sink.warning(Span("f.idl", i + 1, 1), "odd")
    assert len(sink.diagnostics) == 400
    assert sink.error_count == 100_000 and sink.has_errors
    assert sink.diagnostics.omitted_warnings == 100_000 - 200


def test_a_flood_of_diagnostics_keeps_exact_counts(tmp_path: Path) -> None:
    (tmp_path / "w.idl").write_text("#error x\n" * 300_000 + "#warning y\n" * 1000)
    p = run_idlgen(["check", "w.idl"], tmp_path, timeout=300)
    assert_located_error(p, "300000 errors and 1000 warnings generated.")
    assert p.stderr.count(": error: ") == 200


# --------------------------------------------------------------------------- 9: large valid files


def test_a_large_module_is_formatted_in_blocks_as_black_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import black

    from idlgen.api import parse
    from idlgen.backends.python import render_package
    from idlgen.output import blocks
    from idlgen.output import format as fmt
    from idlgen.output.format import black_mode

    monkeypatch.setattr(fmt, "BLOCK_CHARS", 2000)  # so that a small module is cut
    monkeypatch.setattr(blocks, "BLOCK_CHARS", 2000)
    calls: list[int] = []
    real = fmt.run_black
    monkeypatch.setattr(fmt, "run_black", lambda s, style: calls.append(len(s)) or real(s, style))
    methods = "".join(f"HRESULT M{j}([in] long a, [out, retval] BSTR *b); " for j in range(8))
    text = 'import "oaidl.idl";\n' + "".join(
        f'[object, uuid({i:08x}-1111-1111-1111-111111111111), helpstring("I{i}\\n\\n\\nclass X")]'
        f"\ninterface I{i} : IUnknown {{ {methods} }}\n"
        for i in range(12)
    )
    (tmp_path / "big.idl").write_text(text)
    module = render_package(parse(tmp_path / "big.idl"))["big/interfaces.py"]
    assert len(calls) > 4 and max(calls) < 4 * 2000  # formatted in blocks, none large
    assert black.format_str(module, mode=black_mode()) == module


def test_split_blocks_cuts_only_before_top_level_definitions() -> None:
    from idlgen.output.blocks import cut_lines, split_blocks

    source = (
        '"""Doc\n\n\nclass NotHere:\n"""\n'  # inside a string
        "x = 1\n\n\nclass A:\n    pass\n\n\n"  # a cut (line 9)
        "# a comment\n\n\nclass B:\n    pass\n\n\n"  # after a comment: no cut
        "@decorator\nclass C:\n    pass\n\n\n"  # a cut (line 20), not between @ and class
        "def f() -> None:\n    pass\n"  # a cut (line 25)
    )
    assert cut_lines(source) == [9, 20, 25]
    blocks = split_blocks(source, block_chars=1)
    assert "\n\n".join(blocks) == source
    assert [b.split("\n")[0] for b in blocks[1:]] == ["class A:", "@decorator", "def f() -> None:"]


def test_a_large_suite_spec_is_black_clean_and_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import black

    from idlgen.api import parse
    from idlgen.backends.conformance import render_conformance, spec_data
    from idlgen.output import blocks
    from idlgen.output.format import black_mode

    monkeypatch.setattr(blocks, "BLOCK_CHARS", 2000)  # the spec literal goes in after black
    text = 'import "oaidl.idl";\n' + "".join(
        f"[object, uuid({i:08x}-1111-1111-1111-111111111111)]"
        f"\ninterface I{i} : IUnknown {{ HRESULT M([in] long a, [out, retval] BSTR *b); }}\n"
        f"[uuid({i:08x}-2222-1111-1111-111111111111)] coclass C{i} {{ interface I{i}; }}\n"
        for i in range(20)
    )
    (tmp_path / "big.idl").write_text(text)
    program = parse(tmp_path / "big.idl")
    spec = render_conformance(program)["big_conformance/spec.py"]
    assert "idlgen:spec-data" not in spec and len(spec) > 4 * 2000
    assert black.format_str(spec, mode=black_mode()) == spec
    namespace: dict[str, object] = {}
    exec(compile(spec.split("SPEC = ")[0], "spec.py", "exec"), namespace)
    assert namespace["SPEC_DATA"] == spec_data(program)


@pytest.mark.parametrize(
    "text",
    [
        "typedef struct s { int a" + "[1]" * 200_000 + "; } s;\n",  # was quadratic: about 5 min
        "const long x = 1 \\\n" + "+ 1 \\\n" * 100_000 + ";\n",  # spliced lines, also quadratic
    ],
    ids=["declarator_200000", "splices_100000"],
)
def test_long_constructs_take_linear_time(text: str, tmp_path: Path) -> None:
    (tmp_path / "long.idl").write_text(text)
    p = run_idlgen(["check", "long.idl"], tmp_path, timeout=180)  # a bound, not a timing
    assert p.returncode in (0, 1) and "Traceback" not in p.stderr, p.stderr[-3000:]
