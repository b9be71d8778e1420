"""``[tool.idlgen]`` in pyproject.toml: discovery, keys, relative paths, errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from idlgen.config import KEYS, ConfigError, find_config, load_config, parse_emit


def write_pyproject(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pyproject.toml"
    path.write_text(body, encoding="utf-8")
    return path


FULL = """\
[project]
name = "demo"

[tool.idlgen]
sources = ["idl/*.idl", "extra/one.idl"]
include-dir = ["idl/include"]
define = ["WINVER=0x0601", "FEATURE"]
undefine = ["_WIN64"]
builtin-include = false
with-imports = true
output = "src/generated"
package = "demo_com"
emit = ["stubs", "events", "tests"]
"""


def test_every_key_is_read_with_paths_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "idl").mkdir()
    (tmp_path / "idl" / "b.idl").write_text("")
    (tmp_path / "idl" / "a.idl").write_text("")
    path = write_pyproject(tmp_path, FULL)
    cfg = load_config(path)
    assert cfg is not None
    assert cfg.root == tmp_path.resolve()
    assert cfg.sources == [
        str(cfg.root / "idl" / "a.idl"),
        str(cfg.root / "idl" / "b.idl"),
        str(cfg.root / "extra" / "one.idl"),
    ]
    assert cfg.include_dir == [str(cfg.root / "idl" / "include")]
    assert cfg.define == ["WINVER=0x0601", "FEATURE"]
    assert cfg.undefine == ["_WIN64"]
    assert cfg.builtin_include is False
    assert cfg.with_imports is True
    assert cfg.output == str(cfg.root / "src" / "generated")
    assert cfg.package == "demo_com"
    assert cfg.emit == ["stubs", "events", "tests"]


def test_alternative_spellings_of_values(tmp_path: Path) -> None:
    path = write_pyproject(
        tmp_path,
        '[tool.idlgen]\nsources = "a.idl"\nemit = "stubs, events,stubs"\n'
        '[tool.idlgen.define]\nWINVER = "0x0601"\nLEVEL = 3\n',
    )
    cfg = load_config(path)
    assert cfg is not None
    assert cfg.sources == [str(tmp_path.resolve() / "a.idl")]
    assert cfg.emit == ["stubs", "events"]
    assert cfg.define == ["WINVER=0x0601", "LEVEL=3"]
    assert cfg.output is None and cfg.package is None and cfg.include_dir is None


def test_no_table_means_no_config_unless_required(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, '[project]\nname = "x"\n')
    assert load_config(path) is None
    with pytest.raises(ConfigError, match=r"no \[tool.idlgen\] table"):
        load_config(path, required=True)


def test_found_from_a_subdirectory_upwards_nearest_first(tmp_path: Path) -> None:
    outer = write_pyproject(tmp_path, "[tool.idlgen]\n")
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    assert find_config(deep) == outer.resolve()
    inner = write_pyproject(tmp_path / "a", "[project]\n")
    assert find_config(deep) == inner.resolve()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('include-dirs = ["x"]', "unknown key; did you mean 'include-dir'?"),
        ("frobnicate = 1", "unknown key (known: sources"),
        ('output = ["a"]', "output: must be a string, not an array"),
        ("output = ''", "output: must not be empty"),
        ("sources = 3", "sources: must be an array of strings, not a number"),
        ('sources = ["a.idl", 3]', "sources: must be an array of strings, but has a number"),
        ('sources = ["nothing/*.idl"]', "sources: 'nothing/*.idl' matches no file"),
        ('include-dir = [""]', "include-dir: has an empty string"),
        ("builtin-include = 'no'", "builtin-include: must be true or false, not a string"),
        ("with-imports = 1", "with-imports: must be true or false, not a number"),
        ('package = "not-valid"', "package: 'not-valid' is not a valid Python package name"),
        ('package = "a.class"', "package: 'a.class' is not a valid Python package name"),
        ('define = ["1BAD=2"]', "define: '1BAD' is not a macro name"),
        ("define = { X = true }", "define: value of 'X' must be a string or an integer"),
        ('undefine = ["A B"]', "undefine: 'A B' is not a macro name"),
        ("emit = []", "emit: must name at least one output kind"),
        ("emit = 5", "emit: must be an array of strings, not a number"),
    ],
)
def test_errors_name_the_file_the_line_and_the_key(tmp_path: Path, line: str, message: str) -> None:
    path = write_pyproject(tmp_path, f'[project]\nname = "x"\n\n[tool.idlgen]\n{line}\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    d = info.value.diagnostics[0]
    assert d.is_error
    assert d.span.file == str(path)
    assert d.span.line == 5
    assert message in d.message
    assert d.message.startswith("[tool.idlgen] ")


def test_table_is_not_a_table(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, '[tool]\nidlgen = "yes"\n')
    with pytest.raises(ConfigError, match="must be a table"):
        load_config(path)


def test_invalid_toml_gives_its_position(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, "[tool.idlgen]\noutput = \n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    d = info.value.diagnostics[0]
    assert d.span.line == 2 and "invalid TOML" in d.message


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read configuration"):
        load_config(tmp_path / "missing.toml")


def test_parse_emit() -> None:
    assert parse_emit("stubs,events") == ["stubs", "events"]
    assert parse_emit(["tests", " tests ", ""]) == ["tests"]
    assert "emit" in KEYS and "include-dir" in KEYS
