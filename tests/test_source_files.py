"""Source files as MIDL users have them (issue 14, items 2 and 3): names in another case or with
Windows separators, and text in UTF-16 or a Windows code page."""

from __future__ import annotations

from pathlib import Path

import pytest

from idlgen.api import check
from idlgen.cli import main
from idlgen.config import ConfigError, load_config
from idlgen.frontend.sourcefiles import decode_source, find_source
from idlgen.model import Interface, Library

# --------------------------------------------------------------------------- file names


def _tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _messages(diagnostics: list) -> list[str]:  # type: ignore[type-arg]
    return [f"{Path(d.span.file).name}:{d.span.line}: {d.message}" for d in diagnostics]


def test_names_in_another_case_and_with_backslashes_are_found(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "Inc/Defs.H": "typedef long FROM_INCLUDE;\n",
            "Base.IDL": "typedef short FROM_IMPORT;\n",
            "Sub/Dir/Deep.Idl": "typedef char FROM_DEEP;\n",
            "main.idl": '#include "inc\\defs.h"\n'
            'import "base.idl";\n'
            'import "sub\\dir\\deep.idl";\n'
            "typedef FROM_INCLUDE A; typedef FROM_IMPORT B; typedef FROM_DEEP C;\n",
        },
    )
    program, diagnostics = check([tmp_path / "main.idl"], builtin_include=False)
    assert _messages(diagnostics) == []
    assert sorted(Path(f.path).name for f in program.imports) == ["Base.IDL", "Deep.Idl"]


def test_an_exact_name_wins_over_one_in_another_case(tmp_path: Path) -> None:
    _tree(tmp_path, {"a.idl": "", "A.IDL": "", "sub/x.h": ""})
    assert find_source("a.idl", [str(tmp_path)]).path == str(tmp_path / "a.idl")
    assert find_source("A.IDL", [str(tmp_path)]).path == str(tmp_path / "A.IDL")
    # the first directory that has the name in any case wins, as on a Windows file system
    _tree(tmp_path, {"first/OAIDL.IDL": "", "second/oaidl.idl": ""})
    found = find_source("oaidl.idl", [str(tmp_path / "first"), str(tmp_path / "second")])
    assert found.path == str(tmp_path / "first" / "OAIDL.IDL")
    assert find_source("SUB\\X.H", [str(tmp_path)]).path == str(tmp_path / "sub" / "x.h")
    assert find_source("nothere.idl", [str(tmp_path)]).path is None


def test_a_name_matching_several_files_in_another_case_is_an_error(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "Base.idl": "typedef short T1;\n",
            "BASE.IDL": "typedef short T2;\n",
            "Defs.h": "",
            "DEFS.H": "",
            "main.idl": '#include "defs.h"\nimport "base.idl";\n',
        },
    )
    _, diagnostics = check([tmp_path / "main.idl"], builtin_include=False)
    base, defs = str(tmp_path / "BASE.IDL"), str(tmp_path / "Base.idl")
    assert _messages(diagnostics) == [
        f"main.idl:1: 'defs.h' matches more than one file when case is ignored: "
        f"'{tmp_path / 'DEFS.H'}', '{tmp_path / 'Defs.h'}' "
        "(rename one, or write the name in its exact case)",
        f"main.idl:2: 'base.idl' matches more than one file when case is ignored: "
        f"'{base}', '{defs}' (rename one, or write the name in its exact case)",
    ]


# --------------------------------------------------------------------------- encodings

HELP_IDL = (
    '[uuid(11111111-1111-1111-1111-111111111120), helpstring("Don\u2019t \\x93q\\x94")]\n'
    "library L {\n"
    '  [uuid(11111111-1111-1111-1111-111111111121), helpstring("caf\u00e9")]\n'
    "  interface I { const int X = NOPE; }\n"
    "}\n"
)


def _library_helpstrings(path: Path, encoding: str | None = None) -> tuple[list[str], list[str]]:
    program, diagnostics = check([path], builtin_include=False, source_encoding=encoding)
    lib = program.files[0].declarations[0]
    assert isinstance(lib, Library)
    itf = lib.body[0]
    assert isinstance(itf, Interface)
    located = [f"{d.span.line}:{d.span.column}: {d.message}" for d in diagnostics]
    return [lib.helpstring or "", itf.helpstring or ""], located


@pytest.mark.parametrize(
    "encoding",
    ["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom", "cp1252"],
)
def test_utf8_utf16_and_the_code_page_decode_alike(encoding: str, tmp_path: Path) -> None:
    path = tmp_path / "t.idl"
    if encoding == "utf-16-be-bom":
        path.write_bytes(b"\xfe\xff" + HELP_IDL.encode("utf-16-be"))
    else:
        path.write_bytes(HELP_IDL.encode(encoding))
    helpstrings, located = _library_helpstrings(path)
    # \x93 and \x94 are bytes of the code page (cp1252: curly double quotes)
    assert helpstrings == ["Don\u2019t \u201cq\u201d", "caf\u00e9"]
    # locations count characters, whatever the encoding
    assert located == ["4:31: use of undeclared identifier 'NOPE' in constant"]


def test_another_code_page_is_chosen_with_source_encoding(tmp_path: Path) -> None:
    path = tmp_path / "t.idl"
    path.write_bytes(HELP_IDL.replace("\u2019", "'").encode("cp1252"))
    helpstrings, _ = _library_helpstrings(path, "cp1251")
    assert helpstrings == ["Don't \u201cq\u201d", "caf\u0439"]  # 0xe9 is й in cp1251
    helpstrings, located = _library_helpstrings(path, "utf-8")  # utf-8: no fallback
    assert located[0] == "3:63: invalid UTF-8 in the source file"


def test_decode_source_rules() -> None:
    assert decode_source(b"a\x92b\x81").text == "a\u2019b\x81"  # undefined in cp1252: same number
    assert decode_source(b"\xef\xbb\xbfok").text == "ok"
    bad = decode_source(b"\xef\xbb\xbfok\n\xff")  # a UTF-8 BOM makes UTF-8 binding
    assert (bad.bad_offset, bad.problem) == (3, "invalid UTF-8")
    assert decode_source("x\u2019".encode("utf-16")).text == "x\u2019"
    assert decode_source(b"\x82\xa0", "cp932").text == "\u3042"


def test_the_command_line_and_the_configuration_take_the_encoding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.idl"
    path.write_bytes(b"const int X = NOPE; // \xe9\n")
    assert main(["check", "--source-encoding", "cp1251", str(path)]) == 1
    assert "    const int X = NOPE; // \u0439\n" in capsys.readouterr().err
    assert main(["check", "--source-encoding", "no-such-encoding", str(path)]) == 2
    assert "unknown text encoding 'no-such-encoding'" in capsys.readouterr().err
    # the caret line of a UTF-16 file is shown decoded
    path.write_bytes("const int Y = NOPE2;\n".encode("utf-16"))
    assert main(["check", str(path)]) == 1
    assert "    const int Y = NOPE2;\n                  ^~~~~" in capsys.readouterr().err
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.idlgen]\nsource-encoding = "CP1251"\n', encoding="utf-8")
    config = load_config(pyproject)
    assert config is not None and config.source_encoding == "cp1251"
    pyproject.write_text('[tool.idlgen]\nsource-encoding = "klingon"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="source-encoding: unknown text encoding 'klingon'"):
        load_config(pyproject)
