"""The ``idlgen`` command line: exit codes, options, diagnostics, imports, built-in includes."""

from __future__ import annotations

from pathlib import Path

import pytest

from idlgen.cli import main
from idlgen.frontend import BUILTIN_INCLUDE_DIR, Loader

SHARED = Path(__file__).parents[1].parent / "shared"
CORPUS = SHARED / "corpus" / "mingw-w64"

CLEAN = """\
import "oaidl.idl";

[object, dual, uuid(7f1c0a3e-2b4d-4c5e-8f60-718293a4b5c6)]
interface IFoo : IDispatch
{
    [propget, id(1)] HRESULT Name([out, retval] BSTR *name);
    [id(DISPID_VALUE + 2)] HRESULT Go([in, defaultvalue(3)] long n, [out, retval] VARIANT_BOOL *ok);
}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert main(["check"]) == 2
    assert main(["frobnicate", "x.idl"]) == 2
    assert main(["check", "-D", "1BAD", "x.idl"]) == 2
    capsys.readouterr()


@pytest.mark.parametrize("argv", [[], ["--traceback"]])
def test_bare_idlgen_prints_the_usage_and_the_commands(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "usage: idlgen [-h] [--version] [--traceback] COMMAND [ARGS...]\n"
        "\n"
        "commands:\n"
        "  check      check IDL files and report problems\n"
        "  dump       print the declarations of an IDL file\n"
        "  generate   generate Python packages from IDL files\n"
        "\n"
        "Run 'idlgen COMMAND --help' for a command's options.\n"
    )
    assert "args" not in captured.err  # argparse's internal name stays internal


def test_help_and_version_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "check" in capsys.readouterr().out
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("idlgen ")


def test_missing_file_and_directory_are_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.idl"
    assert main(["check", str(missing)]) == 1
    assert f"{missing}: error: cannot open '{missing}': no such file" in capsys.readouterr().err
    assert main(["check", str(tmp_path)]) == 1
    assert "is a directory" in capsys.readouterr().err


SCENARIOS = """\
[suite]
idl = "Greeter.idl"
format = 1

[[scenario]]
name = "count_starts_at_zero"
rule = "A new greeter has greeted nobody"
steps = [
  { create = "Greeter", as = "g" },
  { get = "$g.Cuont", expect = 0 },
]
"""


def test_check_validates_the_scenario_file_next_to_the_idl(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    greeter = Path(__file__).parents[1] / "examples" / "buildhook" / "idl" / "Greeter.idl"
    write(tmp_path, "Greeter.idl", greeter.read_text())
    monkeypatch.chdir(tmp_path)
    assert main(["check", "Greeter.idl"]) == 0  # no scenario file: nothing more to check
    assert capsys.readouterr().err == ""
    write(tmp_path, "Greeter.scenarios.toml", SCENARIOS)
    assert main(["check", "Greeter.idl"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "Greeter.scenarios.toml:10:3: error: scenario 'count_starts_at_zero', step 2: "
        "no interface has a member 'Cuont'; did you mean 'Count'?",
        '      { get = "$g.Cuont", expect = 0 },',
        "      ^",
        "1 error generated.",
    ]
    write(tmp_path, "Greeter.scenarios.toml", SCENARIOS.replace("Cuont", "Count"))
    assert main(["check", "Greeter.idl"]) == 0
    assert capsys.readouterr().err == ""


def test_internal_error_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(Loader, "load_main", boom)
    f = write(tmp_path, "clean.idl", CLEAN)
    assert main(["check", str(f)]) == 3
    err = capsys.readouterr().err
    assert err == (
        "idlgen: internal error: RuntimeError: kaboom "
        "(please report this; run with --traceback for details)\n"
    )
    assert main(["check", "--traceback", str(f)]) == 3
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_builtin_include_dir_is_complete() -> None:
    for name in (
        "unknwn.idl",
        "wtypes.idl",
        "objidl.idl",
        "oaidl.idl",
        "ocidl.idl",
        "oleidl.idl",
        "servprov.idl",
        "urlmon.idl",
        "propidl.idl",
        "tlb/stdole2.idl",
        "README.md",
        "COPYING.LIB",
    ):
        assert (BUILTIN_INCLUDE_DIR / name).is_file(), name


def test_a_flood_of_diagnostics_is_cut_short(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from idlgen.cli.common import MAX_PRINTED_DIAGNOSTICS

    idl = tmp_path / "many.idl"
    idl.write_text("".join(f"typedef UNKNOWN{i} T{i};\n" for i in range(300)))
    assert main(["check", str(idl)]) == 1
    err = capsys.readouterr().err
    assert err.count(": error: ") == MAX_PRINTED_DIAGNOSTICS
    assert "idlgen: 100 more diagnostics not shown" in err
    assert err.rstrip().endswith("300 errors generated.")
