"""Generated code follows the black configuration of the project it is written into, so that
the user's own ``black --check`` passes: the ``[tool.black]`` black itself would read, black's
defaults without one, ``--line-length`` / ``[tool.idlgen] line-length`` over both."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from idlgen.cli import main
from idlgen.output.format import DEFAULT_STYLE, BlackStyle
from idlgen.output.style import StyleError, black_style_for, find_black_project

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "Msgrpriv.idl"


def project(root: Path, pyproject: str | None, *, git: bool = True) -> Path:
    """A project folder (a ``.git`` marks its root, as in a checkout) with *pyproject*."""
    root.mkdir(parents=True, exist_ok=True)
    if git:
        (root / ".git").mkdir(exist_ok=True)
    if pyproject is not None:
        (root / "pyproject.toml").write_text(textwrap.dedent(pyproject), encoding="utf-8")
    return root


def generate(root: Path, *args: str) -> Path:
    out = root / "src" / "gen"
    status = main(["generate", str(EXAMPLE), "-o", str(out), "--no-config", "-q", *args])
    assert status == 0
    return out


def black_check(root: Path, target: Path) -> subprocess.CompletedProcess[str]:
    """``black --check`` as the user runs it in *root* (black finds the configuration)."""
    return subprocess.run(
        [sys.executable, "-m", "black", "--check", str(target.relative_to(root))],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )


def longest_line(folder: Path) -> int:
    return max(len(line) for p in folder.rglob("*.py") for line in p.read_text().splitlines())


@pytest.mark.parametrize(
    "config",
    [
        None,
        "[tool.black]\nline-length = 100\n",
        "[tool.black]\nline-length = 60\nskip-string-normalization = true\n",
        "[project]\nname = 'x'\nrequires-python = '>=3.11'\n[tool.black]\nline-length = 79\n",
        "[tool.black]\nline_length = 120\ntarget-version = ['py311', 'py312']\n"
        "skip-magic-trailing-comma = true\n",
    ],
    ids=["defaults", "100", "60-no-string-normalization", "79-inferred-targets", "120-targets"],
)
def test_users_black_check_passes(tmp_path: Path, config: str | None) -> None:
    root = project(tmp_path / "proj", config)
    out = generate(root)
    proc = black_check(root, out)
    assert proc.returncode == 0, proc.stderr
    style = black_style_for(out)
    assert longest_line(out) > style.line_length - 15, "not laid out for the configured width"


def test_default_is_blacks_88(tmp_path: Path) -> None:
    root = project(tmp_path / "proj", None)
    assert black_style_for(root / "out") == DEFAULT_STYLE == BlackStyle(line_length=88)


def test_nearest_black_configuration_is_found_as_black_finds_it(tmp_path: Path) -> None:
    outer = project(tmp_path / "repo", "[tool.black]\nline-length = 100\n")
    # a nested pyproject.toml without [tool.black] is passed over, as black does
    inner = project(outer / "sub", "[project]\nname = 'sub'\n", git=False)
    assert find_black_project(inner / "gen") == outer / "pyproject.toml"
    assert black_style_for(inner / "gen").line_length == 100
    # a nested one with [tool.black] wins
    (inner / "pyproject.toml").write_text("[tool.black]\nline-length = 70\n")
    assert black_style_for(inner / "gen" / "deeper").line_length == 70


def test_the_project_root_stops_the_search(tmp_path: Path) -> None:
    project(tmp_path, "[tool.black]\nline-length = 100\n", git=False)
    checkout = project(tmp_path / "checkout", None)  # .git, no pyproject.toml
    assert find_black_project(checkout / "out") is None
    assert black_style_for(checkout / "out") == DEFAULT_STYLE


def test_settings_read_from_tool_black(tmp_path: Path) -> None:
    root = project(
        tmp_path / "p",
        """
        [project]
        requires-python = ">=3.12"
        [tool.black]
        line-length = 99
        skip-string-normalization = true
        skip-magic-trailing-comma = true
        preview = true
        """,
    )
    style = black_style_for(root / "out")
    assert style.line_length == 99
    assert not style.string_normalization and not style.magic_trailing_comma
    assert style.preview
    assert style.target_versions[0] == "py312"  # inferred from requires-python, as black does
    assert style.origin == str(root / "pyproject.toml")


def test_line_length_option_overrides_tool_black(tmp_path: Path) -> None:
    config = "[tool.black]\nline-length = 100\nskip-string-normalization = true\n"
    root = project(tmp_path / "p", config)
    assert black_style_for(root / "out", line_length=72) == BlackStyle(
        line_length=72, string_normalization=False
    )
    out = generate(root, "--line-length", "72")
    proc = subprocess.run(
        [sys.executable, "-m", "black", "--check", "--line-length", "72", "-S", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr


def test_tool_idlgen_line_length(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(
        tmp_path / "p",
        f"""
        [tool.black]
        line-length = 100
        [tool.idlgen]
        sources = ["{EXAMPLE.as_posix()}"]
        output = "gen"
        line-length = 66
        """,
    )
    monkeypatch.chdir(root)
    assert main(["generate", "-q"]) == 0
    proc = subprocess.run(
        [sys.executable, "-m", "black", "--check", "--line-length", "66", "gen"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    ("table", "message", "line"),
    [
        ('line-length = "wide"', "line-length: must be an integer", 3),
        ("line-length = 0", "line-length: must be from 1 to 1000", 3),
        ("target-version = ['py27']", "target-version: unknown 'py27'", 3),
        ("preview = 'yes'", "preview: must be true or false", 3),
        ("enable-unstable-feature = ['no_such_thing']", "unknown feature 'no_such_thing'", 3),
    ],
)
def test_invalid_tool_black_is_a_located_error(
    tmp_path: Path, table: str, message: str, line: int, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path / "p", f"[project]\n[tool.black]\n{table}\n")
    with pytest.raises(StyleError) as info:
        black_style_for(root / "out")
    (d,) = info.value.diagnostics
    assert message in d.message and d.span.line == line
    status = main(["generate", str(EXAMPLE), "-o", str(root / "out"), "--no-config"])
    assert status == 1
    err = capsys.readouterr().err
    assert f"pyproject.toml:{line}:" in err and message in err and "Traceback" not in err


def test_line_length_option_is_checked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", str(EXAMPLE), "-o", "x", "--line-length", "0"]) == 2
    assert "must be from 1 to 1000" in capsys.readouterr().err


def test_tool_idlgen_line_length_is_validated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path / "p", '[tool.idlgen]\noutput = "gen"\nline-length = "wide"\n')
    monkeypatch.chdir(root)
    assert main(["generate", str(EXAMPLE)]) == 2
    err = capsys.readouterr().err
    assert "pyproject.toml:3:" in err and "line-length: must be an integer" in err
